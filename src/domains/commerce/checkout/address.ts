import type { Database } from '../../../platform/db.js';
import { validationFailed, type FieldErrors } from '../../../platform/errors.js';
import { canonicalProvince, normalisePhone, POSTAL_CODE } from '../shipping/regions.js';

export interface AddressInput {
  recipient: string;
  phone: string;
  line1: string;
  city: string;
  province: string;
  postalCode: string;
}

/** Validates and normalises a shipping address: one of the 38 provinces, 5-digit postcode, +62 phone. */
export function normaliseAddress(input: AddressInput, prefix = 'shippingAddress.'): AddressInput {
  const errors: FieldErrors = {};
  const recipient = input.recipient.normalize('NFC').trim();
  if (!recipient) errors[`${prefix}recipient`] = ['must not be empty'];
  const phone = normalisePhone(input.phone);
  if (!phone) errors[`${prefix}phone`] = ['must be an Indonesian phone number, e.g. 0812 3456 7890'];
  const line1 = input.line1.normalize('NFC').trim();
  if (!line1) errors[`${prefix}line1`] = ['must not be empty'];
  const city = input.city.normalize('NFC').trim();
  if (!city) errors[`${prefix}city`] = ['must not be empty'];
  const province = canonicalProvince(input.province);
  if (!province) errors[`${prefix}province`] = ['must be one of the 38 provinces of Indonesia'];
  const postalCode = input.postalCode.trim();
  if (!POSTAL_CODE.test(postalCode)) errors[`${prefix}postalCode`] = ['must be 5 digits'];
  if (Object.keys(errors).length > 0) throw validationFailed(errors);
  return { recipient, phone: phone!, line1, city, province: province!, postalCode };
}

/** The address of the buyer's last checkout (checkout saves it), or null. */
export async function savedAddressOf(db: Database, subject: string): Promise<AddressInput | null> {
  const row = (await db
    .selectFrom('saved_addresses')
    .select(['recipient', 'phone', 'line1', 'city', 'province', 'postal_code'])
    .where('subject', '=', subject)
    .executeTakeFirst()) as (Omit<AddressInput, 'postalCode'> & { postal_code: string }) | undefined;
  return row ? { recipient: row.recipient, phone: row.phone, line1: row.line1, city: row.city, province: row.province, postalCode: row.postal_code } : null;
}

export async function forgetSavedAddress(db: Database, subject: string): Promise<void> {
  await db.deleteFrom('saved_addresses').where('subject', '=', subject).execute();
}
