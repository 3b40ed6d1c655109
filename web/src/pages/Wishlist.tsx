import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { usePagedList } from '../lib/paged';
import type { ProductSummary } from '../api/types';
import { ProductCard } from '../components/ProductCard';
import { ErrorNote, Loading } from '../components/Alert';
import { RequireUser } from '../components/RequireUser';

function WishlistItems() {
  const { t } = useTranslation();
  const pages = usePagedList<ProductSummary>('wishlist', '/api/commerce/wishlist');
  const { items } = pages;
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
