import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import type { Page, ProductSummary, Video } from '../api/types';
import { formatIdrRange } from '../lib/format';
import { ErrorNote, Loading } from '../components/Alert';
import { useFormErrors } from '../components/useFormErrors';
import { Icon } from '../components/Icon';
import { ConfirmButton } from '../components/ConfirmButton';
import { useLinked } from './Affiliate';

function TagProducts({ video }: { video: Video }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const errors = useFormErrors();
  // Once linked, a refusal is the shop's (it pays no commission), not a missing set-up.
  const linked = useLinked();
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const results = useQuery({ queryKey: ['tag-search', query], queryFn: () => api<Page<ProductSummary>>(`/api/commerce/products?q=${encodeURIComponent(query)}&limit=10`), enabled: !!query });
  const untag = useMutation({
    mutationFn: (productId: string) => api(`/api/social/videos/${video.id}/product-tags/${productId}`, { method: 'DELETE' }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['video', video.id] }),
    onError: (error) => errors.show(error),
  });
  const tag = useMutation({
    mutationFn: (productId: string) => api(`/api/social/videos/${video.id}/product-tags`, { body: { productId } }),
    onSuccess: () => {
      errors.clear();
      void client.invalidateQueries({ queryKey: ['video', video.id] });
    },
    onError: (error) => errors.show(error, { 403: linked.data ? t('newcomer.tagNoProgramme') : t('studio.tagNotAllowed'), 409: t('studio.tagConflict') }),
  });
  return (
    <section className="card stack" aria-labelledby="tags-title">
      <h2 id="tags-title">{t('studio.tags')}</h2>
      <p className="muted">{t('studio.tagsIntro')}</p>
      <ul className="plain">
        {video.productTags.map((p) => (
          <li key={p.productId} className="tagged">
            <Icon name="cart" size={16} /> {p.title} · {formatIdrRange(p.priceMinIdr, p.priceMaxIdr)} · {p.shopName}
            <button type="button" className="small-btn" disabled={untag.isPending} onClick={() => untag.mutate(p.productId)}>
              {t('studio.untag')}
              <span className="visually-hidden"> {p.title}</span>
            </button>
          </li>
        ))}
        {video.productTags.length === 0 && <li className="muted">{t('studio.noTags')}</li>}
      </ul>
      <form
        className="inline-form"
        role="search"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          setQuery(q.trim());
        }}
      >
        <label htmlFor="tag-q" className="visually-hidden">
          {t('studio.findProduct')}
        </label>
        <input id="tag-q" type="search" placeholder={t('studio.findProduct')} value={q} onChange={(e) => setQ(e.target.value)} />
        <button type="submit" className="primary-inline">
          {t('search.submit')}
        </button>
      </form>
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
          {tag.error instanceof ApiError && tag.error.problem.status === 403 && !linked.data && (
            <>
              {' '}
              <Link to="/studio/afiliasi">{t('studio.setUpLink')}</Link>
            </>
          )}
        </p>
      )}
      <ErrorNote error={results.error} />
      <ul className="plain stack">
        {results.data?.items.map((p) => (
          <li key={p.id} className="sum-line">
            <span>
              {p.title} · {formatIdrRange(p.priceMinIdr, p.priceMaxIdr)} <span className="muted small">· {p.shopName}</span>
            </span>
            <button type="button" disabled={tag.isPending || video.productTags.some((x) => x.productId === p.id)} onClick={() => tag.mutate(p.id)}>
              {video.productTags.some((x) => x.productId === p.id) ? t('studio.tagged') : t('studio.tag')}
              <span className="visually-hidden"> {p.title}</span>
            </button>
          </li>
        ))}
        {results.data?.items.length === 0 && <li className="muted">{t('search.none')}</li>}
      </ul>
    </section>
  );
}

export function VideoManage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const video = useQuery({
    queryKey: ['video', id],
    queryFn: () => api<Video>(`/api/social/videos/${id}`),
    refetchInterval: (query) => (query.state.data?.status === 'processing' ? 1500 : false),
  });
  const remove = useMutation({
    mutationFn: () => api(`/api/social/videos/${id}`, { method: 'DELETE' }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['my-videos'] });
      navigate('/studio', { replace: true });
    },
  });
  if (video.isLoading) return <Loading />;
  if (!video.data) return <ErrorNote error={video.error} />;
  const v = video.data;
  return (
    <div className="stack">
      <section className="card stack" aria-labelledby="video-status-title">
        <h2 id="video-status-title">{v.caption || t('feed.video')}</h2>
        <p role="status" className={`status status-${v.status}`} data-status={v.status}>
          {t(`studio.status.${v.status}`)}
        </p>
        {v.status === 'processing' && <progress aria-label={t('studio.status.processing')} />}
        {v.status === 'failed' && <p className="alert">{t('studio.failedHint')}</p>}
        {v.status === 'ready' && (
          <>
            {v.posterUrl && <img src={v.posterUrl} alt="" className="poster" />}
            <Link to={`/video/${v.id}`}>{t('studio.watch')}</Link>
          </>
        )}
        <ErrorNote error={remove.error} />
        <ConfirmButton
          label={t('studio.deleteVideo')}
          title={t('studio.confirmDelete.title')}
          confirmLabel={t('studio.confirmDelete.confirm')}
          disabled={remove.isPending}
          onConfirm={() => remove.mutate()}
        >
          <p>{t('studio.confirmDelete.body', { count: v.counts.views })}</p>
        </ConfirmButton>
      </section>
      {v.status === 'ready' && <TagProducts video={v} />}
    </div>
  );
}
