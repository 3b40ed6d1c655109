import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { RequireUser } from '../components/RequireUser';
import { ErrorNote, Loading } from '../components/Alert';
import { formatDateTime } from '../lib/format';
import { fromBoth, type Domain, type Statement } from './api';
import { StatementOfReasons } from './Statement';

function AppealForm({ domain, statement }: { domain: Domain; statement: Statement }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [text, setText] = useState('');
  const appeal = useMutation({
    mutationFn: () => api<Statement>(`/api/${domain}/moderation/decisions/${statement.id}/appeal`, { body: { text } }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['my-decisions'] }),
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    if (text.trim()) appeal.mutate();
  }
  return (
    <form className="stack mod" onSubmit={submit}>
      <label>
        {t('moderation.appealLabel')}
        <textarea value={text} rows={3} maxLength={1000} onChange={(e) => setText(e.target.value)} />
      </label>
      <ErrorNote error={appeal.error} />
      <button type="submit" className="primary" disabled={!text.trim() || appeal.isPending}>
        {t('moderation.appealSend')}
      </button>
    </form>
  );
}

function Decisions() {
  const { t, i18n } = useTranslation();
  const decisions = useQuery({ queryKey: ['my-decisions'], queryFn: () => fromBoth<Statement>('/moderation/decisions/mine') });
  const items = (decisions.data ?? []).sort((a, b) => b.item.decidedAt.localeCompare(a.item.decidedAt));
  return (
    <section className="stack" aria-labelledby="my-decisions-title">
      <h1 id="my-decisions-title">{t('moderation.mineTitle')}</h1>
      <p className="muted">{t('moderation.mineIntro')}</p>
      {decisions.isLoading && <Loading />}
      <ErrorNote error={decisions.error} />
      {decisions.data && items.length === 0 && <p className="muted">{t('moderation.none')}</p>}
      <ul className="stack plain">
        {items.map(({ domain, item: s }) => (
          <li key={s.id} className="card stack" aria-label={t(`moderation.action.${s.action}`, { defaultValue: t(`trust.action.${s.action}`) })}>
            <StatementOfReasons statement={s} />
            {s.appeal.appeal ? (
              <p role="status">
                {t('moderation.appealed', { date: formatDateTime(s.appeal.appeal.createdAt, i18n.language) })}{' '}
                <span className={`badge status-${s.appeal.appeal.status}`}>{t(`moderation.appealStatus.${s.appeal.appeal.status}`)}</span>
                {s.appeal.appeal.outcome && <> — {s.appeal.appeal.outcome}</>}
              </p>
            ) : s.appeal.open ? (
              <AppealForm domain={domain} statement={s} />
            ) : (
              <p className="muted">{t('moderation.appealClosed')}</p>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

export default function MyDecisions() {
  return (
    <RequireUser>
      <Decisions />
    </RequireUser>
  );
}
