import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { BANK_CODES } from './banks.js';
import { irisSignature, IrisClient, type DisbursementProvider } from './disbursement.js';

/** Iris's failure codes this sandbox gives out (the provider documents more). */
export const IRIS_FAILURES = {
  '002': 'Invalid destination account number',
  '005': 'Timeout error by bank',
  '012': 'Beneficiary account is blocked',
} as const;
export type IrisFailureCode = keyof typeof IRIS_FAILURES;

/**
 * Test accounts the sandbox knows (bank, number → holder), like the provider's own sandbox's
 * dummy accounts; any other number does not exist. The last one validates but its payouts fail.
 */
export const SANDBOX_ACCOUNTS: { bank: string; account: string; name: string; fails?: IrisFailureCode }[] = [
  { bank: 'bca', account: '1234567890', name: 'Budi Santoso' },
  { bank: 'mandiri', account: '1111222233', name: 'Siti Rahma' },
  { bank: 'bni', account: '9876543210', name: 'Toko Batik Sejahtera' },
  { bank: 'bri', account: '5555000012', name: 'Andi Wijaya', fails: '012' },
];

interface SandboxPayout {
  reference_no: string;
  beneficiary_name: string;
  beneficiary_account: string;
  bank: string;
  amount: string;
  notes: string;
  status: 'queued' | 'approved' | 'completed' | 'failed';
  created_at: string;
  updated_at: string;
}

export interface SandboxNotification {
  body: string;
  signature: string;
}

/**
 * A stand-in for Midtrans Iris on loopback, speaking its protocol: Basic auth with the creator
 * key (create, validate) or the approver key (approve); `X-Idempotency-Key` on create returns the
 * first answer again; approval settles the payout and sends a notification signed with
 * `Iris-Signature` = SHA-512(body + merchant key), to `callbackUrl` when set, else to `deliver`,
 * again with backoff until it is taken.
 */
export class IrisSandbox {
  readonly creatorKey = `iris-creator-${randomBytes(8).toString('hex')}`;
  readonly approverKey = `iris-approver-${randomBytes(8).toString('hex')}`;
  readonly merchantKey = `iris-merchant-${randomBytes(16).toString('hex')}`;
  readonly payouts = new Map<string, SandboxPayout>();
  /** Create calls that made a new payout (not idempotent repeats): what was really sent. */
  created = 0;
  callbackUrl: string | undefined;
  /** Where notifications go when there is no callback URL (the embedded default). */
  deliver: ((notification: SandboxNotification) => Promise<void>) | undefined;
  /** Notifications that found nowhere to go, or whose delivery failed. */
  readonly undelivered: SandboxNotification[] = [];
  private readonly accounts = new Map(SANDBOX_ACCOUNTS.map((a) => [`${a.bank}:${a.account}`, a]));
  private readonly idempotent = new Map<string, { status: number; body: unknown }>();
  private readonly inFlight = new Set<Promise<void>>();
  private server: Server | undefined;
  private starting: Promise<string> | undefined;

  /** Adds a test account; `fails` makes its payouts fail with that code. */
  addAccount(bank: string, account: string, name: string, fails?: IrisFailureCode): void {
    this.accounts.set(`${bank}:${account}`, { bank, account, name, fails });
  }

  start(): Promise<string> {
    this.starting ??= new Promise((resolve, reject) => {
      const server = createServer((request, response) => void this.handle(request, response));
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        this.server = server;
        resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      });
    });
    return this.starting;
  }

  /** Waits for notifications being sent. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  async stop(): Promise<void> {
    await this.settled();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(request.url ?? '/', 'http://sandbox');
      const key = this.keyOf(request.headers.authorization);
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      if (request.method === 'GET' && url.pathname === '/api/v1/ping') return send(200, 'pong');
      if (request.method === 'GET' && url.pathname === '/api/v1/beneficiary_banks') {
        if (key !== this.creatorKey && key !== this.approverKey) return send(401, { error_message: 'Unauthorized' });
        return send(200, { beneficiary_banks: BANK_CODES.map((code) => ({ code, name: code.toUpperCase() })) });
      }
      if (request.method === 'GET' && url.pathname === '/api/v1/account_validation') {
        if (key !== this.creatorKey) return send(401, { error_message: 'Unauthorized' });
        const bank = url.searchParams.get('bank') ?? '';
        const account = url.searchParams.get('account') ?? '';
        if (!BANK_CODES.includes(bank)) return send(400, { error_message: 'An error occurred when doing account validation', errors: { bank: ['Bank is not supported'] } });
        const known = this.accounts.get(`${bank}:${account}`);
        if (!known) return send(400, { error_message: 'An error occurred when doing account validation', errors: { account: ['Account does not exist'] } });
        return send(200, { account_name: known.name, account_no: known.account, bank_name: bank });
      }
      if (request.method === 'POST' && url.pathname === '/api/v1/payouts') {
        if (key !== this.creatorKey) return send(401, { error_message: 'Unauthorized' });
        const idempotencyKey = request.headers['x-idempotency-key'];
        const idem = typeof idempotencyKey === 'string' ? idempotencyKey : undefined;
        const earlier = idem ? this.idempotent.get(idem) : undefined;
        if (earlier) return send(earlier.status, earlier.body);
        const answer = this.create(body);
        if (idem) this.idempotent.set(idem, answer);
        return send(answer.status, answer.body);
      }
      if (request.method === 'POST' && url.pathname === '/api/v1/payouts/approve') {
        if (key !== this.approverKey) return send(401, { error_message: 'Unauthorized' });
        const references = Array.isArray(body.reference_nos) ? (body.reference_nos as unknown[]).map(String) : [];
        const payouts = references.map((reference) => this.payouts.get(reference));
        if (references.length === 0 || payouts.some((p) => !p || p.status !== 'queued')) {
          return send(400, { error_message: 'An error occurred when approving payouts', errors: ['Payouts cannot be approved'] });
        }
        for (const payout of payouts) this.settle(payout!);
        return send(202, { status: 'ok' });
      }
      const detail = /^\/api\/v1\/payouts\/([\w-]+)$/.exec(url.pathname);
      if (request.method === 'GET' && detail) {
        if (key !== this.creatorKey && key !== this.approverKey) return send(401, { error_message: 'Unauthorized' });
        const payout = this.payouts.get(detail[1]!);
        return payout ? send(200, payout) : send(404, { error_message: 'Payout not found' });
      }
      send(404, { error_message: 'Not found' });
    } catch {
      send(400, { error_message: 'Bad request' });
    }
  }

  private keyOf(header: string | undefined): string | undefined {
    if (!header?.startsWith('Basic ')) return undefined;
    return Buffer.from(header.slice(6), 'base64').toString('utf8').replace(/:$/, '');
  }

  private create(body: Record<string, unknown>): { status: number; body: unknown } {
    const items = Array.isArray(body.payouts) ? (body.payouts as Record<string, unknown>[]) : [];
    const errors: string[] = [];
    items.forEach((item, i) => {
      if (!/^\d+(\.\d{2})?$/.test(String(item.amount ?? '')) || Number(item.amount) <= 0) errors.push(`Payout ${i}: amount is invalid`);
      if (!BANK_CODES.includes(String(item.beneficiary_bank ?? ''))) errors.push(`Payout ${i}: beneficiary_bank is not supported`);
      if (!item.beneficiary_name || !item.beneficiary_account) errors.push(`Payout ${i}: beneficiary is incomplete`);
    });
    if (items.length === 0 || errors.length > 0) return { status: 400, body: { error_message: 'An error occurred when creating payouts', errors: errors.length ? errors : ['No payouts'] } };
    const now = new Date().toISOString();
    const created = items.map((item) => {
      const payout: SandboxPayout = {
        reference_no: randomBytes(9).toString('hex'),
        beneficiary_name: String(item.beneficiary_name),
        beneficiary_account: String(item.beneficiary_account),
        bank: String(item.beneficiary_bank),
        amount: Number(item.amount).toFixed(2),
        notes: String(item.notes ?? ''),
        status: 'queued',
        created_at: now,
        updated_at: now,
      };
      this.payouts.set(payout.reference_no, payout);
      this.created++;
      return { status: 'queued', reference_no: payout.reference_no };
    });
    return { status: 201, body: { payouts: created } };
  }

  /** The bank's answer comes a moment after approval, as a signed notification. */
  private settle(payout: SandboxPayout): void {
    payout.status = 'approved';
    const failure = this.accounts.get(`${payout.bank}:${payout.beneficiary_account}`)?.fails;
    const task = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      payout.status = failure ? 'failed' : 'completed';
      payout.updated_at = new Date().toISOString();
      const body = JSON.stringify({
        reference_no: payout.reference_no,
        amount: payout.amount,
        status: payout.status,
        updated_at: payout.updated_at,
        ...(failure ? { error_code: failure, error_message: IRIS_FAILURES[failure] } : {}),
      });
      await this.notify({ body, signature: irisSignature(body, this.merchantKey) });
    })();
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  /**
   * Delivers a notification, retrying with backoff as Iris does when the merchant does not answer
   * 2xx (e.g. the notification overtook the create call's answer and the merchant does not know
   * the reference yet).
   */
  private async notify(notification: SandboxNotification): Promise<void> {
    for (let attempt = 0; attempt < 8; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** (attempt - 1)));
      try {
        if (this.callbackUrl) {
          const response = await fetch(this.callbackUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'iris-signature': notification.signature }, body: notification.body });
          if (response.ok) return;
        } else if (this.deliver) {
          await this.deliver(notification);
          return;
        } else {
          break;
        }
      } catch {
        // Not answered: try again.
      }
    }
    this.undelivered.push(notification);
  }
}

/** The embedded default: an Iris sandbox on loopback, started on first use, and a real Iris client. */
export class SandboxDisbursement implements DisbursementProvider {
  readonly sandbox = new IrisSandbox();
  private client: IrisClient | undefined;

  private async ready(): Promise<IrisClient> {
    const baseUrl = await this.sandbox.start();
    this.client ??= new IrisClient({
      baseUrl, creatorKey: this.sandbox.creatorKey, approverKey: this.sandbox.approverKey, merchantKey: this.sandbox.merchantKey,
    });
    return this.client;
  }

  async validateAccount(bankCode: string, accountNumber: string) {
    return (await this.ready()).validateAccount(bankCode, accountNumber);
  }

  async send(payout: Parameters<DisbursementProvider['send']>[0]) {
    return (await this.ready()).send(payout);
  }

  verifyNotification(rawBody: string, signature: string | undefined): boolean {
    return new IrisClient({ baseUrl: '', creatorKey: '', approverKey: '', merchantKey: this.sandbox.merchantKey }).verifyNotification(rawBody, signature);
  }

  stop(): Promise<void> {
    return this.sandbox.stop();
  }
}
