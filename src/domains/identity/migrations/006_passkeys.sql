-- Passkeys (WebAuthn credentials). Nothing here is secret: the authenticator keeps the private key;
-- the server keeps the public key to check signatures, the signature counter (a clone reports an
-- older one), the transports the browser offers it over, and a name the person chose.
create table passkeys (
  id uuid primary key,
  account_id uuid not null references accounts (id) on delete cascade,
  credential_id text not null unique,
  public_key bytea not null,
  counter bigint not null default 0 check (counter >= 0),
  transports text[] not null default array[]::text[],
  -- The WebAuthn user handle the credential was made for: a keyed hash of the account, no address.
  user_handle text not null,
  name text not null,
  backed_up boolean not null default false,
  created_at timestamptz not null default now(),
  last_used_at timestamptz
);
create index passkeys_account on passkeys (account_id);

-- One challenge per ceremony: used once, for minutes, and only by the flow it was issued to
-- (the signed-in session registering, the sign-in that passed its password, or one passwordless try).
-- Only a hash of the flow token is kept.
create table webauthn_challenges (
  flow_hash text primary key,
  purpose text not null check (purpose in ('register', 'second-factor', 'passwordless')),
  challenge text not null,
  account_id uuid references accounts (id) on delete cascade,
  binding_hash text,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
create index webauthn_challenges_expiry on webauthn_challenges (expires_at);
