import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api/client';
import type { Live, LiveComment, ProductTag } from '../api/types';
import { formatCount, formatDateTime, formatIdrRange } from '../lib/format';
import { ErrorNote, Loading } from '../components/Alert';
import { ConfirmButton } from '../components/ConfirmButton';
import { LivePlayer } from './LivePlayer';
import { useRoom } from './useRoom';
import { DropCards, HostDrops, LiveStatsPanel } from './LiveDrops';
import { HostAllocations } from './HostAllocations';
import { ReportButton } from '../moderation/ReportButton';
import { AgeGate, isAgeGated } from '../trust/AgeGate';
import { useSession } from '../api/session';

function PinnedCard({ product }: { product: ProductTag }) {
  const { t } = useTranslation();
  return (
    <Link className="live-pinned" to={`/produk/${product.productId}`} data-testid="live-pinned">
      {product.imageUrl && <img src={product.imageUrl} alt="" />}
      <span className="stack-tight">
        <span className="small muted">{t('live.pinned')}</span>
        <strong>{product.title}</strong>
        <span className="price">{formatIdrRange(product.priceMinIdr, product.priceMaxIdr)}</span>
      </span>
      <span className="button primary small-btn">{t('live.buy')}</span>
    </Link>
  );
}

/** The host's console: pin a product, moderate the room, end the live. */
function HostConsole({ live, pinned, comments }: { live: Live; pinned: ProductTag | null; comments: LiveComment[] }) {
  const { t } = useTranslation();
  const [notice, setNotice] = useState<string | null>(null);
  const pin = useMutation({ mutationFn: (productId: string | null) => api<Live>(`/api/social/lives/${live.id}/pin`, { method: 'PUT', body: { productId } }) });
  const remove = useMutation({ mutationFn: (commentId: string) => api(`/api/social/lives/${live.id}/comments/${commentId}`, { method: 'DELETE' }) });
  const moderate = useMutation({
    mutationFn: (input: { handle: string; action: 'mute' | 'remove' }) => api(`/api/social/lives/${live.id}/moderation`, { body: input }),
    onSuccess: (_data, input) => setNotice(t(input.action === 'mute' ? 'live.mutedNotice' : 'live.removedNotice', { handle: input.handle })),
  });
  const end = useMutation({ mutationFn: () => api<Live>(`/api/social/lives/${live.id}/end`, { method: 'POST', body: {} }) });
  return (
    <section className="card stack" aria-labelledby="host-console-title" data-testid="host-console">
      <h2 id="host-console-title">{t('live.console')}</h2>
      <p className="muted small">
        {t('live.consoleStats', { likes: live.counts.likes, comments: live.counts.comments, peak: live.counts.peakViewers })}
      </p>
      <h3>{t('live.pinTitle')}</h3>
      <ul className="plain stack-tight">
        {live.products.map((p) => (
          <li key={p.productId} className="tagged">
            {p.title} · {formatIdrRange(p.priceMinIdr, p.priceMaxIdr)}
            {pinned?.productId === p.productId ? (
              <button type="button" className="small-btn" disabled={pin.isPending} onClick={() => pin.mutate(null)}>
                {t('live.unpin')}
                <span className="visually-hidden"> {p.title}</span>
              </button>
            ) : (
              <button type="button" className="small-btn primary" disabled={pin.isPending} onClick={() => pin.mutate(p.productId)}>
                {t('live.pin')}
                <span className="visually-hidden"> {p.title}</span>
              </button>
            )}
          </li>
        ))}
        {live.products.length === 0 && <li className="muted">{t('live.noProducts')}</li>}
      </ul>
      <HostDrops live={live} />
      <HostAllocations />
      <h3>{t('live.moderate')}</h3>
      {notice && (
        <p className="ok small" role="status">
          {notice}
        </p>
      )}
      <ul className="plain stack-tight">
        {comments.filter((c) => c.author.handle !== live.host.handle).slice(-10).map((c) => (
          <li key={c.id} className="tagged">
            <span>
              <strong>@{c.author.handle}</strong> {c.text}
            </span>
            <span className="inline-form">
              <button type="button" className="small-btn" onClick={() => remove.mutate(c.id)}>
                {t('live.deleteComment')}
              </button>
              <button type="button" className="small-btn" onClick={() => moderate.mutate({ handle: c.author.handle, action: 'mute' })}>
                {t('live.mute')}
              </button>
              <button type="button" className="small-btn danger" onClick={() => moderate.mutate({ handle: c.author.handle, action: 'remove' })}>
                {t('live.remove')}
              </button>
            </span>
          </li>
        ))}
      </ul>
      <ErrorNote error={pin.error ?? remove.error ?? moderate.error ?? end.error} />
      <ConfirmButton label={t('live.end')} title={t('live.endTitle')} confirmLabel={t('live.endConfirm')} onConfirm={() => end.mutate()} disabled={end.isPending}>
        {t('live.endExplain')}
      </ConfirmButton>
    </section>
  );
}

export default function LivePage() {
  const { id } = useParams();
  const { t, i18n } = useTranslation();
  const live = useQuery({ queryKey: ['live', id], queryFn: () => api<Live>(`/api/social/lives/${id}`), refetchInterval: 5000 });
  const { user } = useSession();
  const { state, comment, like } = useRoom(live.data && live.data.status !== 'ended' ? id : undefined);
  const [text, setText] = useState('');
  const list = useRef<HTMLOListElement>(null);
  useEffect(() => {
    list.current?.lastElementChild?.scrollIntoView({ block: 'nearest' });
  }, [state.comments.length]);

  if (live.isLoading) return <Loading />;
  if (live.error instanceof ApiError && live.error.problem.status === 404) return <p className="card">{t('live.notFound')}</p>;
  if (isAgeGated(live.error)) return <AgeGate what="live" />;
  if (!live.data) return <ErrorNote error={live.error} />;
  if (state.refused === 'removed') return <p className="card" role="alert">{t('live.removedYou')}</p>;
  // The room's view is the freshest while it is open; the page's own fetch knows when it ended.
  const current = state.live ? { ...live.data, ...state.live, status: live.data.status === 'ended' ? live.data.status : state.live.status, counts: live.data.counts, products: live.data.products } : live.data;
  const ended = state.ended ?? (current.status === 'ended' ? { replayVideoId: current.replayVideoId } : null);
  const pinned = state.live ? state.pinned : current.pinned;
  const playlist = ended ? null : state.live ? state.playlistUrl : current.playlistUrl;
  return (
    <section className="live-page" aria-labelledby="live-title">
      <div className="live-stage">
        {playlist ? (
          <LivePlayer url={playlist} label={current.title} />
        ) : (
          <div className="live-waiting" role="status">
            {ended ? (
              <>
                <p>{t('live.endedNote')}</p>
                {ended.replayVideoId && <Link to={`/video/${ended.replayVideoId}`}>{t('live.watchReplay')}</Link>}
              </>
            ) : (
              <p>{current.status === 'scheduled' ? t('live.startsAt', { at: formatDateTime(current.scheduledAt, i18n.language) }) : t('live.offAir')}</p>
            )}
          </div>
        )}
        <div className="live-overlay">
          {playlist && <span className="live-badge">{t('live.badge')}</span>}
          <span className="live-viewers" data-testid="live-viewers">
            {t('live.viewers', { count: state.viewers, formatted: formatCount(state.viewers, i18n.language) })}
          </span>
        </div>
        {pinned && <PinnedCard product={pinned} />}
      </div>
      <div className="live-side stack">
        <h1 id="live-title">{current.title}</h1>
        <p className="muted small">
          <Link to={`/@${current.host.handle}`}>{current.host.displayName}</Link> · ♥ {formatCount(state.likes || current.counts.likes, i18n.language)}
          {!state.you?.host && user?.handle !== current.host.handle && (
            <>
              {' · '}
              <ReportButton kind="live" id={current.id} className="link small" />
            </>
          )}
        </p>
        {user?.handle === current.host.handle && ended && (
          <p className="small">
            <Link to="/saya/moderasi">{t('trust.hostDecisions')}</Link>
          </p>
        )}
        {!ended && <DropCards drops={state.drops} clockOffsetMs={state.clockOffsetMs} live={current} />}
        <ol className="plain live-comments" ref={list} aria-label={t('live.comments')} aria-live="polite">
          {state.comments.map((c) => (
            <li key={c.id}>
              <strong>{c.author.displayName}</strong> {c.text}
            </li>
          ))}
        </ol>
        {state.error && (
          <p className="alert small" role="alert">
            {state.error}
          </p>
        )}
        {!ended &&
          (state.you?.signedIn ? (
            state.you.muted ? (
              <p className="muted small">{t('live.youAreMuted')}</p>
            ) : (
              <form
                className="inline-form"
                onSubmit={(e: FormEvent) => {
                  e.preventDefault();
                  if (!text.trim()) return;
                  comment(text);
                  setText('');
                }}
              >
                <label htmlFor="live-comment" className="visually-hidden">
                  {t('live.commentLabel')}
                </label>
                <input id="live-comment" value={text} maxLength={150} placeholder={t('live.commentLabel')} onChange={(e) => setText(e.target.value)} />
                <button type="submit">{t('live.send')}</button>
                <button type="button" aria-label={t('live.like')} onClick={() => like(1)}>
                  ♥
                </button>
              </form>
            )
          ) : (
            <p className="small">
              <Link to="/masuk">{t('live.signInToComment')}</Link>
            </p>
          ))}
        {state.you?.host && !ended && <HostConsole live={current} pinned={pinned} comments={state.comments} />}
        {user?.handle === current.host.handle && (ended || state.you?.host) && <LiveStatsPanel liveId={current.id} />}
      </div>
    </section>
  );
}
