import type { Generated, Kysely } from 'kysely';
import { platformColumns, type ColumnSpec, type DefaultTimestamp, type NullableTimestamp, type PlatformDB, type Timestamp } from '../../platform/store.js';

/** Identity's tables as its migrations make them; `identityColumns` below is checked against the migrated database (test/schema.test.ts). */

export interface AccountsTable {
  id: string;
  email: string;
  handle: string;
  display_name: string;
  password_hash: string;
  roles: Generated<string[]>;
  status: Generated<'active' | 'erasing' | 'erased'>;
  created_at: DefaultTimestamp;
  locale: Generated<'id' | 'en'>;
  email_verified_at: NullableTimestamp;
}

export interface EmailTokensTable {
  token_hash: string;
  account_id: string;
  purpose: 'verify' | 'change';
  email: string;
  created_at: DefaultTimestamp;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
}

export interface PasskeysTable {
  id: string;
  account_id: string;
  credential_id: string;
  public_key: Uint8Array;
  counter: Generated<number>;
  transports: Generated<string[]>;
  user_handle: string;
  name: string;
  backed_up: Generated<boolean>;
  created_at: DefaultTimestamp;
  last_used_at: NullableTimestamp;
}

export interface PasswordResetsTable {
  token_hash: string;
  account_id: string;
  created_at: DefaultTimestamp;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
}

export interface RecoveryCodesTable {
  account_id: string;
  code_hash: string;
  used_at: NullableTimestamp;
}

export interface SessionsTable {
  token_hash: string;
  account_id: string;
  created_at: DefaultTimestamp;
  last_seen_at: DefaultTimestamp;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
  id: string;
  user_agent: string | null;
  country: string | null;
  second_factor: 'totp' | 'passkey' | null;
  strict_since: NullableTimestamp;
  authenticated_at: NullableTimestamp;
}

export interface SignInChallengesTable {
  token_hash: string;
  account_id: string;
  created_at: DefaultTimestamp;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
}

export interface TotpFactorsTable {
  account_id: string;
  secret_sealed: string;
  created_at: DefaultTimestamp;
  confirmed_at: NullableTimestamp;
  last_step: number | null;
}

export interface WebauthnChallengesTable {
  flow_hash: string;
  purpose: 'register' | 'second-factor' | 'passwordless';
  challenge: string;
  account_id: string | null;
  binding_hash: string | null;
  created_at: DefaultTimestamp;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
}

/** Identity's own tables (migrations/). */
export type IdentityTables = {
  accounts: AccountsTable;
  email_tokens: EmailTokensTable;
  passkeys: PasskeysTable;
  password_resets: PasswordResetsTable;
  recovery_codes: RecoveryCodesTable;
  sessions: SessionsTable;
  sign_in_challenges: SignInChallengesTable;
  totp_factors: TotpFactorsTable;
  webauthn_challenges: WebauthnChallengesTable;
};

export type IdentityDB = PlatformDB & IdentityTables;

export const identityColumns = {
  ...platformColumns,
  accounts: { id: 'not null', email: 'not null', handle: 'not null', display_name: 'not null', password_hash: 'not null', roles: 'not null', status: 'not null', created_at: 'not null', locale: 'not null', email_verified_at: 'null' },
  email_tokens: { token_hash: 'not null', account_id: 'not null', purpose: 'not null', email: 'not null', created_at: 'not null', expires_at: 'not null', used_at: 'null' },
  passkeys: { id: 'not null', account_id: 'not null', credential_id: 'not null', public_key: 'not null', counter: 'not null', transports: 'not null', user_handle: 'not null', name: 'not null', backed_up: 'not null', created_at: 'not null', last_used_at: 'null' },
  password_resets: { token_hash: 'not null', account_id: 'not null', created_at: 'not null', expires_at: 'not null', used_at: 'null' },
  recovery_codes: { account_id: 'not null', code_hash: 'not null', used_at: 'null' },
  sessions: { token_hash: 'not null', account_id: 'not null', created_at: 'not null', last_seen_at: 'not null', expires_at: 'not null', revoked_at: 'null', id: 'not null', user_agent: 'null', country: 'null', second_factor: 'null', strict_since: 'null', authenticated_at: 'null' },
  sign_in_challenges: { token_hash: 'not null', account_id: 'not null', created_at: 'not null', expires_at: 'not null', used_at: 'null' },
  totp_factors: { account_id: 'not null', secret_sealed: 'not null', created_at: 'not null', confirmed_at: 'null', last_step: 'null' },
  webauthn_challenges: { flow_hash: 'not null', purpose: 'not null', challenge: 'not null', account_id: 'null', binding_hash: 'null', created_at: 'not null', expires_at: 'not null', used_at: 'null' },
} as const satisfies ColumnSpec<IdentityDB>;

export type IdentityDatabase = Kysely<IdentityDB>;
