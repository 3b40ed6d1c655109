import { useTranslation } from 'react-i18next';
import type { ProductSummary } from '../api/types';
import { ProductCard } from '../components/ProductCard';
import { RequireUser } from '../components/RequireUser';
import { SavedList } from '../components/SavedList';

export default function Wishlist() {
  const { t } = useTranslation();
  return (
    <RequireUser>
      <SavedList<ProductSummary>
        id="wishlist"
        url="/api/commerce/wishlist"
        title={t('favourites.wishlistTitle')}
        empty={t('favourites.wishlistEmpty')}
        listClass="grid"
        render={(p) => <ProductCard key={p.id} product={p} />}
      />
    </RequireUser>
  );
}
