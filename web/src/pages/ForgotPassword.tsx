import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { Field } from '../components/Field';
import { useFormErrors } from '../components/useFormErrors';

export default function ForgotPassword() {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const [busy, setBusy] = useState(false);
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    errors.clear();
    try {
      await api('/api/auth/password/forgot', { body: { email } });
      setSent(true);
    } catch (error) {
      errors.show(error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="forgot-title">
      <h1 id="forgot-title">{t('recovery.forgotTitle')}</h1>
      {sent ? (
        <p className="ok" role="status">
          {t('recovery.sent', { email })}
        </p>
      ) : (
        <>
          <p>{t('recovery.forgotIntro')}</p>
          {errors.message && (
            <p className="alert" role="alert">
              {errors.message}
            </p>
          )}
          <form onSubmit={submit} noValidate>
            <Field label={t('auth.email')} name="email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} errors={errors.fields.email} required />
            <button type="submit" className="primary" disabled={busy}>
              {busy ? t('auth.working') : t('recovery.sendLink')}
            </button>
          </form>
        </>
      )}
      <p>
        <Link to="/masuk">{t('recovery.backToSignIn')}</Link>
      </p>
    </section>
  );
}
