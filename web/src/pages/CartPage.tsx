import { useEffect, useRef, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Cart } from '../api/types';
import { formatIdr } from '../lib/format';
import { clearBuyNow, clearPendingCart, loadPendingCart } from '../lib/buy';
import { ErrorNote, Loading } from '../components/Alert';
import { RequireUser } from '../components/RequireUser';

function CartView() {
  const { t } = useTranslation();
  const client = useQueryClient();
  // What the person asked to add before signing in is added now, once, with its variant and quantity.
  const [pending] = useState(loadPendingCart);
  const addPending = useMutation({
    mutationFn: () => api<Cart>('/api/commerce/cart/items', { body: pending }),
    onSuccess: (data) => client.setQueryData(['cart'], data),
    onSettled: clearPendingCart,
  });
  const { mutate: addPendingNow } = addPending;
  const started = useRef(false);
  useEffect(() => {
    if (pending && !started.current) {
      started.current = true;
      addPendingNow();
    }
  }, [pending, addPendingNow]);
  // Read only once the pending add has settled: a read started beside it could answer last with
  // the cart as it was before, and hide the item just added.
  const cart = useQuery({ queryKey: ['cart'], queryFn: () => api<Cart>('/api/commerce/cart'), enabled: !pending || addPending.isSuccess || addPending.isError });
  const change = useMutation({
    mutationFn: ({ variantId, quantity }: { variantId: string; quantity: number }) =>
      quantity > 0 ? api<Cart>(`/api/commerce/cart/items/${variantId}`, { method: 'PATCH', body: { quantity } }) : api<Cart>(`/api/commerce/cart/items/${variantId}`, { method: 'DELETE' }),
    onSuccess: (data) => client.setQueryData(['cart'], data),
  });
  if (cart.isLoading) return <Loading />;
  if (!cart.data) return <ErrorNote error={cart.error} />;
  return (
    <section className="stack" aria-labelledby="cart-title">
      <h1 id="cart-title">{t('cart.title')}</h1>
      {addPending.isSuccess && (
        <p className="ok" role="status">
          {t('product.added')}
        </p>
      )}
      <ErrorNote error={addPending.error ?? change.error} />
      {cart.data.items.length === 0 ? (
        <div className="card">
          <p>{t('cart.empty')}</p>
          <Link to="/">{t('cart.explore')}</Link>
        </div>
      ) : (
        <>
          <ul className="plain lines">
            {cart.data.items.map((item) => (
              <li key={item.variantId} className="card line">
                <div>
                  <Link to={`/produk/${item.productId}`}>{item.title}</Link>
                  <p className="muted small">
                    {item.variantName} · {item.shopName} {item.hasAttribution && `· ${t('cart.fromVideo')}`}
                  </p>
                  <p>
                    {formatIdr(item.lineTotalIdr)}
                    {item.flashDealEndsAt && item.normalPriceIdr > item.unitPriceIdr && (
                      <>
                        {' '}
                        <s className="muted small">{formatIdr(item.normalPriceIdr * item.quantity)}</s> <span className="small">{t('liveExtra.cartFlash')}</span>
                      </>
                    )}
                  </p>
                  {item.quantity >= item.available && (
                    <p className={item.quantity > item.available ? 'error small' : 'muted small'}>{t(item.quantity > item.available ? 'cart.overAvailable' : 'product.maxAvailable', { count: item.available })}</p>
                  )}
                </div>
                <div className="stepper" role="group" aria-label={t('cart.quantityOf', { title: item.title })}>
                  <button type="button" onClick={() => change.mutate({ variantId: item.variantId, quantity: item.quantity - 1 })} aria-label={t('cart.less')}>
                    −
                  </button>
                  <span aria-live="polite">{item.quantity}</span>
                  <button type="button" disabled={item.quantity >= item.available} onClick={() => change.mutate({ variantId: item.variantId, quantity: item.quantity + 1 })} aria-label={t('cart.more')}>
                    +
                  </button>
                </div>
              </li>
            ))}
          </ul>
          <p className="total">
            {t('cart.subtotal')}: <strong>{formatIdr(cart.data.subtotalIdr)}</strong>
          </p>
          <Link className="button primary" to="/checkout" onClick={() => clearBuyNow()}>
            {t('cart.checkout')}
          </Link>
        </>
      )}
    </section>
  );
}

export default function CartPage() {
  return (
    <RequireUser>
      <CartView />
    </RequireUser>
  );
}
