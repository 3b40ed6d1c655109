import { createHash, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../../../platform/db.js';
import { UUID } from '../../../platform/ids.js';
import { PAYMENT_METHODS } from './methods.js';
import { qrisPayload } from './qris.js';
import type { CreatePaymentInput, GatewayTransaction, PaymentInstructions, PaymentProvider, RefundInput, RefundResult, SimulatedStatus, VerifyResult } from './provider.js';

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

/** Midtrans writes amounts as `150000.00`; rupiah have no cents, so anything else is not an amount. */
function wholeRupiah(grossAmount: string): number | undefined {
  const gross = GROSS.exec(grossAmount);
  return gross && (gross[2] === undefined || Number(gross[2]) === 0) ? Number(gross[1]) : undefined;
}

/**
 * The status codes Midtrans sends with each `transaction_status` (its status-code reference: 200
 * success, 201 pending or challenged, 202 denied, 407 expired). The signature covers the code but
 * not the status, so a status the code does not allow is not the gateway's.
 */
const STATUS_CODES: Record<string, readonly string[]> = {
  capture: ['200', '201'],
  settlement: ['200'],
  pending: ['201'],
  deny: ['202'],
  failure: ['202'],
  cancel: ['200', '202'],
  expire: ['202', '407'],
  refund: ['200'],
  partial_refund: ['200'],
};

/**
 * Midtrans `transaction_status` → what it means for us. `capture` is a card payment that is paid
 * unless fraud review says otherwise (code 201, or a fraud status other than accept).
 */
function outcomeOf(status: string, statusCode: string, fraud: unknown): Pick<GatewayTransaction, 'outcome' | 'releasedAs'> | undefined {
  switch (status) {
    case 'settlement':
      return { outcome: 'paid', releasedAs: 'failed' };
    case 'capture':
      return statusCode === '200' && (fraud === undefined || fraud === 'accept') ? { outcome: 'paid', releasedAs: 'failed' } : { outcome: 'pending', releasedAs: 'failed' };
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

const statusAgrees = (status: string, statusCode: string) => STATUS_CODES[status]?.includes(statusCode) ?? false;

/** A Midtrans status API answer in our terms; undefined for "no such transaction" or a reply it never gives. */
function transactionOf(answer: Record<string, unknown>): GatewayTransaction | undefined {
  const {
    order_id: orderId, status_code: statusCode, gross_amount: grossAmount, transaction_status: status, transaction_id: transactionId, fraud_status: fraud,
  } = answer;
  if (typeof orderId !== 'string' || typeof statusCode !== 'string' || typeof grossAmount !== 'string' || typeof status !== 'string' || typeof transactionId !== 'string') return undefined;
  const grossAmountIdr = wholeRupiah(grossAmount);
  const mapped = outcomeOf(status, statusCode, fraud);
  if (!UUID.test(orderId) || grossAmountIdr === undefined || !mapped || !statusAgrees(status, statusCode)) return undefined;
  const fields = { order_id: orderId, status_code: statusCode, gross_amount: grossAmount, transaction_status: status, transaction_id: transactionId, ...(typeof fraud === 'string' ? { fraud_status: fraud } : {}) };
  return {
    paymentId: orderId,
    grossAmountIdr,
    ...mapped,
    transactionStatus: status,
    fingerprint: createHash('sha256').update([orderId, status, statusCode, grossAmount, transactionId].join('|')).digest('hex'),
    fields,
  };
}

/**
 * A sandbox gateway that behaves like an Indonesian one: VA numbers per bank, a dynamic QRIS,
 * e-wallet deep links and COD; notifications in Midtrans's protocol, signed with the server key.
 * The payment id is the Midtrans `order_id` (one payment may cover the orders of several shops).
 * Its status API answers from the book the simulator writes (`sandbox_gateway_transactions`):
 * the gateway's own records, kept in the store so every process and a restart see one gateway.
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';

  constructor(
    private readonly serverKey: string,
    private readonly book: Database,
  ) {}

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
    const grossAmountIdr = wholeRupiah(grossAmount);
    if (!UUID.test(orderId) || grossAmountIdr === undefined || !(status in STATUS_CODES)) return { ok: false, reason: 'malformed' };
    if (!statusAgrees(status, statusCode)) return { ok: false, reason: 'status' };
    return {
      ok: true,
      notification: {
        paymentId: orderId, grossAmountIdr, fields: { order_id: orderId, status_code: statusCode, gross_amount: grossAmount, transaction_status: status },
      },
    };
  }

  /** `GET /v2/{order_id}/status` as the sandbox gateway answers it. */
  private async statusAnswer(orderId: string): Promise<Record<string, unknown>> {
    const row = UUID.test(orderId)
      ? await this.book.selectFrom('sandbox_gateway_transactions').selectAll().where('order_id', '=', orderId).executeTakeFirst()
      : undefined;
    if (!row) return { status_code: '404', status_message: "Transaction doesn't exist." };
    return {
      status_code: row.status_code,
      status_message: 'Success, transaction is found',
      transaction_id: row.transaction_id,
      order_id: row.order_id,
      gross_amount: row.gross_amount,
      currency: 'IDR',
      transaction_status: row.transaction_status,
      ...(row.fraud_status ? { fraud_status: row.fraud_status } : {}),
      signature_key: midtransSignature(String(row.order_id), String(row.status_code), String(row.gross_amount), this.serverKey),
    };
  }

  async status(paymentId: string): Promise<GatewayTransaction | undefined> {
    return transactionOf(await this.statusAnswer(paymentId));
  }

  /** The simulator: the gateway's transaction moves to `status`, and this is the notification it sends. */
  async simulate(paymentId: string, grossAmountIdr: number, status: SimulatedStatus): Promise<Record<string, unknown>> {
    const statusCode = STATUS_CODES[status]![0]!;
    const grossAmount = `${grossAmountIdr}.00`;
    const transactionId = `sandbox-${paymentId}`;
    const state = { transaction_id: transactionId, transaction_status: status, status_code: statusCode, gross_amount: grossAmount, fraud_status: 'accept' };
    await this.book
      .insertInto('sandbox_gateway_transactions')
      .values({ order_id: paymentId, ...state })
      .onConflict((oc) => oc.column('order_id').doUpdateSet({ ...state, updated_at: sql`now()` }))
      .execute();
    return {
      transaction_time: new Date().toISOString().replace('T', ' ').slice(0, 19),
      transaction_status: status,
      transaction_id: transactionId,
      status_message: 'midtrans payment notification',
      status_code: statusCode,
      signature_key: midtransSignature(paymentId, statusCode, grossAmount, this.serverKey),
      order_id: paymentId,
      gross_amount: grossAmount,
      currency: 'IDR',
      fraud_status: 'accept',
    };
  }
}
