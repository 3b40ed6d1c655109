import type { PaymentMethodCode } from './methods.js';

/** What a buyer needs to pay: stored with the payment, shown again on every read. */
export type PaymentInstructions =
  | { kind: 'virtual_account'; bank: string; vaNumber: string; amountIdr: number; steps: string[] }
  | { kind: 'qris'; qrisPayload: string; amountIdr: number; steps: string[] }
  | { kind: 'ewallet'; wallet: string; deeplinkUrl: string; amountIdr: number; steps: string[] }
  | { kind: 'cod'; amountIdr: number; steps: string[] };

export interface CreatePaymentInput {
  paymentId: string;
  method: PaymentMethodCode;
  amountIdr: number;
  merchantName: string;
  merchantCity: string;
}

/** A notification in the provider's own protocol, after verification, in our terms. */
export interface VerifiedNotification {
  paymentId: string;
  grossAmountIdr: number;
  outcome: 'paid' | 'released' | 'refunded' | 'pending';
  releasedAs: 'failed' | 'expired' | 'cancelled';
  transactionStatus: string;
  fingerprint: string;
}

export type VerifyResult = { ok: true; notification: VerifiedNotification } | { ok: false; reason: 'signature' | 'malformed' };

/** Money back to the buyer for one order of a payment (Midtrans: `POST /v2/{order_id}/refund`). */
export interface RefundInput {
  paymentId: string;
  /** Ours, unique per refund: the gateway treats a repeat with the same key as the same refund. */
  refundKey: string;
  amountIdr: number;
  reason: string;
}

export type RefundResult = { ok: true; reference: string } | { ok: false; retryable: boolean; reason: string };

/** A payment gateway. The sandbox is the only one so far; a real one implements the same calls. */
export interface PaymentProvider {
  readonly name: string;
  createPayment(input: CreatePaymentInput): PaymentInstructions;
  /** Asks the gateway to return money; called by the refund job, outside any transaction. */
  refund(input: RefundInput): Promise<RefundResult>;
  verifyNotification(body: Record<string, unknown>): VerifyResult;
  /** Builds the signed notification the gateway would send (sandbox only). */
  simulateNotification?(paymentId: string, grossAmountIdr: number, outcome: 'paid' | 'failed'): Record<string, unknown>;
}
