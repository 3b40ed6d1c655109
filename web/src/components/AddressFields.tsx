import { useTranslation } from 'react-i18next';
import type { Address } from '../api/types';
import { PROVINCES } from '../lib/provinces';
import { Field } from './Field';

/** The six fields of an Indonesian shipping address, with each field's errors from the server. */
export function AddressFields({ value, onChange, errors }: { value: Address; onChange(next: Address): void; errors: Record<string, string[]> }) {
  const { t } = useTranslation();
  const set = (key: keyof Address) => (event: { target: { value: string } }) => onChange({ ...value, [key]: event.target.value });
  return (
    <>
      <Field label={t('checkout.recipient')} name="recipient" autoComplete="name" value={value.recipient} onChange={set('recipient')} errors={errors.recipient} required />
      <Field label={t('checkout.phone')} hint={t('checkout.phoneHint')} name="phone" type="tel" autoComplete="tel" inputMode="tel" value={value.phone} onChange={set('phone')} errors={errors.phone} required />
      <Field label={t('checkout.line1')} name="line1" autoComplete="street-address" value={value.line1} onChange={set('line1')} errors={errors.line1} required />
      <Field label={t('checkout.city')} name="city" autoComplete="address-level2" value={value.city} onChange={set('city')} errors={errors.city} required />
      <div className="field">
        <label htmlFor="book-province">{t('checkout.province')}</label>
        <select id="book-province" name="province" value={value.province} onChange={set('province')} aria-invalid={errors.province ? true : undefined} required>
          <option value="">{t('checkout.chooseProvince')}</option>
          {PROVINCES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        {errors.province && (
          <small className="error" role="alert">
            {errors.province.join(' ')}
          </small>
        )}
      </div>
      <Field label={t('checkout.postalCode')} name="postalCode" inputMode="numeric" autoComplete="postal-code" maxLength={5} value={value.postalCode} onChange={set('postalCode')} errors={errors.postalCode} required />
    </>
  );
}
