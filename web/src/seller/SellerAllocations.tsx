import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { CreatorAllocation, Shop } from '../api/types';
export type { CreatorAllocation } from '../api/types';
import { Field } from '../components/Field';
import { useFormErrors } from '../components/useFormErrors';
import { ErrorNote, Loading } from '../components/Alert';
import { ConfirmButton } from '../components/ConfirmButton';
import { formatDateTime, formatIdr } from '../lib/format';
import { ShopVariantSelect, useShopProduct } from './ShopVariantSelect';
import { useAllocationFieldErrors } from './allocationErrors';

const toInt = (value: string) => (value.trim() === '' ? Number.NaN : Number(value));
const emptyDraft = { productId: '', variantId: '', affiliateId: '', units: '', floorPriceIdr: '' };

function NewAllocation({ shop, onCreated }: { shop: Shop; onCreated(): void }) {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const own = useAllocationFieldErrors();
  const [form, setForm] = useState(emptyDraft);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const product = useShopProduct(form.productId);
  const variant = product.data?.variants.find((v) => v.id === form.variantId);
  const create = useMutation({
    mutationFn: () =>
      api<CreatorAllocation>(`/api/commerce/shops/${shop.id}/allocations`, {
        body: {
          variantId: form.variantId || undefined,
          affiliateId: form.affiliateId.trim(),
          units: toInt(form.units),
          floorPriceIdr: form.floorPriceIdr.trim() === '' ? undefined : toInt(form.floorPriceIdr),
        },
      }),
    onSuccess: () => {
      errors.clear();
      own.clear();
      setForm(emptyDraft);
      onCreated();
    },
    onError: (error) => {
      errors.show(error);
      own.read(error);
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }

  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="new-allocation-title">
      <h2 id="new-allocation-title">{t('allocations.new')}</h2>
      <p className="muted">{t('allocations.intro')}</p>
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      <ShopVariantSelect
        shop={shop}
        section="allocations"
        idPrefix="allocation"
        productId={form.productId}
        variantId={form.variantId}
        onProduct={(productId) => setForm({ ...form, productId, variantId: '' })}
        onVariant={(variantId) => setForm({ ...form, variantId })}
        variantErrors={errors.fields.variantId}
      />
      <Field label={t('allocations.creator')} hint={t('allocations.creatorHint')} name="affiliateId" value={form.affiliateId} onChange={set('affiliateId')} errors={own.of('affiliateId', errors.fields.affiliateId)} required />
      <Field
        label={t('allocations.units')}
        hint={variant ? t('allocations.unitsHint', { available: variant.available }) : undefined}
        name="units"
        type="number"
        inputMode="numeric"
        min={1}
        value={form.units}
        onChange={set('units')}
        errors={own.of('units', errors.fields.units)}
        required
      />
      <Field label={t('allocations.floor')} hint={t('allocations.floorHint')} name="floorPriceIdr" type="number" inputMode="numeric" min={1} value={form.floorPriceIdr} onChange={set('floorPriceIdr')} errors={own.of('floorPriceIdr', errors.fields.floorPriceIdr)} />
      <button type="submit" className="primary" disabled={create.isPending}>
        {create.isPending ? t('auth.working') : t('allocations.submit')}
      </button>
      {create.isSuccess && (
        <p className="ok" role="status">
          {t('allocations.created', { units: create.data.units, title: create.data.title, creator: create.data.affiliateId })}
        </p>
      )}
    </form>
  );
}

/** The seller centre's creator allocations: give units of a variant to a creator, see them sell, revoke what is unused. */
export function SellerAllocations({ shop }: { shop: Shop }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const key = ['allocations-shop', shop.id];
  const list = useQuery({ queryKey: key, queryFn: () => api<{ items: CreatorAllocation[] }>(`/api/commerce/shops/${shop.id}/allocations`), refetchInterval: 10_000 });
  const refresh = () => void client.invalidateQueries({ queryKey: key });
  const revoke = useMutation({ mutationFn: (id: string) => api<CreatorAllocation>(`/api/commerce/allocations/${id}/revoke`, { method: 'POST', body: {} }), onSuccess: refresh });
  return (
    <div className="stack">
      <NewAllocation shop={shop} onCreated={refresh} />
      <section className="stack" aria-labelledby="allocation-list-title">
        <h2 id="allocation-list-title">{t('allocations.list')}</h2>
        {list.isLoading && <Loading />}
        <ErrorNote error={list.error ?? revoke.error} />
        {list.data?.items.length === 0 && <p className="muted">{t('allocations.empty')}</p>}
        <ul className="plain stack">
          {list.data?.items.map((a) => (
            <li key={a.id} className="card stack" data-allocation={a.id}>
              <p className="line">
                <strong>
                  {a.title} · {a.variantName}
                </strong>
                <span className={a.state === 'open' ? 'status status-ready' : 'status status-expired'}>{t(`allocations.state.${a.state}`)}</span>
              </p>
              <p className="muted small">
                {t('allocations.to', { creator: a.affiliateId })} · {t('allocations.counts', { units: a.units, remaining: a.remaining, inDeals: a.inDeals, sold: a.sold })}
                {a.floorPriceIdr !== null && ` · ${t('allocations.floorShort', { price: formatIdr(a.floorPriceIdr) })}`}
                {a.returned !== null && ` · ${t('allocations.returned', { count: a.returned })}`}
              </p>
              <p className="muted small">{t('allocations.since', { at: formatDateTime(a.createdAt, i18n.language) })}</p>
              {a.state === 'open' && (
                <ConfirmButton label={t('allocations.revoke')} title={t('allocations.revokeTitle')} confirmLabel={t('allocations.revoke')} disabled={revoke.isPending} onConfirm={() => revoke.mutate(a.id)}>
                  <p>{t('allocations.revokeBody', { remaining: a.remaining, inDeals: a.inDeals })}</p>
                </ConfirmButton>
              )}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
