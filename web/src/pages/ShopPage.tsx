import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Page, ProductSummary, Shop } from '../api/types';
import { ProductCard } from '../components/ProductCard';
import { ErrorNote, Loading } from '../components/Alert';
import { FollowShopButton } from '../components/Favourites';
import { ReportButton } from '../moderation/ReportButton';
import { ChatButton } from '../chat/ChatButton';
import { ShopResponseRate } from '../chat/SellerChat';

export default function ShopPage() {
  const { slug = '' } = useParams();
  const { t } = useTranslation();
  const shop = useQuery({ queryKey: ['shop', slug], queryFn: () => api<Shop>(`/api/commerce/shops/${encodeURIComponent(slug)}`) });
  const products = useQuery({ queryKey: ['shop-products', slug], queryFn: () => api<Page<ProductSummary>>(`/api/commerce/products?shop=${encodeURIComponent(slug)}&limit=50`) });
  if (shop.isLoading) return <Loading />;
  if (!shop.data) return <ErrorNote error={shop.error} />;
  return (
    <section className="stack" aria-labelledby="shop-title">
      <div className="card">
        <h1 id="shop-title">{shop.data.name}</h1>
        <p className="muted">
          {shop.data.city}, {shop.data.province}
        </p>
        {shop.data.description && <p>{shop.data.description}</p>}
        <div className="favourite">
          <FollowShopButton shopId={shop.data.id} />
          <ChatButton shopId={shop.data.id} />
        </div>
        <ShopResponseRate shopId={shop.data.id} />
        <p>
          <ReportButton kind="shop" id={shop.data.id} />
        </p>
        {shop.data.commissionPercent > 0 && <p className="badge">{t('shop.affiliate', { percent: shop.data.commissionPercent })}</p>}
      </div>
      <h2>{t('shop.products')}</h2>
      <ErrorNote error={products.error} />
      <ul className="grid">
        {products.data?.items.map((p) => <ProductCard key={p.id} product={p} />)}
      </ul>
      {products.data?.items.length === 0 && <p className="muted">{t('shop.empty')}</p>}
    </section>
  );
}
