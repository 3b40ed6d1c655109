import { useEffect, useRef, useState } from 'react';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Link, NavLink } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { FeedItem, Page } from '../api/types';
import { useSession } from '../api/session';
import { FeedVideo } from '../components/FeedVideo';
import { ErrorNote, Loading } from '../components/Alert';
import { LiveStrip } from '../live/LiveStrip';

const PERSONALIZED_KEY = 'sekat.personalized';

/** The vertical, snap-scrolling feed: For You (optionally without personalisation) or Following. */
export default function Feed({ kind }: { kind: 'for-you' | 'following' }) {
  const { t } = useTranslation();
  const { user, loading } = useSession();
  const [personalized, setPersonalized] = useState(() => localStorage.getItem(PERSONALIZED_KEY) !== 'false');
  const [active, setActive] = useState(0);
  const [muted, setMuted] = useState(true);
  const scroller = useRef<HTMLDivElement>(null);

  const feed = useInfiniteQuery({
    queryKey: ['feed', kind, kind === 'for-you' ? personalized : null, user?.id ?? null],
    queryFn: ({ pageParam }) => {
      const params = new URLSearchParams({ limit: '10' });
      if (pageParam) params.set('cursor', pageParam);
      if (kind === 'for-you' && !personalized) params.set('personalized', 'false');
      return api<Page<FeedItem>>(`/api/social/feed/${kind}?${params}`);
    },
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    enabled: kind === 'for-you' || !!user,
  });
  const items = feed.data?.pages.flatMap((p) => p.items) ?? [];

  useEffect(() => {
    const root = scroller.current;
    if (!root) return;
    const observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          if (entry.isIntersecting && entry.intersectionRatio >= 0.6) setActive(Number((entry.target as HTMLElement).dataset.index));
        }
      },
      { root, threshold: [0.6] },
    );
    root.querySelectorAll('[data-index]').forEach((el) => observer.observe(el));
    return () => observer.disconnect();
  }, [items.length]);

  useEffect(() => {
    if (active >= items.length - 2 && feed.hasNextPage && !feed.isFetchingNextPage) void feed.fetchNextPage();
  }, [active, items.length, feed]);

  function togglePersonalized() {
    const next = !personalized;
    setPersonalized(next);
    localStorage.setItem(PERSONALIZED_KEY, String(next));
    setActive(0);
  }

  return (
    <section className="feed-page" aria-label={t('feed.title')}>
      <h1 className="visually-hidden">{t('feed.title')}</h1>
      <div className="feed-top">
        <nav className="tabs" aria-label={t('feed.tabs')}>
          <NavLink to="/" end>
            {t('feed.forYou')}
          </NavLink>
          <NavLink to="/mengikuti">{t('feed.following')}</NavLink>
        </nav>
        {kind === 'for-you' && (
          <label className="switch">
            <input type="checkbox" role="switch" checked={personalized} onChange={togglePersonalized} />
            <span>{t('feed.personalized')}</span>
          </label>
        )}
      </div>
      <LiveStrip feed={kind} enabled={kind === 'for-you' || !!user} />
      {kind === 'following' && !user && !loading ? (
        <div className="card">
          <p>{t('feed.followingSignIn')}</p>
          <Link to="/masuk">{t('nav.signIn')}</Link>
        </div>
      ) : (
        <div className="feed" ref={scroller} tabIndex={0} aria-label={t('feed.scroller')}>
          {feed.isLoading && <Loading />}
          <ErrorNote error={feed.error} />
          {items.map((item, index) => (
            <div key={item.id} data-index={index} className="feed-slot">
              <FeedVideo item={item} active={index === active} preload={index === active + 1} muted={muted} onToggleMute={() => setMuted(!muted)} />
            </div>
          ))}
          {feed.isSuccess && items.length === 0 && (
            <div className="card empty">
              <p>{kind === 'following' ? t('feed.followingEmpty') : t('feed.empty')}</p>
              <Link to="/studio">{t('feed.uploadFirst')}</Link>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
