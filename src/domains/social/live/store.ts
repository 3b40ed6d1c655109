import type { ColumnType, Generated, Kysely } from 'kysely';
import type { TagsDB } from '../tags/store.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface LiveTable {
  id: string;
  host: string;
  title: string;
  status: Generated<'scheduled' | 'live' | 'ended'>;
  on_air: Generated<boolean>;
  scheduled_at: Timestamp;
  started_at: Date | null;
  ended_at: Date | null;
  key_hash: string;
  publish_count: Generated<number>;
  pinned_product_id: string | null;
  replay_video_id: string | null;
  peak_viewers: Generated<number>;
  total_viewers: Generated<number>;
  like_count: ColumnType<number, number | undefined, number>;
  comment_count: Generated<number>;
  created_at: Generated<Date>;
  /** Moderation decisions on the live (social/moderation.ts). */
  age_gated: Generated<boolean>;
  restricted: Generated<boolean>;
  replay_removed: Generated<boolean>;
  product_taps: Generated<number>;
}

export interface LiveDropTable {
  id: string;
  live_id: string;
  kind: 'voucher' | 'flash';
  offer_id: string;
  offer_json: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  created_at: Generated<Date>;
}

export interface LiveShownProductTable {
  live_id: string;
  product_id: string;
  position: number;
}

export interface LiveCommentTable {
  id: string;
  live_id: string;
  author: string;
  text: string;
  deleted: Generated<boolean>;
  created_at: Timestamp;
}

export interface LiveBanTable {
  live_id: string;
  subject: string;
  kind: 'muted' | 'removed';
  created_at: Generated<Date>;
}

export interface LiveDB extends TagsDB {
  lives: LiveTable;
  live_shown_products: LiveShownProductTable;
  live_comments: LiveCommentTable;
  live_bans: LiveBanTable;
  live_drops: LiveDropTable;
}

export type LiveDb = Kysely<LiveDB>;
