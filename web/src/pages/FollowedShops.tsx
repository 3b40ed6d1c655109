import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { usePagedList } from '../lib/paged';
import type { Shop } from '../api/types';
import { FollowShopButton } from '../components/Favourites';
import { ErrorNote, Loading } from '../components/Alert';
import { RequireUser } from '../components/RequireUser';

function FollowedShopList() {
  const { t } = useTranslation();
  const pages = usePagedList<Shop>('followed-shops', '/api/commerce/me/followed-shops');
  const { items } = pages;
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
