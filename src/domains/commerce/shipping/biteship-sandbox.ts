import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { BiteshipClient, type Booking, type CourierProvider, type ShipmentStage } from './courier.js';

interface SandboxOrder {
  id: string;
  referenceId: string;
  trackingId: string;
  waybillId: string;
  company: string;
  type: string;
  cancelled: boolean;
  /** How far along ROAD and RETURN_ROAD the parcel is (-1: not started). */
  road: number;
  back: number;
  history: { status: string; note: string; updated_at: string }[];
}

export interface CourierWebhook {
  body: string;
  headers: Record<string, string>;
}

/** The Biteship statuses (and notes) a parcel passes through on the way to each stage. */
const ROAD: { status: string; note: string; stage: ShipmentStage }[] = [
  { status: 'picked', note: 'Paket diambil kurir dari penjual', stage: 'picked_up' },
  { status: 'picked', note: 'Paket tiba di gudang transit', stage: 'in_transit' },
  { status: 'dropping_off', note: 'Kurir sedang mengantar paket ke alamat tujuan', stage: 'out_for_delivery' },
  { status: 'delivered', note: 'Paket diterima', stage: 'delivered' },
];
const RETURN_ROAD: { status: string; note: string; stage: ShipmentStage }[] = [
  { status: 'return_in_transit', note: 'Penerima tidak ditemukan; paket dikembalikan ke penjual', stage: 'returning' },
  { status: 'returned', note: 'Paket sudah kembali ke penjual', stage: 'returned' },
];

/**
 * A stand-in for Biteship on loopback, speaking its protocol: `POST /v1/orders` (a second booking
 * with the same `reference_id` answers the first), `GET /v1/orders/:id`, `POST
 * /v1/orders/:id/cancel` and `GET /v1/trackings/:id`, with the API key in `Authorization`; each
 * status change is sent as an `order.status` webhook carrying the secret header, to `callbackUrl`
 * when set, else to `deliver`, again with backoff until it is taken.
 */
export class BiteshipSandbox {
  readonly apiKey = `biteship_test.${randomBytes(12).toString('hex')}`;
  readonly webhookHeader = 'x-biteship-webhook-secret';
  readonly webhookSecret = randomBytes(24).toString('hex');
  readonly orders = new Map<string, SandboxOrder>();
  callbackUrl: string | undefined;
  deliver: ((webhook: CourierWebhook) => Promise<void>) | undefined;
  readonly undelivered: CourierWebhook[] = [];
  private readonly byReference = new Map<string, SandboxOrder>();
  private readonly byTracking = new Map<string, SandboxOrder>();
  private server: Server | undefined;
  private starting: Promise<string> | undefined;
  private clock = 0;

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

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Strictly increasing times, so two entries sent in one millisecond keep their order. */
  private now(): string {
    this.clock = Math.max(Date.now(), this.clock + 1);
    return new Date(this.clock).toISOString();
  }

  /**
   * Moves a parcel along its road up to `stage` (each step a history entry and a webhook, in
   * order). `returned` goes back to the seller after the last step it had reached.
   */
  async advance(trackingId: string, stage: ShipmentStage): Promise<boolean> {
    const order = this.byTracking.get(trackingId);
    if (!order || order.cancelled || order.road >= ROAD.length - 1) return false;
    const returning = stage === 'returning' || stage === 'returned';
    if (!returning && order.back >= 0) return false;
    const road = returning ? RETURN_ROAD : ROAD;
    const target = road.findIndex((s) => s.stage === stage);
    if (target < 0) return false;
    for (let i = (returning ? order.back : order.road) + 1; i <= target; i++) {
      if (returning) order.back = i;
      else order.road = i;
      order.history.push({ status: road[i]!.status, note: road[i]!.note, updated_at: this.now() });
      await this.notify(order, road[i]!.status);
    }
    return true;
  }

  private async notify(order: SandboxOrder, status: string): Promise<void> {
    const body = JSON.stringify({
      event: 'order.status',
      order_id: order.id,
      courier_tracking_id: order.trackingId,
      courier_waybill_id: order.waybillId,
      courier_company: order.company,
      courier_type: order.type,
      status,
      updated_at: order.history.at(-1)?.updated_at,
    });
    const webhook = { body, headers: { 'content-type': 'application/json', [this.webhookHeader]: this.webhookSecret } };
    for (let attempt = 0; attempt < 6; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** (attempt - 1)));
      try {
        if (this.callbackUrl) {
          const response = await fetch(this.callbackUrl, { method: 'POST', headers: webhook.headers, body });
          if (response.ok) return;
        } else if (this.deliver) {
          await this.deliver(webhook);
          return;
        } else {
          break;
        }
      } catch {
        // Not taken: try again.
      }
    }
    this.undelivered.push(webhook);
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
      if (request.headers.authorization !== this.apiKey) return send(401, { success: false, error: 'Authentication failed', code: 40000001 });
      const url = new URL(request.url ?? '/', 'http://sandbox');
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      if (request.method === 'POST' && url.pathname === '/v1/orders') return send(...this.create(body));
      let match = /^\/v1\/trackings\/([\w-]+)$/.exec(url.pathname);
      if (request.method === 'GET' && match) {
        const order = this.byTracking.get(match[1]!);
        if (!order) return send(404, { success: false, error: 'Tracking not found', code: 40400001 });
        return send(200, { success: true, object: 'tracking', id: order.trackingId, waybill_id: order.waybillId, courier: { company: order.company }, status: order.history.at(-1)?.status, history: order.history });
      }
      match = /^\/v1\/orders\/([\w-]+)(\/cancel)?$/.exec(url.pathname);
      const order = match ? this.orders.get(match[1]!) : undefined;
      if (match && !order) return send(404, { success: false, error: 'Order not found', code: 40400002 });
      if (request.method === 'GET' && match && !match[2]) return send(200, this.view(order!));
      if (request.method === 'POST' && match?.[2]) {
        if (order!.history.some((h) => h.status === 'picked')) return send(400, { success: false, error: 'Order has been picked up and cannot be cancelled', code: 40002050 });
        order!.cancelled = true;
        order!.history.push({ status: 'cancelled', note: String(body.cancellation_reason ?? ''), updated_at: this.now() });
        return send(200, { ...this.view(order!), status: 'cancelled' });
      }
      send(404, { success: false, error: 'Not found' });
    } catch {
      send(400, { success: false, error: 'Bad request' });
    }
  }

  private view(order: SandboxOrder) {
    return {
      success: true,
      object: 'order',
      id: order.id,
      reference_id: order.referenceId,
      courier: { tracking_id: order.trackingId, waybill_id: order.waybillId, company: order.company, type: order.type },
      status: order.history.at(-1)?.status ?? 'confirmed',
    };
  }

  private create(body: Record<string, unknown>): [number, unknown] {
    const reference = typeof body.reference_id === 'string' ? body.reference_id : '';
    const earlier = this.byReference.get(reference);
    if (earlier && !earlier.cancelled) return [200, this.view(earlier)];
    const missing = ['origin_contact_name', 'origin_address', 'destination_contact_name', 'destination_contact_phone', 'destination_address', 'courier_company', 'courier_type'].filter(
      (f) => typeof body[f] !== 'string' || body[f] === '',
    );
    if (!reference || missing.length > 0 || !Array.isArray(body.items) || body.items.length === 0) {
      return [400, { success: false, error: `Invalid order: ${[...(reference ? [] : ['reference_id']), ...missing, ...(Array.isArray(body.items) && body.items.length ? [] : ['items'])].join(', ')}`, code: 40002001 }];
    }
    const company = String(body.courier_company);
    const order: SandboxOrder = {
      id: randomBytes(12).toString('hex'),
      referenceId: reference,
      trackingId: randomBytes(12).toString('hex'),
      waybillId: `${company.toUpperCase()}${Date.now().toString().slice(-8)}${randomBytes(2).toString('hex').toUpperCase()}`,
      company,
      type: String(body.courier_type),
      cancelled: false,
      road: -1,
      back: -1,
      history: [{ status: 'confirmed', note: 'Pesanan kurir dibuat', updated_at: this.now() }],
    };
    this.orders.set(order.id, order);
    this.byReference.set(reference, order);
    this.byTracking.set(order.trackingId, order);
    return [200, this.view(order)];
  }
}

/** The embedded default: a Biteship sandbox on loopback, started on first use, and a real Biteship client. */
export class SandboxCourier implements CourierProvider {
  readonly name = 'biteship';
  readonly sandbox = new BiteshipSandbox();
  private client: BiteshipClient | undefined;

  private async ready(): Promise<BiteshipClient> {
    const baseUrl = await this.sandbox.start();
    this.client ??= new BiteshipClient({
      baseUrl, apiKey: this.sandbox.apiKey, webhookHeader: this.sandbox.webhookHeader, webhookSecret: this.sandbox.webhookSecret,
    });
    return this.client;
  }

  async book(booking: Booking) {
    return (await this.ready()).book(booking);
  }

  async cancel(providerOrderId: string, reason: string) {
    return (await this.ready()).cancel(providerOrderId, reason);
  }

  async tracking(trackingId: string) {
    return (await this.ready()).tracking(trackingId);
  }

  verifyWebhook(headers: Record<string, string | string[] | undefined>): boolean {
    return new BiteshipClient({ baseUrl: '', apiKey: '', webhookHeader: this.sandbox.webhookHeader, webhookSecret: this.sandbox.webhookSecret }).verifyWebhook(headers);
  }

  stop(): Promise<void> {
    return this.sandbox.stop();
  }
}
