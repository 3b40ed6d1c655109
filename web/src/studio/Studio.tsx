import { useQuery } from '@tanstack/react-query';
import { Link, NavLink, Route, Routes } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Page, Profile, Video } from '../api/types';
import { ErrorNote, Loading } from '../components/Alert';
import { RequireUser } from '../components/RequireUser';
import { formatCount } from '../lib/format';
import { UploadForm } from './Upload';
import { VideoManage } from './VideoManage';
import { Affiliate } from './Affiliate';
import { Analytics } from './Analytics';
import { GoLive } from '../live/GoLive';

function MyVideos() {
  const { t, i18n } = useTranslation();
  const me = useQuery({ queryKey: ['social-me'], queryFn: () => api<Profile>('/api/social/me') });
  const handle = me.data?.handle;
  const videos = useQuery({
    queryKey: ['my-videos', handle],
    queryFn: () => api<Page<Video>>(`/api/social/users/${handle}/videos?limit=50`),
    enabled: !!handle,
    refetchInterval: (query) => (query.state.data?.items.some((v) => v.status === 'processing') ? 2000 : false),
  });
  return (
    <section className="card stack" aria-labelledby="my-videos-title">
      <h2 id="my-videos-title">{t('studio.myVideos')}</h2>
      {(me.isLoading || videos.isLoading) && <Loading />}
      <ErrorNote error={me.error ?? videos.error} />
      {videos.data?.items.length === 0 && <p className="muted">{t('profile.noVideos')}</p>}
      <ul className="plain stack">
        {videos.data?.items.map((v) => (
          <li key={v.id} className="sum-line">
            <Link to={`/studio/video/${v.id}`}>{v.caption || t('feed.video')}</Link>
            <span className={`status status-${v.status}`}>
              {t(`studio.status.${v.status}`)} {v.status === 'ready' && `· ▶ ${formatCount(v.counts.views, i18n.language)} · ${t('studio.tagCount', { count: v.productTags.length })}`}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Home() {
  return (
    <div className="stack">
      <UploadForm />
      <MyVideos />
    </div>
  );
}

export default function Studio() {
  const { t } = useTranslation();
  return (
    <RequireUser>
      <section className="stack" aria-labelledby="studio-title">
        <h1 id="studio-title">{t('studio.title')}</h1>
        <nav className="tabs light" aria-label={t('studio.sections')}>
          <NavLink to="/studio" end>
            {t('studio.videos')}
          </NavLink>
          <NavLink to="/studio/afiliasi">{t('studio.affiliate')}</NavLink>
          <NavLink to="/studio/analitik">{t('studio.analytics')}</NavLink>
          <NavLink to="/studio/live">{t('live.tab')}</NavLink>
        </nav>
        <Routes>
          <Route index element={<Home />} />
          <Route path="video/:id" element={<VideoManage />} />
          <Route path="afiliasi" element={<Affiliate />} />
          <Route path="analitik" element={<Analytics />} />
          <Route path="live" element={<GoLive />} />
        </Routes>
      </section>
    </RequireUser>
  );
}
