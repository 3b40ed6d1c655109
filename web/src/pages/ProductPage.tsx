import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Page, Product, Review, Shop } from '../api/types';
import { useSession } from '../api/session';
import { formatIdr, formatIdrRange } from '../lib/format';
import { saveBuyNow, savePendingCart } from '../lib/buy';
import { authPath } from '../lib/next';
import { QuantityField } from '../components/QuantityField';
import { ErrorNote, Loading } from '../components/Alert';
import { Icon } from '../components/Icon';
import { FollowShopButton, WishlistButton } from '../components/Favourites';
import { ReviewItem } from '../components/ReviewItem';
import { FlashDealCard, useFlashDeals } from '../components/FlashDeal';
import { ReportButton } from '../moderation/ReportButton';
import { ChatButton } from '../chat/ChatButton';

/** Every photo the seller uploaded, the cover first; a tap on a thumbnail shows that one large. */
function Gallery({ urls, title }: { urls: string[]; title: string }) {
  const { t } = useTranslation();
  const [shown, setShown] = useState(0);
  const current = Math.min(shown, urls.length - 1);
  return (
    <div className="gallery stack">
      <img src={urls[current]} alt={urls.length > 1 ? t('newcomer.photoOf', { title, n: current + 1, count: urls.length }) : title} className="hero" />
      {urls.length > 1 && (
        <ul className="plain gallery-thumbs" aria-label={t('newcomer.photos')}>
          {urls.map((url, i) => (
            <li key={url}>
              <button type="button" aria-pressed={i === current} aria-label={t('newcomer.showPhoto', { n: i + 1 })} onClick={() => setShown(i)}>
                <img src={url} alt="" width={56} height={56} />
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export default function ProductPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { user } = useSession();
  const client = useQueryClient();
  const product = useQuery({ queryKey: ['product', id], queryFn: () => api<Product>(`/api/commerce/products/${id}`) });
  const reviews = useQuery({ queryKey: ['reviews', id], queryFn: () => api<Page<Review>>(`/api/commerce/products/${id}/reviews`) });
  const [variantId, setVariantId] = useState<string | null>(null);
  const [quantity, setQuantity] = useState(1);
  const { deals, serverNow } = useFlashDeals(id);
  // A live deal with units left sells its variant at the deal price, from its own allocation.
  const liveDeal = (vid: string | undefined) => deals.find((d) => d.variantId === vid && d.state === 'live' && d.remaining > 0);
  const buyable = (v: { id: string; available: number }) => v.available > 0 || !!liveDeal(v.id);
  useEffect(() => {
    const first = product.data?.variants.find((v) => !!liveDeal(v.id)) ?? product.data?.variants.find(buyable);
    if (first && !variantId) setVariantId(first.id);
  });
  const variant = product.data?.variants.find((v) => v.id === variantId);
  const deal = liveDeal(variant?.id);
  const shownDeal = deals.find((d) => d.variantId === variant?.id) ?? deals[0];
  const unitPrice = deal ? deal.dealPriceIdr : variant?.priceIdr;
  const maxQuantity = deal ? Math.min(deal.remaining, deal.perBuyerLimit) : (variant?.available ?? 1);
  const add = useMutation({
    mutationFn: () => api('/api/commerce/cart/items', { body: { variantId, quantity } }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['cart'] }),
  });

  // The shop's owner replies to reviews here.
  const mine = useQuery({ queryKey: ['my-shops', user?.id], queryFn: () => api<{ items: Shop[] }>('/api/commerce/me/shops'), enabled: !!user });
  if (product.isLoading) return <Loading />;
  if (!product.data) return <ErrorNote error={product.error} />;
  const p = product.data;
  const ownShop = mine.data?.items.some((shop) => shop.id === p.shopId) ?? false;
  return (
    <article className="card stack product-page" aria-labelledby="product-title">
      {p.imageUrls[0] ? <Gallery urls={p.imageUrls} title={p.title} /> : <div className="hero placeholder" aria-hidden="true">
              <Icon name="bag" size={36} />
            </div>}
      <h1 id="product-title">{p.title}</h1>
      {shownDeal ? <FlashDealCard deal={shownDeal} serverNow={serverNow} /> : <p className="price big">{unitPrice !== undefined ? formatIdr(unitPrice) : formatIdrRange(p.priceMinIdr, p.priceMaxIdr)}</p>}
      <p className="muted">
        <Link to={`/toko/${p.shopSlug}`}>{p.shopName}</Link> · {t(`categories.${p.category}`)}
        {p.rating.count > 0 && ` · ★ ${p.rating.average?.toFixed(1)} (${p.rating.count})`}
      </p>
      <div className="favourite">
        <WishlistButton productId={p.id} />
        <FollowShopButton shopId={p.shopId} />
        <ChatButton shopId={p.shopId} productId={p.id} />
      </div>
      {!ownShop && (
        <p>
          <ReportButton kind="product" id={p.id} />
        </p>
      )}
      <p className="pre">{p.description}</p>
      {p.externalUrl ? (
        <a className="button primary" href={p.externalUrl} target="_blank" rel="noopener noreferrer">
          {t('product.openExternal')}
        </a>
      ) : (
        <>
          <fieldset className="variants">
            <legend>{t('product.variant')}</legend>
            {p.variants.map((v) => (
              <label key={v.id} className={`chip-option${v.id === variantId ? ' selected' : ''}${buyable(v) ? '' : ' disabled'}`}>
                <input type="radio" name="variant" checked={v.id === variantId} disabled={!buyable(v)} onChange={() => setVariantId(v.id)} />
                {v.name} ·{' '}
                {liveDeal(v.id)
                  ? `${formatIdr(liveDeal(v.id)!.dealPriceIdr)} · ${t('flash.badge')}`
                  : `${formatIdr(v.priceIdr)} ${v.available === 0 ? `· ${t('product.soldOut')}` : `· ${t('product.stockLeft', { count: v.available })}`}`}
              </label>
            ))}
          </fieldset>
          <QuantityField value={quantity} max={maxQuantity} onChange={setQuantity} />
          <ErrorNote error={add.error} />
          {add.isSuccess && (
            <p role="status" className="ok">
              {t('product.added')} <Link to="/keranjang">{t('nav.cart')}</Link>
            </p>
          )}
          <div className="actions">
            <button type="button" disabled={!variant || add.isPending || (variant.available === 0 && !!deal)} onClick={() => {
                if (user) add.mutate();
                else if (variant) {
                  savePendingCart({ variantId: variant.id, quantity });
                  navigate(authPath('/masuk', '/keranjang', 'cart'));
                }
              }}>
              {t('product.addToCart')}
            </button>
            <button
              type="button"
              className="primary"
              disabled={!variant}
              onClick={() => {
                if (!variant) return;
                saveBuyNow([
                  { variantId: variant.id, quantity, productId: p.id, title: p.title, variantName: variant.name, unitPriceIdr: unitPrice ?? variant.priceIdr },
                ]);
                navigate(user ? '/checkout?buy=now' : authPath('/masuk', '/checkout?buy=now', 'buy'));
              }}
            >
              {t('product.buyNow')}
            </button>
          </div>
        </>
      )}
      <h2>{t('product.reviews')}</h2>
      {reviews.data?.items.length === 0 && <p className="muted">{t('product.noReviews')}</p>}
      <ul className="plain">
        {reviews.data?.items.map((r) => (
          <ReviewItem key={r.id} review={r} productId={p.id} shopOwned={ownShop} />
        ))}
      </ul>
    </article>
  );
}
