import { useInfiniteQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Page, Shop } from '../api/types';
import { FollowShopButton } from '../components/Favourites';
import { ErrorNote, Loading } from '../components/Alert';
import { RequireUser } from '../components/RequireUser';

function FollowedShopList() {
  const { t } = useTranslation();
  const pages = useInfiniteQuery({
    queryKey: ['followed-shops'],
    queryFn: ({ pageParam }) => api<Page<Shop>>(`/api/commerce/me/followed-shops?limit=30${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = pages.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="stack" aria-labelledby="followed-shops-title">
      <h1 id="followed-shops-title">{t('favourites.shopsTitle')}</h1>
      {pages.isLoading && <Loading />}
      <ErrorNote error={pages.error} />
      {pages.data && items.length === 0 && (
        <p className="card">
          {t('favourites.shopsEmpty')} <Link to="/cari">{t('favourites.browse')}</Link>
        </p>
      )}
      <ul className="plain stack">
        {items.map((shop) => (
          <li key={shop.id} className="card stack" data-shop={shop.slug}>
            <p>
              <Link to={`/toko/${shop.slug}`}>
                <strong>{shop.name}</strong>
              </Link>
              <span className="muted small"> · {shop.city}</span>
            </p>
            <FollowShopButton shopId={shop.id} />
          </li>
        ))}
      </ul>
      {pages.hasNextPage && (
        <button type="button" onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
          {t('favourites.more')}
        </button>
      )}
    </section>
  );
}

export default function FollowedShops() {
  return (
    <RequireUser>
      <FollowedShopList />
    </RequireUser>
  );
}
