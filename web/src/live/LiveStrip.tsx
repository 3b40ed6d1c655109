import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Live } from '../api/types';
import { formatCount } from '../lib/format';

/** Lives on air now, at the top of For You or Following, each with its LIVE badge and viewers. */
export function LiveStrip({ feed, enabled }: { feed: 'for-you' | 'following'; enabled: boolean }) {
  const { t, i18n } = useTranslation();
  const lives = useQuery({ queryKey: ['lives-on-air', feed], queryFn: () => api<{ items: Live[] }>(`/api/social/lives?feed=${feed}`), enabled, refetchInterval: 15_000 });
  const items = lives.data?.items ?? [];
  if (items.length === 0) return null;
  return (
    <ul className="plain live-strip" aria-label={t('live.onAirNow')} data-testid="live-strip">
      {items.map((live) => (
        <li key={live.id}>
          <Link to={`/live/${live.id}`}>
            <span className="live-badge">{t('live.badge')}</span>
            <span className="live-strip-title">{live.title}</span>
            <span className="small">
              {live.host.displayName} · {t('live.viewers', { count: live.viewers, formatted: formatCount(live.viewers, i18n.language) })}
            </span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
