import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import { Field } from '../components/Field';
import { Loading } from '../components/Alert';
import { ConfirmButton } from '../components/ConfirmButton';
import { useFormErrors } from '../components/useFormErrors';
import { PasskeyCancelled, passkeysSupported, registerPasskey, type PasskeyItem } from '../lib/passkeys';
import { EndOtherSessions } from './Sessions';
import { RecoveryCodes } from '../components/RecoveryCodes';

/** The passkey words for a failed ceremony or call; undefined when the usual problem message fits. */
export function passkeyProblem(t: (key: string) => string, error: unknown): string | undefined {
  if (error instanceof PasskeyCancelled) return t('passkeys.cancelled');
  if (!(error instanceof ApiError)) return undefined;
  const slug = error.problem.type.split('/').pop();
  if (slug === 'passkey-rejected') return t('passkeys.rejected');
  if (slug === 'passkey-flow-expired') return t('passkeys.rejected');
  if (slug === 'passkey-registered') return t('passkeys.duplicate');
  if (slug === 'too-many-passkeys') return t('passkeys.tooMany');
  return undefined;
}

function AddPasskey({ onAdded }: { onAdded(recoveryCodes?: string[]): void }) {
  const { t } = useTranslation();
  const errors = useFormErrors();
  const [busy, setBusy] = useState(false);
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');

  async function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    if (!errors.requireFilled({ password })) return;
    setBusy(true);
    try {
      const added = await registerPasskey(password, name);
      setPassword('');
      setName('');
      onAdded(added.recoveryCodes);
    } catch (error) {
      const special = passkeyProblem(t, error);
      if (special) errors.set(special);
      else errors.show(error, { 403: t('changeEmail.wrongPassword') });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate className="stack" aria-labelledby="passkey-add-title">
      <h3 id="passkey-add-title">{t('passkeys.add')}</h3>
      <p className="muted">{t('passkeys.addIntro')}</p>
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
      <Field label={t('passkeys.name')} hint={t('passkeys.nameHint')} name="passkeyName" maxLength={60} autoComplete="off" value={name} onChange={(e) => {
          setName(e.target.value);
          errors.clearField('name');
        }} errors={errors.fields.name} />
      <Field label={t('changeEmail.currentPassword')} name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => {
          setPassword(e.target.value);
          errors.clearField('password');
        }} errors={errors.fields.password} required />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? t('auth.working') : t('passkeys.add')}
      </button>
    </form>
  );
}

function PasskeyRow({ passkey, onChanged }: { passkey: PasskeyItem; onChanged(what: 'renamed' | 'removed'): void }) {
  const { t, i18n } = useTranslation();
  const errors = useFormErrors();
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(passkey.name);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const when = new Intl.DateTimeFormat(i18n.language === 'en' ? 'en-GB' : 'id-ID', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Jakarta' });

  async function rename(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    if (!errors.requireFilled({ name })) return;
    setBusy(true);
    try {
      await api(`/api/auth/passkeys/${passkey.id}`, { method: 'PATCH', body: { name } });
      setRenaming(false);
      onChanged('renamed');
    } catch (error) {
      errors.show(error);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    errors.clear();
    setBusy(true);
    try {
      await api(`/api/auth/passkeys/${passkey.id}`, { method: 'DELETE', body: { password } });
      onChanged('removed');
    } catch (error) {
      errors.show(error, { 403: t('changeEmail.wrongPassword') });
    } finally {
      setPassword('');
      setBusy(false);
    }
  }

  return (
    <li className="session passkey" aria-label={passkey.name}>
      <div className="stack">
        {renaming ? (
          <form onSubmit={rename} noValidate className="row-form">
            <Field label={t('passkeys.newName', { name: passkey.name })} name="name" maxLength={60} value={name} onChange={(e) => {
                setName(e.target.value);
                errors.clearField('name');
              }} errors={errors.fields.name} required />
            <div className="actions">
              <button type="submit" className="primary" disabled={busy}>
                {t('common.save')}
              </button>
              <button type="button" onClick={() => {
                  setRenaming(false);
                  setName(passkey.name);
                  errors.clear();
                }}>
                {t('common.cancel')}
              </button>
            </div>
          </form>
        ) : (
          <div>
            <strong>{passkey.name}</strong>
            {passkey.backedUp && <span className="badge">{t('passkeys.synced')}</span>}
            <br />
            <small className="muted">
              {t('passkeys.created', { when: when.format(new Date(passkey.createdAt)) })} ·{' '}
              {passkey.lastUsedAt ? t('passkeys.lastUsed', { when: when.format(new Date(passkey.lastUsedAt)) }) : t('passkeys.neverUsed')}
            </small>
          </div>
        )}
        {errors.message && (
          <p className="alert" role="alert">
            {errors.message}
          </p>
        )}
      </div>
      {!renaming && (
        <div className="actions">
          <button type="button" onClick={() => setRenaming(true)} aria-label={t('passkeys.renameNamed', { name: passkey.name })}>
            {t('passkeys.rename')}
          </button>
          <ConfirmButton label={t('passkeys.remove')} title={t('passkeys.removeTitle')} confirmLabel={t('passkeys.removeConfirm')} onConfirm={remove} disabled={busy}>
            <p>{t('passkeys.removeBody', { name: passkey.name })}</p>
            <Field label={t('changeEmail.currentPassword')} hint={t('passkeys.removePassword')} name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
          </ConfirmButton>
        </div>
      )}
    </li>
  );
}

/** The account's passkeys on the security page: listed with when they were added and last used; added, renamed, removed. */
export function PasskeysSection() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const list = useQuery({ queryKey: ['passkeys'], queryFn: () => api<{ items: PasskeyItem[] }>('/api/auth/passkeys') });
  const [done, setDone] = useState<'added' | 'renamed' | 'removed' | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ['passkeys'] });
  const items = list.data?.items ?? [];

  return (
    <section className="card stack" aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">{t('passkeys.title')}</h2>
      <p className="muted">{t('passkeys.intro')}</p>
      {list.isLoading && <Loading />}
      {done && (
        <p className="ok" role="status">
          {t(`passkeys.${done}`)}
        </p>
      )}
      {recoveryCodes && <RecoveryCodes id="passkey-recovery-title" codes={recoveryCodes} intro={t('passkeys.recoveryIntro')} onSaved={() => setRecoveryCodes(null)} />}
      {done === 'added' && <EndOtherSessions reason={t('sessions.afterFactorOff')} />}
      {list.data && items.length === 0 && <p>{t('passkeys.none')}</p>}
      {items.length > 0 && (
        <ul className="plain sessions">
          {items.map((passkey) => (
            <PasskeyRow
              key={`${passkey.id}:${passkey.name}`}
              passkey={passkey}
              onChanged={(what) => {
                setDone(what);
                void refresh();
              }}
            />
          ))}
        </ul>
      )}
      {passkeysSupported() ? (
        <AddPasskey
          onAdded={(codes) => {
            setDone('added');
            if (codes) setRecoveryCodes(codes);
            void refresh();
          }}
        />
      ) : (
        <p className="note">{t('passkeys.unsupported')}</p>
      )}
    </section>
  );
}
