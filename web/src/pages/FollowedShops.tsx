import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { Shop } from '../api/types';
import { FollowShopButton } from '../components/Favourites';
import { RequireUser } from '../components/RequireUser';
import { SavedList } from '../components/SavedList';

export default function FollowedShops() {
  const { t } = useTranslation();
  return (
    <RequireUser>
      <SavedList<Shop>
        id="followed-shops"
        url="/api/commerce/me/followed-shops"
        title={t('favourites.shopsTitle')}
        empty={t('favourites.shopsEmpty')}
        listClass="plain stack"
        render={(shop) => (
          <li key={shop.id} className="card stack" data-shop={shop.slug}>
            <p>
              <Link to={`/toko/${shop.slug}`}>
                <strong>{shop.name}</strong>
              </Link>
              <span className="muted small"> · {shop.city}</span>
            </p>
            <FollowShopButton shopId={shop.id} />
          </li>
        )}
      />
    </RequireUser>
  );
}
