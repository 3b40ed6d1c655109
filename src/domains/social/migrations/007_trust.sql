-- Trust and safety across lives and the age gate (platform/moderation, social/moderation.ts).
-- An age-gated video or live is shown only to signed-in viewers who said they are 18 or older;
-- a live can be restricted (kept off the LIVE strip), and its replay removed even before the
-- replay exists (the flag is read when the recording becomes a video).
alter table videos add column age_gated boolean not null default false;
alter table lives add column age_gated boolean not null default false;
alter table lives add column restricted boolean not null default false;
alter table lives add column replay_removed boolean not null default false;
-- The viewer's own statement that they are 18 or older (self-declared; null: not said).
alter table profiles add column adult_confirmed_at timestamptz;
