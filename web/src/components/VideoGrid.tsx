import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { Video } from '../api/types';
import { formatCount } from '../lib/format';

export function VideoGrid({ videos }: { videos: Video[] }) {
  const { t, i18n } = useTranslation();
  return (
    <ul className="video-grid">
      {videos.map((v) => (
        <li key={v.id}>
          <Link to={`/video/${v.id}`} aria-label={v.caption || t('feed.video')}>
            {v.posterUrl ? <img src={v.posterUrl} alt="" loading="lazy" /> : <div className="placeholder" aria-hidden="true">▶</div>}
            <span className="views">▶ {formatCount(v.counts.views, i18n.language)}</span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
