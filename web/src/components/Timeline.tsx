import { useTranslation } from 'react-i18next';
import type { OrderDetail } from '../api/types';
import { formatDateTime } from '../lib/format';

const HAPPY_PATH = ['awaiting_payment', 'paid', 'shipped', 'delivered', 'completed'];

/** The order's status timeline: the happy path with reached steps ticked, and every recorded event. */
export function Timeline({ order }: { order: OrderDetail }) {
  const { t, i18n } = useTranslation();
  const reachedAt = new Map<string, string>();
  for (const e of order.events) reachedAt.set(e.to, e.at);
  if (!reachedAt.has('awaiting_payment')) reachedAt.set('awaiting_payment', order.createdAt);
  const offPath = order.events.filter((e) => !HAPPY_PATH.includes(e.to));
  return (
    <ol className="timeline">
      {HAPPY_PATH.map((status) => {
        const at = reachedAt.get(status);
        return (
          <li key={status} className={at ? 'done' : 'todo'} aria-current={order.status === status ? 'step' : undefined}>
            <span className="dot" aria-hidden="true">
              {at ? '●' : '○'}
            </span>
            <span>{t(`orders.status.${status}`)}</span>
            {at && <span className="muted small"> · {formatDateTime(at, i18n.language)}</span>}
          </li>
        );
      })}
      {offPath.map((e) => (
        <li key={e.at + e.to} className="done off">
          <span className="dot" aria-hidden="true">
            ●
          </span>
          <span>{t(`orders.status.${e.to}`, { defaultValue: e.to })}</span>
          <span className="muted small"> · {formatDateTime(e.at, i18n.language)}</span>
        </li>
      ))}
    </ol>
  );
}
