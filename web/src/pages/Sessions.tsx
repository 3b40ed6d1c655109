import { useState } from 'react';
import { Link } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Item, Reply } from '../api/types';
import { Loading } from '../components/Alert';
import { RequireUser } from '../components/RequireUser';
import { withReauth } from '../guards/reauth';

type SessionItem = Item<Reply<'/api/auth/sessions'>>;

/** After a change to how one signs in: offers to sign every other device out. */
export function EndOtherSessions({ reason }: { reason: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [ended, setEnded] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);

  async function endOthers() {
    setBusy(true);
    setFailed(false);
    try {
      const result = await withReauth(() => api<{ ended: number }>('/api/auth/sessions/end-others', { method: 'POST' }));
      setEnded(result.ended);
      await client.invalidateQueries({ queryKey: ['sessions'] });
    } catch {
      setFailed(true);
    } finally {
      setBusy(false);
    }
  }

  if (ended !== null) {
    return (
      <p className="ok" role="status">
        {t('sessions.endedOthers', { count: ended })}
      </p>
    );
  }
  return (
    <div className="note stack">
      <p>{reason}</p>
      <p>
        <button type="button" onClick={endOthers} disabled={busy}>
          {busy ? t('auth.working') : t('sessions.endOthers')}
        </button>
      </p>
      {failed && (
        <p className="alert" role="alert">
          {t('sessions.failed')}
        </p>
      )}
    </div>
  );
}

function countryName(code: string, language: string): string {
  try {
    return new Intl.DisplayNames([language], { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}

function SessionList() {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const sessions = useQuery({ queryKey: ['sessions'], queryFn: () => api<{ items: SessionItem[] }>('/api/auth/sessions') });
  const [failed, setFailed] = useState(false);
  const when = new Intl.DateTimeFormat(i18n.language === 'en' ? 'en-GB' : 'id-ID', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Jakarta' });
  const others = (sessions.data?.items ?? []).filter((s) => !s.current);

  async function end(id: string) {
    setFailed(false);
    try {
      await api(`/api/auth/sessions/${id}`, { method: 'DELETE' });
    } catch {
      setFailed(true);
    }
    await client.invalidateQueries({ queryKey: ['sessions'] });
  }

  return (
    <section className="card stack" aria-labelledby="sessions-title">
      <h1 id="sessions-title">{t('sessions.title')}</h1>
      <p className="muted">{t('sessions.intro')}</p>
      {sessions.isLoading && <Loading />}
      {failed && (
        <p className="alert" role="alert">
          {t('sessions.failed')}
        </p>
      )}
      <ul className="plain sessions">
        {(sessions.data?.items ?? []).map((s) => {
          const device = [s.browser ?? t('sessions.unknownBrowser'), s.os].filter(Boolean).join(t('sessions.on'));
          return (
            <li key={s.id} className="session" aria-label={device}>
              <div>
                <strong>{device}</strong>
                {s.current && <span className="badge">{t('sessions.thisDevice')}</span>}
                <br />
                <small className="muted">
                  {[s.country ? countryName(s.country, i18n.language) : null, t('sessions.lastSeen', { when: when.format(new Date(s.lastSeenAt)) })].filter(Boolean).join(' · ')}
                </small>
              </div>
              {!s.current && (
                <button type="button" onClick={() => end(s.id)} aria-label={t('sessions.endOneNamed', { device })}>
                  {t('sessions.endOne')}
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {others.length > 0 && <EndOtherSessions reason={t('sessions.othersIntro', { count: others.length })} />}
      <p>
        <Link to="/saya/keamanan">{t('security.title')}</Link>
      </p>
    </section>
  );
}

export default function Sessions() {
  return (
    <RequireUser>
      <SessionList />
    </RequireUser>
  );
}
