import QRCode from 'qrcode';
import type { Transaction } from 'kysely';
import type { AnyDB, Database } from '../../../platform/db.js';
import type { OrderRow } from './transition.js';
import type { PaymentRow } from '../payments/ledger.js';

export interface LineRow {
  id: string;
  order_id: string;
  variant_id: string;
  product_id: string;
  title: string;
  variant_name: string;
  sku: string;
  unit_price_idr: number;
  quantity: number;
  line_total_idr: number;
  affiliate_id: string | null;
  commission_percent: number;
  video_id: string | null;
}

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);

export async function orderViews(db: Database | Transaction<AnyDB>, orders: OrderRow[]) {
  if (orders.length === 0) return [];
  const lines = (await db
    .selectFrom('order_lines')
    .selectAll()
    .where('order_id', 'in', orders.map((o) => o.id))
    .orderBy('id')
    .execute()) as LineRow[];
  // Lists show each line's product by its cover photo as it is now, the same one the shop shows.
  const covers = new Map<string, string | null>();
  if (lines.length > 0) {
    const products = await db
      .selectFrom('products')
      .select(['id', 'image_urls'])
      .where('id', 'in', [...new Set(lines.map((line) => line.product_id))])
      .execute();
    for (const product of products) covers.set(product.id, (product.image_urls as string[])[0] ?? null);
  }
  return orders.map((order) => orderView(order, lines.filter((line) => line.order_id === order.id), covers));
}

export function orderView(order: OrderRow, lines: LineRow[], covers?: Map<string, string | null>) {
  return {
    id: order.id,
    shopId: order.shop_id,
    paymentId: order.payment_id,
    status: order.status,
    subtotalIdr: order.subtotal_idr,
    shippingIdr: order.shipping_idr,
    discountIdr: order.discount_idr,
    shippingDiscountIdr: order.shipping_discount_idr,
    totalIdr: order.total_idr,
    courier: order.courier,
    trackingNumber: order.tracking_number,
    shippingAddress: {
      recipient: order.recipient,
      phone: order.phone,
      line1: order.line1,
      city: order.city,
      province: order.province,
      postalCode: order.postal_code,
    },
    lines: lines.map((line) => ({
      id: line.id,
      variantId: line.variant_id,
      productId: line.product_id,
      title: line.title,
      variantName: line.variant_name,
      sku: line.sku,
      unitPriceIdr: line.unit_price_idr,
      quantity: line.quantity,
      lineTotalIdr: line.line_total_idr,
      attributed: line.affiliate_id !== null,
      ...(covers ? { imageUrl: covers.get(line.product_id) ?? null } : {}),
    })),
    returnReason: order.return_reason,
    createdAt: new Date(order.created_at).toISOString(),
    paidAt: iso(order.paid_at),
    shippedAt: iso(order.shipped_at),
    deliveredAt: iso(order.delivered_at),
    closedAt: iso(order.closed_at),
  };
}

export type OrderView = ReturnType<typeof orderView>;

export function paymentView(payment: PaymentRow) {
  return {
    id: payment.id,
    method: payment.method,
    status: payment.status,
    amountIdr: payment.gross_amount_idr,
    instructions: payment.instructions,
    expiresAt: iso(payment.expires_at),
    paidAt: iso(payment.paid_at),
  };
}

export type PaymentView = ReturnType<typeof paymentView> & { instructions: Record<string, unknown> };

/** Adds the QR image to QRIS instructions; it is derived from the payload, so it is not stored. */
export async function withQrImage<T extends { instructions: Record<string, unknown> }>(payment: T): Promise<T> {
  const payload = payment.instructions.qrisPayload;
  if (typeof payload !== 'string') return payment;
  const qrImageDataUrl = await QRCode.toDataURL(payload, { errorCorrectionLevel: 'M', margin: 2, width: 320 });
  return { ...payment, instructions: { ...payment.instructions, qrImageDataUrl } };
}
