-- Session lifetimes and what a session was signed in with.
-- second_factor: the factor given at sign-in ('totp'; passkeys later), null for a password alone.
-- strict_since: when the session began to run on the short lifetime of sellers and operators
--   (30 minutes idle, 12 hours in all, counted from then); null for everyone else.
-- authenticated_at: when the person last proved who they are in this session (sign-in, or the
--   password or a code given again); sensitive actions want it recent.
alter table sessions add column second_factor text check (second_factor in ('totp', 'passkey'));
alter table sessions add column strict_since timestamptz;
alter table sessions add column authenticated_at timestamptz;
update sessions set authenticated_at = created_at where authenticated_at is null;
