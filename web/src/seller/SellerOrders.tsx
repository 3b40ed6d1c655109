import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Order, OrderDetail, Page, Shop } from '../api/types';
import { CourierTracking } from '../components/CourierTracking';
import { formatDateTime, formatIdr, orderNumber } from '../lib/format';
import { ORDER_STATUSES } from '../lib/orders';
import { COURIERS } from '../lib/provinces';
import { ErrorNote, Loading } from '../components/Alert';
import { useFormErrors } from '../components/useFormErrors';
import { ConfirmButton } from '../components/ConfirmButton';
import { OrderThumb } from '../components/OrderThumb';
import { ReturnPanel } from '../returns/ReturnPanel';

/** A shipped order's courier timeline (the list carries no timeline, so it is read on its own). */
function SellerTracking({ orderId, shopId }: { orderId: string; shopId: string }) {
  const detail = useQuery({ queryKey: ['order', orderId], queryFn: () => api<OrderDetail>(`/api/commerce/orders/${orderId}`) });
  if (!detail.data) return <ErrorNote error={detail.error} />;
  return <CourierTracking order={detail.data} queryKeys={[['order', orderId], ['shop-orders', shopId]]} />;
}

function OrderCard({ order, shop }: { order: Order; shop: Shop }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const errors = useFormErrors();
  const [courier, setCourier] = useState(order.courier);
  const act = useMutation({
    mutationFn: ({ action, body }: { action: string; body?: unknown }) => api(`/api/commerce/orders/${order.id}/${action}`, { body: body ?? {} }),
    onSuccess: () => {
      errors.clear();
      void client.invalidateQueries({ queryKey: ['shop-orders', shop.id] });
    },
    onError: (error) => errors.show(error),
  });
  const a = order.shippingAddress;
  return (
    <li className="card stack" data-order-id={order.id}>
      <div className="order-head">
        <OrderThumb lines={order.lines} />
        <div>
          <h3 className="order-number">{t('orders.order', { id: orderNumber(order.id) })}</h3>
          <p>
            <strong>{order.lines.map((l) => `${l.title} · ${l.variantName} × ${l.quantity}`).join(', ')}</strong>
          </p>
        </div>
      </div>
      <p className="muted small">
        {formatDateTime(order.createdAt, i18n.language)} · {formatIdr(order.totalIdr)} · {t(`couriers.${order.courier}`, { defaultValue: order.courier })}
      </p>
      <p>
        <span className={`status status-${order.status}`}>{t(`orders.status.${order.status}`)}</span>
        {order.trackingNumber && ` · ${t('orders.tracking')}: ${order.trackingNumber}`}
      </p>
      {(order.status === 'paid' || order.status === 'confirmed') && (
        <>
          <p className="small">
            {t('seller.shipTo')}: {a.recipient}, {a.phone}, {a.line1}, {a.city}, {a.province} {a.postalCode}
          </p>
          <form
            className="stack"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              act.mutate({ action: 'ship', body: { courier } });
            }}
          >
            <div className="field">
              <label htmlFor={`courier-${order.id}`}>{t('checkout.courier')}</label>
              <select id={`courier-${order.id}`} value={courier} onChange={(e) => setCourier(e.target.value)}>
                {COURIERS.map((c) => (
                  <option key={c} value={c}>
                    {t(`couriers.${c}`)}
                  </option>
                ))}
              </select>
            </div>
            <p className="muted small">{t('courier.bookedNote')}</p>
            <div className="actions">
              <button type="submit" className="primary" disabled={act.isPending}>
                {t('seller.ship')}
              </button>
              <ConfirmButton
                label={t('seller.cancelOrder')}
                title={t('seller.confirmCancel.title', { id: orderNumber(order.id) })}
                confirmLabel={t('seller.confirmCancel.confirm')}
                disabled={act.isPending}
                onConfirm={() => act.mutate({ action: 'cancel' })}
              >
                <p>{order.status === 'paid' ? t('seller.confirmCancel.paid', { amount: formatIdr(order.totalIdr) }) : t('seller.confirmCancel.cod')}</p>
                <p>{t('seller.confirmCancel.final')}</p>
              </ConfirmButton>
            </div>
          </form>
        </>
      )}
      {order.status === 'shipped' && <SellerTracking orderId={order.id} shopId={shop.id} />}
      {order.returnReason !== null && <ReturnPanel orderId={order.id} role="seller" orderStatus={order.status} deliveredAt={order.deliveredAt} refreshKeys={[['shop-orders', shop.id]]} />}
      {errors.message && (
        <p className="alert" role="alert">
          {errors.message}
        </p>
      )}
    </li>
  );
}

export function SellerOrders({ shop }: { shop: Shop }) {
  const { t } = useTranslation();
  const [status, setStatus] = useState('');
  const [typed, setTyped] = useState('');
  const [q, setQ] = useState('');
  const query = new URLSearchParams({ limit: '100', ...(status ? { status } : {}), ...(q ? { q } : {}) });
  const orders = useQuery({ queryKey: ['shop-orders', shop.id, status, q], queryFn: () => api<Page<Order>>(`/api/commerce/shops/${shop.id}/orders?${query}`) });
  return (
    <div className="stack">
      <form
        className="filters"
        role="search"
        aria-label={t('seller.findOrders')}
        onSubmit={(e) => {
          e.preventDefault();
          setQ(typed.trim());
        }}
      >
        <div className="field">
          <label htmlFor="order-status">{t('seller.statusFilter')}</label>
          <select id="order-status" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">{t('seller.allStatuses')}</option>
            {ORDER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`orders.status.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="order-q">{t('seller.searchOrders')}</label>
          <input id="order-q" type="search" value={typed} placeholder={t('seller.searchOrdersHint')} onChange={(e) => setTyped(e.target.value)} />
        </div>
        <button type="submit">{t('search.submit')}</button>
      </form>
      {orders.isLoading && <Loading />}
      <ErrorNote error={orders.error} />
      {orders.data?.items.length === 0 && <p className="muted">{status || q ? t('seller.noOrdersMatch') : t('seller.noOrders')}</p>}
      <ul className="plain stack order-list">
        {orders.data?.items.map((o) => (
          <OrderCard key={o.id} order={o} shop={shop} />
        ))}
      </ul>
    </div>
  );
}
