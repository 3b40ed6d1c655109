import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Consent, PrivacyExport, Reply } from '../api/types';
import { useSession } from '../api/session';
import { formatDateTime } from '../lib/format';
import { ErrorNote, Loading } from '../components/Alert';
import { RequireUser } from '../components/RequireUser';


function Consents() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const client = useQueryClient();
  const consents = useQuery({ queryKey: ['consents'], queryFn: () => api<{ items: Consent[] }>('/api/privacy/consents') });
  const toggle = useMutation({
    mutationFn: ({ purpose, granted }: { purpose: string; granted: boolean }) => api<Consent>(`/api/privacy/consents/${purpose}`, { method: 'PUT', body: { granted } }),
    // The switch moves at once; the ledger's answer (or a refetch after an error) settles it.
    onMutate: async ({ purpose, granted }) => {
      // A fetch still in flight must not land after this and flip the switch back.
      await client.cancelQueries({ queryKey: ['consents'] });
      client.setQueryData<{ items: Consent[] }>(['consents'], (old) => old && { items: old.items.map((c) => (c.purpose === purpose ? { ...c, granted } : c)) });
    },
    onSuccess: (saved) => client.setQueryData<{ items: Consent[] }>(['consents'], (old) => old && { items: old.items.map((c) => (c.purpose === saved.purpose ? saved : c)) }),
    onError: () => void client.invalidateQueries({ queryKey: ['consents'] }),
  });
  return (
    <section className="card stack" aria-labelledby="consents-title">
      <h2 id="consents-title">{t('privacy.consents')}</h2>
      <p className="muted">{t('privacy.consentsIntro')}</p>
      {consents.isLoading && <Loading />}
      <ErrorNote error={consents.error ?? toggle.error} />
      <ul className="plain stack">
        {consents.data?.items.map((c) => (
          <li key={c.purpose} className="consent">
            <label className="switch wide">
              <span>
                <strong>{t(`privacy.purpose.${c.purpose}.title`, { defaultValue: lang === 'en' ? c.title.en : c.title.id })}</strong>
                <span className="muted small block">{t(`privacy.purpose.${c.purpose}.body`, { defaultValue: lang === 'en' ? c.description.en : c.description.id })}</span>
                {c.updatedAt && <span className="muted small block">{t('privacy.changedAt', { at: formatDateTime(c.updatedAt, i18n.language) })}</span>}
              </span>
              <input type="checkbox" role="switch" checked={c.granted} disabled={toggle.isPending} onChange={() => toggle.mutate({ purpose: c.purpose, granted: !c.granted })} />
            </label>
          </li>
        ))}
      </ul>
    </section>
  );
}

function DataExport() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const exports = useQuery({ queryKey: ['exports'], queryFn: () => api<{ items: PrivacyExport[] }>('/api/privacy/exports') });
  const latest = [...(exports.data?.items ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  const exportId = latest?.id;
  const start = useMutation({
    mutationFn: () => api<{ id: string }>('/api/privacy/exports', { method: 'POST', body: {} }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['exports'] }),
  });
  const status = useQuery({
    queryKey: ['export', exportId],
    queryFn: () => api<PrivacyExport>(`/api/privacy/exports/${exportId}`),
    enabled: !!exportId,
    retry: false,
    refetchInterval: (query) => (query.state.data?.status === 'pending' ? 1500 : false),
  });
  return (
    <section className="card stack" aria-labelledby="export-title">
      <h2 id="export-title">{t('privacy.export')}</h2>
      <p className="muted">{t('privacy.exportIntro')}</p>
      <ErrorNote error={start.error ?? exports.error} />
      {status.data && (
        <p role="status" className={`status status-${status.data.status}`}>
          {t(`privacy.exportStatus.${status.data.status}`)}
        </p>
      )}
      {status.data?.status === 'ready' && status.data.downloadUrl && (
        <a className="button primary" href={status.data.downloadUrl} download>
          {t('privacy.download')}
        </a>
      )}
      <button type="button" className={status.data?.status === 'ready' ? '' : 'primary'} disabled={start.isPending || status.data?.status === 'pending'} onClick={() => start.mutate()}>
        {exportId ? t('privacy.exportAgain') : t('privacy.exportStart')}
      </button>
    </section>
  );
}

type ErasurePreview = Reply<'/api/privacy/erasure'>;

function DeleteAccount() {
  const { t } = useTranslation();
  const { user, signOut } = useSession();
  const client = useQueryClient();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState('');
  const [wait, setWait] = useState(true);
  const [cancelled, setCancelled] = useState(false);
  const preview = useQuery({ queryKey: ['erasure'], queryFn: () => api<ErasurePreview>('/api/privacy/erasure') });
  const open = preview.data?.openOrders ?? { asBuyer: 0, asSeller: 0 };
  const anyOpen = open.asBuyer + open.asSeller > 0;
  const erase = useMutation({
    mutationFn: (afterOpenOrders: boolean) => api<{ waitingForOrders: boolean }>(`/api/me${afterOpenOrders ? '?afterOpenOrders=true' : ''}`, { method: 'DELETE' }),
    onSuccess: async (result) => {
      if (result.waitingForOrders) {
        void client.invalidateQueries({ queryKey: ['erasure'] });
        setConfirming(false);
        return;
      }
      // The account is going: this browser's session ends now, not when the erasure finishes, so
      // the person is signed out everywhere the app looks (the sign-in page included).
      await signOut().catch(() => {
        client.setQueryData(['me'], null);
      });
      navigate('/?akun=dihapus');
    },
  });
  const cancelWaiting = useMutation({
    mutationFn: () => api('/api/privacy/erasure', { method: 'DELETE' }),
    onSuccess: () => {
      setCancelled(true);
      setTyped('');
      void client.invalidateQueries({ queryKey: ['erasure'] });
    },
    // Gone already (another tab) or begun: the page shows what is true now.
    onError: () => void client.invalidateQueries({ queryKey: ['erasure'] }),
  });
  if (preview.data?.pending?.waitingForOrders) {
    return (
      <section className="card stack danger-zone" aria-labelledby="delete-title">
        <h2 id="delete-title">{t('privacy.delete')}</h2>
        <p role="status" className="note">
          {t('privacy.deleteWaiting', { count: open.asBuyer + open.asSeller })}
        </p>
        <p className="muted small">{t('privacy.cancelWaitingHint')}</p>
        <ErrorNote error={cancelWaiting.error} />
        <div className="actions">
          <button type="button" disabled={cancelWaiting.isPending} onClick={() => cancelWaiting.mutate()}>
            {cancelWaiting.isPending ? t('auth.working') : t('privacy.cancelWaiting')}
          </button>
        </div>
      </section>
    );
  }
  return (
    <section className="card stack danger-zone" aria-labelledby="delete-title">
      <h2 id="delete-title">{t('privacy.delete')}</h2>
      {cancelled && (
        <p role="status" className="ok">
          {t('privacy.waitingCancelled')}
        </p>
      )}
      <p className="muted">{t('privacy.deleteIntro')}</p>
      <ErrorNote error={preview.error} />
      {anyOpen && (
        <div className="note stack" data-testid="open-orders">
          {open.asBuyer > 0 && <p>{t('privacy.openAsBuyer', { count: open.asBuyer })}</p>}
          {open.asSeller > 0 && <p>{t('privacy.openAsSeller', { count: open.asSeller })}</p>}
        </div>
      )}
      {!confirming ? (
        <button
          type="button"
          className="danger"
          disabled={preview.isLoading}
          onClick={() => {
            setCancelled(false);
            setConfirming(true);
          }}
        >
          {t('privacy.deleteStart')}
        </button>
      ) : (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            if (typed === user?.handle) erase.mutate(anyOpen && wait);
          }}
        >
          {anyOpen && (
            <fieldset className="stack">
              <legend>{t('privacy.whenLegend')}</legend>
              <label className="option">
                <input type="radio" name="when" checked={wait} onChange={() => setWait(true)} />
                <span>{t('privacy.whenWait')}</span>
              </label>
              <label className="option">
                <input type="radio" name="when" checked={!wait} onChange={() => setWait(false)} />
                <span>{t('privacy.whenNow')}</span>
              </label>
            </fieldset>
          )}
          <label className="field">
            {t('privacy.deleteConfirmLabel', { handle: user?.handle })}
            <input value={typed} onChange={(e) => setTyped(e.target.value)} autoCapitalize="none" autoComplete="off" />
          </label>
          <ErrorNote error={erase.error} />
          <div className="actions">
            <button type="button" onClick={() => setConfirming(false)}>
              {t('common.cancel')}
            </button>
            <button type="submit" className="danger" disabled={typed !== user?.handle || erase.isPending}>
              {anyOpen && wait ? t('privacy.deleteConfirmLater') : t('privacy.deleteConfirm')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

export default function Privacy() {
  const { t } = useTranslation();
  return (
    <RequireUser>
      <section className="stack" aria-labelledby="privacy-title">
        <h1 id="privacy-title">{t('privacy.title')}</h1>
        <p>{t('privacy.intro')}</p>
        <Consents />
        <DataExport />
        <DeleteAccount />
      </section>
    </RequireUser>
  );
}
