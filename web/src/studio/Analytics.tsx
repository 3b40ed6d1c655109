import { useQuery } from '@tanstack/react-query';
import { Trans, useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../api/client';
import type { CreatorAnalytics, ShownCount } from '../api/types';
import { formatCount, formatDate, formatIdr } from '../lib/format';
import { ErrorNote, Loading } from '../components/Alert';

interface Point {
  day: string;
  views: number;
}

/** Views per day as an SVG bar chart, with a table for screen readers. */
function ViewsChart({ points }: { points: Point[] }) {
  const { t, i18n } = useTranslation();
  const max = Math.max(1, ...points.map((p) => p.views));
  const width = 340;
  const height = 140;
  const bar = Math.min(40, width / Math.max(points.length, 1));
  const labelEvery = Math.max(1, Math.ceil(points.length / 6));
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-label={t('studio.viewsOverTime')}>
        {points.map((p, i) => {
          const h = (p.views / max) * height;
          return (
            <g key={p.day}>
              <rect x={i * bar + 1} y={height - h} width={Math.max(2, bar - 2)} height={h} fill="#ffd400" />
              {i % labelEvery === 0 && (
                <text x={i * bar + bar / 2} y={height + 14} fontSize="10" textAnchor="middle" fill="#b8b8c0">
                  {formatDate(p.day, i18n.language)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>{t('studio.viewsOverTime')}</figcaption>
      <table className="visually-hidden">
        <tbody>
          {points.map((p) => (
            <tr key={p.day}>
              <th scope="row">{formatDate(p.day, i18n.language)}</th>
              <td>{p.views}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

/** A figure the bridge may withhold: a number, or its "< 5" marker with the rule explained. */
function Shown({ value, money = false }: { value: ShownCount | null; money?: boolean }) {
  const { t, i18n } = useTranslation();
  if (typeof value === 'number') return <>{money ? formatIdr(value) : formatCount(value, i18n.language)}</>;
  return <abbr title={t('studio.withheldExplain')}>{typeof value === 'string' ? value : '< 5'}</abbr>;
}

function sumByDay(data: CreatorAnalytics): Point[] {
  const days = new Map<string, number>();
  for (const item of data.items) for (const d of item.viewsByDay) days.set(d.day, (days.get(d.day) ?? 0) + d.views);
  return [...days.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, views]) => ({ day, views }));
}

export function Analytics() {
  const { t } = useTranslation();
  const analytics = useQuery({ queryKey: ['analytics'], queryFn: () => api<CreatorAnalytics>('/api/creator/analytics') });
  if (analytics.isLoading) return <Loading />;
  if (!analytics.data) return <ErrorNote error={analytics.error} />;
  const a = analytics.data;
  const points = sumByDay(a);
  return (
    <div className="stack">
      <section className="card stack" aria-labelledby="analytics-title">
        <h2 id="analytics-title">{t('studio.analytics')}</h2>
        <dl className="stats">
          <div>
            <dt>{t('studio.views')}</dt>
            <dd>
              <Shown value={a.totals.views} />
            </dd>
          </div>
          <div>
            <dt>{t('studio.taps')}</dt>
            <dd>
              <Shown value={a.totals.taps} />
            </dd>
          </div>
          <div>
            <dt>{t('studio.orders')}</dt>
            <dd data-testid="analytics-orders">
              <Shown value={a.totals.attributedOrders} />
            </dd>
          </div>
        </dl>
        {points.length > 0 ? <ViewsChart points={points} /> : <p className="muted">{t('studio.noData')}</p>}
        <p className="muted small">{t('studio.withheldExplain')}</p>
      </section>
      <section className="card" aria-labelledby="per-video-title">
        <h2 id="per-video-title">{t('studio.perVideo')}</h2>
        <p className="note small" id="withheld-note">
          <Trans i18nKey="studio.withheldInPlace" values={{ n: a.minimumOrdersShown }} components={{ affiliate: <Link to="/studio/afiliasi" /> }} />
        </p>
        <div className="table-wrap">
        <table className="table per-video" aria-describedby="withheld-note">
          <thead>
            <tr>
              <th scope="col">{t('feed.video')}</th>
              <th scope="col">{t('studio.views')}</th>
              <th scope="col">{t('studio.taps')}</th>
              <th scope="col">{t('studio.orders')}</th>
              <th scope="col">{t('studio.commission')}</th>
            </tr>
          </thead>
          <tbody>
            {a.items.map((v) => (
              <tr key={v.videoId}>
                <th scope="row">{v.caption || v.videoId.slice(0, 8)}</th>
                <td data-label={t('studio.views')}>
                  <Shown value={v.views} />
                </td>
                <td data-label={t('studio.taps')}>
                  <Shown value={v.taps} />
                </td>
                <td data-label={t('studio.orders')}>
                  <Shown value={v.attributedOrders} />
                </td>
                <td data-label={t('studio.commission')}>
                  <Shown value={v.commissionIdr} money />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
        {a.items.length === 0 && <p className="muted">{t('studio.noData')}</p>}
      </section>
    </div>
  );
}
