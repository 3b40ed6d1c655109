import { useEffect, useRef, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { FlashDeal, FlashDeals } from '../api/types';
import { formatCountdown, formatIdr } from '../lib/format';

/**
 * A product's announced and live flash deals, and the server's clock: every device counts down
 * against the server (its offset from this device measured at each read), not its own clock.
 * While a deal runs, the remaining units are read again every few seconds.
 */
export function useFlashDeals(productId: string) {
  const offset = useRef(0);
  const deals = useQuery({
    queryKey: ['flash-deals', productId],
    queryFn: async () => {
      const sent = Date.now();
      const answer = await api<FlashDeals>(`/api/commerce/products/${productId}/flash-deals`);
      const received = Date.now();
      offset.current = Date.parse(answer.serverTime) - (sent + received) / 2;
      return answer;
    },
    refetchInterval: (query) => (query.state.data?.items.some((d) => d.state === 'live') ? 5_000 : 30_000),
  });
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, []);
  const serverNow = now + offset.current;
  // The state as the server's clock says now, so a countdown reaching zero opens the deal at once.
  const items = (deals.data?.items ?? [])
    .map((deal): FlashDeal => {
      const state = serverNow >= Date.parse(deal.endsAt) ? 'ended' : serverNow >= Date.parse(deal.startsAt) ? 'live' : deal.state;
      return { ...deal, state };
    })
    .filter((deal) => deal.state !== 'ended');
  const { refetch } = deals;
  const crossed = items.find((d) => d.state !== deals.data?.items.find((x) => x.id === d.id)?.state);
  useEffect(() => {
    if (crossed) void refetch();
  }, [crossed?.id, crossed?.state, refetch]);
  return { deals: items, serverNow };
}

/** The deal price, the normal price struck through, what is left as a bar, and the countdown. */
export function FlashDealCard({ deal, serverNow }: { deal: FlashDeal; serverNow: number }) {
  const { t } = useTranslation();
  const live = deal.state === 'live';
  const left = live ? Date.parse(deal.endsAt) - serverNow : Date.parse(deal.startsAt) - serverNow;
  const soldOut = live && deal.remaining === 0;
  return (
    <section className="flash-deal" aria-labelledby={`flash-${deal.id}`} data-flash-state={deal.state}>
      <p className="line">
        <strong id={`flash-${deal.id}`} className="badge">
          {t('flash.badge')}
        </strong>
        <span className="muted small">{deal.variantName}</span>
      </p>
      <p className="flash-prices">
        <span className="price big" data-testid="flash-price">
          {formatIdr(deal.dealPriceIdr)}
        </span>{' '}
        <s className="muted" aria-label={t('flash.normalPrice', { price: formatIdr(deal.normalPriceIdr) })}>
          {formatIdr(deal.normalPriceIdr)}
        </s>
      </p>
      <p className="flash-countdown" role="timer" aria-live="off">
        {soldOut ? t('flash.soldOut') : live ? t('flash.endsIn', { time: formatCountdown(left) }) : t('flash.startsIn', { time: formatCountdown(left) })}
      </p>
      <div className="progress-wrap">
        <progress max={deal.allocation} value={deal.remaining} aria-label={t('flash.remainingLabel')} />
        <span className="small">{t('flash.remaining', { remaining: deal.remaining, allocation: deal.allocation })}</span>
      </div>
      <p className="muted small">{t('flash.limit', { count: deal.perBuyerLimit })}</p>
    </section>
  );
}
