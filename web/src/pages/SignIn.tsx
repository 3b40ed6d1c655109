import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, type User } from '../api/client';
import { useSession } from '../api/session';
import { Field } from '../components/Field';
import { useFormErrors } from '../components/useFormErrors';
import { authPath, safeNext, signInReason } from '../lib/next';

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

  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    if (!errors.requireFilled(form)) return;
    setBusy(true);
    try {
      await api<{ user: User }>('/api/auth/login', { body: form });
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

  return (
    <section className="card" aria-labelledby="signin-title">
      <h1 id="signin-title">{t('auth.signInTitle')}</h1>
      {params.get('sandi') === 'baru' && (
        <p className="ok" role="status">
          {t('recovery.changed')}
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
      <form onSubmit={submit} noValidate>
        <Field label={t('auth.email')} name="email" type="email" autoComplete="email" value={form.email} onChange={(e) => {
            setForm({ ...form, email: e.target.value });
            errors.clearField('email');
          }} errors={errors.fields.email} required />
        <Field label={t('auth.password')} name="password" type="password" autoComplete="current-password" value={form.password} onChange={(e) => {
            setForm({ ...form, password: e.target.value });
            errors.clearField('password');
          }} errors={errors.fields.password} required />
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
