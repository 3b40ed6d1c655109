import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQueries, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { FlashDeal, Live, LiveAnalytics, LiveDrop, ProductTag } from '../api/types';
import { formatIdr } from '../lib/format';
import { ErrorNote } from '../components/Alert';
import { ProductSheet } from '../components/ProductSheet';

/** Seconds left until `iso` on the server's clock (this device's clock plus the measured offset). */
function useSecondsUntil(iso: string, clockOffsetMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, []);
  return Math.max(0, Math.ceil((Date.parse(iso) - (now + clockOffsetMs)) / 1000));
}

const clock = (seconds: number) => `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;

function VoucherCard({ drop, clockOffsetMs }: { drop: LiveDrop; clockOffsetMs: number }) {
  const { t } = useTranslation();
  const [claimed, setClaimed] = useState(false);
  const left = useSecondsUntil(drop.endsAt, clockOffsetMs);
  if (drop.offer.kind !== 'voucher' || left === 0) return null;
  const offer = drop.offer;
  const worth = offer.voucherKind === 'percent' ? `${offer.value}%` : formatIdr(offer.value);
  return (
    <li className="live-drop card" data-testid="live-voucher">
      <strong>{t(offer.voucherKind === 'shipping' ? 'liveExtra.voucherShipping' : 'liveExtra.voucherOff', { worth })}</strong>
      {offer.minSpendIdr > 0 && <span className="small muted">{t('liveExtra.minSpend', { amount: formatIdr(offer.minSpendIdr) })}</span>}
      <span className="small">
        {t('liveExtra.code')} <code>{offer.code}</code>
      </span>
      <button
        type="button"
        className="primary small-btn"
        onClick={() => {
          void navigator.clipboard?.writeText(offer.code).catch(() => undefined);
          setClaimed(true);
        }}
      >
        {t('liveExtra.claim')}
      </button>
      {claimed && (
        <span className="ok small" role="status">
          {t('liveExtra.claimed', { code: offer.code })}
        </span>
      )}
    </li>
  );
}

function FlashCard({ drop, clockOffsetMs, live }: { drop: LiveDrop; clockOffsetMs: number; live: Live }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const toStart = useSecondsUntil(drop.startsAt, clockOffsetMs);
  const toEnd = useSecondsUntil(drop.endsAt, clockOffsetMs);
  if (drop.offer.kind !== 'flash' || toEnd === 0) return null;
  const offer = drop.offer;
  const product: ProductTag | undefined = live.products.find((p) => p.productId === offer.productId);
  return (
    <li className="live-drop card" data-testid="live-flash">
      <span className="live-badge">{t('liveExtra.flash')}</span>
      <strong>{product?.title ?? offer.variantName}</strong>
      <span>
        <span className="price">{formatIdr(offer.dealPriceIdr)}</span> <s className="muted small">{formatIdr(offer.normalPriceIdr)}</s>
      </span>
      <span className="small" role="timer" data-testid="flash-countdown">
        {toStart > 0 ? t('liveExtra.startsIn', { time: clock(toStart) }) : t('liveExtra.endsIn', { time: clock(toEnd) })}
      </span>
      <span className="small muted">{t('liveExtra.perBuyer', { count: offer.perBuyerLimit })}</span>
      {product && (
        <button type="button" className="primary small-btn" disabled={toStart > 0} onClick={() => setOpen(true)}>
          {t('liveExtra.buy')}
        </button>
      )}
      {product && open && <ProductSheet videoId={live.id} tag={product} open onClose={() => setOpen(false)} openPath={`/api/social/lives/${live.id}/products/${product.productId}/open`} />}
    </li>
  );
}

/** The claim and buy cards every viewer sees for the host's drops. */
export function DropCards({ drops, clockOffsetMs, live }: { drops: LiveDrop[]; clockOffsetMs: number; live: Live }) {
  const { t } = useTranslation();
  if (drops.length === 0) return null;
  return (
    <ul className="plain stack-tight live-drops" aria-label={t('liveExtra.drops')}>
      {drops.map((d) => (d.kind === 'voucher' ? <VoucherCard key={d.id} drop={d} clockOffsetMs={clockOffsetMs} /> : <FlashCard key={d.id} drop={d} clockOffsetMs={clockOffsetMs} live={live} />))}
    </ul>
  );
}

/** The host drops a voucher by its code, or starts the countdown of a flash deal on one of the live's products. */
export function HostDrops({ live }: { live: Live }) {
  const { t } = useTranslation();
  const [code, setCode] = useState('');
  const drop = useMutation({
    mutationFn: (body: { voucherCode: string } | { flashDealId: string }) => api<LiveDrop>(`/api/social/lives/${live.id}/drops`, { body }),
    onSuccess: () => setCode(''),
  });
  const deals = useQueries({
    queries: live.products.map((p) => ({
      queryKey: ['flash-deals', p.productId],
      queryFn: () => api<{ items: FlashDeal[] }>(`/api/commerce/products/${p.productId}/flash-deals`),
      staleTime: 10_000,
    })),
  });
  const open = deals.flatMap((q) => q.data?.items ?? []).filter((d) => !d.endedAt);
  return (
    <div className="stack-tight" data-testid="host-drops">
      <h3>{t('liveExtra.dropTitle')}</h3>
      <form
        className="inline-form"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          if (code.trim()) drop.mutate({ voucherCode: code.trim() });
        }}
      >
        <label htmlFor="drop-voucher" className="visually-hidden">
          {t('liveExtra.voucherCode')}
        </label>
        <input id="drop-voucher" value={code} maxLength={40} placeholder={t('liveExtra.voucherCode')} onChange={(e) => setCode(e.target.value)} />
        <button type="submit" disabled={drop.isPending}>
          {t('liveExtra.dropVoucher')}
        </button>
      </form>
      <ul className="plain stack-tight">
        {open.map((d) => (
          <li key={d.id} className="tagged">
            {d.title} · {d.variantName} · {formatIdr(d.dealPriceIdr)}
            <button type="button" className="small-btn primary" disabled={drop.isPending} onClick={() => drop.mutate({ flashDealId: d.id })}>
              {t('liveExtra.startCountdown')}
              <span className="visually-hidden"> {d.title}</span>
            </button>
          </li>
        ))}
        {open.length === 0 && <li className="muted small">{t('liveExtra.noDeals')}</li>}
      </ul>
      {drop.isSuccess && (
        <p className="ok small" role="status">
          {t('liveExtra.dropped')}
        </p>
      )}
      <ErrorNote error={drop.error} />
    </div>
  );
}

/** The host's figures of the live: viewers, comments, likes, taps, and attributed orders (withheld below five buyers). */
export function LiveStatsPanel({ liveId }: { liveId: string }) {
  const { t } = useTranslation();
  const stats = useQuery({ queryKey: ['live-analytics', liveId], queryFn: () => api<LiveAnalytics>(`/api/creator/lives/${liveId}/analytics`), refetchInterval: 15_000 });
  if (!stats.data) return <ErrorNote error={stats.error} />;
  const s = stats.data;
  const withheld = typeof s.attributedOrders === 'string';
  return (
    <section className="card stack-tight" aria-labelledby="live-stats-title" data-testid="live-stats">
      <h2 id="live-stats-title">{t('liveExtra.statsTitle')}</h2>
      <dl className="stat-grid">
        <dt>{t('liveExtra.peakViewers')}</dt>
        <dd>{s.peakViewers}</dd>
        <dt>{t('liveExtra.totalViewers')}</dt>
        <dd>{s.totalViewers}</dd>
        <dt>{t('liveExtra.comments')}</dt>
        <dd>{s.comments}</dd>
        <dt>{t('liveExtra.likes')}</dt>
        <dd>{s.likes}</dd>
        <dt>{t('liveExtra.taps')}</dt>
        <dd>{s.productTaps}</dd>
        <dt>{t('liveExtra.orders')}</dt>
        <dd data-testid="live-stats-orders">{String(s.attributedOrders)}</dd>
        {!withheld && s.revenueIdr !== null && (
          <>
            <dt>{t('liveExtra.revenue')}</dt>
            <dd>{formatIdr(s.revenueIdr)}</dd>
          </>
        )}
        {!withheld && s.commissionIdr !== null && (
          <>
            <dt>{t('liveExtra.commission')}</dt>
            <dd>{formatIdr(s.commissionIdr)}</dd>
          </>
        )}
      </dl>
      {withheld && <p className="muted small">{t('liveExtra.withheld', { count: s.minimumBuyersShown })}</p>}
      {!s.linked && <p className="muted small">{t('liveExtra.notLinked')}</p>}
    </section>
  );
}
