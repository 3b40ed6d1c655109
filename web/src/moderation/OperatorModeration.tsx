import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import { useSession } from '../api/session';
import { RequireUser } from '../components/RequireUser';
import { ErrorNote, Loading } from '../components/Alert';
import { formatDateTime } from '../lib/format';
import { REASONS, type Domain, type PendingAppeal, type QueueEntry, type Reason, type Statement } from './api';
import { StatementOfReasons } from './Statement';
import { SecondFactorRequired } from '../guards/Guards';
import { isProblem } from '../guards/reauth';
import { OperatorReturns } from '../returns/OperatorReturns';

function DecisionForm({ domain, entry }: { domain: Domain; entry: QueueEntry }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [action, setAction] = useState(entry.actions[0] ?? '');
  const [reason, setReason] = useState<Reason>(entry.reasons[0] ?? 'other');
  const [rule, setRule] = useState('');
  const [explanation, setExplanation] = useState('');
  const [days, setDays] = useState('');
  const refresh = () => client.invalidateQueries({ queryKey: ['moderation', domain] });
  const decide = useMutation({
    mutationFn: () =>
      api<Statement>(`/api/${domain}/moderation/decisions`, {
        body: { itemKind: entry.item.kind, itemId: entry.item.id, action, reason, rule, explanation, ...(days ? { durationDays: Number(days) } : {}) },
      }),
    onSuccess: refresh,
  });
  const dismiss = useMutation({
    mutationFn: () => api(`/api/${domain}/moderation/dismissals`, { body: { itemKind: entry.item.kind, itemId: entry.item.id, explanation } }),
    onSuccess: refresh,
  });
  const id = `${entry.item.kind}-${entry.item.id}`;
  const fieldErrors = (decide.error ?? dismiss.error) instanceof ApiError ? ((decide.error ?? dismiss.error) as ApiError).fieldErrors() : {};
  function submit(event: FormEvent) {
    event.preventDefault();
    decide.mutate();
  }
  return (
    <form className="stack mod" onSubmit={submit} aria-label={t('operator.decideFor', { item: entry.item.label })}>
      <label>
        {t('operator.action')}
        <select value={action} onChange={(e) => setAction(e.target.value)}>
          {entry.actions.map((a) => (
            <option key={a} value={a}>
              {t(`moderation.action.${a}`, { defaultValue: t(`trust.action.${a}`) })}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('operator.reason')}
        <select value={reason} onChange={(e) => setReason(e.target.value as Reason)}>
          {REASONS.map((r) => (
            <option key={r} value={r}>
              {t(`report.reason.${r}`)}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor={`rule-${id}`}>{t('operator.rule')}</label>
      <input id={`rule-${id}`} value={rule} maxLength={300} onChange={(e) => setRule(e.target.value)} aria-invalid={fieldErrors.rule ? true : undefined} />
      <label htmlFor={`explanation-${id}`}>{t('operator.explanation')}</label>
      <textarea id={`explanation-${id}`} value={explanation} rows={3} maxLength={2000} onChange={(e) => setExplanation(e.target.value)} aria-invalid={fieldErrors.explanation ? true : undefined} />
      <label>
        {t('operator.days')}
        <input type="number" min={1} max={3650} inputMode="numeric" value={days} onChange={(e) => setDays(e.target.value)} />
      </label>
      <ErrorNote error={decide.error ?? dismiss.error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={decide.isPending}>
          {t('operator.decide')}
        </button>
        <button type="button" disabled={dismiss.isPending} onClick={() => dismiss.mutate()}>
          {t('operator.dismiss')}
        </button>
      </div>
    </form>
  );
}

function AppealDecision({ domain, appeal }: { domain: Domain; appeal: PendingAppeal }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [explanation, setExplanation] = useState('');
  const decide = useMutation({
    mutationFn: (outcome: 'upheld' | 'reversed') => api<Statement>(`/api/${domain}/moderation/appeals/${appeal.id}/decision`, { body: { outcome, explanation } }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['moderation', domain] }),
  });
  return (
    <div className="stack mod">
      <p>
        <strong>{t('operator.appealText')}</strong> {appeal.text}
      </p>
      {appeal.decidedByYou ? (
        <p className="muted">{t('operator.notYours')}</p>
      ) : (
        <>
          <label htmlFor={`appeal-${appeal.id}`}>{t('operator.appealExplanation')}</label>
          <textarea id={`appeal-${appeal.id}`} value={explanation} rows={3} maxLength={2000} onChange={(e) => setExplanation(e.target.value)} />
          <ErrorNote error={decide.error} />
          <div className="actions">
            <button type="button" disabled={decide.isPending} onClick={() => decide.mutate('upheld')}>
              {t('operator.uphold')}
            </button>
            <button type="button" className="primary" disabled={decide.isPending} onClick={() => decide.mutate('reversed')}>
              {t('operator.reverse')}
            </button>
          </div>
        </>
      )}
    </div>
  );
}

function Console() {
  const { t, i18n } = useTranslation();
  const { user } = useSession();
  const [domain, setDomain] = useState<Domain>('social');
  const queue = useQuery({ queryKey: ['moderation', domain, 'queue'], queryFn: () => api<{ items: QueueEntry[] }>(`/api/${domain}/moderation/queue`), enabled: user?.roles.includes('operator') });
  const appeals = useQuery({ queryKey: ['moderation', domain, 'appeals'], queryFn: () => api<{ items: PendingAppeal[] }>(`/api/${domain}/moderation/appeals`), enabled: user?.roles.includes('operator') });
  const [open, setOpen] = useState<string | null>(null);
  if (!user?.roles.includes('operator')) return <p className="card">{t('operator.only')}</p>;
  if (isProblem(queue.error, 'second-factor-required')) {
    return (
      <section className="stack" aria-labelledby="operator-title">
        <h1 id="operator-title">{t('operator.title')}</h1>
        <SecondFactorRequired error={queue.error} />
      </section>
    );
  }
  return (
    <section className="stack" aria-labelledby="operator-title">
      <h1 id="operator-title">{t('operator.title')}</h1>
      <div className="tabs" role="group" aria-label={t('operator.domain')}>
        {(['social', 'commerce'] as const).map((d) => (
          <button key={d} type="button" aria-pressed={domain === d} onClick={() => setDomain(d)}>
            {t(`operator.domains.${d}`)}
          </button>
        ))}
      </div>
      <h2>{t('operator.queue')}</h2>
      {queue.isLoading && <Loading />}
      <ErrorNote error={queue.error} />
      {queue.data?.items.length === 0 && <p className="muted">{t('operator.empty')}</p>}
      <ul className="stack plain" aria-label={t('operator.queue')}>
        {queue.data?.items.map((entry) => {
          const key = `${entry.item.kind}:${entry.item.id}`;
          const due = entry.deadlineAt ? Date.parse(entry.deadlineAt) - Date.now() : null;
          return (
            <li key={key} className={`card stack${entry.urgent ? ' urgent' : ''}`}>
              <p>
                <strong>{t(`report.kind.${entry.item.kind}`, { defaultValue: t(`trust.kind.${entry.item.kind}`) })}</strong>: {entry.item.label}
              </p>
              <p className="muted small">
                {t('operator.reports', { count: entry.reports })} · {entry.reasons.map((r) => t(`report.reason.${r}`)).join(', ')} · {t('operator.since', { date: formatDateTime(entry.oldestAt, i18n.language) })}
              </p>
              {entry.deadlineAt && (
                <p className="badge">
                  {entry.urgent ? t('operator.urgent') : t('operator.order')} · {due !== null && due > 0 ? t('operator.dueIn', { hours: Math.max(1, Math.ceil(due / 3_600_000)) }) : t('operator.overdue')}
                </p>
              )}
              {open === key ? (
                <DecisionForm domain={domain} entry={entry} />
              ) : (
                <button type="button" onClick={() => setOpen(key)}>
                  {t('operator.review')}
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {domain === 'commerce' && <OperatorReturns />}
      <h2>{t('operator.appeals')}</h2>
      {appeals.data?.items.length === 0 && <p className="muted">{t('operator.noAppeals')}</p>}
      <ErrorNote error={appeals.error} />
      <ul className="stack plain" aria-label={t('operator.appeals')}>
        {appeals.data?.items.map((appeal) => (
          <li key={appeal.id} className="card stack">
            <StatementOfReasons statement={appeal.decision} />
            <AppealDecision domain={domain} appeal={appeal} />
          </li>
        ))}
      </ul>
    </section>
  );
}

export default function OperatorModeration() {
  return (
    <RequireUser>
      <Console />
    </RequireUser>
  );
}
