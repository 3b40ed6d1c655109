import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { useSession } from '../api/session';
import { ErrorNote, Loading } from '../components/Alert';
import SignIn from '../pages/SignIn';
import { DOMAINS, savePreference, usePreferences, type Domain } from './api';

function DomainPreferences({ domain }: { domain: Domain }) {
  const { t } = useTranslation();
  const prefs = usePreferences(domain);
  const client = useQueryClient();
  return (
    <fieldset className="stack">
      <legend>{t(`notifications.${domain}`)}</legend>
      {prefs.isPending ? (
        <Loading />
      ) : prefs.error ? (
        <ErrorNote error={prefs.error} />
      ) : (
        prefs.data.items.map((item) => (
          <label key={item.kind} className="check">
            <input
              type="checkbox"
              checked={!item.muted}
              onChange={async (e) => {
                const saved = await savePreference(domain, { kind: item.kind, muted: !e.target.checked });
                client.setQueryData(['notifications', domain, 'preferences'], saved);
              }}
            />{' '}
            {t(`notifications.kinds.${item.kind}`)}
          </label>
        ))
      )}
    </fieldset>
  );
}

/** /notifikasi/pengaturan: each domain's kinds, on or off, stored by that domain. */
export default function NotificationPreferences() {
  const { t } = useTranslation();
  const { user } = useSession();
  if (!user) return <SignIn />;
  return (
    <section className="card stack" aria-labelledby="notif-settings-title">
      <h1 id="notif-settings-title">{t('notifications.settingsTitle')}</h1>
      <p className="note">{t('notifications.settingsNote')}</p>
      {DOMAINS.map((domain) => (
        <DomainPreferences key={domain} domain={domain} />
      ))}
      <Link to="/notifikasi">{t('notifications.back')}</Link>
    </section>
  );
}
