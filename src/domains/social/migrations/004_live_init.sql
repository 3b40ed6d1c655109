-- Live rooms: a creator's live, the products it shows, its chat and who the host kept out.
-- The stream key is kept only as a SHA-256 of it (the key is 32 random bytes, shown once).

create table lives (
  id uuid primary key,
  host text not null references profiles (subject) on delete cascade,
  title text not null,
  status text not null default 'scheduled' check (status in ('scheduled', 'live', 'ended')),
  -- true while a publisher is connected (feeds show only these)
  on_air boolean not null default false,
  scheduled_at timestamptz not null,
  started_at timestamptz,
  ended_at timestamptz,
  key_hash text not null unique,
  -- each publish packages into its own folder, so a reconnect never rewrites what players cached
  publish_count int not null default 0,
  pinned_product_id uuid,
  replay_video_id uuid,
  peak_viewers int not null default 0,
  total_viewers int not null default 0,
  like_count bigint not null default 0,
  comment_count int not null default 0,
  created_at timestamptz not null default now()
);
create index lives_on_air on lives (on_air, started_at desc) where on_air;
create index lives_host on lives (host, created_at desc);

create table live_shown_products (
  live_id uuid not null references lives (id) on delete cascade,
  product_id uuid not null,
  position int not null,
  primary key (live_id, product_id)
);

create table live_comments (
  id uuid primary key,
  live_id uuid not null references lives (id) on delete cascade,
  author text not null,
  text text not null,
  deleted boolean not null default false,
  created_at timestamptz not null default now()
);
create index live_comments_live on live_comments (live_id, created_at desc);
create index live_comments_author on live_comments (author);

-- Viewers the host muted (may watch, may not comment) or removed (may not come back to this live).
create table live_bans (
  live_id uuid not null references lives (id) on delete cascade,
  subject text not null,
  kind text not null check (kind in ('muted', 'removed')),
  created_at timestamptz not null default now(),
  primary key (live_id, subject)
);
create index live_bans_subject on live_bans (subject);
