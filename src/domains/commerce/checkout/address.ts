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
