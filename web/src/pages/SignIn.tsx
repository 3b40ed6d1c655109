import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, type User } from '../api/client';
import { useSession } from '../api/session';
import { Field } from '../components/Field';
import { fieldChange, useFormErrors } from '../components/useFormErrors';
import { authPath, safeNext, signInReason } from '../lib/next';
import { passkeySecondFactor, passkeysSupported, signInWithPasskey } from '../lib/passkeys';
import { passkeyProblem } from './Passkeys';

export default function SignIn() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const reason = signInReason(params.get('alasan'));
  const target = next ?? '/';
  const session = useSession();
  const errors = useFormErrors();
  const [busy, setBusy] = useState(false);
  const [form, setForm] = useState({ email: '', password: '' });
  const change = fieldChange(form, setForm, errors);
  // Set when the password was right and the account asks for its second factor.
  const [challenge, setChallenge] = useState<string | null>(null);
  const [methods, setMethods] = useState<string[]>([]);
  const [code, setCode] = useState('');

  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    if (!errors.requireFilled(form)) return;
    setBusy(true);
    try {
      const result = await api<{ user: User } | { secondFactorRequired: true; challenge: string; methods: string[] }>('/api/auth/login', { body: form });
      if ('secondFactorRequired' in result) {
        setChallenge(result.challenge);
        setMethods(result.methods);
        return;
      }
      await session.refresh();
      // Replaced, so Back from where they land does not show this form again.
      navigate(target, { replace: true });
    } catch (error) {
      errors.show(error, { 401: t('errors.invalidCredentials') });
    } finally {
      setBusy(false);
    }
  }

  // Someone already signed in (Back after a purchase, an old link) goes where this form would send them.
  if (session.user && !busy) return <Navigate to={target} replace />;
  /** A passkey ceremony that ends signed in: alone (no challenge) or as the step after the password. */
  async function withPasskey(secondStep: string | null) {
    errors.clear();
    setBusy(true);
    try {
      await (secondStep ? passkeySecondFactor(secondStep) : signInWithPasskey());
      await session.refresh();
      navigate(target, { replace: true });
    } catch (error) {
      const special = passkeyProblem(t, error);
      if (special) errors.set(special);
      else errors.show(error, { 401: t('passkeys.expired'), 429: t('twoFactor.slowDown') });
    } finally {
      setBusy(false);
    }
  }

  async function submitCode(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    if (!errors.requireFilled({ code })) return;
    setBusy(true);
    try {
      await api<{ user: User }>('/api/auth/login/second-factor', { body: { challenge, code } });
      await session.refresh();
      navigate(target, { replace: true });
    } catch (error) {
      errors.show(error, { 401: t('twoFactor.wrongCode'), 429: t('twoFactor.slowDown') });
    } finally {
      setBusy(false);
    }
  }

  if (challenge) {
    const hasPasskey = methods.includes('passkey') && passkeysSupported();
    const hasCode = methods.includes('totp') || methods.includes('recovery-code');
    return (
      <section className="card" aria-labelledby="signin-code-title">
        <h1 id="signin-code-title">{hasPasskey ? t('passkeys.secondStepTitle') : t('twoFactor.signInTitle')}</h1>
        <p>{hasPasskey ? t('passkeys.secondStepIntro') : t('twoFactor.signInIntro')}</p>
        {errors.message && (
          <p className="alert" role="alert">
            {errors.message}
          </p>
        )}
        {hasPasskey && (
          <p>
            <button type="button" className="primary" disabled={busy} onClick={() => void withPasskey(challenge)}>
              {busy ? t('auth.working') : t('passkeys.use')}
            </button>
          </p>
        )}
        {methods.includes('passkey') && !hasPasskey && <p className="note">{t('passkeys.unsupported')}</p>}
        {hasCode && hasPasskey && <p className="muted">{t('passkeys.orCode')}</p>}
        {hasCode && (
        <form onSubmit={submitCode} noValidate>
          <Field label={t('twoFactor.code')} hint={t('twoFactor.codeHint')} name="code" inputMode="text" autoComplete="one-time-code" autoCapitalize="none" value={code} onChange={(e) => {
              setCode(e.target.value);
              errors.clearField('code');
            }} errors={errors.fields.code} required />
          <button type="submit" className={hasPasskey ? undefined : 'primary'} disabled={busy}>
            {busy ? t('auth.working') : t('twoFactor.verify')}
          </button>
        </form>
        )}
        <p>
          <button type="button" className="link" onClick={() => {
              setChallenge(null);
              setCode('');
              errors.clear();
            }}>
            {t('twoFactor.startOver')}
          </button>
        </p>
      </section>
    );
  }

  return (
    <section className="card" aria-labelledby="signin-title">
      <h1 id="signin-title">{t('auth.signInTitle')}</h1>
      {params.get('sandi') === 'baru' && (
        <p className="ok" role="status">
          {t('recovery.changed')}
        </p>
      )}
      {params.get('sesi') === 'berakhir' && (
        <p className="note" role="status">
          {t('guard.expired')}
        </p>
      )}
      {reason && (
        <p className="note" role="status">
          {t(`auth.reason.${reason}`)}
        </p>
      )}
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      {passkeysSupported() && (
        <div className="stack passkey-sign-in">
          <button type="button" disabled={busy} onClick={() => void withPasskey(null)}>
            {t('passkeys.signIn')}
          </button>
          <p className="muted or">{t('passkeys.or')}</p>
        </div>
      )}
      <form onSubmit={submit} noValidate>
        <Field label={t('auth.email')} name="email" type="email" autoComplete="email" value={form.email} onChange={change('email')} errors={errors.fields.email} required />
        <Field label={t('auth.password')} name="password" type="password" autoComplete="current-password" value={form.password} onChange={change('password')} errors={errors.fields.password} required />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('auth.working') : t('auth.submitSignIn')}
        </button>
      </form>
      <p>
        <Link to="/sandi/lupa">{t('recovery.forgotLink')}</Link>
      </p>
      <p>
        {t('auth.noAccount')} <Link to={authPath('/daftar', next, reason)}>{t('nav.signUp')}</Link>
      </p>
    </section>
  );
}
