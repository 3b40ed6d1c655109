import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Shop, Voucher, VoucherKind } from '../api/types';
import { Field } from '../components/Field';
import { useFormErrors } from '../components/useFormErrors';
import { ErrorNote, Loading } from '../components/Alert';
import { formatDateTime, formatIdr } from '../lib/format';

// Vouchers are shown and entered in Jakarta time; WIB has no daylight saving, so a fixed offset is exact.
const WIB_OFFSET_MS = 7 * 60 * 60 * 1000;
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/** "2026-05-12T14:05", the value a datetime-local input takes, for an instant in Jakarta. */
const toWibInput = (ms: number) => new Date(ms + WIB_OFFSET_MS).toISOString().slice(0, 16);

/** The UTC instant of a datetime-local value read as Jakarta time; nothing when blank or unreadable. */
function fromWibInput(value: string): string | undefined {
  const instant = new Date(`${value.length === 16 ? `${value}:00` : value}+07:00`);
  return Number.isNaN(instant.getTime()) ? undefined : instant.toISOString();
}

const toInt = (value: string) => (value.trim() === '' ? Number.NaN : Number(value));
const optionalInt = (value: string) => (value.trim() === '' ? undefined : Number(value));

const emptyDraft = () => {
  const now = Date.now();
  return { code: '', kind: 'fixed' as VoucherKind, value: '', maxDiscountIdr: '', minSpendIdr: '', startsAt: toWibInput(now), endsAt: toWibInput(now + WEEK_MS), quota: '100' };
};

/** Creates a voucher at `endpoint` (a shop's or the platform's), showing the server's per-field errors. */
export function VoucherForm({ endpoint, intro, onCreated }: { endpoint: string; intro: string; onCreated(voucher: Voucher): void }) {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const [form, setForm] = useState(emptyDraft);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const percent = form.kind === 'percent';
  const shipping = form.kind === 'shipping';
  const create = useMutation({
    mutationFn: () =>
      api<Voucher>(endpoint, {
        body: {
          code: form.code.trim(),
          kind: form.kind,
          value: toInt(form.value),
          ...(percent ? { maxDiscountIdr: optionalInt(form.maxDiscountIdr) } : {}),
          minSpendIdr: optionalInt(form.minSpendIdr),
          startsAt: fromWibInput(form.startsAt),
          endsAt: fromWibInput(form.endsAt),
          quota: toInt(form.quota),
        },
      }),
    onSuccess: (voucher) => {
      errors.clear();
      setForm(emptyDraft());
      onCreated(voucher);
    },
    onError: (error) => errors.show(error, { 409: t('vouchers.codeTaken') }),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }

  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="new-voucher-title">
      <h2 id="new-voucher-title">{t('vouchers.new')}</h2>
      <p className="muted">{intro}</p>
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      <Field label={t('vouchers.code')} hint={t('vouchers.codeHint')} name="code" autoCapitalize="characters" autoComplete="off" value={form.code} onChange={set('code')} errors={errors.fields.code} required />
      <div className="field">
        <fieldset className="variants">
          <legend>{t('vouchers.kind')}</legend>
          {(['fixed', 'percent', 'shipping'] as const).map((kind) => (
            <label key={kind} className={`chip-option${form.kind === kind ? ' selected' : ''}`}>
              <input type="radio" name="kind" value={kind} checked={form.kind === kind} onChange={() => setForm({ ...form, kind })} />
              {t(`vouchers.kinds.${kind}`)}
            </label>
          ))}
        </fieldset>
        {errors.fields.kind && (
          <small className="error" role="alert">
            {errors.fields.kind.join(' ')}
          </small>
        )}
      </div>
      <Field
        label={percent ? t('vouchers.valuePercent') : shipping ? t('vouchers.valueShipping') : t('vouchers.valueIdr')}
        hint={shipping ? t('vouchers.valueShippingHint') : undefined}
        name="value"
        type="number"
        inputMode="numeric"
        min={1}
        max={percent ? 100 : undefined}
        value={form.value}
        onChange={set('value')}
        errors={errors.fields.value}
        required
      />
      {percent && <Field label={t('vouchers.maxDiscount')} name="maxDiscountIdr" type="number" inputMode="numeric" min={1} value={form.maxDiscountIdr} onChange={set('maxDiscountIdr')} errors={errors.fields.maxDiscountIdr} />}
      <Field label={t('vouchers.minSpend')} name="minSpendIdr" type="number" inputMode="numeric" min={0} value={form.minSpendIdr} onChange={set('minSpendIdr')} errors={errors.fields.minSpendIdr} />
      <Field label={t('vouchers.startsAt')} name="startsAt" type="datetime-local" value={form.startsAt} onChange={set('startsAt')} errors={errors.fields.startsAt} required />
      <Field label={t('vouchers.endsAt')} name="endsAt" type="datetime-local" value={form.endsAt} onChange={set('endsAt')} errors={errors.fields.endsAt} required />
      <Field label={t('vouchers.quota')} hint={t('vouchers.quotaHint')} name="quota" type="number" inputMode="numeric" min={1} value={form.quota} onChange={set('quota')} errors={errors.fields.quota} required />
      <button type="submit" className="primary" disabled={create.isPending}>
        {create.isPending ? t('auth.working') : t('vouchers.submit')}
      </button>
      {create.isSuccess && (
        <p className="ok" role="status">
          {t('vouchers.created', { code: create.data.code })}
        </p>
      )}
    </form>
  );
}

type VoucherStatus = 'upcoming' | 'active' | 'ended' | 'exhausted';

const STATUS_CLASS: Record<VoucherStatus, string> = { upcoming: 'status', active: 'status status-ready', ended: 'status status-expired', exhausted: 'status status-expired' };

function statusOf(voucher: Voucher, now: number): VoucherStatus {
  if (now >= Date.parse(voucher.endsAt)) return 'ended';
  if (voucher.used >= voucher.quota) return 'exhausted';
  return now < Date.parse(voucher.startsAt) ? 'upcoming' : 'active';
}

/** The vouchers an issuer made: what each gives, on what spend, when, how much of it is used. */
export function VoucherList({ title, vouchers }: { title: string; vouchers: Voucher[] }) {
  const { t, i18n } = useTranslation();
  const now = Date.now();
  return (
    <section className="stack" aria-labelledby="voucher-list-title">
      <h2 id="voucher-list-title">{title}</h2>
      {vouchers.length === 0 && <p className="muted">{t('vouchers.empty')}</p>}
      <ul className="plain stack">
        {vouchers.map((v) => {
          const status = statusOf(v, now);
          return (
            <li key={v.id} className="card stack" data-voucher-code={v.code}>
              <p className="line">
                <strong>{v.code}</strong>
                <span className={STATUS_CLASS[status]}>{t(`vouchers.status.${status}`)}</span>
              </p>
              <p className="price">
                {v.kind === 'fixed'
                  ? formatIdr(v.value)
                  : v.kind === 'shipping'
                    ? t('vouchers.freeShippingUpTo', { max: formatIdr(v.value) })
                    : v.maxDiscountIdr === null
                    ? t('vouchers.percentOff', { percent: v.value })
                    : t('vouchers.percentUpTo', { percent: v.value, max: formatIdr(v.maxDiscountIdr) })}
              </p>
              <p className="muted small">
                {v.minSpendIdr > 0 ? t('vouchers.minSpendOf', { amount: formatIdr(v.minSpendIdr) }) : t('vouchers.noMinSpend')} · {t('vouchers.usage', { used: v.used, quota: v.quota })}
              </p>
              <p className="muted small">{t('vouchers.validity', { from: formatDateTime(v.startsAt, i18n.language), to: formatDateTime(v.endsAt, i18n.language) })}</p>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** The form and, below it, the list for one issuer's vouchers at `endpoint`. */
export function VoucherPanel({ endpoint, intro, listTitle }: { endpoint: string; intro: string; listTitle: string }) {
  const client = useQueryClient();
  const vouchers = useQuery({ queryKey: ['vouchers', endpoint], queryFn: () => api<{ items: Voucher[] }>(endpoint) });
  return (
    <div className="stack">
      <VoucherForm endpoint={endpoint} intro={intro} onCreated={() => void client.invalidateQueries({ queryKey: ['vouchers', endpoint] })} />
      {vouchers.isLoading && <Loading />}
      <ErrorNote error={vouchers.error} />
      {vouchers.data && <VoucherList title={listTitle} vouchers={vouchers.data.items} />}
    </div>
  );
}

export function SellerVouchers({ shop }: { shop: Shop }) {
  const { t } = useTranslation();
  return <VoucherPanel endpoint={`/api/commerce/shops/${shop.id}/vouchers`} intro={t('vouchers.shopIntro')} listTitle={t('vouchers.shopList')} />;
}
