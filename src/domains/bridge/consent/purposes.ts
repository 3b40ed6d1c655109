/** The purposes a person can consent to, each with a real effect, and the words they agree to. */
export interface Purpose {
  id: string;
  version: number;
  defaultGranted: boolean;
  title: { id: string; en: string };
  description: { id: string; en: string };
}

export const PURPOSES: Purpose[] = [
  {
    id: 'creator_affiliate',
    version: 1,
    defaultGranted: false,
    title: { id: 'Tautkan profil kreator dengan akun afiliasi', en: 'Link my creator profile to my affiliate account' },
    description: {
      id: 'Profil video Anda ditautkan ke ID afiliasi belanja Anda agar Anda dapat menandai produk toko lain dan menerima komisi. Sisi sosial hanya menyimpan ID afiliasi; sisi belanja tidak pernah tahu profil Anda. Cabut kapan saja: tag dan atribusi baru berhenti.',
      en: 'Your video profile is linked to your shopping affiliate id so you can tag other shops’ products and earn commission. The social side keeps only the affiliate id; the shopping side never learns your profile. Revoke any time: new tags and attribution stop.',
    },
  },
  {
    id: 'personalize_feed_with_purchases',
    version: 1,
    defaultGranted: false,
    title: { id: 'Gunakan kategori belanja untuk feed saya', en: 'Use my purchase categories for my feed' },
    description: {
      id: 'Sisi belanja membagikan hanya kategori barang yang Anda beli (misalnya “fashion”), bukan barang, harga, atau alamat, agar feed Untuk Anda lebih relevan. Cabut kapan saja: kategori yang telah dibagikan langsung dihapus.',
      en: 'The shopping side shares only the categories of what you bought (e.g. “fashion”), never items, prices or addresses, to make your For You feed more relevant. Revoke any time: the shared categories are deleted at once.',
    },
  },
];

export const purposeById = (id: string): Purpose | undefined => PURPOSES.find((p) => p.id === id);
