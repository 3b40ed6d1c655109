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

/**
 * A notification in the provider's own protocol whose signature holds: what it claims, nothing
 * acted on yet. Its status is only a hint to ask the gateway (see `PaymentProvider.status`).
 */
export interface NotificationClaim {
  paymentId: string;
  grossAmountIdr: number;
  /** The signed fields and the status, as sent: the only part of a notification that is kept. */
  fields: Record<string, string>;
}

/** A transaction as the gateway's status API reports it now, in our terms. */
export interface GatewayTransaction {
  paymentId: string;
  grossAmountIdr: number;
  outcome: 'paid' | 'released' | 'refunded' | 'pending';
  releasedAs: 'failed' | 'expired' | 'cancelled';
  transactionStatus: string;
  /** The same for the same state of the transaction: a second notification of it is a repeat. */
  fingerprint: string;
  /** The gateway's own fields the decision rests on, kept with the notification. */
  fields: Record<string, string>;
}

export type VerifyResult = { ok: true; notification: NotificationClaim } | { ok: false; reason: 'signature' | 'malformed' | 'status' };

/** Money back to the buyer for one order of a payment (Midtrans: `POST /v2/{order_id}/refund`). */
export interface RefundInput {
  paymentId: string;
  /** Ours, unique per refund: the gateway treats a repeat with the same key as the same refund. */
  refundKey: string;
  amountIdr: number;
  reason: string;
}

export type RefundResult = { ok: true; reference: string } | { ok: false; retryable: boolean; reason: string };

/** The gateway states the sandbox's simulator can move a transaction to. */
export type SimulatedStatus = 'pending' | 'settlement' | 'deny' | 'expire' | 'cancel' | 'refund';

/** A payment gateway. The sandbox is the only one so far; a real one implements the same calls. */
export interface PaymentProvider {
  readonly name: string;
  createPayment(input: CreatePaymentInput): PaymentInstructions;
  /** Asks the gateway to return money; called by the refund job, outside any transaction. */
  refund(input: RefundInput): Promise<RefundResult>;
  /** Checks the signature, and that the status is one the signed status code allows. */
  verifyNotification(body: Record<string, unknown>): VerifyResult;
  /**
   * What the gateway says about the transaction now (Midtrans: `GET /v2/{order_id}/status`), or
   * undefined when it has none. Called outside any transaction: it is a call to the gateway.
   */
  status(paymentId: string): Promise<GatewayTransaction | undefined>;
  /** Sandbox only: the gateway moves the transaction to `status` and returns the notification it sends. */
  simulate?(paymentId: string, grossAmountIdr: number, status: SimulatedStatus): Promise<Record<string, unknown>>;
}
