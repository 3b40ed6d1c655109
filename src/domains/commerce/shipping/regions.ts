/** The 38 provinces of Indonesia (2022 onwards), grouped by island zone for the rate table. */
export type Zone = 'sumatera' | 'jawa' | 'bali_nusra' | 'kalimantan' | 'sulawesi' | 'maluku' | 'papua';

export const PROVINCES: Record<string, Zone> = {
  'Aceh': 'sumatera',
  'Sumatera Utara': 'sumatera',
  'Sumatera Barat': 'sumatera',
  'Riau': 'sumatera',
  'Kepulauan Riau': 'sumatera',
  'Jambi': 'sumatera',
  'Sumatera Selatan': 'sumatera',
  'Kepulauan Bangka Belitung': 'sumatera',
  'Bengkulu': 'sumatera',
  'Lampung': 'sumatera',
  'DKI Jakarta': 'jawa',
  'Jawa Barat': 'jawa',
  'Banten': 'jawa',
  'Jawa Tengah': 'jawa',
  'DI Yogyakarta': 'jawa',
  'Jawa Timur': 'jawa',
  'Bali': 'bali_nusra',
  'Nusa Tenggara Barat': 'bali_nusra',
  'Nusa Tenggara Timur': 'bali_nusra',
  'Kalimantan Barat': 'kalimantan',
  'Kalimantan Tengah': 'kalimantan',
  'Kalimantan Selatan': 'kalimantan',
  'Kalimantan Timur': 'kalimantan',
  'Kalimantan Utara': 'kalimantan',
  'Sulawesi Utara': 'sulawesi',
  'Gorontalo': 'sulawesi',
  'Sulawesi Tengah': 'sulawesi',
  'Sulawesi Barat': 'sulawesi',
  'Sulawesi Selatan': 'sulawesi',
  'Sulawesi Tenggara': 'sulawesi',
  'Maluku': 'maluku',
  'Maluku Utara': 'maluku',
  'Papua': 'papua',
  'Papua Barat': 'papua',
  'Papua Barat Daya': 'papua',
  'Papua Tengah': 'papua',
  'Papua Pegunungan': 'papua',
  'Papua Selatan': 'papua',
};

export const PROVINCE_NAMES = Object.keys(PROVINCES);

const BY_LOWER = new Map(PROVINCE_NAMES.map((name) => [name.toLowerCase(), name]));
const ALIASES: Record<string, string> = {
  'jakarta': 'DKI Jakarta',
  'dki': 'DKI Jakarta',
  'yogyakarta': 'DI Yogyakarta',
  'diy': 'DI Yogyakarta',
  'jabar': 'Jawa Barat',
  'jateng': 'Jawa Tengah',
  'jatim': 'Jawa Timur',
  'sumut': 'Sumatera Utara',
  'sumbar': 'Sumatera Barat',
  'sumsel': 'Sumatera Selatan',
  'kepri': 'Kepulauan Riau',
  'babel': 'Kepulauan Bangka Belitung',
  'ntb': 'Nusa Tenggara Barat',
  'ntt': 'Nusa Tenggara Timur',
};

/** The canonical province name, or undefined when it is not one of the 38. */
export function canonicalProvince(input: string): string | undefined {
  const key = input.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
  return BY_LOWER.get(key) ?? (ALIASES[key] ? ALIASES[key] : undefined);
}

/** Common shop cities, so a shop may give only its city (API v1 has no province on shops). */
const CITY_PROVINCE: Record<string, string> = {
  'jakarta': 'DKI Jakarta', 'jakarta pusat': 'DKI Jakarta', 'jakarta selatan': 'DKI Jakarta', 'jakarta barat': 'DKI Jakarta',
  'jakarta timur': 'DKI Jakarta', 'jakarta utara': 'DKI Jakarta', 'bandung': 'Jawa Barat', 'bekasi': 'Jawa Barat',
  'bogor': 'Jawa Barat', 'depok': 'Jawa Barat', 'cirebon': 'Jawa Barat', 'tangerang': 'Banten', 'tangerang selatan': 'Banten',
  'serang': 'Banten', 'semarang': 'Jawa Tengah', 'solo': 'Jawa Tengah', 'surakarta': 'Jawa Tengah', 'yogyakarta': 'DI Yogyakarta',
  'jogja': 'DI Yogyakarta', 'surabaya': 'Jawa Timur', 'malang': 'Jawa Timur', 'sidoarjo': 'Jawa Timur', 'denpasar': 'Bali',
  'mataram': 'Nusa Tenggara Barat', 'kupang': 'Nusa Tenggara Timur', 'medan': 'Sumatera Utara', 'padang': 'Sumatera Barat',
  'pekanbaru': 'Riau', 'batam': 'Kepulauan Riau', 'palembang': 'Sumatera Selatan', 'bandar lampung': 'Lampung',
  'banda aceh': 'Aceh', 'jambi': 'Jambi', 'bengkulu': 'Bengkulu', 'pangkal pinang': 'Kepulauan Bangka Belitung',
  'pontianak': 'Kalimantan Barat', 'palangka raya': 'Kalimantan Tengah', 'banjarmasin': 'Kalimantan Selatan',
  'samarinda': 'Kalimantan Timur', 'balikpapan': 'Kalimantan Timur', 'tarakan': 'Kalimantan Utara', 'makassar': 'Sulawesi Selatan',
  'manado': 'Sulawesi Utara', 'palu': 'Sulawesi Tengah', 'kendari': 'Sulawesi Tenggara', 'gorontalo': 'Gorontalo',
  'mamuju': 'Sulawesi Barat', 'ambon': 'Maluku', 'ternate': 'Maluku Utara', 'jayapura': 'Papua', 'manokwari': 'Papua Barat',
  'sorong': 'Papua Barat Daya', 'merauke': 'Papua Selatan', 'nabire': 'Papua Tengah', 'wamena': 'Papua Pegunungan',
};

/** Lower-cased city without "Kota"/"Kabupaten" so "Kota Bandung" and "bandung" are one city. */
export function cityKey(city: string): string {
  return city.normalize('NFC').trim().toLowerCase().replace(/\s+/g, ' ').replace(/^(kota|kabupaten|kab\.?)\s+/, '');
}

export function provinceOfCity(city: string): string | undefined {
  return CITY_PROVINCE[cityKey(city)];
}

/** Indonesian phone numbers in E.164: 08…, 628… and +628… all become +628…. */
export function normalisePhone(input: string): string | undefined {
  const compact = input.trim().replace(/[\s().-]/g, '');
  let national: string;
  if (compact.startsWith('+62')) national = compact.slice(3);
  else if (compact.startsWith('62')) national = compact.slice(2);
  else if (compact.startsWith('0')) national = compact.slice(1);
  else return undefined;
  if (!/^[1-9]\d{7,11}$/.test(national)) return undefined;
  return `+62${national}`;
}

export const POSTAL_CODE = /^[1-9]\d{4}$/;
