-- When the account's current address was confirmed by a mailed link; null until then.
alter table accounts add column email_verified_at timestamptz;

-- Links mailed to confirm an address: at sign-up ('verify') and for a new address ('change').
-- Only a hash of each token is kept; a token confirms exactly the address it was sent to.
create table email_tokens (
  token_hash text primary key,
  account_id uuid not null references accounts (id) on delete cascade,
  purpose text not null check (purpose in ('verify', 'change')),
  email text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
create index email_tokens_account on email_tokens (account_id, purpose);
