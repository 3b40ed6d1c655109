import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { ErrorNote, Loading } from '../components/Alert';
import { useFormErrors } from '../components/useFormErrors';
import { formatDateTime, formatIdr, orderNumber } from '../lib/format';
import { ReturnEvidence, ReturnTimeline, type ReturnView } from './ReturnPanel';

function Decision({ view }: { view: ReturnView }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const errors = useFormErrors();
  const [outcome, setOutcome] = useState<'refund' | 'partial_refund' | 'reject'>('refund');
  const [amount, setAmount] = useState('');
  const [statement, setStatement] = useState('');
  const decide = useMutation({
    mutationFn: () =>
      api(`/api/commerce/operator/returns/${view.id}/decision`, { body: { outcome, statement, ...(outcome === 'partial_refund' ? { amountIdr: Number(amount) } : {}) } }),
    onSuccess: () => {
      errors.clear();
      void client.invalidateQueries({ queryKey: ['operator-returns'] });
    },
    onError: (error) => errors.show(error),
  });
  return (
    <form
      className="stack"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        decide.mutate();
      }}
    >
      <fieldset className="stack">
        <legend>{t('returns.operator.outcome')}</legend>
        {(['refund', 'partial_refund', 'reject'] as const).map((o) => (
          <label key={o}>
            <input type="radio" name={`outcome-${view.id}`} value={o} checked={outcome === o} onChange={() => setOutcome(o)} /> {t(`returns.operator.outcomes.${o}`, { amount: formatIdr(view.orderTotalIdr) })}
          </label>
        ))}
      </fieldset>
      {outcome === 'partial_refund' && (
        <label className="field">
          {t('returns.offerAmount', { max: formatIdr(view.orderTotalIdr) })}
          <input type="number" inputMode="numeric" min={1} max={view.orderTotalIdr - 1} value={amount} onChange={(e) => setAmount(e.target.value)} required />
        </label>
      )}
      <label className="field">
        {t('returns.operator.statement')}
        <textarea value={statement} rows={3} maxLength={2000} onChange={(e) => setStatement(e.target.value)} required />
      </label>
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      <button type="submit" className="primary" disabled={decide.isPending || !statement.trim()}>
        {t('returns.operator.decide')}
      </button>
    </form>
  );
}

/** Escalated returns in the operators' console: both sides' evidence and the decision. */
export function OperatorReturns() {
  const { t, i18n } = useTranslation();
  const list = useQuery({ queryKey: ['operator-returns'], queryFn: () => api<{ items: ReturnView[] }>('/api/commerce/operator/returns') });
  return (
    <section className="stack" aria-labelledby="operator-returns">
      <h2 id="operator-returns">{t('returns.operator.title')}</h2>
      {list.isLoading && <Loading />}
      <ErrorNote error={list.error} />
      {list.data?.items.length === 0 && <p className="muted">{t('returns.operator.empty')}</p>}
      <ul className="stack plain">
        {list.data?.items.map((view) => (
          <li key={view.id} className="card stack" data-return-id={view.id}>
            <p>
              <strong>{t('orders.order', { id: orderNumber(view.orderId) })}</strong> · {formatIdr(view.orderTotalIdr)} · {t('returns.operator.since', { date: formatDateTime(view.requestedAt, i18n.language) })}
            </p>
            <ReturnEvidence view={view} />
            <ReturnTimeline view={view} />
            <Decision view={view} />
          </li>
        ))}
      </ul>
    </section>
  );
}
