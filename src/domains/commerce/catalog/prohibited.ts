import { unprocessable } from '../../../platform/errors.js';

/**
 * What a listing is checked against before it goes live. A match does not refuse the listing: it
 * holds it for an operator (commerce's moderation queue), who releases it by dismissing the flag
 * or keeps it down by delisting. The list is small on purpose; operators add to it.
 */
export interface ListingRule {
  id: string;
  /** Named to the seller and in the statement of reasons. */
  description: string;
  categories?: readonly string[];
  keywords?: readonly string[];
}

export const LISTING_RULES: readonly ListingRule[] = [
  {
    id: 'drugs-and-medicines',
    description: 'Narkotika, psikotropika and medicines that need a prescription or a BPOM permit (UU 35/2009; UU 17/2023)',
    categories: ['kesehatan'],
    keywords: ['narkoba', 'narkotika', 'ganja', 'sabu', 'obat keras', 'obat aborsi', 'pelangsing instan'],
  },
  { id: 'weapons', description: 'Firearms, ammunition and explosives (UU Darurat 12/1951)', keywords: ['senjata api', 'pistol', 'amunisi', 'peluru tajam', 'bahan peledak', 'petasan'] },
  { id: 'protected-wildlife', description: 'Protected animals and their parts (UU 5/1990)', keywords: ['satwa dilindungi', 'kulit harimau', 'gading gajah', 'sisik trenggiling'] },
  { id: 'counterfeits', description: 'Counterfeit branded goods (UU 20/2016 on marks)', keywords: ['kw super', 'replika merek', 'barang tiruan'] },
];

/** The first rule a listing matches, or undefined. Words are matched whole, in any case. */
export function listingRuleMatched(input: { title: string; description: string; category: string }): ListingRule | undefined {
  const text = ` ${`${input.title} ${input.description}`.toLowerCase().normalize('NFKC').replace(/[^\p{L}\p{N}]+/gu, ' ')} `;
  return LISTING_RULES.find((rule) => rule.categories?.includes(input.category) || rule.keywords?.some((keyword) => text.includes(` ${keyword} `)));
}

/**
 * Permendag 31/2023 art. 19: goods sold directly from abroad must cost at least USD 100 a unit.
 * Kept in rupiah at a set rate (USD 1 = Rp 16,000); changed here when the rate the ministry uses moves.
 */
export const CROSS_BORDER_MIN_PRICE_IDR = 1_600_000;

export const crossBorderRule = () =>
  `Permendag 31/2023: goods sold directly from abroad must cost at least USD 100 (Rp ${CROSS_BORDER_MIN_PRICE_IDR.toLocaleString('id-ID')}) per unit.`;

export function assertCrossBorderPrice(crossBorder: boolean | undefined, variants: readonly { priceIdr: number }[]): void {
  if (!crossBorder) return;
  const errors: Record<string, string[]> = {};
  variants.forEach((variant, i) => {
    if (variant.priceIdr < CROSS_BORDER_MIN_PRICE_IDR) errors[`variants.${i}.priceIdr`] = [`must be at least ${CROSS_BORDER_MIN_PRICE_IDR} for a cross-border listing`];
  });
  if (Object.keys(errors).length > 0) {
    throw unprocessable(crossBorderRule(), errors);
  }
}
