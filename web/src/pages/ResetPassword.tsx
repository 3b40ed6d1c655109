import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { Field } from '../components/Field';
import { useFormErrors } from '../components/useFormErrors';

export default function ResetPassword() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const errors = useFormErrors();
  const [busy, setBusy] = useState(false);
  const [password, setPassword] = useState('');

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    errors.clear();
    try {
      await api('/api/auth/password/reset', { body: { token, password } });
      navigate('/masuk?sandi=baru');
    } catch (error) {
      errors.show(error, { 400: t('recovery.linkInvalid') });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="reset-title">
      <h1 id="reset-title">{t('recovery.resetTitle')}</h1>
      {errors.message && (
        <p className="alert" role="alert">
          {errors.fields.password ? t('errors.fixFields') : errors.message}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <Field label={t('recovery.newPassword')} name="password" type="password" autoComplete="new-password" hint={t('auth.passwordHint')} value={password} onChange={(e) => setPassword(e.target.value)} errors={errors.fields.password} required />
        <button type="submit" className="primary" disabled={busy || !token}>
          {busy ? t('auth.working') : t('recovery.save')}
        </button>
      </form>
      <p>
        <Link to="/sandi/lupa">{t('recovery.askAgain')}</Link>
      </p>
    </section>
  );
}
