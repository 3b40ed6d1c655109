import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { OrderDetail, ShipmentStage } from '../api/types';
import { formatDateTime } from '../lib/format';
import { ErrorNote } from './Alert';

/** Where the sandbox courier takes a parcel next. */
const NEXT: Partial<Record<ShipmentStage, ShipmentStage>> = {
  booked: 'picked_up',
  picked_up: 'in_transit',
  in_transit: 'out_for_delivery',
  out_for_delivery: 'delivered',
  returning: 'returned',
};

/**
 * The courier's timeline of an order (newest first), with its AWB; the courier's own notes are
 * shown as it wrote them. On the sandbox courier, a button moves the parcel on.
 */
export function CourierTracking({ order, queryKeys }: { order: OrderDetail; queryKeys: unknown[][] }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const shipment = order.shipment;
  const next = shipment ? NEXT[shipment.status] : undefined;
  const move = useMutation({
    mutationFn: (stage: ShipmentStage) => api(`/api/commerce/orders/${order.id}/courier/simulate`, { body: { stage } }),
    onSuccess: () => {
      for (const key of queryKeys) void client.invalidateQueries({ queryKey: key });
    },
  });
  if (!shipment) return null;
  return (
    <section className="card stack" aria-labelledby={`courier-${order.id}`} data-shipment-status={shipment.status}>
      <h2 id={`courier-${order.id}`} className="h3">
        {t('courier.title')}
      </h2>
      <p>
        {t(`couriers.${shipment.courier}`, { defaultValue: shipment.courier })} · {t('courier.waybill')}: <strong className="mono">{shipment.waybill}</strong>
      </p>
      <p className={`status status-${shipment.status}`} role="status">
        {t(`courier.stage.${shipment.status}`)}
      </p>
      {shipment.events.length === 0 ? (
        <p className="muted small">{t('courier.waiting')}</p>
      ) : (
        <ol className="timeline courier-timeline">
          {[...shipment.events].reverse().map((e) => {
            const label = e.status ? t(`courier.stage.${e.status}`) : e.providerStatus;
            return (
              <li key={`${e.at}-${e.providerStatus}`} className="done">
                <span className="dot" aria-hidden="true">
                  ●
                </span>
                <span>{label}</span>
                {e.note && e.note !== label && <span className="small"> — {e.note}</span>}
                <span className="muted small"> · {formatDateTime(e.at, i18n.language)}</span>
              </li>
            );
          })}
        </ol>
      )}
      {next && (
        <div className="sandbox">
          <p className="muted small">{t('courier.sandboxNote')}</p>
          <div className="actions">
            <button type="button" disabled={move.isPending} onClick={() => move.mutate(next)}>
              {t('courier.sandboxMove', { stage: t(`courier.stage.${next}`) })}
            </button>
            {shipment.status === 'out_for_delivery' && (
              <button type="button" disabled={move.isPending} onClick={() => move.mutate('returning')}>
                {t('courier.sandboxReturn')}
              </button>
            )}
          </div>
          <ErrorNote error={move.error} />
        </div>
      )}
    </section>
  );
}
