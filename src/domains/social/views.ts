import { textProblem } from '../../platform/text.js';
import { HttpProblem, notFound, unprocessable, validationFailed } from '../../platform/errors.js';
import type { VideoRow } from './store.js';
import { MAX_CAPTION } from './hashtags.js';
import { masterUrl, posterUrl } from './media/paths.js';
import type { ProfileView, VideoView } from './schemas.js';
import type { ProfileSeed } from '../../contracts/ports.js';

/** The public facts a signed-in person chose to show; the composition root supplies them. */
export type { ProfileSeed };

export const COMMENTS_PER_MINUTE = 10;

export type { VideoRow };

/** A video's answer; its type is the schema's own (schemas.ts), as is the profile's. */
export type { VideoView, ProfileView };

export function videoView(row: VideoRow, viewer?: string): VideoView {
  const ready = row.status === 'ready';
  const top = row.renditions[0];
  return {
    id: row.id,
    status: row.status,
    ...(row.status === 'failed' && viewer === row.author ? { failureReason: row.failure_reason ?? 'unknown' } : {}),
    author: { handle: row.handle, displayName: row.display_name, avatarUrl: row.avatar_url },
    caption: row.caption,
    hashtags: row.hashtags,
    durationMs: row.duration_ms,
    posterUrl: ready ? posterUrl(row.id) : null,
    sources: ready && top ? [{ url: masterUrl(row.id), type: 'application/vnd.apple.mpegurl', height: top.height }] : [],
    productTags: [],
    counts: { views: row.view_count, likes: row.like_count, comments: row.comment_count, shares: row.share_count },
    likedByMe: false,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export interface WatchEventInput {
  type: 'view';
  videoId: string;
  watchedMs: number;
  completed: boolean;
}

export interface Watchable {
  duration_ms: number | null;
  hashtags: string[];
}

export const isForeignKeyViolation = (error: unknown) => (error as { code?: string }).code === '23503';

export const isUniqueViolation = (error: unknown, constraint?: string) =>
  (error as { code?: string }).code === '23505' &&
  (constraint === undefined || String((error as { constraint?: string; message?: string }).constraint ?? (error as Error).message).includes(constraint));

/** Who a page is for: authors hidden from the viewer (blocks either way, mutes) and whether they confirmed being 18 or older. */
export interface Audience {
  hidden: ReadonlySet<string>;
  adult: boolean;
}

export const ANONYMOUS: Audience = Object.freeze({ hidden: new Set<string>(), adult: false });

/** A video that can be engaged with: ready and not removed. */
export function ready(row: VideoRow): VideoRow {
  if (row.status !== 'ready') throw unprocessable(`The video is ${row.status}, not ready.`);
  if (row.moderation === 'removed') throw notFound('No such video.');
  return row;
}

/** Counter deltas a video read adds, because the fold has not reached them yet. */
export interface PendingCounts {
  pending_views: number | null;
  pending_likes: number | null;
  pending_comments: number | null;
  pending_shares: number | null;
}

/** A viewer's audience, and the authors who block them (their videos and profile are 404 to the viewer). */
export interface ViewerAudience extends Audience {
  blockedBy: ReadonlySet<string>;
}

/** Whether a video (or live) row may be shown to this audience. */
export const visibleTo = (
  audience: Audience, row: { author: string; age_gated: boolean },
) => !audience.hidden.has(row.author) && (audience.adult || !row.age_gated);

/** An age-gated item for a viewer who has not said they are 18 or older (anonymous: sign in first). */
export const ageConfirmationRequired = (what: 'video' | 'live', viewer: string | undefined) =>
  new HttpProblem(
    403,
    'age-confirmation-required',
    'Age confirmation required',
    viewer ? `This ${what} is for viewers 18 or older: confirm your age first (PUT /api/social/me/age).` : `This ${what} is for viewers 18 or older: sign in and confirm your age first.`,
  );

export function checkCaption(caption: string): void {
  if ([...caption].length > MAX_CAPTION) throw validationFailed({ caption: [`must be at most ${MAX_CAPTION} characters`] });
  const problem = textProblem('free-text', caption);
  if (problem) throw validationFailed({ caption: [problem] });
}
