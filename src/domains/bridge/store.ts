import type { ColumnType, Generated, Kysely } from 'kysely';
import type { SubjectSet } from '../../contracts/ports.js';
import { platformColumns, type ColumnSpec, type DefaultTimestamp, type NullableTimestamp, type PlatformDB } from '../../platform/store.js';

/** Bridge's tables as its migrations make them; `bridgeColumns` below is checked against the migrated database (test/schema.test.ts). */

export interface AffiliateLinksTable {
  subject: string;
  affiliate_id: string;
  created_at: DefaultTimestamp;
}

export interface ConsentsTable {
  id: string;
  subject: string;
  purpose: string;
  granted: boolean;
  wording_version: number;
  created_at: DefaultTimestamp;
}

export interface PersonalizationLinksTable {
  subject: string;
  social_subject: string;
  commerce_subject: string;
  refreshed_at: NullableTimestamp;
}

export interface PrivacyRequestStepsTable {
  request_id: string;
  domain: string;
  status: Generated<'pending' | 'done'>;
  attempts: Generated<number>;
  last_error: string | null;
  done_at: NullableTimestamp;
}

export interface PrivacyRequestsTable {
  id: string;
  kind: 'export' | 'erasure';
  subject: string | null;
  /** The per-domain pseudonyms, only while the request runs. */
  subjects: ColumnType<SubjectSet | null, string | null | undefined, string | null>;
  status: Generated<'pending' | 'ready' | 'done' | 'failed'>;
  file_path: string | null;
  error: string | null;
  created_at: DefaultTimestamp;
  finished_at: NullableTimestamp;
}

/** Bridge's own tables (a type, as Kysely's `withTables` wants). */
export type BridgeTables = {
  affiliate_links: AffiliateLinksTable;
  consents: ConsentsTable;
  personalization_links: PersonalizationLinksTable;
  privacy_request_steps: PrivacyRequestStepsTable;
  privacy_requests: PrivacyRequestsTable;
};

export type BridgeDB = PlatformDB & BridgeTables;

export const bridgeColumns = {
  ...platformColumns,
  affiliate_links: { subject: 'not null', affiliate_id: 'not null', created_at: 'not null' },
  consents: { id: 'not null', subject: 'not null', purpose: 'not null', granted: 'not null', wording_version: 'not null', created_at: 'not null' },
  personalization_links: { subject: 'not null', social_subject: 'not null', commerce_subject: 'not null', refreshed_at: 'null' },
  privacy_request_steps: { request_id: 'not null', domain: 'not null', status: 'not null', attempts: 'not null', last_error: 'null', done_at: 'null' },
  privacy_requests: { id: 'not null', kind: 'not null', subject: 'null', subjects: 'null', status: 'not null', file_path: 'null', error: 'null', created_at: 'not null', finished_at: 'null' },
} as const satisfies ColumnSpec<BridgeDB>;

export type BridgeDatabase = Kysely<BridgeDB>;
