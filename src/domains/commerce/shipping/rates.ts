import { PROVINCES, cityKey, type Zone } from './regions.js';

/**
 * The courier rate table, shipped as data: a price per started kilogram and a delivery estimate
 * for each pair of island zones, per courier, with a discount inside one province. Figures are in
 * the range Indonesian couriers publish for regular service (2025); the table is the source of
 * truth for checkout totals, so it changes only with a commit.
 */
export const COURIERS = {
  jne_reg: { name: 'JNE', service: 'REG', factor: 1.0, etaExtra: 0 },
  jnt_ez: { name: 'J&T Express', service: 'EZ', factor: 0.95, etaExtra: 0 },
  sicepat_reg: { name: 'SiCepat', service: 'REG', factor: 0.9, etaExtra: 1 },
  anteraja_reg: { name: 'AnterAja', service: 'Reguler', factor: 0.92, etaExtra: 1 },
  gosend_instant: { name: 'GoSend', service: 'Instant', factor: 1, etaExtra: 0 },
} as const;
export type CourierCode = keyof typeof COURIERS;
export const COURIER_CODES = Object.keys(COURIERS) as CourierCode[];

/** Base price per kg (rupiah) and days, between zones; symmetric. */
const ZONE_RATES: Record<Zone, Partial<Record<Zone, [number, number]>>> = {
  jawa: {
    jawa: [11_000, 2], sumatera: [22_000, 4], bali_nusra: [24_000, 4], kalimantan: [30_000, 5], sulawesi: [36_000, 5], maluku: [52_000, 7],
    papua: [68_000, 8],
  },
  sumatera: { sumatera: [16_000, 3], bali_nusra: [34_000, 5], kalimantan: [38_000, 6], sulawesi: [44_000, 6], maluku: [60_000, 8], papua: [75_000, 9] },
  bali_nusra: { bali_nusra: [15_000, 3], kalimantan: [36_000, 5], sulawesi: [34_000, 5], maluku: [50_000, 7], papua: [65_000, 8] },
  kalimantan: { kalimantan: [18_000, 3], sulawesi: [35_000, 5], maluku: [52_000, 7], papua: [66_000, 8] },
  sulawesi: { sulawesi: [17_000, 3], maluku: [38_000, 5], papua: [55_000, 7] },
  maluku: { maluku: [22_000, 4], papua: [45_000, 6] },
  papua: { papua: [30_000, 5] },
};

const SAME_PROVINCE_PER_KG = 9_000;
const GOSEND_BASE = 15_000;
const GOSEND_PER_KG = 3_000;

function zoneRate(a: Zone, b: Zone): [number, number] {
  const rate = ZONE_RATES[a][b] ?? ZONE_RATES[b][a];
  if (!rate) throw new Error(`no rate between ${a} and ${b}`);
  return rate;
}

export interface Route {
  originCity: string;
  originProvince: string;
  destinationCity: string;
  destinationProvince: string;
}

export interface Quote {
  code: CourierCode;
  name: string;
  service: string;
  priceIdr: number;
  etaDays: number;
}

/** Weight is charged per started kilogram, at least one. */
export function chargeableKg(weightGrams: number): number {
  return Math.max(1, Math.ceil(weightGrams / 1000));
}

/** The quote of one courier for a parcel, or undefined when it does not serve the route. */
export function quote(code: CourierCode, route: Route, weightGrams: number): Quote | undefined {
  const courier = COURIERS[code];
  const kg = chargeableKg(weightGrams);
  if (code === 'gosend_instant') {
    if (cityKey(route.originCity) !== cityKey(route.destinationCity)) return undefined;
    return { code, name: courier.name, service: courier.service, priceIdr: GOSEND_BASE + GOSEND_PER_KG * kg, etaDays: 0 };
  }
  const from = PROVINCES[route.originProvince];
  const to = PROVINCES[route.destinationProvince];
  if (!from || !to) return undefined;
  const [perKg, days] =
    route.originProvince === route.destinationProvince ? [SAME_PROVINCE_PER_KG, 1] : zoneRate(from, to);
  // Round each courier's price to whole hundreds of rupiah, as couriers quote.
  const priceIdr = Math.round((perKg * courier.factor * kg) / 100) * 100;
  return { code, name: courier.name, service: courier.service, priceIdr, etaDays: days + courier.etaExtra };
}

export function quotesFor(route: Route, weightGrams: number): Quote[] {
  return COURIER_CODES.map((code) => quote(code, route, weightGrams)).filter((q): q is Quote => q !== undefined);
}
