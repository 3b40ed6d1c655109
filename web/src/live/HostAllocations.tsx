import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { FlashDeal } from '../api/types';
import { Field } from '../components/Field';
import { useFormErrors } from '../components/useFormErrors';
import { ErrorNote } from '../components/Alert';
import { formatIdr } from '../lib/format';
import type { CreatorAllocation } from '../seller/SellerAllocations';
import { useAllocationFieldErrors } from '../seller/allocationErrors';

const toInt = (value: string) => (value.trim() === '' ? Number.NaN : Number(value));
const emptyDraft = { dealPriceIdr: '', allocation: '', perBuyerLimit: '1', durationMinutes: '5', countdownSeconds: '30' };

/** Starts a flash deal from one allocation: the variant is the allocation's, the units at most what is left. */
function StartFromAllocation({ allocation, onStarted }: { allocation: CreatorAllocation; onStarted(deal: FlashDeal): void }) {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const own = useAllocationFieldErrors();
  const [form, setForm] = useState(emptyDraft);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => {
    errors.clearField(k);
    setForm({ ...form, [k]: e.target.value });
  };
  const start = useMutation({
    mutationFn: () =>
      api<FlashDeal>(`/api/commerce/allocations/${allocation.id}/flash-deals`, {
        body: {
          dealPriceIdr: toInt(form.dealPriceIdr),
          allocation: toInt(form.allocation),
          perBuyerLimit: toInt(form.perBuyerLimit),
          durationMinutes: toInt(form.durationMinutes),
          countdownSeconds: toInt(form.countdownSeconds),
        },
      }),
    onSuccess: (deal) => {
      errors.clear();
      own.clear();
      setForm(emptyDraft);
      onStarted(deal);
    },
    onError: (error) => {
      errors.show(error);
      own.read(error);
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    start.mutate();
  }
  const prefix = `alloc-${allocation.id}`;
  return (
    <form className="stack-tight" onSubmit={submit} noValidate aria-label={t('allocations.startFor', { title: allocation.title, variant: allocation.variantName })} data-host-allocation={allocation.id}>
      <p className="line">
        <strong>
          {allocation.title} · {allocation.variantName}
        </strong>
        <span className="muted small">{t('allocations.left', { remaining: allocation.remaining, units: allocation.units })}</span>
      </p>
      <p className="muted small">
        {t('allocations.normalPrice', { price: formatIdr(allocation.priceIdr) })}
        {allocation.floorPriceIdr !== null && ` · ${t('allocations.floorShort', { price: formatIdr(allocation.floorPriceIdr) })}`} · {allocation.shopName}
      </p>
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      <Field label={t('allocations.dealPrice')} hint={t('allocations.dealPriceHint')} name={`${prefix}-price`} type="number" inputMode="numeric" min={1} value={form.dealPriceIdr} onChange={set('dealPriceIdr')} errors={own.of('dealPriceIdr', errors.fields.dealPriceIdr)} required />
      <Field
        label={t('allocations.dealUnits')}
        hint={t('allocations.dealUnitsHint', { remaining: allocation.remaining })}
        name={`${prefix}-units`}
        type="number"
        inputMode="numeric"
        min={1}
        max={allocation.remaining}
        value={form.allocation}
        onChange={set('allocation')}
        errors={own.of('allocation', errors.fields.allocation)}
        required
      />
      <Field label={t('allocations.perBuyer')} name={`${prefix}-limit`} type="number" inputMode="numeric" min={1} value={form.perBuyerLimit} onChange={set('perBuyerLimit')} errors={own.of('perBuyerLimit', errors.fields.perBuyerLimit)} required />
      <Field label={t('allocations.duration')} name={`${prefix}-duration`} type="number" inputMode="numeric" min={1} max={20} value={form.durationMinutes} onChange={set('durationMinutes')} errors={own.of('durationMinutes', errors.fields.durationMinutes)} required />
      <Field label={t('allocations.countdown')} name={`${prefix}-countdown`} type="number" inputMode="numeric" min={10} max={300} value={form.countdownSeconds} onChange={set('countdownSeconds')} errors={own.of('countdownSeconds', errors.fields.countdownSeconds)} required />
      <button type="submit" className="primary small-btn" disabled={start.isPending || allocation.remaining === 0}>
        {start.isPending ? t('auth.working') : t('allocations.start')}
      </button>
    </form>
  );
}

/** The host console's flash sales from the stock allocations sellers gave this creator. */
export function HostAllocations() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [started, setStarted] = useState<FlashDeal | null>(null);
  const enrolment = useQuery({ queryKey: ['affiliate-enrolment'], queryFn: () => api<{ affiliateId: string | null }>('/api/commerce/affiliates/me') });
  const list = useQuery({ queryKey: ['allocations-mine'], queryFn: () => api<{ items: CreatorAllocation[] }>('/api/commerce/affiliates/me/allocations'), refetchInterval: 15_000 });
  const open = list.data?.items.filter((a) => a.state === 'open') ?? [];
  return (
    <section className="stack-tight" aria-labelledby="host-allocations-title" data-testid="host-allocations">
      <h3 id="host-allocations-title">{t('allocations.hostTitle')}</h3>
      {enrolment.data?.affiliateId && <p className="muted small">{t('allocations.yourId', { id: enrolment.data.affiliateId })}</p>}
      <ErrorNote error={list.error} />
      {started && (
        <p className="ok small" role="status">
          {t('allocations.started', { title: started.title, price: formatIdr(started.dealPriceIdr), count: started.allocation })}
        </p>
      )}
      {list.data && open.length === 0 && <p className="muted small">{t('allocations.none')}</p>}
      {open.map((a) => (
        <StartFromAllocation
          key={a.id}
          allocation={a}
          onStarted={(deal) => {
            setStarted(deal);
            void client.invalidateQueries({ queryKey: ['allocations-mine'] });
            void client.invalidateQueries({ queryKey: ['flash-deals'] });
          }}
        />
      ))}
    </section>
  );
}
