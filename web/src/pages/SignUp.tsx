import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, type User } from '../api/client';
import { useSession } from '../api/session';
import { Field } from '../components/Field';
import { fieldChange, useFormErrors } from '../components/useFormErrors';
import { authPath, safeNext, signInReason } from '../lib/next';

export default function SignUp() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const reason = signInReason(params.get('alasan'));
  const target = next ?? '/';
  const session = useSession();
  const errors = useFormErrors();
  const [busy, setBusy] = useState(false);
  const [form, setForm] = useState({ email: '', password: '', handle: '', displayName: '' });
  const set = fieldChange(form, setForm, errors);

  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    if (!errors.requireFilled(form)) return;
    setBusy(true);
    try {
      await api<{ user: User }>('/api/auth/register', { body: { ...form, locale: i18n.language } });
      await session.refresh();
      // Replaced, so Back from where they land does not show this form again.
      navigate(target, { replace: true });
    } catch (error) {
      errors.show(error);
    } finally {
      setBusy(false);
    }
  }

  // Someone already signed in (Back after a purchase, an old link) goes where this form would send them.
  if (session.user && !busy) return <Navigate to={target} replace />;

  return (
    <section className="card" aria-labelledby="signup-title">
      <h1 id="signup-title">{t('auth.signUpTitle')}</h1>
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
        <Field label={t('auth.displayName')} name="displayName" autoComplete="name" value={form.displayName} onChange={set('displayName')} errors={errors.fields.displayName} required />
        <Field label={t('auth.handle')} hint={t('auth.handleHint')} name="handle" autoComplete="username" autoCapitalize="none" value={form.handle} onChange={set('handle')} errors={errors.fields.handle} required />
        <Field label={t('auth.email')} name="email" type="email" autoComplete="email" value={form.email} onChange={set('email')} errors={errors.fields.email} required />
        <Field label={t('auth.password')} hint={t('auth.passwordHint')} name="password" type="password" autoComplete="new-password" value={form.password} onChange={set('password')} errors={errors.fields.password} required />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('auth.working') : t('auth.submitSignUp')}
        </button>
      </form>
      <p>
        {t('auth.haveAccount')} <Link to={authPath('/masuk', next, reason)}>{t('nav.signIn')}</Link>
      </p>
    </section>
  );
}
