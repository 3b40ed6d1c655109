-- Commerce notifications: the buyer's and the seller's inbox (commerce pseudonyms only). Rows are
-- appended in the transaction of the event they announce; the list coalesces rows of one group.
create table commerce_notifications (
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
create index commerce_notifications_inbox on commerce_notifications (recipient, id desc);
create index commerce_notifications_unread on commerce_notifications (recipient, group_key) where read_at is null;

-- A muted kind is not stored while muted.
create table commerce_notification_preferences (
  subject text not null,
  kind text not null,
  muted boolean not null,
  updated_at timestamptz not null default now(),
  primary key (subject, kind)
);
