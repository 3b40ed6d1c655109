import type { ColumnType, Generated, Selectable } from 'kysely';
import type { PlatformDB } from '../../platform/store.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Counter = Generated<number>;

export interface ProfileTable {
  subject: string;
  handle: string;
  display_name: string;
  bio: Generated<string>;
  avatar_url: string | null;
  follower_count: Counter;
  following_count: Counter;
  video_count: Counter;
  like_count: Counter;
  created_at: Generated<Date>;
  /** Set by a moderation decision (suspend_account); the profile cannot post until then. */
  suspended_until: Date | null;
  /** When the person said they are 18 or older (self-declared), or null. */
  adult_confirmed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface RenditionRow {
  width: number;
  height: number;
  size: number;
}

export interface VideoTable {
  id: string;
  author: string;
  caption: string;
  hashtags: string[];
  status: Generated<'processing' | 'ready' | 'failed'>;
  failure_reason: string | null;
  duration_ms: number | null;
  width: number | null;
  height: number | null;
  renditions: ColumnType<RenditionRow[], string | undefined, string>;
  view_count: Counter;
  completed_count: Counter;
  watched_fraction_sum: Generated<number>;
  like_count: Counter;
  comment_count: Counter;
  share_count: Counter;
  hot: Generated<number>;
  created_at: Timestamp;
  ready_at: Date | null;
  /** A moderation decision's effect: restricted videos stay off For You, removed ones are gone for all but the author. */
  moderation: Generated<'none' | 'restricted' | 'removed'>;
  /** An age-gate decision: shown only to signed-in viewers who confirmed they are 18 or older. */
  age_gated: Generated<boolean>;
}

export interface FollowTable {
  follower: string;
  followee: string;
  created_at: Generated<Date>;
}

export interface LikeTable {
  video_id: string;
  subject: string;
  created_at: Generated<Date>;
}

export interface CommentTable {
  id: string;
  video_id: string;
  author: string;
  text: string;
  created_at: Timestamp;
  /** Hidden by a moderation decision. */
  removed_at: Generated<Date | null>;
}

export interface WatchEventTable {
  id: Generated<number>;
  subject: string | null;
  video_id: string;
  watched_ms: number;
  completed: boolean;
  created_at: Generated<Date>;
}

export interface ViewerCompletionTable {
  subject: string;
  video_id: string;
  completed_at: Timestamp;
}

export interface ViewerHashtagTable {
  subject: string;
  tag: string;
  score: number;
}

export interface ShareTable {
  video_id: string;
  subject: string | null;
  created_at: Generated<Date>;
}

/** A signed change to one video's counters, not yet folded into `videos` (engagement/counters.ts). */
export interface VideoCounterDeltaTable {
  id: Generated<number>;
  video_id: string;
  views: Generated<number>;
  completed: Generated<number>;
  fraction: Generated<number>;
  likes: Generated<number>;
  comments: Generated<number>;
  shares: Generated<number>;
}

export interface UploadTable {
  id: string;
  owner: string;
  caption: string;
  created_at: Generated<Date>;
}

export interface BlockTable {
  blocker: string;
  blocked: string;
  created_at: Generated<Date>;
}

export interface MuteTable {
  muter: string;
  muted: string;
  created_at: Generated<Date>;
}

/** Social's own tables (a type, not an interface, as Kysely's `withTables` wants). */
export type SocialTables = {
  blocks: BlockTable;
  mutes: MuteTable;
  profiles: ProfileTable;
  videos: VideoTable;
  follows: FollowTable;
  likes: LikeTable;
  comments: CommentTable;
  watch_events: WatchEventTable;
  viewer_completions: ViewerCompletionTable;
  viewer_hashtags: ViewerHashtagTable;
  shares: ShareTable;
  video_counter_deltas: VideoCounterDeltaTable;
  uploads: UploadTable;
};

export type SocialDB = PlatformDB & SocialTables;


/** A video joined with its author's public profile, as feeds and views read it. */
export type VideoRow = Selectable<VideoTable> & { handle: string; display_name: string; avatar_url: string | null };
