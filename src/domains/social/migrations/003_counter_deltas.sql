-- Engagement is written as facts (watch_events, likes, comments, shares) and, in the same
-- statement, as a signed delta here; a roll-up folds the deltas into the videos' and authors'
-- counters off the request path, so a video everyone watches is not a row everyone waits on.
-- The facts and their deltas commit together: a crash loses no increment, and the roll-up
-- deletes the deltas it folds in the same transaction as it applies them.
create table video_counter_deltas (
  id bigserial primary key,
  video_id uuid not null references videos (id) on delete cascade,
  views int not null default 0,
  completed int not null default 0,
  fraction double precision not null default 0,
  likes int not null default 0,
  comments int not null default 0,
  shares int not null default 0
);
create index video_counter_deltas_video on video_counter_deltas (video_id);

-- Following pages merge each followed creator's newest ready videos from this index, so a page
-- deep in the feed costs what the first page costs.
create index videos_author_ready on videos (author, created_at desc, id desc) where status = 'ready';
