import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Order, Page } from '../api/types';
import { formatDateTime, formatIdr, orderNumber } from '../lib/format';
import { OrderThumb } from '../components/OrderThumb';
import { ErrorNote, Loading } from '../components/Alert';
import { RequireUser } from '../components/RequireUser';

function OrderList() {
  const { t, i18n } = useTranslation();
  const orders = useQuery({ queryKey: ['orders'], queryFn: () => api<Page<Order>>('/api/commerce/orders?limit=50') });
  return (
    <section className="stack" aria-labelledby="orders-title">
      <h1 id="orders-title">{t('orders.title')}</h1>
      {orders.isLoading && <Loading />}
      <ErrorNote error={orders.error} />
      {orders.data?.items.length === 0 && (
        <div className="card">
          <p>{t('orders.empty')}</p>
          <Link to="/">{t('cart.explore')}</Link>
        </div>
      )}
      <ul className="plain">
        {orders.data?.items.map((o) => (
          <li key={o.id} className="card order-row">
            <OrderThumb lines={o.lines} />
            <div>
              <Link to={`/pesanan/${o.id}`}>{o.lines.map((l) => l.title).join(', ')}</Link>
              <p className="muted small">
                {t('orders.order', { id: orderNumber(o.id) })} · {formatDateTime(o.createdAt, i18n.language)}
              </p>
              <p>
                <span className={`status status-${o.status}`}>{t(`orders.status.${o.status}`)}</span> · {formatIdr(o.totalIdr)}
              </p>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

export default function Orders() {
  return (
    <RequireUser>
      <OrderList />
    </RequireUser>
  );
}
