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
          {/* Named by what it shows: the caption (hidden, for screen readers) and the view count. */}
          <Link to={`/video/${v.id}`}>
            {v.posterUrl ? <img src={v.posterUrl} alt="" loading="lazy" /> : <div className="placeholder" aria-hidden="true">▶</div>}
            <span className="visually-hidden">{v.caption || t('feed.video')}</span>
            <span className="views">
              <span aria-hidden="true">▶ </span>
              {formatCount(v.counts.views, i18n.language)}
              <span className="visually-hidden"> {t('profile.views')}</span>
            </span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
