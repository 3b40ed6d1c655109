import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Video } from '../api/types';
import { FeedVideo } from '../components/FeedVideo';
import { ErrorNote, Loading } from '../components/Alert';
import { AgeGate, isAgeGated } from '../trust/AgeGate';

export default function VideoPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const [muted, setMuted] = useState(true);
  const video = useQuery({ queryKey: ['video', id], queryFn: () => api<Video>(`/api/social/videos/${id}`) });
  return (
    <section className="feed-page" aria-label={t('feed.video')}>
      <h1 className="visually-hidden">{video.data?.caption || t('feed.video')}</h1>
      {video.isLoading && <Loading />}
      {isAgeGated(video.error) ? <AgeGate what="video" /> : <ErrorNote error={video.error} />}
      {video.data && video.data.status !== 'ready' && <p className="card">{t(`studio.status.${video.data.status}`)}</p>}
      {video.data?.status === 'ready' && (
        <div className="feed single">
          <div className="feed-slot">
            <FeedVideo item={video.data} active preload={false} muted={muted} onToggleMute={() => setMuted(!muted)} />
          </div>
        </div>
      )}

    </section>
  );
}
