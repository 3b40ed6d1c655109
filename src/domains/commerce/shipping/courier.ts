import { timingSafeEqual } from 'node:crypto';
import type { CourierCode } from './rates.js';

/**
 * How far a parcel has come, as Sekat tells it. Stages only move forward; `delivered` and
 * `returning` are the two ends of the road (one excludes the other), `returned` follows
 * `returning`.
 */
export const SHIPMENT_STAGES = ['booked', 'picked_up', 'in_transit', 'out_for_delivery', 'delivered', 'returning', 'returned'] as const;
export type ShipmentStage = (typeof SHIPMENT_STAGES)[number];
const RANK: Record<ShipmentStage, number> = { booked: 0, picked_up: 1, in_transit: 2, out_for_delivery: 3, delivered: 4, returning: 4, returned: 5 };

/** Whether a parcel at `current` may move to `next` (forward only, and never from delivered to a return). */
export function advances(current: ShipmentStage, next: ShipmentStage): boolean {
  if (current === 'delivered') return false;
  if (next === 'returned') return current === 'returning' || RANK[current] < RANK.delivered;
  return RANK[next] > RANK[current];
}

/**
 * Biteship's order statuses and the stage each means. `picked` is reported again at each hub
 * (the note says where), so a second `picked` is in transit. Statuses not listed (cancelled,
 * rejected, courier_not_found, on_hold, disposed) are kept on the timeline and move nothing.
 */
export function stageOf(providerStatus: string, pickedBefore: boolean): ShipmentStage | undefined {
  switch (providerStatus) {
    case 'confirmed':
    case 'scheduled':
    case 'allocated':
    case 'picking_up':
      return 'booked';
    case 'picked':
      return pickedBefore ? 'in_transit' : 'picked_up';
    case 'dropping_off':
      return 'out_for_delivery';
    case 'delivered':
      return 'delivered';
    case 'return_in_transit':
      return 'returning';
    case 'returned':
      return 'returned';
    default:
      return undefined;
  }
}

/** Our courier codes as Biteship's company and service type. */
export const BITESHIP_COURIERS: Record<CourierCode, { company: string; type: string }> = {
  jne_reg: { company: 'jne', type: 'reg' },
  jnt_ez: { company: 'jnt', type: 'ez' },
  sicepat_reg: { company: 'sicepat', type: 'reg' },
  anteraja_reg: { company: 'anteraja', type: 'reg' },
  gosend_instant: { company: 'gojek', type: 'instant' },
};

export interface Booking {
  /** Our order id; the provider keeps it as `reference_id`, and a second booking with it is the first one again. */
  referenceId: string;
  courier: CourierCode;
  origin: { contactName: string; contactPhone: string; address: string; postalCode: string };
  destination: { contactName: string; contactPhone: string; address: string; postalCode: string };
  items: { name: string; valueIdr: number; quantity: number; weightGrams: number }[];
}

export interface TrackingEntry {
  status: string;
  note: string;
  updatedAt: string;
}

/** What commerce needs from a courier aggregator: book a pickup, read the tracking, hear from it. */
export interface CourierProvider {
  readonly name: string;
  book(booking: Booking): Promise<{ ok: true; orderId: string; trackingId: string; waybillId: string } | { ok: false; retry: boolean; message: string }>;
  /** Cancels a booking nobody will hand a parcel to (best effort). */
  cancel(providerOrderId: string, reason: string): Promise<void>;
  /** The courier's own history of a parcel, oldest first; undefined when it cannot be reached. */
  tracking(trackingId: string): Promise<{ waybillId: string; history: TrackingEntry[] } | 'unknown' | undefined>;
  /** Whether a webhook came from the provider (the secret header its dashboard was given). */
  verifyWebhook(headers: Record<string, string | string[] | undefined>): boolean;
}

export interface BiteshipCredentials {
  /** https://api.biteship.com, or the loopback sandbox. */
  baseUrl: string;
  apiKey: string;
  /** The header name and secret value set for the webhook in Biteship's dashboard. */
  webhookHeader: string;
  webhookSecret: string;
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Biteship's REST API: `POST /v1/orders` books a pickup and answers the courier's tracking id and
 * waybill (AWB), `GET /v1/trackings/:id` gives the history, `POST /v1/orders/:id/cancel` cancels;
 * the API key goes in `Authorization`. Its `order.status` webhook carries a secret header, not a
 * signature over the body, so a webhook is only a hint: what moves an order is the history read
 * back from the tracking API.
 */
export class BiteshipClient implements CourierProvider {
  readonly name = 'biteship';
  constructor(
    private readonly credentials: BiteshipCredentials,
    private readonly timeoutMs = 10_000,
  ) {}

  private async call(method: 'GET' | 'POST', path: string, body?: unknown) {
    const response = await fetch(`${this.credentials.baseUrl}${path}`, {
      method,
      headers: { authorization: this.credentials.apiKey, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    let json: Record<string, unknown> = {};
    try {
      json = (await response.json()) as Record<string, unknown>;
    } catch {
      json = {};
    }
    return { status: response.status, json };
  }

  async book(booking: Booking) {
    const courier = BITESHIP_COURIERS[booking.courier];
    try {
      const { status, json } = await this.call('POST', '/v1/orders', {
        reference_id: booking.referenceId,
        shipper_contact_name: booking.origin.contactName,
        shipper_contact_phone: booking.origin.contactPhone,
        origin_contact_name: booking.origin.contactName,
        origin_contact_phone: booking.origin.contactPhone,
        origin_address: booking.origin.address,
        origin_postal_code: Number(booking.origin.postalCode),
        destination_contact_name: booking.destination.contactName,
        destination_contact_phone: booking.destination.contactPhone,
        destination_address: booking.destination.address,
        destination_postal_code: Number(booking.destination.postalCode),
        courier_company: courier.company,
        courier_type: courier.type,
        delivery_type: 'now',
        items: booking.items.map((i) => ({ name: i.name, value: i.valueIdr, quantity: i.quantity, weight: i.weightGrams })),
      });
      const c = json.courier as { tracking_id?: unknown; waybill_id?: unknown } | undefined;
      if (status === 200 && json.success === true && typeof json.id === 'string' && typeof c?.tracking_id === 'string' && typeof c.waybill_id === 'string') {
        return { ok: true as const, orderId: json.id, trackingId: c.tracking_id, waybillId: c.waybill_id };
      }
      return { ok: false as const, retry: status >= 500 || status === 429, message: typeof json.error === 'string' ? json.error : `The courier refused the booking (${status}).` };
    } catch {
      return { ok: false as const, retry: true, message: 'The courier could not be reached.' };
    }
  }

  async cancel(providerOrderId: string, reason: string) {
    try {
      await this.call('POST', `/v1/orders/${encodeURIComponent(providerOrderId)}/cancel`, { cancellation_reason: reason });
    } catch {
      // Best effort: an unused booking expires at the courier.
    }
  }

  async tracking(trackingId: string) {
    try {
      const { status, json } = await this.call('GET', `/v1/trackings/${encodeURIComponent(trackingId)}`);
      if (status === 404) return 'unknown' as const;
      if (status !== 200 || json.success !== true || !Array.isArray(json.history)) return undefined;
      const history = (json.history as Record<string, unknown>[])
        .filter((h) => typeof h.status === 'string' && typeof h.updated_at === 'string' && !Number.isNaN(Date.parse(h.updated_at)))
        .map((h) => ({ status: String(h.status), note: typeof h.note === 'string' ? h.note.slice(0, 300) : '', updatedAt: new Date(String(h.updated_at)).toISOString() }));
      return { waybillId: typeof json.waybill_id === 'string' ? json.waybill_id : '', history };
    } catch {
      return undefined;
    }
  }

  verifyWebhook(headers: Record<string, string | string[] | undefined>): boolean {
    const given = headers[this.credentials.webhookHeader.toLowerCase()];
    return typeof given === 'string' && sameSecret(given, this.credentials.webhookSecret);
  }
}
