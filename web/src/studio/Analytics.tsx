import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { formatCount, formatDate, formatIdr } from '../lib/format';
import { ErrorNote, Loading } from '../components/Alert';

type Withheld = number | string | null;

interface VideoStats {
  videoId: string;
  caption?: string;
  views: number;
  taps: number;
  completionRate?: number;
  attributedOrders: Withheld;
  commissionIdr?: Withheld;
}

interface Point {
  date: string;
  views: number;
  taps?: number;
}

interface AnalyticsBody {
  videos?: VideoStats[];
  items?: VideoStats[];
  series?: Point[];
  daily?: Point[];
  threshold?: number;
}

/** Views per day as an accessible SVG bar chart (with a table for screen readers). */
function ViewsChart({ points }: { points: Point[] }) {
  const { t, i18n } = useTranslation();
  const max = Math.max(1, ...points.map((p) => p.views));
  const width = 340;
  const height = 140;
  const bar = width / Math.max(points.length, 1);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-label={t('studio.viewsOverTime')}>
        {points.map((p, i) => {
          const h = (p.views / max) * height;
          return (
            <g key={p.date}>
              <rect x={i * bar + 2} y={height - h} width={Math.max(2, bar - 4)} height={h} fill="#ffd400" />
              {(points.length <= 10 || i % Math.ceil(points.length / 7) === 0) && (
                <text x={i * bar + bar / 2} y={height + 14} fontSize="10" textAnchor="middle" fill="#b8b8c0">
                  {formatDate(p.date, i18n.language)}
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
            <tr key={p.date}>
              <th>{formatDate(p.date, i18n.language)}</th>
              <td>{p.views}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

function Count({ value }: { value: Withheld | undefined }) {
  const { t, i18n } = useTranslation();
  if (typeof value === 'number') return <>{formatCount(value, i18n.language)}</>;
  return <abbr title={t('studio.withheldExplain')}>&lt; 5</abbr>;
}

export function Analytics() {
  const { t } = useTranslation();
  const analytics = useQuery({ queryKey: ['analytics'], queryFn: () => api<AnalyticsBody>('/api/creator/analytics') });
  if (analytics.isLoading) return <Loading />;
  if (!analytics.data) return <ErrorNote error={analytics.error} />;
  const videos = analytics.data.videos ?? analytics.data.items ?? [];
  const points = analytics.data.series ?? analytics.data.daily ?? [];
  return (
    <div className="stack">
      <section className="card stack" aria-labelledby="analytics-title">
        <h2 id="analytics-title">{t('studio.analytics')}</h2>
        {points.length > 0 ? <ViewsChart points={points} /> : <p className="muted">{t('studio.noData')}</p>}
        <p className="muted small">{t('studio.withheldExplain')}</p>
      </section>
      <section className="card" aria-labelledby="per-video-title">
        <h2 id="per-video-title">{t('studio.perVideo')}</h2>
        <table className="table">
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
            {videos.map((v) => (
              <tr key={v.videoId}>
                <th scope="row">{v.caption || v.videoId.slice(0, 8)}</th>
                <td>
                  <Count value={v.views} />
                </td>
                <td>
                  <Count value={v.taps} />
                </td>
                <td>
                  <Count value={v.attributedOrders} />
                </td>
                <td>{typeof v.commissionIdr === 'number' ? formatIdr(v.commissionIdr) : <Count value={v.commissionIdr ?? null} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {videos.length === 0 && <p className="muted">{t('studio.noData')}</p>}
      </section>
    </div>
  );
}
