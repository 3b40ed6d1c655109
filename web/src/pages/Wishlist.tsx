import { useInfiniteQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Page, ProductSummary } from '../api/types';
import { ProductCard } from '../components/ProductCard';
import { ErrorNote, Loading } from '../components/Alert';
import { RequireUser } from '../components/RequireUser';

function WishlistItems() {
  const { t } = useTranslation();
  const pages = useInfiniteQuery({
    queryKey: ['wishlist'],
    queryFn: ({ pageParam }) => api<Page<ProductSummary>>(`/api/commerce/wishlist?limit=30${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = pages.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="stack" aria-labelledby="wishlist-title">
      <h1 id="wishlist-title">{t('favourites.wishlistTitle')}</h1>
      {pages.isLoading && <Loading />}
      <ErrorNote error={pages.error} />
      {pages.data && items.length === 0 && (
        <p className="card">
          {t('favourites.wishlistEmpty')} <Link to="/cari">{t('favourites.browse')}</Link>
        </p>
      )}
      <ul className="grid">
        {items.map((p) => (
          <ProductCard key={p.id} product={p} />
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

export default function Wishlist() {
  return (
    <RequireUser>
      <WishlistItems />
    </RequireUser>
  );
}
