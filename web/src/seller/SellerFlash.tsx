import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { FlashDeal, Shop } from '../api/types';
import { Field } from '../components/Field';
import { useFormErrors } from '../components/useFormErrors';
import { ErrorNote, Loading } from '../components/Alert';
import { ConfirmButton } from '../components/ConfirmButton';
import { formatDateTime, formatIdr } from '../lib/format';
import { ShopVariantSelect, useShopProduct } from './ShopVariantSelect';

const toInt = (value: string) => (value.trim() === '' ? Number.NaN : Number(value));

/** The UTC instant of a datetime-local value read as Jakarta time; nothing when blank. */
function fromWibInput(value: string): string | undefined {
  if (!value) return undefined;
  const instant = new Date(`${value.length === 16 ? `${value}:00` : value}+07:00`);
  return Number.isNaN(instant.getTime()) ? value : instant.toISOString();
}

const emptyDraft = { productId: '', variantId: '', dealPriceIdr: '', allocation: '', perBuyerLimit: '1', startsAt: '', durationMinutes: '10', countdownSeconds: '60' };

function NewFlashDeal({ shop, onCreated }: { shop: Shop; onCreated(): void }) {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const [form, setForm] = useState(emptyDraft);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const product = useShopProduct(form.productId);
  const variant = product.data?.variants.find((v) => v.id === form.variantId);
  const create = useMutation({
    mutationFn: () =>
      api<FlashDeal>(`/api/commerce/shops/${shop.id}/flash-deals`, {
        body: {
          variantId: form.variantId || undefined,
          dealPriceIdr: toInt(form.dealPriceIdr),
          allocation: toInt(form.allocation),
          perBuyerLimit: toInt(form.perBuyerLimit),
          startsAt: fromWibInput(form.startsAt),
          durationMinutes: toInt(form.durationMinutes),
          countdownSeconds: toInt(form.countdownSeconds),
        },
      }),
    onSuccess: () => {
      errors.clear();
      setForm(emptyDraft);
      onCreated();
    },
    onError: (error) => errors.show(error, { 409: t('flash.overlap') }),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }

  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="new-flash-title">
      <h2 id="new-flash-title">{t('flash.new')}</h2>
      <p className="muted">{t('flash.intro')}</p>
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      <ShopVariantSelect
        shop={shop}
        section="flash"
        productId={form.productId}
        variantId={form.variantId}
        onProduct={(productId) => setForm({ ...form, productId, variantId: '' })}
        onVariant={(variantId) => setForm({ ...form, variantId })}
        variantErrors={errors.fields.variantId}
      />
      <Field
        label={t('flash.dealPrice')}
        hint={t('flash.dealPriceHint')}
        name="dealPriceIdr"
        type="number"
        inputMode="numeric"
        min={1}
        value={form.dealPriceIdr}
        onChange={set('dealPriceIdr')}
        errors={errors.fields.dealPriceIdr}
        required
      />
      <Field
        label={t('flash.allocation')}
        hint={variant ? t('flash.allocationHint', { available: variant.available }) : undefined}
        name="allocation"
        type="number"
        inputMode="numeric"
        min={1}
        value={form.allocation}
        onChange={set('allocation')}
        errors={errors.fields.allocation}
        required
      />
      <Field label={t('flash.perBuyerLimit')} name="perBuyerLimit" type="number" inputMode="numeric" min={1} value={form.perBuyerLimit} onChange={set('perBuyerLimit')} errors={errors.fields.perBuyerLimit} required />
      <Field label={t('flash.startsAt')} hint={t('flash.startsAtHint')} name="startsAt" type="datetime-local" value={form.startsAt} onChange={set('startsAt')} errors={errors.fields.startsAt} />
      <Field label={t('flash.duration')} hint={t('flash.durationHint')} name="durationMinutes" type="number" inputMode="numeric" min={1} max={20} value={form.durationMinutes} onChange={set('durationMinutes')} errors={errors.fields.durationMinutes} required />
      <Field label={t('flash.countdown')} hint={t('flash.countdownHint')} name="countdownSeconds" type="number" inputMode="numeric" min={10} max={300} value={form.countdownSeconds} onChange={set('countdownSeconds')} errors={errors.fields.countdownSeconds} required />
      <button type="submit" className="primary" disabled={create.isPending}>
        {create.isPending ? t('auth.working') : t('flash.submit')}
      </button>
      {create.isSuccess && (
        <p className="ok" role="status">
          {t('flash.created', { title: create.data.title, variant: create.data.variantName })}
        </p>
      )}
    </form>
  );
}

const STATE_CLASS: Record<FlashDeal['state'], string> = { scheduled: 'status', upcoming: 'status', live: 'status status-ready', ended: 'status status-expired' };

export function SellerFlash({ shop }: { shop: Shop }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const endpoint = `/api/commerce/shops/${shop.id}/flash-deals`;
  const deals = useQuery({ queryKey: ['flash-deals-shop', shop.id], queryFn: () => api<{ items: FlashDeal[] }>(endpoint), refetchInterval: 10_000 });
  const refresh = () => void client.invalidateQueries({ queryKey: ['flash-deals-shop', shop.id] });
  const end = useMutation({ mutationFn: (id: string) => api<FlashDeal>(`/api/commerce/flash-deals/${id}/end`, { method: 'POST' }), onSuccess: refresh });
  return (
    <div className="stack">
      <NewFlashDeal shop={shop} onCreated={refresh} />
      <section className="stack" aria-labelledby="flash-list-title">
        <h2 id="flash-list-title">{t('flash.list')}</h2>
        {deals.isLoading && <Loading />}
        <ErrorNote error={deals.error ?? end.error} />
        {deals.data?.items.length === 0 && <p className="muted">{t('flash.empty')}</p>}
        <ul className="plain stack">
          {deals.data?.items.map((deal) => (
            <li key={deal.id} className="card stack" data-flash-deal={deal.id}>
              <p className="line">
                <strong>
                  {deal.title} · {deal.variantName}
                </strong>
                <span className={STATE_CLASS[deal.state]}>{t(`flash.state.${deal.state}`)}</span>
              </p>
              <p>
                <span className="price">{formatIdr(deal.dealPriceIdr)}</span> <s className="muted">{formatIdr(deal.normalPriceIdr)}</s>
              </p>
              <p className="muted small">
                {t('flash.soldOf', { sold: deal.sold, allocation: deal.allocation })} · {t('flash.limit', { count: deal.perBuyerLimit })}
                {deal.returned !== null && ` · ${t('flash.returned', { count: deal.returned })}`}
              </p>
              <p className="muted small">{t('flash.window', { from: formatDateTime(deal.startsAt, i18n.language), to: formatDateTime(deal.endsAt, i18n.language) })}</p>
              {deal.state !== 'ended' && (
                <ConfirmButton label={t('flash.endNow')} title={t('flash.endTitle')} confirmLabel={t('flash.endNow')} disabled={end.isPending} onConfirm={() => end.mutate(deal.id)}>
                  <p>{t('flash.endBody', { remaining: deal.remaining })}</p>
                </ConfirmButton>
              )}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
