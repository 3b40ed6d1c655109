-- Social knows a person only by the social pairwise subject: no email, account id or commerce id.

create table profiles (
  subject text primary key,
  handle text not null,
  display_name text not null,
  bio text not null default '',
  avatar_url text,
  follower_count int not null default 0 check (follower_count >= 0),
  following_count int not null default 0 check (following_count >= 0),
  video_count int not null default 0 check (video_count >= 0),
  like_count int not null default 0 check (like_count >= 0),
  created_at timestamptz not null default now()
);
create unique index profiles_handle on profiles (lower(handle));

create table videos (
  id uuid primary key,
  author text not null references profiles (subject) on delete cascade,
  caption text not null default '',
  hashtags text[] not null default '{}',
  status text not null default 'processing' check (status in ('processing', 'ready', 'failed')),
  failure_reason text,
  duration_ms int,
  width int,
  height int,
  renditions jsonb not null default '[]'::jsonb,
  view_count int not null default 0,
  completed_count int not null default 0,
  watched_fraction_sum double precision not null default 0,
  like_count int not null default 0 check (like_count >= 0),
  comment_count int not null default 0 check (comment_count >= 0),
  share_count int not null default 0,
  -- ln(engagement per view) + created_at / decay: ordering by it is ordering by engagement with
  -- exponential time decay, and it only changes when the video's own counts change.
  hot double precision not null default 0,
  created_at timestamptz not null default now(),
  ready_at timestamptz
);
create index videos_hot on videos (hot desc) where status = 'ready';
create index videos_fresh on videos (created_at desc) where status = 'ready';
create index videos_author on videos (author, created_at desc);
create index videos_hashtags on videos using gin (hashtags);
create index videos_caption_trgm on videos using gin (caption gin_trgm_ops);

create table follows (
  follower text not null references profiles (subject) on delete cascade,
  followee text not null references profiles (subject) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (follower, followee),
  check (follower <> followee)
);
create index follows_followee on follows (followee);

create table likes (
  video_id uuid not null references videos (id) on delete cascade,
  subject text not null,
  created_at timestamptz not null default now(),
  primary key (video_id, subject)
);
create index likes_subject on likes (subject);

create table comments (
  id uuid primary key,
  video_id uuid not null references videos (id) on delete cascade,
  author text not null references profiles (subject) on delete cascade,
  text text not null check (char_length(text) between 1 and 500),
  created_at timestamptz not null default now()
);
create index comments_video on comments (video_id, created_at desc);
create index comments_author on comments (author, created_at desc);

-- Append-only; the subject is null for anonymous viewers.
create table watch_events (
  id bigserial primary key,
  subject text,
  video_id uuid not null references videos (id) on delete cascade,
  watched_ms int not null check (watched_ms >= 0),
  completed boolean not null,
  created_at timestamptz not null default now()
);
create index watch_events_subject on watch_events (subject, created_at desc) where subject is not null;

-- Precomputed from watch events for the For You request path.
create table viewer_completions (
  subject text not null,
  video_id uuid not null references videos (id) on delete cascade,
  completed_at timestamptz not null default now(),
  primary key (subject, video_id)
);
create index viewer_completions_recent on viewer_completions (subject, completed_at desc);

create table viewer_hashtags (
  subject text not null,
  tag text not null,
  score double precision not null default 0,
  primary key (subject, tag)
);

create table shares (
  video_id uuid not null references videos (id) on delete cascade,
  subject text,
  created_at timestamptz not null default now()
);
create index shares_subject on shares (subject) where subject is not null;

-- Resumable uploads in progress: who may resume each one.
create table uploads (
  id text primary key,
  owner text not null,
  caption text not null default '',
  created_at timestamptz not null default now()
);

-- Keeps `hot` in step with the counts it is made of, in the same statement that changes them.
create function videos_hot() returns trigger language plpgsql as $$
begin
  new.hot := ln((new.completed_count + 2 * new.like_count + 3 * new.comment_count + 4 * new.share_count + 1)::float8
                / (new.view_count + 5))
             + extract(epoch from new.created_at) / 172800;
  return new;
end
$$;
create trigger videos_hot before insert or update of view_count, completed_count, like_count, comment_count, share_count, created_at
  on videos for each row execute function videos_hot();
