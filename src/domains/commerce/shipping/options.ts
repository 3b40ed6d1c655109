import type { Destination } from '../checkout/address.js';
import { quotesFor } from './rates.js';

/** One shop's parcel: where it leaves from and what it weighs. */
export interface Parcel {
  city: string;
  province: string;
  weightGrams: number;
}

export interface ShippingOption {
  code: string;
  name: string;
  service: string;
  priceIdr: number;
  etaDays: number;
}

/**
 * The couriers that can carry every shop's parcel to the destination, each with its total price.
 * One order per shop: each parcel is priced separately, the prices add up and the slowest parcel
 * sets the ETA; a courier missing for any shop is left out.
 */
export function shippingOptions(parcels: Parcel[], destination: Destination): ShippingOption[] {
  const totals = new Map<string, ShippingOption & { shops: number }>();
  for (const parcel of parcels) {
    const route = { originCity: parcel.city, originProvince: parcel.province, destinationCity: destination.city, destinationProvince: destination.province };
    for (const q of quotesFor(route, parcel.weightGrams)) {
      const seen = totals.get(q.code);
      totals.set(
        q.code,
        seen ? { ...seen, priceIdr: seen.priceIdr + q.priceIdr, etaDays: Math.max(seen.etaDays, q.etaDays), shops: seen.shops + 1 } : { ...q, shops: 1 },
      );
    }
  }
  return [...totals.values()].filter((c) => c.shops === parcels.length).map(({ shops: _, ...c }) => c);
}
