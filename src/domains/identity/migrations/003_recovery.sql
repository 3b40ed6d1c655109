-- The person's language, for mail: chosen at sign-up (the web sends it; else Accept-Language).
alter table accounts add column locale text not null default 'id' check (locale in ('id', 'en'));

-- Only a hash of each reset token is kept, so a leaked table opens no account.
create table password_resets (
  token_hash text primary key,
  account_id uuid not null references accounts (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
create index password_resets_account on password_resets (account_id);
