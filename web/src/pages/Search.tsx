import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Page, ProductSummary, Video } from '../api/types';
import { ProductCard } from '../components/ProductCard';
import { ErrorNote } from '../components/Alert';
import { VideoGrid } from '../components/VideoGrid';

export default function Search() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const tab = (params.get('tab') ?? 'products') as 'products' | 'videos' | 'hashtags';
  const [draft, setDraft] = useState(q);
  const products = useQuery({ queryKey: ['search-products', q], queryFn: () => api<Page<ProductSummary>>(`/api/commerce/products?q=${encodeURIComponent(q)}&limit=30`), enabled: !!q && tab === 'products' });
  const social = useQuery({
    queryKey: ['search-social', q],
    queryFn: () => api<{ items: Video[]; hashtags: { tag: string; videoCount: number }[] }>(`/api/social/search?q=${encodeURIComponent(q)}&limit=30`),
    enabled: !!q && tab !== 'products',
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setParams({ q: draft.trim(), tab });
  }

  return (
    <section className="stack" aria-labelledby="search-title">
      <h1 id="search-title">{t('search.title')}</h1>
      <form role="search" onSubmit={submit} className="inline-form">
        <label htmlFor="search-q" className="visually-hidden">
          {t('search.label')}
        </label>
        <input id="search-q" type="search" value={draft} placeholder={t('search.placeholder')} onChange={(e) => setDraft(e.target.value)} />
        <button type="submit" className="primary-inline">
          {t('search.submit')}
        </button>
      </form>
      <nav className="tabs light" aria-label={t('search.kinds')}>
        {(['products', 'videos', 'hashtags'] as const).map((k) => (
          <Link key={k} to={`/cari?q=${encodeURIComponent(q)}&tab=${k}`} aria-current={tab === k ? 'page' : undefined}>
            {t(`search.${k}`)}
          </Link>
        ))}
      </nav>
      {!q && <p className="muted">{t('search.hint')}</p>}
      <ErrorNote error={products.error ?? social.error} />
      {q && tab === 'products' && (
        <>
          <ul className="grid">{products.data?.items.map((p) => <ProductCard key={p.id} product={p} />)}</ul>
          {products.data?.items.length === 0 && <p className="muted">{t('search.none')}</p>}
        </>
      )}
      {q && tab === 'videos' && social.data && (social.data.items.length ? <VideoGrid videos={social.data.items} /> : <p className="muted">{t('search.none')}</p>)}
      {q && tab === 'hashtags' && social.data && (
        <ul className="plain">
          {social.data.hashtags.map((h) => (
            <li key={h.tag}>
              <Link to={`/cari?q=${encodeURIComponent('#' + h.tag)}&tab=videos`}>#{h.tag}</Link> <span className="muted">{t('search.videoCount', { count: h.videoCount })}</span>
            </li>
          ))}
          {social.data.hashtags.length === 0 && <li className="muted">{t('search.none')}</li>}
        </ul>
      )}
    </section>
  );
}
