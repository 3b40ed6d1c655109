import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import type { Product, ProductTag } from '../api/types';
import { useSession } from '../api/session';
import { formatIdr, formatIdrRange } from '../lib/format';
import { saveBuyNow, savePendingCart } from '../lib/buy';
import { authPath } from '../lib/next';
import { QuantityField } from './QuantityField';
import { Sheet } from './Sheet';
import { ErrorNote, Loading } from './Alert';
import { Icon } from './Icon';

/** The shoppable tag's sheet: asks social for an attribution token, shows the product from commerce. */
export function ProductSheet({ videoId, tag, open, onClose, openPath }: {
  videoId: string;
  tag: ProductTag;
  open: boolean;
  onClose(): void;
  /** Where the tap is asked for its token (a live's product, not a video's tag). */
  openPath?: string;
}) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { user } = useSession();
  const client = useQueryClient();
  const [variantId, setVariantId] = useState<string | null>(null);
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState(false);

  const opened = useQuery({
    queryKey: ['tag-open', videoId, tag.productId, openPath],
    queryFn: () => api<{ attributionToken: string | null }>(openPath ?? `/api/social/videos/${videoId}/product-tags/${tag.productId}/open`, { method: 'POST', body: {} }),
    enabled: open,
    staleTime: Infinity,
    retry: false,
  });
  const product = useQuery({
    queryKey: ['product', tag.productId],
    queryFn: () => api<Product>(`/api/commerce/products/${tag.productId}`),
    enabled: open,
    // A shop that is down says so at once (the sheet offers to try again) rather than after three retries.
    retry: (failures, error) => !(error instanceof ApiError && error.problem.status === 503) && failures < 3,
  });

  useEffect(() => {
    const first = product.data?.variants.find((v) => v.available > 0);
    if (first && !variantId) setVariantId(first.id);
  }, [product.data, variantId]);

  const variant = product.data?.variants.find((v) => v.id === variantId);
  const shopDown = product.error instanceof ApiError && product.error.problem.status === 503;
  const token = opened.data?.attributionToken ?? undefined;

  const addToCart = useMutation({
    mutationFn: () => api('/api/commerce/cart/items', { body: { variantId, quantity, ...(token ? { attributionToken: token } : {}) } }),
    onSuccess: () => {
      setAdded(true);
      void client.invalidateQueries({ queryKey: ['cart'] });
    },
  });

  function buyNow() {
    if (!product.data || !variant) return;
    saveBuyNow([
      {
        variantId: variant.id, quantity, attributionToken: token,
        productId: product.data.id, title: product.data.title, variantName: variant.name, unitPriceIdr: variant.priceIdr, videoId,
      },
    ]);
    navigate(user ? '/checkout?buy=now' : authPath('/masuk', '/checkout?buy=now', 'buy'));
  }

  function addAfterSignIn() {
    if (!variant) return;
    savePendingCart({ variantId: variant.id, quantity, attributionToken: token });
    navigate(authPath('/masuk', '/keranjang', 'cart'));
  }

  return (
    <Sheet title={tag.title} open={open} onClose={onClose}>
      {product.isLoading && <Loading />}
      {shopDown ? (
        // Commerce is down (a 503 from the gateway): social's last known card, and a word instead of an error.
        <div className="product-sheet shop-down" role="status">
          <p>{t('shopDown.message')}</p>
          <p className="muted small">{t('shopDown.lastKnown')}</p>
          <p>
            <strong>{tag.title}</strong> · {formatIdrRange(tag.priceMinIdr, tag.priceMaxIdr)}
          </p>
          <p className="muted">{tag.shopName}</p>
          <button type="button" onClick={() => void product.refetch()} disabled={product.isFetching}>
            {t('shopDown.retry')}
          </button>
        </div>
      ) : (
        <ErrorNote error={product.error} />
      )}
      {product.data && (
        <div className="product-sheet">
          <div className="row">
            {product.data.imageUrls[0] ? <img src={product.data.imageUrls[0]} alt="" className="thumb" /> : <div className="thumb placeholder" aria-hidden="true">
              <Icon name="bag" size={36} />
            </div>}
            <div>
              <p className="price">{variant ? formatIdr(variant.priceIdr) : formatIdrRange(product.data.priceMinIdr, product.data.priceMaxIdr)}</p>
              <p className="muted">
                {t('product.soldBy')} <Link to={`/toko/${product.data.shopSlug}`}>{product.data.shopName}</Link>
              </p>
              {variant && <p className="muted">{t('product.stockLeft', { count: variant.available })}</p>}
            </div>
          </div>
          {product.data.externalUrl ? (
            <a className="button primary" href={product.data.externalUrl} target="_blank" rel="noopener noreferrer">
              {t('product.openExternal')}
            </a>
          ) : (
            <>
              <fieldset className="variants">
                <legend>{t('product.variant')}</legend>
                {product.data.variants.map((v) => (
                  <label key={v.id} className={`chip-option${v.id === variantId ? ' selected' : ''}${v.available === 0 ? ' disabled' : ''}`}>
                    <input type="radio" name="variant" value={v.id} checked={v.id === variantId} disabled={v.available === 0} onChange={() => setVariantId(v.id)} />
                    {v.name}
                    {v.available === 0 ? ` · ${t('product.soldOut')}` : ''}
                  </label>
                ))}
              </fieldset>
              <QuantityField value={quantity} max={variant?.available ?? 1} onChange={setQuantity} />
              {opened.isError && <p className="muted small">{t('product.noAttribution')}</p>}
              <ErrorNote error={addToCart.error} />
              {added && (
                <p role="status" className="ok">
                  {t('product.added')} <Link to="/keranjang">{t('nav.cart')}</Link>
                </p>
              )}
              <div className="actions">
                <button type="button" disabled={!variant || addToCart.isPending} onClick={() => (user ? addToCart.mutate() : addAfterSignIn())}>
                  {t('product.addToCart')}
                </button>
                <button type="button" className="primary" disabled={!variant} onClick={buyNow}>
                  {t('product.buyNow')}
                </button>
              </div>
            </>
          )}
          <Link to={`/produk/${product.data.id}`} className="small">
            {t('product.details')}
          </Link>
        </div>
      )}
    </Sheet>
  );
}
