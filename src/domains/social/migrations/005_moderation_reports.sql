-- Reports, decisions with their statements of reasons, appeals and the operators' audit log,
-- about social content only, keyed by social pseudonyms (platform/moderation/engine.ts).

create table social_reports (
  id uuid primary key,
  item_kind text not null,
  item_id text not null,
  -- Whose item it is, so they can read what was reported (never by whom).
  item_owner text,
  item_label text not null default '',
  reporter text not null,
  source text not null default 'person' check (source in ('person', 'authority')),
  reason text not null,
  text text not null default '',
  urgent boolean not null default false,
  deadline_at timestamptz,
  status text not null default 'open' check (status in ('open', 'actioned', 'dismissed')),
  decision_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- One report per person per item: reporting again updates it.
create unique index social_reports_once on social_reports (item_kind, item_id, reporter) where source = 'person';
create index social_reports_open on social_reports (item_kind, item_id) where status = 'open';
create index social_reports_reporter on social_reports (reporter, updated_at desc);
create index social_reports_owner on social_reports (item_owner, created_at desc);

create table social_decisions (
  id uuid primary key,
  item_kind text not null,
  item_id text not null,
  item_label text not null default '',
  affected text,
  action text not null,
  reason text not null,
  rule text not null,
  explanation text not null check (explanation <> ''),
  automated boolean not null default false,
  ends_at timestamptz,
  operator text not null,
  status text not null default 'in_force' check (status in ('in_force', 'reversed')),
  appeal_until timestamptz not null,
  created_at timestamptz not null default now()
);
create index social_decisions_affected on social_decisions (affected, created_at desc);
create index social_decisions_item on social_decisions (item_kind, item_id);

create table social_appeals (
  id uuid primary key,
  -- One appeal per decision.
  decision_id uuid not null unique references social_decisions (id),
  appellant text not null,
  text text not null,
  status text not null default 'pending' check (status in ('pending', 'upheld', 'reversed')),
  decided_by text,
  outcome text,
  decided_at timestamptz,
  created_at timestamptz not null default now()
);

-- Every operator action, append-only: the trigger refuses updates and deletes.
create table social_moderation_audit (
  id bigserial primary key,
  operator text not null,
  action text not null,
  item_kind text not null,
  item_id text not null,
  decision_id uuid,
  reason text not null,
  created_at timestamptz not null default now()
);
create function social_moderation_audit_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'the moderation audit log is append-only';
end;
$$;
create trigger social_moderation_audit_append_only before update or delete on social_moderation_audit
  for each row execute function social_moderation_audit_append_only();

-- What a decision does: a removed video is gone for everyone but its author, a restricted one
-- stays off For You; a removed comment is hidden; a suspended profile cannot post.
alter table videos add column moderation text not null default 'none' check (moderation in ('none', 'restricted', 'removed'));
alter table comments add column removed_at timestamptz;
alter table profiles add column suspended_until timestamptz;
