import { useEffect, useState, useSyncExternalStore, type FormEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, SESSION_EXPIRED_EVENT, type ApiError } from '../api/client';
import { useSession } from '../api/session';
import { Sheet } from '../components/Sheet';
import { Field } from '../components/Field';
import { useFormErrors } from '../components/useFormErrors';
import { VerifyEmailBanner } from '../components/VerifyEmailBanner';
import { authPath } from '../lib/next';
import { isProblem, reauthPrompt } from './reauth';

/** When the API says the session ran out, this sends the person to sign in and back here. */
export function SessionExpiredRedirect() {
  const navigate = useNavigate();
  const location = useLocation();
  const client = useQueryClient();
  useEffect(() => {
    const expired = () => {
      if (location.pathname === '/masuk') return;
      client.setQueryData(['me'], null);
      const here = location.pathname + location.search;
      navigate(`${authPath('/masuk', here)}&sesi=berakhir`, { replace: true });
    };
    window.addEventListener(SESSION_EXPIRED_EVENT, expired);
    return () => window.removeEventListener(SESSION_EXPIRED_EVENT, expired);
  }, [navigate, location, client]);
  return null;
}

/** The password (or a code) again, before a sensitive action goes through. Mounted once, in App. */
export function ReauthDialog() {
  const { t } = useTranslation();
  const open = useSyncExternalStore(reauthPrompt.subscribe, reauthPrompt.isOpen);
  const errors = useFormErrors();
  const [useCode, setUseCode] = useState(false);
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const field = useCode ? 'code' : 'password';

  function close(proved: boolean) {
    setSecret('');
    setUseCode(false);
    errors.clear();
    reauthPrompt.settle(proved);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    if (!errors.requireFilled({ [field]: secret })) return;
    setBusy(true);
    try {
      await api('/api/auth/reauth', { body: { [field]: secret } });
      close(true);
    } catch (error) {
      if (isProblem(error, 'reauthentication-failed')) errors.set(t('guard.reauthWrong'));
      else errors.show(error, { 429: t('guard.reauthSlowDown') });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Sheet title={t('guard.reauthTitle')} open={open} onClose={() => close(false)}>
      <form className="stack" onSubmit={submit} noValidate>
        <p>{t('guard.reauthIntro')}</p>
        {errors.message && (
          <p className="alert" role="alert">
            {errors.message}
          </p>
        )}
        {useCode ? (
          <Field key="code" label={t('guard.reauthCode')} name="code" inputMode="text" autoComplete="one-time-code" autoCapitalize="none" value={secret} onChange={(e) => setSecret(e.target.value)} errors={errors.fields.code} required />
        ) : (
          <Field key="password" label={t('guard.reauthPassword')} name="password" type="password" autoComplete="current-password" value={secret} onChange={(e) => setSecret(e.target.value)} errors={errors.fields.password} required />
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('auth.working') : t('guard.reauthSubmit')}
        </button>
        <button
          type="button"
          className="link"
          onClick={() => {
            setUseCode(!useCode);
            setSecret('');
            errors.clear();
          }}
        >
          {useCode ? t('guard.reauthUsePassword') : t('guard.reauthUseCode')}
        </button>
      </form>
    </Sheet>
  );
}

/** For an operator refused with `second-factor-required`: set TOTP up, or sign in again with it. */
export function SecondFactorRequired({ error }: { error: unknown }) {
  const { t } = useTranslation();
  const { signOut } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  if (!isProblem(error, 'second-factor-required')) return null;
  const enrolled = (error as ApiError).problem.enrolled === true;
  const here = location.pathname + location.search;
  return (
    <section className="card stack note" aria-labelledby="second-factor-title" role="alert">
      <h2 id="second-factor-title">{t('guard.operatorTitle')}</h2>
      <p>{enrolled ? t('guard.operatorSignInAgain') : t('guard.operatorSetUp')}</p>
      <p>
        {enrolled ? (
          <button
            type="button"
            className="primary"
            onClick={async () => {
              await signOut();
              navigate(authPath('/masuk', here));
            }}
          >
            {t('guard.operatorSignInButton')}
          </button>
        ) : (
          <Link to="/saya/keamanan" className="button primary">
            {t('guard.setUpTotp')}
          </Link>
        )}
      </p>
    </section>
  );
}

/** On the Saldo page: a seller without a second factor is urged to set one up before a payout. */
export function SuggestSecondFactor() {
  const { t } = useTranslation();
  const { user } = useSession();
  if (!user || user.secondFactor !== false) return null;
  return (
    <section className="card stack note" aria-labelledby="suggest-2fa-title">
      <h2 id="suggest-2fa-title">{t('guard.suggestTitle')}</h2>
      <p>{t('guard.suggestBody')}</p>
      <p>
        <Link to="/saya/keamanan">{t('guard.setUpTotp')}</Link>
      </p>
    </section>
  );
}

/** A 403 `email-not-verified` from a withdrawal or going live, with the button to mail the link again. */
export function EmailNotVerified({ error, reason }: { error: unknown; reason: string }) {
  if (!isProblem(error, 'email-not-verified')) return null;
  return <VerifyEmailBanner reason={reason} />;
}
