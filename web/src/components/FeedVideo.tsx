import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { FeedItem, Profile, Video } from '../api/types';
import { useSession } from '../api/session';
import { ReportButton } from '../moderation/ReportButton';
import { formatCount, formatIdrRange } from '../lib/format';
import { reasonText } from '../lib/reason';
import { authPath, type SignInReason } from '../lib/next';
import { VideoPlayer } from './VideoPlayer';
import { ProductSheet } from './ProductSheet';
import { CommentsSheet } from './CommentsSheet';
import { Sheet } from './Sheet';
import { Icon } from './Icon';

/** One screen of the feed: the video, its side rail, caption, reason and shoppable tags. */
export function FeedVideo({ item, active, preload, muted, onToggleMute }: { item: Video & Partial<Pick<FeedItem, 'why'>>; active: boolean; preload: boolean; muted: boolean; onToggleMute(): void }) {
  const { t, i18n } = useTranslation();
  const { user } = useSession();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [counts, setCounts] = useState(item.counts);
  const [liked, setLiked] = useState(item.likedByMe);
  const [following, setFollowing] = useState<boolean | null>(null);
  const [sheet, setSheet] = useState<'comments' | 'why' | 'share' | { product: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const mine = user?.handle === item.author.handle;

  // Back to this very video after signing in, rather than the top of a feed that has moved on.
  const needSignIn = (reason: SignInReason) => navigate(authPath('/masuk', `/video/${item.id}`, reason));
  const like = useMutation({
    mutationFn: (on: boolean) => api<Video>(`/api/social/videos/${item.id}/like`, { method: on ? 'POST' : 'DELETE' }),
    onSuccess: (video) => {
      setLiked(video.likedByMe);
      setCounts(video.counts);
    },
    onError: () => setNotice(t('errors.generic')),
  });
  const follow = useMutation({
    mutationFn: (on: boolean) => api<Profile>(`/api/social/users/${item.author.handle}/follow`, { method: on ? 'POST' : 'DELETE' }),
    onSuccess: (profile) => {
      setFollowing(profile.followedByMe);
      void client.invalidateQueries({ queryKey: ['profile', item.author.handle] });
    },
    onError: () => setNotice(t('errors.generic')),
  });
  const share = useMutation({
    mutationFn: () => api<Video>(`/api/social/videos/${item.id}/share`, { method: 'POST', body: {} }),
    onSuccess: (video) => setCounts(video.counts),
  });

  async function doShare() {
    const url = `${location.origin}/video/${item.id}`;
    share.mutate();
    try {
      if (navigator.share) await navigator.share({ title: item.caption || 'Sekat', url });
      else {
        await navigator.clipboard.writeText(url);
        setNotice(t('feed.linkCopied'));
      }
    } catch {
      setSheet('share');
    }
  }

  const productTag = sheet && typeof sheet === 'object' ? item.productTags.find((p) => p.productId === sheet.product) : undefined;

  return (
    <article className="feed-item" aria-label={t('feed.videoBy', { name: item.author.displayName })} data-active={active}>
      <VideoPlayer video={item} active={active} preload={preload} muted={muted} onToggleMute={onToggleMute} />
      <div className="rail">
        <div className="avatar-wrap">
          <Link to={`/@${item.author.handle}`} className="avatar" aria-label={t('feed.profileOf', { name: item.author.displayName })}>
            {item.author.avatarUrl ? <img src={item.author.avatarUrl} alt="" /> : item.author.displayName.slice(0, 1).toUpperCase()}
          </Link>
          {!mine && (
            <button
              type="button"
              className="follow"
              aria-pressed={following === true}
              onClick={() => (user ? follow.mutate(following !== true) : needSignIn('follow'))}
              aria-label={following ? t('feed.unfollowName', { handle: item.author.handle }) : t('feed.followName', { handle: item.author.handle })}
            >
              {following ? '✓' : '+'}
            </button>
          )}
        </div>
        <button type="button" className="rail-btn" aria-pressed={liked} onClick={() => (user ? like.mutate(!liked) : needSignIn('like'))}>
          <span className="visually-hidden">{liked ? t('feed.unlike') : t('feed.like')}</span>
          <span className={liked ? 'liked' : undefined}>
            <Icon name="heart" size={30} />
          </span>
          <span>{formatCount(counts.likes, i18n.language)}</span>
        </button>
        <button type="button" className="rail-btn" onClick={() => setSheet('comments')}>
          <span className="visually-hidden">{t('feed.comments')}</span>
          <Icon name="comment" size={30} />
          <span>{formatCount(counts.comments, i18n.language)}</span>
        </button>
        <button type="button" className="rail-btn" onClick={() => void doShare()}>
          <span className="visually-hidden">{t('feed.share')}</span>
          <Icon name="share" size={30} />
          <span>{formatCount(counts.shares, i18n.language)}</span>
        </button>
        {user?.handle !== item.author.handle && <ReportButton kind="video" id={item.id} className="rail-btn" rail />}
      </div>
      <div className="overlay">
        <Link to={`/@${item.author.handle}`} className="handle">
          @{item.author.handle}
        </Link>
        <p className="caption">
          {item.caption.split(/(#[\p{L}\p{N}_]+)/u).map((part, i) =>
            part.startsWith('#') ? (
              <Link key={i} to={`/cari?q=${encodeURIComponent(part)}`}>
                {part}
              </Link>
            ) : (
              part
            ),
          )}
        </p>
        {item.productTags.map((tag) => (
          <button key={tag.productId} type="button" className="cart-chip" onClick={() => setSheet({ product: tag.productId })}>
            <Icon name="cart" size={18} /> {tag.title} · {formatIdrRange(tag.priceMinIdr, tag.priceMaxIdr)}
            {!tag.inStock && ` · ${t('product.soldOut')}`}
          </button>
        ))}
        {item.why !== undefined && (
          <button type="button" className="why" onClick={() => setSheet('why')}>
            <Icon name="info" size={14} /> {t('feed.why')}
          </button>
        )}
        {notice && (
          <p role="status" className="notice">
            {notice}
          </p>
        )}
      </div>
      {sheet === 'comments' && <CommentsSheet videoId={item.id} open onClose={() => setSheet(null)} onPosted={() => setCounts((c) => ({ ...c, comments: c.comments + 1 }))} />}
      {sheet === 'why' && (
        <Sheet title={t('feed.why')} open onClose={() => setSheet(null)}>
          {item.why && <p className="reason">{reasonText(t, item.why)}</p>}
          <p className="muted">{t('feed.whyExplain')}</p>
          <Link to="/privasi">{t('nav.privacy')}</Link>
        </Sheet>
      )}
      {sheet === 'share' && (
        <Sheet title={t('feed.share')} open onClose={() => setSheet(null)}>
          <label className="field">
            {t('feed.shareLink')}
            <input readOnly value={`${location.origin}/video/${item.id}`} onFocus={(e) => e.currentTarget.select()} />
          </label>
        </Sheet>
      )}
      {productTag && <ProductSheet videoId={item.id} tag={productTag} open onClose={() => setSheet(null)} />}
    </article>
  );
}
