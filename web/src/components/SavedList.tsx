import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { usePagedList } from '../lib/paged';
import { ErrorNote, Loading } from './Alert';

interface SavedListProps<T> {
  id: string;
  url: string;
  title: string;
  empty: string;
  listClass: string;
  render: (item: T) => ReactNode;
}

/** A list a person keeps under Saya (followed shops, Favorit): paged, with its empty state and "more". */
export function SavedList<T>({ id, url, title, empty, listClass, render }: SavedListProps<T>) {
  const { t } = useTranslation();
  const pages = usePagedList<T>(id, url);
  const { items } = pages;
  return (
    <section className="stack" aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`}>{title}</h1>
      {pages.isLoading && <Loading />}
      <ErrorNote error={pages.error} />
      {pages.data && items.length === 0 && (
        <p className="card">
          {empty} <Link to="/cari">{t('favourites.browse')}</Link>
        </p>
      )}
      <ul className={listClass}>{items.map(render)}</ul>
      {pages.hasNextPage && (
        <button type="button" onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
          {t('favourites.more')}
        </button>
      )}
    </section>
  );
}
