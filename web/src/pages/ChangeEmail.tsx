import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { Field } from '../components/Field';
import { RequireUser } from '../components/RequireUser';
import { fieldChange, useFormErrors } from '../components/useFormErrors';

function ChangeEmailForm() {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const [busy, setBusy] = useState(false);
  const [form, setForm] = useState({ newEmail: '', password: '' });
  const change = fieldChange(form, setForm, errors);
  const [sentTo, setSentTo] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    if (!errors.requireFilled(form)) return;
    setBusy(true);
    try {
      await api('/api/auth/email/change', { body: form });
      setSentTo(form.newEmail.trim());
      setForm({ newEmail: '', password: '' });
    } catch (error) {
      errors.show(error, { 403: t('changeEmail.wrongPassword'), 409: t('changeEmail.taken') });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card stack" aria-labelledby="change-email-title">
      <h1 id="change-email-title">{t('changeEmail.title')}</h1>
      <p className="muted">{t('changeEmail.intro')}</p>
      {sentTo && (
        <p className="ok" role="status">
          {t('changeEmail.sent', { email: sentTo })}
        </p>
      )}
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <Field label={t('changeEmail.newEmail')} name="newEmail" type="email" autoComplete="email" value={form.newEmail} onChange={change('newEmail')} errors={errors.fields.newEmail} required />
        <Field label={t('changeEmail.currentPassword')} name="password" type="password" autoComplete="current-password" value={form.password} onChange={change('password')} errors={errors.fields.password} required />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('auth.working') : t('changeEmail.submit')}
        </button>
      </form>
      <p>
        <Link to="/saya">{t('verify.toAccount')}</Link>
      </p>
    </section>
  );
}

export default function ChangeEmail() {
  return (
    <RequireUser>
      <ChangeEmailForm />
    </RequireUser>
  );
}
