-- The consent ledger: append-only; the newest row per (subject, purpose) is in force.
create table consents (
  id uuid primary key,
  subject text not null,
  purpose text not null,
  granted boolean not null,
  wording_version int not null,
  created_at timestamptz not null default now()
);
create index consents_current on consents (subject, purpose, created_at desc);

-- A creator's link between their social profile and their commerce affiliate id
-- (consent purpose creator_affiliate). Only the affiliate id is kept here.
create table affiliate_links (
  subject text primary key,
  affiliate_id text not null,
  created_at timestamptz not null default now()
);

-- The pseudonyms needed to keep feeding purchase categories to social, kept only while the
-- personalize_feed_with_purchases consent is granted.
create table personalization_links (
  subject text primary key,
  social_subject text not null,
  commerce_subject text not null,
  refreshed_at timestamptz
);

-- Export and erasure requests. `subjects` holds the per-domain pseudonyms only while the request
-- runs; a finished erasure keeps its outcome and nothing that points at the person.
create table privacy_requests (
  id uuid primary key,
  kind text not null check (kind in ('export', 'erasure')),
  subject text,
  subjects jsonb,
  status text not null default 'pending' check (status in ('pending', 'ready', 'done', 'failed')),
  file_path text,
  error text,
  created_at timestamptz not null default now(),
  finished_at timestamptz
);
create index privacy_requests_subject on privacy_requests (subject, created_at desc);

create table privacy_request_steps (
  request_id uuid not null references privacy_requests (id) on delete cascade,
  domain text not null,
  status text not null default 'pending' check (status in ('pending', 'done')),
  attempts int not null default 0,
  last_error text,
  done_at timestamptz,
  primary key (request_id, domain)
);
