import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import { useSession } from '../api/session';

/** Asks an unverified person to follow the mailed link, and mails it again on request. */
export function VerifyEmailBanner({ reason }: { reason?: string }) {
  const { t } = useTranslation();
  const { user } = useSession();
  const [state, setState] = useState<'idle' | 'busy' | 'sent' | 'limited' | 'failed'>('idle');
  if (!user || user.emailVerified) return null;

  async function resend() {
    setState('busy');
    try {
      await api('/api/auth/email/verification', { method: 'POST' });
      setState('sent');
    } catch (error) {
      setState(error instanceof ApiError && error.problem.status === 429 ? 'limited' : 'failed');
    }
  }

  return (
    <section className="note card stack verify-banner" aria-labelledby="verify-banner-title">
      <h2 id="verify-banner-title">{t('verify.bannerTitle')}</h2>
      <p>{reason ?? t('verify.bannerBody')}</p>
      {state === 'sent' ? (
        <p className="ok" role="status">
          {t('verify.resent')}
        </p>
      ) : (
        <p>
          <button type="button" onClick={resend} disabled={state === 'busy'}>
            {state === 'busy' ? t('auth.working') : t('verify.resend')}
          </button>
        </p>
      )}
      {(state === 'limited' || state === 'failed') && (
        <p className="alert" role="alert">
          {t(state === 'limited' ? 'verify.limited' : 'verify.failed')}
        </p>
      )}
    </section>
  );
}
