/**
 * Indonesian banks a payout can go to, by the beneficiary bank code the disbursement provider
 * (Midtrans Iris) uses. The list is data: the provider's own bank list is the authority.
 */
export const BANKS = [
  { code: 'bca', name: 'Bank Central Asia (BCA)' },
  { code: 'mandiri', name: 'Bank Mandiri' },
  { code: 'bni', name: 'Bank Negara Indonesia (BNI)' },
  { code: 'bri', name: 'Bank Rakyat Indonesia (BRI)' },
  { code: 'bsm', name: 'Bank Syariah Indonesia (BSI)' },
  { code: 'cimb', name: 'CIMB Niaga' },
  { code: 'danamon', name: 'Bank Danamon' },
  { code: 'permata', name: 'Bank Permata' },
  { code: 'btn', name: 'Bank Tabungan Negara (BTN)' },
  { code: 'mega', name: 'Bank Mega' },
  { code: 'panin', name: 'Panin Bank' },
  { code: 'maybank', name: 'Maybank Indonesia' },
  { code: 'ocbc', name: 'OCBC NISP' },
  { code: 'btpn', name: 'Bank BTPN (Jenius)' },
  { code: 'jago', name: 'Bank Jago' },
  { code: 'seabank', name: 'SeaBank Indonesia' },
] as const;
export type BankCode = (typeof BANKS)[number]['code'];
export const BANK_CODES: readonly string[] = BANKS.map((bank) => bank.code);
