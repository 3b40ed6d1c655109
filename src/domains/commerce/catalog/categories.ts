/** The fixed category list; codes are stable, names are Bahasa Indonesia for display. */
export const CATEGORIES = {
  fashion: 'Fashion',
  kecantikan: 'Kecantikan',
  elektronik: 'Elektronik',
  makanan: 'Makanan & Minuman',
  rumah: 'Rumah Tangga',
  hobi: 'Hobi & Koleksi',
  olahraga: 'Olahraga',
  kesehatan: 'Kesehatan',
  ibu_bayi: 'Ibu & Bayi',
  otomotif: 'Otomotif',
  buku: 'Buku & Alat Tulis',
} as const;
export type Category = keyof typeof CATEGORIES;
export const CATEGORY_CODES = Object.keys(CATEGORIES) as Category[];
