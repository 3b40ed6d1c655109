import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Live, Page, ProductSummary, StreamAccess } from '../api/types';
import { formatDateTime, formatIdrRange } from '../lib/format';
import { ErrorNote } from '../components/Alert';
import { EmailNotVerified } from '../guards/Guards';
import { isProblem } from '../guards/reauth';
import { useFormErrors } from '../components/useFormErrors';
import { Field } from '../components/Field';
import { CameraLive } from './CameraLive';

/** A value with a copy button (the stream key, the server URL). */
function CopyField({ id, label, value, secret }: { id: string; label: string; value: string; secret?: boolean }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState(false);
  const [shown, setShown] = useState(!secret);
  return (
    <div className="stack-tight">
      <label htmlFor={id}>{label}</label>
      <div className="inline-form">
        <input id={id} readOnly type={shown ? 'text' : 'password'} value={value} data-testid={id} onFocus={(e) => e.currentTarget.select()} />
        {secret && (
          <button type="button" className="small-btn" onClick={() => setShown(!shown)}>
            {shown ? t('live.hide') : t('live.show')}
          </button>
        )}
        <button
          type="button"
          className="small-btn"
          onClick={() => void navigator.clipboard?.writeText(value).then(() => setCopied(true), () => setCopied(false))}
        >
          {t('live.copy')}
          <span className="visually-hidden"> {label}</span>
        </button>
      </div>
      {copied && (
        <p className="ok small" role="status">
          {t('live.copied')}
        </p>
      )}
    </div>
  );
}

/** Where to publish, the secret key, and how to set up OBS and Larix. */
export function StreamSetup({ access, liveId, onRotated }: { access: StreamAccess; liveId: string; onRotated(access: StreamAccess): void }) {
  const { t } = useTranslation();
  const rotate = useMutation({ mutationFn: () => api<StreamAccess>(`/api/social/lives/${liveId}/key`, { method: 'POST', body: {} }), onSuccess: onRotated });
  return (
    <section className="card stack" aria-labelledby="stream-setup-title">
      <h2 id="stream-setup-title">{t('live.setupTitle')}</h2>
      <p className="muted">{t('live.keySecret')}</p>
      {access.rtmpUrl ? <CopyField id="rtmp-url" label={t('live.server')} value={access.rtmpUrl} /> : <p className="alert">{t('live.noRtmp')}</p>}
      <CopyField id="stream-key" label={t('live.streamKey')} value={access.streamKey} secret />
      <button type="button" disabled={rotate.isPending} onClick={() => rotate.mutate()}>
        {t('live.rotate')}
      </button>
      <EmailNotVerified error={rotate.error} reason={t('guard.liveNeedsEmail')} />
      {!isProblem(rotate.error, 'email-not-verified') && <ErrorNote error={rotate.error} />}
      <h3>{t('live.obsTitle')}</h3>
      <ol className="steps">
        <li>{t('live.obs1')}</li>
        <li>{t('live.obs2')}</li>
        <li>{t('live.obs3')}</li>
        <li>{t('live.obs4')}</li>
      </ol>
      <h3>{t('live.larixTitle')}</h3>
      <ol className="steps">
        <li>{t('live.larix1')}</li>
        <li>{t('live.larix2')}</li>
        <li>{t('live.larix3')}</li>
      </ol>
      <Link className="button primary" to={`/live/${liveId}`}>
        {t('live.openConsole')}
      </Link>
    </section>
  );
}

export function GoLive() {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const errors = useFormErrors();
  const [title, setTitle] = useState('');
  const [when, setWhen] = useState<'now' | 'later'>('now');
  const [at, setAt] = useState('');
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const [chosen, setChosen] = useState<{ id: string; title: string }[]>([]);
  const [created, setCreated] = useState<{ live: Live; access: StreamAccess } | null>(null);
  const mine = useQuery({ queryKey: ['my-lives'], queryFn: () => api<{ items: Live[] }>('/api/social/me/lives') });
  const results = useQuery({ queryKey: ['live-product-search', query], queryFn: () => api<Page<ProductSummary>>(`/api/commerce/products?q=${encodeURIComponent(query)}&limit=10`), enabled: !!query });
  const create = useMutation({
    mutationFn: () =>
      api<{ live: Live; rtmpUrl: string | null; streamKey: string }>('/api/social/lives', {
        body: { title, productIds: chosen.map((c) => c.id), ...(when === 'later' && at ? { scheduledAt: new Date(at).toISOString() } : {}) },
      }),
    onSuccess: (body) => {
      errors.clear();
      setCreated({ live: body.live, access: { rtmpUrl: body.rtmpUrl, streamKey: body.streamKey } });
      void client.invalidateQueries({ queryKey: ['my-lives'] });
    },
    onError: (error) => {
      if (isProblem(error, 'email-not-verified')) errors.clear();
      else errors.show(error, { 403: t('live.productNotAllowed') });
    },
  });
  if (created) {
    return (
      <div className="stack">
        <CameraLive liveId={created.live.id} />
        <StreamSetup access={created.access} liveId={created.live.id} onRotated={(access) => setCreated({ ...created, access })} />
      </div>
    );
  }
  return (
    <div className="stack">
      <section className="card stack" aria-labelledby="go-live-title">
        <h2 id="go-live-title">{t('live.goLive')}</h2>
        <p className="muted">{t('live.goLiveIntro')}</p>
        <form
          className="stack"
          noValidate
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <Field label={t('live.titleLabel')} name="title" value={title} maxLength={120} required onChange={(e) => (setTitle(e.target.value), errors.clearField('title'))} errors={errors.fields.title} />
          <fieldset className="stack-tight">
            <legend>{t('live.when')}</legend>
            <label>
              <input type="radio" name="when" checked={when === 'now'} onChange={() => setWhen('now')} /> {t('live.now')}
            </label>
            <label>
              <input type="radio" name="when" checked={when === 'later'} onChange={() => setWhen('later')} /> {t('live.later')}
            </label>
            {when === 'later' && (
              <>
                <Field label={t('live.at')} name="scheduledAt" type="datetime-local" value={at} onChange={(e) => (setAt(e.target.value), errors.clearField('scheduledAt'))} errors={errors.fields.scheduledAt} />
              </>
            )}
          </fieldset>
          <fieldset className="stack-tight">
            <legend>{t('live.products')}</legend>
            <ul className="plain">
              {chosen.map((c) => (
                <li key={c.id} className="tagged">
                  {c.title}
                  <button type="button" className="small-btn" onClick={() => setChosen(chosen.filter((x) => x.id !== c.id))}>
                    {t('studio.untag')}
                    <span className="visually-hidden"> {c.title}</span>
                  </button>
                </li>
              ))}
              {chosen.length === 0 && <li className="muted">{t('live.noProducts')}</li>}
            </ul>
            <div className="inline-form">
              <label htmlFor="live-q" className="visually-hidden">
                {t('studio.findProduct')}
              </label>
              <input id="live-q" type="search" placeholder={t('studio.findProduct')} value={q} onChange={(e) => setQ(e.target.value)} />
              <button type="button" onClick={() => setQuery(q.trim())}>
                {t('search.submit')}
              </button>
            </div>
            <ul className="plain">
              {results.data?.items
                .filter((p) => !chosen.some((c) => c.id === p.id))
                .map((p) => (
                  <li key={p.id} className="tagged">
                    {p.title} · {formatIdrRange(p.priceMinIdr, p.priceMaxIdr)} · {p.shopName}
                    <button type="button" className="small-btn" onClick={() => setChosen([...chosen, { id: p.id, title: p.title }])}>
                      {t('live.addProduct')}
                      <span className="visually-hidden"> {p.title}</span>
                    </button>
                  </li>
                ))}
            </ul>
            {errors.fields.productIds && (
              <p className="error" role="alert">
                {errors.fields.productIds.join(' ')}
              </p>
            )}
          </fieldset>
          {errors.message && (
            <p className="alert" role="alert">
              {errors.message}
            </p>
          )}
          <EmailNotVerified error={create.error} reason={t('guard.liveNeedsEmail')} />
          <button type="submit" className="primary" disabled={create.isPending}>
            {t('live.create')}
          </button>
        </form>
      </section>
      <section className="card stack" aria-labelledby="my-lives-title">
        <h2 id="my-lives-title">{t('live.myLives')}</h2>
        {mine.data?.items.length === 0 && <p className="muted">{t('live.noLives')}</p>}
        <ul className="plain stack">
          {mine.data?.items.map((l) => (
            <li key={l.id} className="sum-line">
              <Link to={`/live/${l.id}`}>{l.title}</Link>
              <span className="muted small">
                {t(`live.status.${l.status}`)} · {formatDateTime(l.scheduledAt, i18n.language)}
              </span>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
