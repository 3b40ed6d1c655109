-- The TOTP second factor: one per account, unconfirmed until its first code is entered. The secret
-- is kept encrypted (codes are checked against it); last_step is the newest 30-second step a code
-- was accepted for, so each code is used once.
create table totp_factors (
  account_id uuid primary key references accounts (id) on delete cascade,
  secret_sealed text not null,
  created_at timestamptz not null default now(),
  confirmed_at timestamptz,
  last_step bigint
);

-- Ten single-use codes for when the phone is lost; only keyed hashes are kept.
create table recovery_codes (
  account_id uuid not null references accounts (id) on delete cascade,
  code_hash text not null,
  used_at timestamptz,
  primary key (account_id, code_hash)
);

-- A right password for an account with a second factor gives a short-lived challenge, not a
-- session; the code is entered against it.
create table sign_in_challenges (
  token_hash text primary key,
  account_id uuid not null references accounts (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
create index sign_in_challenges_account on sign_in_challenges (account_id);
