import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Order, Page, Shop } from '../api/types';
import { formatDateTime, formatIdr } from '../lib/format';
import { COURIERS } from '../lib/provinces';
import { ErrorNote, Loading } from '../components/Alert';
import { useFormErrors } from '../components/useFormErrors';

function OrderCard({ order, shop }: { order: Order; shop: Shop }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const errors = useFormErrors();
  const [tracking, setTracking] = useState('');
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
      <p>
        <strong>{order.lines.map((l) => `${l.title} · ${l.variantName} × ${l.quantity}`).join(', ')}</strong>
      </p>
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
              act.mutate({ action: 'ship', body: { courier, trackingNumber: tracking.trim() } });
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
            <div className="field">
              <label htmlFor={`tracking-${order.id}`}>{t('seller.trackingNumber')}</label>
              <input id={`tracking-${order.id}`} value={tracking} onChange={(e) => setTracking(e.target.value)} aria-invalid={errors.fields.trackingNumber ? true : undefined} />
              {errors.fields.trackingNumber && <small className="error">{errors.fields.trackingNumber.join(' ')}</small>}
            </div>
            <div className="actions">
              <button type="submit" className="primary" disabled={act.isPending}>
                {t('seller.ship')}
              </button>
              <button type="button" className="danger" disabled={act.isPending} onClick={() => act.mutate({ action: 'cancel' })}>
                {t('seller.cancelOrder')}
              </button>
            </div>
          </form>
        </>
      )}
      {order.status === 'shipped' && (
        <button type="button" className="primary" disabled={act.isPending} onClick={() => act.mutate({ action: 'deliver' })}>
          {t('seller.markDelivered')}
        </button>
      )}
      {order.status === 'return_requested' && (
        <>
          <p>
            {t('seller.returnReason')}: {order.returnReason}
          </p>
          <div className="actions">
            <button type="button" className="primary" onClick={() => act.mutate({ action: 'return/approve' })}>
              {t('seller.approveReturn')}
            </button>
            <button type="button" onClick={() => act.mutate({ action: 'return/reject' })}>
              {t('seller.rejectReturn')}
            </button>
          </div>
        </>
      )}
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
  const orders = useQuery({ queryKey: ['shop-orders', shop.id], queryFn: () => api<Page<Order>>(`/api/commerce/shops/${shop.id}/orders?limit=100`) });
  if (orders.isLoading) return <Loading />;
  if (!orders.data) return <ErrorNote error={orders.error} />;
  return (
    <div className="stack">
      {orders.data.items.length === 0 && <p className="muted">{t('seller.noOrders')}</p>}
      <ul className="plain stack">
        {orders.data.items.map((o) => (
          <OrderCard key={o.id} order={o} shop={shop} />
        ))}
      </ul>
    </div>
  );
}
