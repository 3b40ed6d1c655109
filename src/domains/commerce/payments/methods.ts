export const PAYMENT_METHODS = {
  va_bca: { name: 'BCA Virtual Account', kind: 'virtual_account', bank: 'bca' },
  va_bni: { name: 'BNI Virtual Account', kind: 'virtual_account', bank: 'bni' },
  va_bri: { name: 'BRI Virtual Account', kind: 'virtual_account', bank: 'bri' },
  va_mandiri: { name: 'Mandiri Virtual Account', kind: 'virtual_account', bank: 'mandiri' },
  va_permata: { name: 'Permata Virtual Account', kind: 'virtual_account', bank: 'permata' },
  qris: { name: 'QRIS', kind: 'qris', bank: null },
  gopay: { name: 'GoPay', kind: 'ewallet', bank: null },
  ovo: { name: 'OVO', kind: 'ewallet', bank: null },
  dana: { name: 'DANA', kind: 'ewallet', bank: null },
  shopeepay: { name: 'ShopeePay', kind: 'ewallet', bank: null },
  cod: { name: 'Bayar di Tempat (COD)', kind: 'cod', bank: null },
} as const;
export type PaymentMethodCode = keyof typeof PAYMENT_METHODS;
export type PaymentKind = (typeof PAYMENT_METHODS)[PaymentMethodCode]['kind'];
export const PAYMENT_METHOD_CODES = Object.keys(PAYMENT_METHODS) as PaymentMethodCode[];

/** Cash on delivery is refused above this gross amount (couriers cap the cash they carry). */
export const COD_LIMIT_IDR = 5_000_000;

export interface PaymentExpiry {
  vaMinutes: number;
  qrisMinutes: number;
  ewalletMinutes: number;
}

export const DEFAULT_EXPIRY: PaymentExpiry = { vaMinutes: 24 * 60, qrisMinutes: 15, ewalletMinutes: 15 };

export function expiryMinutes(kind: PaymentKind, expiry: PaymentExpiry): number | undefined {
  if (kind === 'virtual_account') return expiry.vaMinutes;
  if (kind === 'qris') return expiry.qrisMinutes;
  if (kind === 'ewallet') return expiry.ewalletMinutes;
  return undefined;
}
