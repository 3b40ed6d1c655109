import { createHash, timingSafeEqual } from 'node:crypto';
import { UUID } from '../uuid.js';
import { PAYMENT_METHODS } from './methods.js';
import { qrisPayload } from './qris.js';
import type { CreatePaymentInput, PaymentInstructions, PaymentProvider, RefundInput, RefundResult, VerifyResult } from './provider.js';

/** Bank prefixes the sandbox puts in front of VA numbers, like a gateway's company codes. */
const VA_PREFIX: Record<string, string> = { bca: '12345', bni: '8808', bri: '26215', mandiri: '70012', permata: '8562' };

/** A deterministic number from the payment id, so a VA is stable for the payment. */
function digitsOf(id: string, count: number): string {
  const hash = createHash('sha256').update(id).digest();
  let out = '';
  for (let i = 0; out.length < count; i++) out += String(hash[i % hash.length]! % 10);
  return out;
}

export function midtransSignature(orderId: string, statusCode: string, grossAmount: string, serverKey: string): string {
  return createHash('sha512').update(orderId + statusCode + grossAmount + serverKey).digest('hex');
}

const GROSS = /^(\d{1,15})(?:\.(\d{1,2}))?$/;

/**
 * Midtrans `transaction_status` → what it means for us. `capture` is a card payment that is paid
 * unless fraud review says otherwise.
 */
function outcomeOf(status: string, fraud: unknown): { outcome: 'paid' | 'released' | 'refunded' | 'pending'; releasedAs: 'failed' | 'expired' | 'cancelled' } | undefined {
  switch (status) {
    case 'settlement':
      return { outcome: 'paid', releasedAs: 'failed' };
    case 'capture':
      return fraud === undefined || fraud === 'accept' ? { outcome: 'paid', releasedAs: 'failed' } : { outcome: 'pending', releasedAs: 'failed' };
    case 'deny':
    case 'failure':
      return { outcome: 'released', releasedAs: 'failed' };
    case 'cancel':
      return { outcome: 'released', releasedAs: 'cancelled' };
    case 'expire':
      return { outcome: 'released', releasedAs: 'expired' };
    case 'refund':
    case 'partial_refund':
      return { outcome: 'refunded', releasedAs: 'failed' };
    case 'pending':
      return { outcome: 'pending', releasedAs: 'failed' };
    default:
      return undefined;
  }
}

/**
 * A sandbox gateway that behaves like an Indonesian one: VA numbers per bank, a dynamic QRIS,
 * e-wallet deep links and COD; notifications in Midtrans's protocol, signed with the server key.
 * The payment id is the Midtrans `order_id` (one payment may cover the orders of several shops).
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';

  constructor(private readonly serverKey: string) {}

  createPayment(input: CreatePaymentInput): PaymentInstructions {
    const method = PAYMENT_METHODS[input.method];
    const amountIdr = input.amountIdr;
    if (method.kind === 'virtual_account') {
      const prefix = VA_PREFIX[method.bank] ?? '9999';
      const vaNumber = prefix + digitsOf(input.paymentId, 16 - prefix.length);
      return {
        kind: 'virtual_account',
        bank: method.bank,
        vaNumber,
        amountIdr,
        steps: [
          `Buka aplikasi atau ATM ${method.name.replace(' Virtual Account', '')}.`,
          'Pilih Transfer › Virtual Account.',
          `Masukkan nomor ${vaNumber}.`,
          `Pastikan jumlahnya Rp ${amountIdr.toLocaleString('id-ID')}, lalu konfirmasi.`,
        ],
      };
    }
    if (method.kind === 'qris') {
      return {
        kind: 'qris',
        qrisPayload: qrisPayload({
          merchantName: input.merchantName,
          merchantCity: input.merchantCity,
          merchantId: `SEKAT${digitsOf(input.paymentId, 10)}`,
          amountIdr,
          reference: input.paymentId.replace(/-/g, '').slice(0, 25),
        }),
        amountIdr,
        steps: ['Buka aplikasi bank atau e-wallet yang mendukung QRIS.', 'Pindai kode QR.', 'Periksa jumlah lalu bayar.'],
      };
    }
    if (method.kind === 'ewallet') {
      return {
        kind: 'ewallet',
        wallet: input.method,
        deeplinkUrl: `https://sandbox.sekat.id/pay/${input.method}/${input.paymentId}`,
        amountIdr,
        steps: [`Buka tautan untuk membayar dengan ${method.name}.`, 'Masukkan PIN Anda untuk konfirmasi.'],
      };
    }
    return { kind: 'cod', amountIdr, steps: [`Siapkan uang tunai Rp ${amountIdr.toLocaleString('id-ID')} saat paket tiba.`] };
  }

  /**
   * Accepts a refund the way the gateway's refund API does: the same refund key is the same
   * refund (a retry after a lost answer changes nothing), and the money goes back to the payer.
   */
  async refund(input: RefundInput): Promise<RefundResult> {
    if (!UUID.test(input.paymentId)) return { ok: false, retryable: false, reason: 'unknown order_id' };
    if (!Number.isSafeInteger(input.amountIdr) || input.amountIdr <= 0) return { ok: false, retryable: false, reason: 'refund amount must be positive' };
    return { ok: true, reference: `sandbox-refund-${createHash('sha256').update(input.refundKey).digest('hex').slice(0, 16)}` };
  }

  verifyNotification(body: Record<string, unknown>): VerifyResult {
    const { order_id: orderId, status_code: statusCode, gross_amount: grossAmount, signature_key: signature, transaction_status: status } = body;
    if (typeof orderId !== 'string' || typeof statusCode !== 'string' || typeof grossAmount !== 'string' || typeof signature !== 'string' || typeof status !== 'string') {
      return { ok: false, reason: 'malformed' };
    }
    const expected = Buffer.from(midtransSignature(orderId, statusCode, grossAmount, this.serverKey), 'hex');
    const given = /^[0-9a-f]{128}$/i.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature' };
    const gross = GROSS.exec(grossAmount);
    const mapped = outcomeOf(status, body.fraud_status);
    if (!UUID.test(orderId) || !gross || (gross[2] !== undefined && Number(gross[2]) !== 0) || !mapped) return { ok: false, reason: 'malformed' };
    const fingerprint = createHash('sha256')
      .update([orderId, status, statusCode, grossAmount, String(body.transaction_id ?? '')].join('|'))
      .digest('hex');
    return {
      ok: true,
      notification: {
        paymentId: orderId,
        grossAmountIdr: Number(gross[1]),
        outcome: mapped.outcome,
        releasedAs: mapped.releasedAs,
        transactionStatus: status,
        fingerprint,
      },
    };
  }

  simulateNotification(paymentId: string, grossAmountIdr: number, outcome: 'paid' | 'failed'): Record<string, unknown> {
    const statusCode = outcome === 'paid' ? '200' : '202';
    const grossAmount = `${grossAmountIdr}.00`;
    return {
      transaction_time: new Date().toISOString().replace('T', ' ').slice(0, 19),
      transaction_status: outcome === 'paid' ? 'settlement' : 'deny',
      transaction_id: `sandbox-${paymentId}-${outcome}`,
      status_message: 'sandbox notification',
      status_code: statusCode,
      signature_key: midtransSignature(paymentId, statusCode, grossAmount, this.serverKey),
      order_id: paymentId,
      gross_amount: grossAmount,
      currency: 'IDR',
      fraud_status: 'accept',
    };
  }
}
