import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Page, Profile, Video } from '../api/types';
import { useSession } from '../api/session';
import { formatCount } from '../lib/format';
import { authPath } from '../lib/next';
import { VideoGrid } from '../components/VideoGrid';
import { ErrorNote, Loading } from '../components/Alert';
import { ReportButton } from '../moderation/ReportButton';

export default function ProfilePage() {
  const params = useParams();
  // The router hands `/@handle` over as the one-segment route `/:segment`.
  const handle = (params.segment ?? '').replace(/^@/, '');
  const { t, i18n } = useTranslation();
  const { user } = useSession();
  const navigate = useNavigate();
  const client = useQueryClient();
  const profile = useQuery({ queryKey: ['profile', handle], queryFn: () => api<Profile>(`/api/social/users/${encodeURIComponent(handle)}`) });
  const videos = useQuery({ queryKey: ['profile-videos', handle], queryFn: () => api<Page<Video>>(`/api/social/users/${encodeURIComponent(handle)}/videos?limit=30`) });
  const follow = useMutation({
    mutationFn: (on: boolean) => api<Profile>(`/api/social/users/${encodeURIComponent(handle)}/follow`, { method: on ? 'POST' : 'DELETE' }),
    onSuccess: (p) => client.setQueryData(['profile', handle], p),
  });
  const relation = useMutation({
    mutationFn: ({ what, on }: { what: 'block' | 'mute'; on: boolean }) => api<Profile>(`/api/social/users/${encodeURIComponent(handle)}/${what}`, { method: on ? 'POST' : 'DELETE' }),
    onSuccess: (p) => {
      client.setQueryData(['profile', handle], p);
      void client.invalidateQueries({ queryKey: ['profile-videos', handle] });
    },
  });
  if (profile.isLoading) return <Loading />;
  if (!profile.data) return <ErrorNote error={profile.error} />;
  const p = profile.data;
  const mine = user?.handle === p.handle;
  return (
    <section className="stack" aria-labelledby="profile-title">
      <div className="card profile">
        <div className="avatar big" aria-hidden="true">
          {p.avatarUrl ? <img src={p.avatarUrl} alt="" /> : p.displayName.slice(0, 1).toUpperCase()}
        </div>
        <h1 id="profile-title">{p.displayName}</h1>
        <p className="muted">@{p.handle}</p>
        {p.bio && <p>{p.bio}</p>}
        <dl className="stats">
          {(['followers', 'following', 'videos', 'likes'] as const).map((k) => (
            <div key={k}>
              <dt>{t(`profile.${k}`)}</dt>
              <dd>{formatCount(p.counts[k], i18n.language)}</dd>
            </div>
          ))}
        </dl>
        {mine ? (
          <div className="actions">
            <Link className="button" to="/saya/profil">
              {t('nav.editProfile')}
            </Link>
            <Link className="button" to="/studio">
              {t('nav.studio')}
            </Link>
            <Link className="button" to="/seller">
              {t('nav.seller')}
            </Link>
          </div>
        ) : (
          <div className="actions">
          <button type="button" className="primary" aria-pressed={p.followedByMe} disabled={follow.isPending} onClick={() => (user ? follow.mutate(!p.followedByMe) : navigate(authPath('/masuk', `/@${handle}`, 'follow')))}>
            {p.followedByMe ? t('profile.unfollow') : t('profile.follow')}
          </button>
          <ReportButton kind="profile" id={p.handle} />
          {user && (
            <>
              <button type="button" aria-pressed={p.blockedByMe} disabled={relation.isPending} onClick={() => relation.mutate({ what: 'block', on: !p.blockedByMe })}>
                {p.blockedByMe ? t('block.unblock') : t('block.block')}
              </button>
              <button type="button" aria-pressed={p.mutedByMe} disabled={relation.isPending} onClick={() => relation.mutate({ what: 'mute', on: !p.mutedByMe })}>
                {p.mutedByMe ? t('block.unmute') : t('block.mute')}
              </button>
            </>
          )}
          </div>
        )}
        {p.blockedByMe && <p className="muted">{t('block.blockedNote')}</p>}
        <ErrorNote error={relation.error} />
        <ErrorNote error={follow.error} />
      </div>
      <ErrorNote error={videos.error} />
      {videos.data && (videos.data.items.length ? <VideoGrid videos={videos.data.items.filter((v) => v.status === 'ready')} /> : <p className="muted">{t('profile.noVideos')}</p>)}
    </section>
  );
}
