import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Reply } from '../api/types';
import { Field } from '../components/Field';
import { Loading } from '../components/Alert';
import { RecoveryCodes } from '../components/RecoveryCodes';
import { RequireUser } from '../components/RequireUser';
import { fieldChange, useFormErrors } from '../components/useFormErrors';
import { EndOtherSessions } from './Sessions';
import { PasskeysSection } from './Passkeys';

type TotpStatus = Reply<'/api/auth/totp'>;

type Enrolment = Reply<'/api/auth/totp/enrol', 'post'>;

function TurnOn({ onDone }: { onDone(codes: string[]): void }) {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const [busy, setBusy] = useState(false);
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);

  async function start(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    if (!errors.requireFilled({ password })) return;
    setBusy(true);
    try {
      setEnrolment(await api<Enrolment>('/api/auth/totp/enrol', { body: { password } }));
      setPassword('');
    } catch (error) {
      errors.show(error, { 403: t('changeEmail.wrongPassword') });
    } finally {
      setBusy(false);
    }
  }

  async function confirm(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    if (!errors.requireFilled({ code })) return;
    setBusy(true);
    try {
      const { recoveryCodes } = await api<{ recoveryCodes: string[] }>('/api/auth/totp/confirm', { body: { code } });
      onDone(recoveryCodes);
    } catch (error) {
      errors.show(error, { 400: t('twoFactor.wrongCode') });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="stack">
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      {enrolment ? (
        <form onSubmit={confirm} noValidate className="stack">
          <p>{t('twoFactor.scan')}</p>
          <img className="qr" src={enrolment.qrCode} alt={t('twoFactor.qrAlt')} width={200} height={200} />
          <p className="muted">
            {t('twoFactor.orType')} <code className="secret">{enrolment.secret}</code>
          </p>
          <Field label={t('twoFactor.code')} name="code" inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => {
              setCode(e.target.value);
              errors.clearField('code');
            }} errors={errors.fields.code} required />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? t('auth.working') : t('twoFactor.confirm')}
          </button>
        </form>
      ) : (
        <form onSubmit={start} noValidate>
          <Field label={t('changeEmail.currentPassword')} name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => {
              setPassword(e.target.value);
              errors.clearField('password');
            }} errors={errors.fields.password} required />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? t('auth.working') : t('twoFactor.turnOn')}
          </button>
        </form>
      )}
    </div>
  );
}

function TurnOff({ onDone }: { onDone(): void }) {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const [busy, setBusy] = useState(false);
  const [code, setCode] = useState('');

  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    if (!errors.requireFilled({ code })) return;
    setBusy(true);
    try {
      await api('/api/auth/totp/disable', { body: { code } });
      onDone();
    } catch (error) {
      errors.show(error, { 400: t('twoFactor.wrongCode'), 429: t('twoFactor.slowDown') });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-labelledby="totp-off-title">
      <h3 id="totp-off-title">{t('twoFactor.turnOffTitle')}</h3>
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      <Field label={t('twoFactor.code')} hint={t('twoFactor.codeHint')} name="code" autoComplete="one-time-code" autoCapitalize="none" value={code} onChange={(e) => {
          setCode(e.target.value);
          errors.clearField('code');
        }} errors={errors.fields.code} required />
      <button type="submit" disabled={busy}>
        {busy ? t('auth.working') : t('twoFactor.turnOff')}
      </button>
    </form>
  );
}

function TwoFactor() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const status = useQuery({ queryKey: ['totp'], queryFn: () => api<TotpStatus>('/api/auth/totp') });
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const [changed, setChanged] = useState<'on' | 'off' | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ['totp'] });

  return (
    <section className="card stack" aria-labelledby="totp-title">
      <h2 id="totp-title">{t('twoFactor.title')}</h2>
      <p className="muted">{t('twoFactor.intro')}</p>
      {status.isLoading && <Loading />}
      {recoveryCodes && (
        <RecoveryCodes
          id="recovery-title"
          codes={recoveryCodes}
          intro={t('twoFactor.recoveryIntro')}
          before={
            <p className="ok" role="status">
              {t('twoFactor.on')}
            </p>
          }
          onSaved={() => setRecoveryCodes(null)}
        />
      )}
      {changed && <EndOtherSessions reason={t(changed === 'on' ? 'sessions.afterFactorOn' : 'sessions.afterFactorOff')} />}
      {status.data && !recoveryCodes && (
        <>
          <p>
            <strong>{status.data.enabled ? t('twoFactor.stateOn') : t('twoFactor.stateOff')}</strong>
            {status.data.enabled && <> · {t('twoFactor.codesLeft', { count: status.data.recoveryCodesLeft })}</>}
          </p>
          {changed === 'off' && (
            <p className="ok" role="status">
              {t('twoFactor.off')}
            </p>
          )}
          {status.data.enabled ? (
            <TurnOff
              onDone={() => {
                setChanged('off');
                void refresh();
              }}
            />
          ) : (
            <TurnOn
              onDone={(codes) => {
                setRecoveryCodes(codes);
                setChanged('on');
                void refresh();
              }}
            />
          )}
        </>
      )}
    </section>
  );
}

function ChangePassword() {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const [busy, setBusy] = useState(false);
  const [form, setForm] = useState({ password: '', newPassword: '' });
  const change = fieldChange(form, setForm, errors);
  const [changed, setChanged] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    if (!errors.requireFilled(form)) return;
    setBusy(true);
    try {
      await api('/api/auth/password/change', { body: form });
      setChanged(true);
      setForm({ password: '', newPassword: '' });
    } catch (error) {
      errors.show(error, { 403: t('changeEmail.wrongPassword') });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card stack" aria-labelledby="password-title">
      <h2 id="password-title">{t('security.passwordTitle')}</h2>
      {changed && <EndOtherSessions reason={t('sessions.afterPassword')} />}
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <Field label={t('changeEmail.currentPassword')} name="password" type="password" autoComplete="current-password" value={form.password} onChange={change('password')} errors={errors.fields.password} required />
        <Field label={t('recovery.newPassword')} name="newPassword" type="password" autoComplete="new-password" hint={t('auth.passwordHint')} value={form.newPassword} onChange={change('newPassword')} errors={errors.fields.newPassword} required />
        <button type="submit" disabled={busy}>
          {busy ? t('auth.working') : t('security.changePassword')}
        </button>
      </form>
    </section>
  );
}

export default function Security() {
  const { t } = useTranslation();
  return (
    <RequireUser>
      <div className="stack">
        <h1>{t('security.title')}</h1>
        <TwoFactor />
        <PasskeysSection />
        <ChangePassword />
        <p>
          <Link to="/saya/sesi">{t('nav.sessions')}</Link> · <Link to="/saya/email">{t('nav.changeEmail')}</Link>
        </p>
      </div>
    </RequireUser>
  );
}
