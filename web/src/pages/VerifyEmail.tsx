import { useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { useSession } from '../api/session';
import { Loading } from '../components/Alert';

/** Where the mailed link lands: `?token=` confirms an address (at sign-up, or a new one). */
export default function VerifyEmail({ change = false }: { change?: boolean }) {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const session = useSession();
  const [state, setState] = useState<'working' | 'done' | 'invalid'>(token ? 'working' : 'invalid');
  // A token is spent once; React may run an effect twice, the request must go once.
  const sent = useRef(false);

  useEffect(() => {
    if (!token || sent.current) return;
    sent.current = true;
    api(change ? '/api/auth/email/change/confirm' : '/api/auth/email/verify', { body: { token } })
      .then(async () => {
        setState('done');
        await session.refresh();
      })
      .catch(() => setState('invalid'));
  }, [token, change, session]);

  return (
    <section className="card stack" aria-labelledby="verify-title">
      <h1 id="verify-title">{t(change ? 'changeEmail.confirmTitle' : 'verify.title')}</h1>
      {state === 'working' && <Loading />}
      {state === 'done' && (
        <p className="ok" role="status">
          {t(change ? 'changeEmail.confirmed' : 'verify.done')}
        </p>
      )}
      {state === 'invalid' && (
        <p className="alert" role="alert">
          {t('verify.invalid')}
        </p>
      )}
      <p>
        <Link to={session.user ? '/saya' : '/masuk'}>{t(session.user ? 'verify.toAccount' : 'recovery.backToSignIn')}</Link>
      </p>
    </section>
  );
}
