-- Social notifications: follows, likes, comments, lives of people you follow (social subjects only).
-- Likes append one row each (no lock on the video); the list coalesces a video's likes into one item.
create table social_notifications (
  id bigint generated always as identity primary key,
  recipient text not null,
  kind text not null,
  group_key text,
  actor text,
  target_type text not null,
  target_id text not null,
  data jsonb not null default '{}',
  read_at timestamptz,
  created_at timestamptz not null default now()
);
create index social_notifications_inbox on social_notifications (recipient, id desc);
create index social_notifications_unread on social_notifications (recipient, group_key) where read_at is null;

-- A muted kind is not stored while muted.
create table social_notification_preferences (
  subject text not null,
  kind text not null,
  muted boolean not null,
  updated_at timestamptz not null default now(),
  primary key (subject, kind)
);

-- One announcement per live and follower, however often (or concurrently) its host reconnects.
create unique index social_notifications_live on social_notifications (recipient, target_id) where kind = 'live';
