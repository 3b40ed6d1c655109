import type { Transaction } from 'kysely';
import type { BridgeDatabase, BridgeDB } from '../store.js';
import { uuidv7 } from '../../../platform/ids.js';
import { PURPOSES, type Purpose } from './purposes.js';

export interface ConsentState {
  purpose: string;
  granted: boolean;
  version: number;
  updatedAt: string | null;
  title: Purpose['title'];
  description: Purpose['description'];
  history: { granted: boolean; version: number; at: string }[];
}

/** The append-only consent ledger: every change is a new row; the newest one is in force. */
export class ConsentLedger {
  constructor(private readonly db: BridgeDatabase) {}

  async isGranted(subject: string, purpose: string, db: BridgeDatabase | Transaction<BridgeDB> = this.db): Promise<boolean> {
    const row = await db
      .selectFrom('consents')
      .select('granted')
      .where('subject', '=', subject)
      .where('purpose', '=', purpose)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? Boolean(row.granted) : (PURPOSES.find((p) => p.id === purpose)?.defaultGranted ?? false);
  }

  async record(trx: Transaction<BridgeDB>, subject: string, purpose: Purpose, granted: boolean): Promise<void> {
    await trx
      .insertInto('consents')
      .values({ id: uuidv7(), subject, purpose: purpose.id, granted, wording_version: purpose.version })
      .execute();
  }

  async list(subject: string): Promise<ConsentState[]> {
    const rows = (await this.db
      .selectFrom('consents')
      .select(['purpose', 'granted', 'wording_version', 'created_at'])
      .where('subject', '=', subject)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute());
    return PURPOSES.map((purpose) => {
      const mine = rows.filter((r) => r.purpose === purpose.id);
      const current = mine[0];
      return {
        purpose: purpose.id,
        granted: current ? current.granted : purpose.defaultGranted,
        version: purpose.version,
        updatedAt: current ? new Date(current.created_at).toISOString() : null,
        title: purpose.title,
        description: purpose.description,
        history: mine.map((r) => ({ granted: r.granted, version: r.wording_version, at: new Date(r.created_at).toISOString() })),
      };
    });
  }
}
