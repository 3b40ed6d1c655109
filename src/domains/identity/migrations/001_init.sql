create table accounts (
  id uuid primary key,
  email text not null unique,
  handle text not null unique,
  display_name text not null,
  password_hash text not null,
  roles text[] not null default array['user'],
  status text not null default 'active' check (status in ('active', 'erasing', 'erased')),
  created_at timestamptz not null default now()
);

create table sessions (
  token_hash text primary key,
  account_id uuid not null references accounts (id) on delete cascade,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index sessions_account on sessions (account_id);
