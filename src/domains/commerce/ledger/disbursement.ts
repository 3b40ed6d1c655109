import { createHash, timingSafeEqual } from 'node:crypto';

/** What commerce needs from a disbursement provider: check an account, send money, hear back. */
export interface DisbursementProvider {
  /** The name the bank holds for the account, or why it cannot be used. */
  validateAccount(bankCode: string, accountNumber: string): Promise<{ ok: true; accountName: string } | { ok: false; reason: string }>;
  /**
   * Sends one payout. `idempotencyKey` makes a retry after a lost answer the same payout, never a
   * second one. `retry`: the provider could not be reached or was busy (try again later);
   * otherwise a refusal is final.
   */
  send(payout: { idempotencyKey: string; amountIdr: number; bankCode: string; accountNumber: string; holderName: string; notes: string }): Promise<
    { ok: true; reference: string } | { ok: false; retry: boolean; code: string; message: string }
  >;
  /** Checks a status notification's signature over its exact body. */
  verifyNotification(rawBody: string, signature: string | undefined): boolean;
}

export interface IrisCredentials {
  /** e.g. https://app.sandbox.midtrans.com/iris (no trailing slash), or the loopback sandbox. */
  baseUrl: string;
  creatorKey: string;
  approverKey: string;
  merchantKey: string;
}

/** Iris signs a notification as SHA-512 hex of the raw body followed by the merchant key. */
export function irisSignature(rawBody: string, merchantKey: string): string {
  return createHash('sha512').update(rawBody + merchantKey).digest('hex');
}

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

/**
 * Midtrans Iris (Payouts API), as an aggregator: create the payout with the creator key and an
 * `X-Idempotency-Key`, approve it with the approver key; the outcome arrives as a notification
 * signed in the `Iris-Signature` header.
 */
export class IrisClient implements DisbursementProvider {
  constructor(
    private readonly credentials: IrisCredentials,
    private readonly timeoutMs = 10_000,
  ) {}

  private async call(method: 'GET' | 'POST', path: string, key: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${this.credentials.baseUrl}/api/v1${path}`, {
      method,
      headers: { authorization: basic(key), accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      json = {};
    }
    return { status: response.status, json };
  }

  async validateAccount(bankCode: string, accountNumber: string) {
    try {
      const { status, json } = await this.call('GET', `/account_validation?bank=${encodeURIComponent(bankCode)}&account=${encodeURIComponent(accountNumber)}`, this.credentials.creatorKey);
      if (status === 200 && typeof json.account_name === 'string') return { ok: true as const, accountName: json.account_name };
      const errors = json.errors as Record<string, string[]> | undefined;
      return { ok: false as const, reason: errors?.account?.[0] ?? String(json.error_message ?? 'The bank could not confirm this account.') };
    } catch {
      return { ok: false as const, reason: 'The bank could not be reached to confirm this account; try again.' };
    }
  }

  async send(payout: Parameters<DisbursementProvider['send']>[0]) {
    try {
      const created = await this.call(
        'POST',
        '/payouts',
        this.credentials.creatorKey,
        {
          payouts: [
            {
              beneficiary_name: payout.holderName,
              beneficiary_account: payout.accountNumber,
              beneficiary_bank: payout.bankCode,
              amount: `${payout.amountIdr}.00`,
              notes: payout.notes,
            },
          ],
        },
        { 'x-idempotency-key': payout.idempotencyKey },
      );
      const reference = (created.json.payouts as { reference_no?: string }[] | undefined)?.[0]?.reference_no;
      if (created.status >= 500 || created.status === 429) return { ok: false as const, retry: true, code: String(created.status), message: 'The provider is busy.' };
      if (created.status !== 201 || !reference) {
        return { ok: false as const, retry: false, code: String(created.json.error_code ?? created.status), message: String(created.json.error_message ?? 'The payout was refused.') };
      }
      const approved = await this.call('POST', '/payouts/approve', this.credentials.approverKey, { reference_nos: [reference] });
      if (approved.status >= 500 || approved.status === 429) return { ok: false as const, retry: true, code: String(approved.status), message: 'The provider is busy.' };
      if (approved.status !== 202) {
        return { ok: false as const, retry: false, code: String(approved.json.error_code ?? approved.status), message: String(approved.json.error_message ?? 'The payout was not approved.') };
      }
      return { ok: true as const, reference };
    } catch {
      return { ok: false as const, retry: true, code: 'unreachable', message: 'The provider could not be reached.' };
    }
  }

  verifyNotification(rawBody: string, signature: string | undefined): boolean {
    if (!signature) return false;
    const expected = Buffer.from(irisSignature(rawBody, this.credentials.merchantKey));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
