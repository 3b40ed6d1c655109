import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import yazl from 'yazl';
import type { Logger } from 'pino';
import type { BridgeDatabase } from '../store.js';
import { defineJob, enqueueJob, type Job, type JobRunner } from '../../../platform/jobs.js';
import { conflict, notFound } from '../../../platform/errors.js';
import { uuidv7 } from '../../../platform/ids.js';
import { signToken, verifyToken } from '../../../platform/tokens.js';
import type { CommercePort, DomainExport, IdentityPort, OpenOrders, PrivacyPort, SubjectSet } from '../../../contracts/ports.js';
import { exportReadme } from './readme.js';

export const EXPORT_JOB = 'privacy.export';
export const ERASE_JOB = 'privacy.erase';
export interface PrivacyExport {
  requestId: string;
}
export interface PrivacyErasure {
  requestId: string;
  /** Set while the erasure waits for the person's open orders to close. */
  waitForOrders?: true;
}
export const privacyExportJobType = defineJob<PrivacyExport, PrivacyRequests>(EXPORT_JOB, (privacy) => (job) => privacy.runExport(job));
export const privacyErasureJobType = defineJob<PrivacyErasure, PrivacyRequests>(ERASE_JOB, (privacy) => (job) => privacy.runErasure(job));
/** A signed download link works this long. */
const LINK_TTL_SECONDS = 15 * 60;
/** The order erasure runs in: identity last, so the person cannot sign in while it runs. */
export const ERASURE_STEPS = ['social', 'commerce', 'bridge', 'identity'] as const;

/** How often an erasure that waits for open orders looks again. */
export const ERASURE_RECHECK_MS = 15 * 60 * 1000;

export interface PrivacyPorts {
  identity: IdentityPort;
  social: PrivacyPort;
  commerce: PrivacyPort & Pick<CommercePort, 'openOrders'>;
}

export class PrivacyRequests {
  private readonly exportDir: string;

  constructor(
    private readonly db: BridgeDatabase,
    private readonly ports: PrivacyPorts,
    private readonly jobs: JobRunner,
    private readonly log: Logger,
    dataDir: string,
    private readonly linkKey: string,
  ) {
    this.exportDir = path.join(dataDir, 'exports');
  }

  async requestExport(subjects: SubjectSet): Promise<{ id: string; status: string }> {
    const id = uuidv7();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('privacy_requests')
        .values({ id, kind: 'export', subject: subjects.bridge, subjects: JSON.stringify(subjects) })
        .execute();
      await enqueueJob(trx, EXPORT_JOB, { requestId: id }, { maxAttempts: 5 });
    });
    this.jobs.kick();
    return { id, status: 'pending' };
  }

  /** The caller's own export; anyone else's is a 404, as if it did not exist. */
  async exportStatus(bridgeSubject: string, id: string) {
    const row = (await this.db
      .selectFrom('privacy_requests')
      .selectAll()
      .where('id', '=', id)
      .where('kind', '=', 'export')
      .where('subject', '=', bridgeSubject)
      .executeTakeFirst());
    if (!row) throw notFound('No such export.');
    const ready = row.status === 'ready';
    return {
      id: row.id,
      status: row.status as 'pending' | 'ready' | 'failed',
      createdAt: new Date(row.created_at).toISOString(),
      ...(ready
        ? {
            downloadUrl: `/api/privacy/exports/${row.id}/download?token=${encodeURIComponent(
              signToken(this.linkKey, { rid: row.id, exp: Math.floor(Date.now() / 1000) + LINK_TTL_SECONDS }),
            )}`,
            expiresInSeconds: LINK_TTL_SECONDS,
          }
        : {}),
    };
  }

  async listExports(bridgeSubject: string) {
    const rows = (await this.db
      .selectFrom('privacy_requests')
      .select(['id'])
      .where('kind', '=', 'export')
      .where('subject', '=', bridgeSubject)
      .orderBy('created_at', 'desc')
      .limit(20)
      .execute());
    return Promise.all(rows.map((r) => this.exportStatus(bridgeSubject, r.id)));
  }

  /** The zip's path, for its owner (signed in) or for a valid signed link. */
  async downloadPath(id: string, auth: { bridgeSubject?: string; token?: string }): Promise<string> {
    let allowed = false;
    if (auth.token) {
      const check = verifyToken<{ rid: string; exp: number }>(this.linkKey, auth.token);
      allowed = check.ok && check.payload.rid === id;
    }
    const row = (await this.db
      .selectFrom('privacy_requests')
      .select(['subject', 'status', 'file_path'])
      .where('id', '=', id)
      .where('kind', '=', 'export')
      .executeTakeFirst());
    if (!row) throw notFound('No such export.');
    if (!allowed && !(auth.bridgeSubject && row.subject === auth.bridgeSubject)) throw notFound('No such export.');
    if (row.status !== 'ready' || !row.file_path || !existsSync(row.file_path)) throw notFound('This export is not ready.');
    return row.file_path;
  }

  /** Job: gathers every domain's export into one zip. */
  async runExport(job: Job<PrivacyExport>): Promise<void> {
    const { requestId } = job.payload;
    const row = (await this.db.selectFrom('privacy_requests').selectAll().where('id', '=', requestId).executeTakeFirst());
    if (!row || row.status !== 'pending' || !row.subjects) return;
    const subjects = row.subjects;
    const parts: Record<string, DomainExport> = {};
    try {
      parts.identity = await this.ports.identity.exportSubject(subjects.identity);
      parts.social = await this.ports.social.exportSubject(subjects.social);
      parts.commerce = await this.ports.commerce.exportSubject(subjects.commerce);
      parts.bridge = { data: await this.exportOwn(subjects.bridge) };
      mkdirSync(this.exportDir, { recursive: true });
      const target = path.join(this.exportDir, `${requestId}.zip`);
      const partial = `${target}.partial`;
      const zip = new yazl.ZipFile();
      const createdAt = new Date();
      zip.addBuffer(Buffer.from(exportReadme(createdAt)), 'BACA-SAYA.txt');
      for (const [domain, part] of Object.entries(parts)) {
        zip.addBuffer(Buffer.from(JSON.stringify(part.data, null, 2)), `${domain}.json`);
        for (const file of part.files ?? []) {
          if (existsSync(file.path)) zip.addFile(file.path, `${domain}/files/${file.name}`);
        }
      }
      zip.end();
      await pipeline(zip.outputStream, createWriteStream(partial));
      renameSync(partial, target);
      await this.db
        .updateTable('privacy_requests')
        .set({ status: 'ready', file_path: target, subjects: null, finished_at: sql`now()` })
        .where('id', '=', requestId)
        .execute();
    } catch (error) {
      if (job.attempts >= job.maxAttempts) {
        await this.db
          .updateTable('privacy_requests')
          .set({ status: 'failed', subjects: null, error: (error as Error).message, finished_at: sql`now()` })
          .where('id', '=', requestId)
          .execute();
      }
      throw error;
    } finally {
      this.discardReceived(parts);
    }
  }

  /**
   * Files a domain of another process sent for this export (received under exports/incoming/<id>/):
   * once zipped, or when the attempt failed, they go.
   */
  private discardReceived(parts: Record<string, DomainExport>): void {
    const incoming = path.join(this.exportDir, 'incoming');
    const batches = new Set<string>();
    for (const part of Object.values(parts)) {
      for (const file of part.files ?? []) {
        const relative = path.relative(incoming, file.path);
        if (!relative.startsWith('..') && !path.isAbsolute(relative)) batches.add(relative.split(path.sep)[0]!);
      }
    }
    for (const batch of batches) rmSync(path.join(incoming, batch), { recursive: true, force: true });
  }

  private async exportOwn(bridgeSubject: string) {
    const consents = await this.db
      .selectFrom('consents')
      .select(['purpose', 'granted', 'wording_version', 'created_at'])
      .where('subject', '=', bridgeSubject)
      .orderBy('created_at')
      .execute();
    const affiliateLink = await this.db.selectFrom('affiliate_links').select(['affiliate_id', 'created_at']).where('subject', '=', bridgeSubject).executeTakeFirst();
    const requests = await this.db
      .selectFrom('privacy_requests')
      .select(['id', 'kind', 'status', 'created_at', 'finished_at'])
      .where('subject', '=', bridgeSubject)
      .orderBy('created_at')
      .execute();
    return {
      consents: consents.map((c) => ({ purpose: c.purpose, granted: c.granted, wordingVersion: c.wording_version, at: new Date(c.created_at).toISOString() })),
      affiliateLink: affiliateLink ? { affiliateId: affiliateLink.affiliate_id, since: new Date(affiliateLink.created_at).toISOString() } : null,
      privacyRequests: requests.map((r) => ({ id: r.id, kind: r.kind, status: r.status, createdAt: new Date(r.created_at).toISOString() })),
    };
  }

  /**
   * Starts erasing a person everywhere: sign-in is refused at once, then a job asks each domain
   * to erase until every one has. Asking again while it runs changes nothing.
   */
  async requestErasure(subjects: SubjectSet, options: { waitForOpenOrders?: boolean } = {}): Promise<{ id: string; waitingForOrders: boolean }> {
    const pending = await this.pendingErasure(subjects);
    if (pending) return pending;
    const id = uuidv7();
    const waitForOrders = options.waitForOpenOrders === true;
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('privacy_requests').values({ id, kind: 'erasure', subjects: JSON.stringify(subjects) }).execute();
      await trx
        .insertInto('privacy_request_steps')
        .values(ERASURE_STEPS.map((domain) => ({ request_id: id, domain })))
        .execute();
      await enqueueJob(trx, ERASE_JOB, { requestId: id, ...(waitForOrders ? { waitForOrders } : {}) }, { maxAttempts: 25, dedupeKey: `erase:${id}` });
    });
    // Waiting, the person keeps their sign-in to track, pay for or cancel what is still open.
    if (!waitForOrders) await this.ports.identity.beginErasure(subjects.identity);
    this.jobs.kick();
    return { id, waitingForOrders: waitForOrders };
  }

  /** The erasure already asked for and not finished, if any, and whether it still waits for orders. */
  private async pendingErasure(subjects: SubjectSet): Promise<{ id: string; waitingForOrders: boolean } | undefined> {
    const existing = await sql<{ id: string }>`
      select id from privacy_requests
      where kind = 'erasure' and status = 'pending' and subjects->>'identity' = ${subjects.identity}
      limit 1`.execute(this.db);
    const id = existing.rows[0]?.id;
    if (!id) return undefined;
    const waiting = await sql<{ n: string }>`
      select count(*) as n from jobs where type = ${ERASE_JOB} and status in ('queued', 'running')
        and payload->>'requestId' = ${id} and payload->>'waitForOrders' = 'true'`.execute(this.db);
    return { id, waitingForOrders: Number(waiting.rows[0]?.n ?? 0) > 0 };
  }

  /**
   * Calls off an erasure that still waits for open orders: nothing has been erased yet and the
   * sign-in was never refused, so the request and its queued looks are simply dropped. Once the
   * wait is over and erasing has begun it cannot be called off (409); with none asked for, 404.
   */
  async cancelWaitingErasure(subjects: SubjectSet): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const request = await sql<{ id: string }>`
        select id from privacy_requests
        where kind = 'erasure' and status = 'pending' and subjects->>'identity' = ${subjects.identity}
        limit 1 for update`.execute(trx);
      const id = request.rows[0]?.id;
      if (!id) throw notFound('No erasure is waiting.');
      const waiting = await sql<{ n: string }>`
        select count(*) as n from jobs where type = ${ERASE_JOB} and status in ('queued', 'running')
          and payload->>'requestId' = ${id} and payload->>'waitForOrders' = 'true'`.execute(trx);
      if (Number(waiting.rows[0]?.n ?? 0) === 0) throw conflict('Erasing has already begun and cannot be called off.');
      await sql`delete from jobs where type = ${ERASE_JOB} and status = 'queued' and payload->>'requestId' = ${id}`.execute(trx);
      await trx.deleteFrom('privacy_request_steps').where('request_id', '=', id).execute();
      await trx.deleteFrom('privacy_requests').where('id', '=', id).execute();
    });
  }

  /** What erasing now would leave open, and any erasure already on its way: shown before the person confirms. */
  async erasurePreview(subjects: SubjectSet): Promise<{ openOrders: OpenOrders; pending: { id: string; waitingForOrders: boolean } | null }> {
    return { openOrders: await this.ports.commerce.openOrders(subjects.commerce), pending: (await this.pendingErasure(subjects)) ?? null };
  }

  /** Job: runs every erasure step not yet done; a failed step makes the job retry later. */
  async runErasure(job: Job<PrivacyErasure>): Promise<void> {
    const { requestId } = job.payload;
    const row = (await this.db.selectFrom('privacy_requests').selectAll().where('id', '=', requestId).executeTakeFirst());
    if (!row || row.status !== 'pending' || !row.subjects) return;
    const subjects = row.subjects;
    if (job.payload.waitForOrders === true) {
      const open = await this.ports.commerce.openOrders(subjects.commerce);
      if (open.asBuyer + open.asSeller > 0) {
        const runAt = new Date(Date.now() + ERASURE_RECHECK_MS);
        // Only while the request is still there: a cancellation made during this look wins.
        await this.db.transaction().execute(async (trx) => {
          const locked = await sql`select id from privacy_requests where id = ${requestId} and status = 'pending' for update`.execute(trx);
          if (locked.rows.length === 0) return;
          await enqueueJob(trx, ERASE_JOB, { requestId, waitForOrders: true }, { runAt, maxAttempts: 25, dedupeKey: `erase:${requestId}:${runAt.toISOString()}` });
        });
        return;
      }
      // Every order is closed: from here on it is an erasure like any other, and no longer one the
      // person can call off. Under the request's lock, so a cancellation sees either the wait or
      // the start, never half of each; a failed start rolls back and is tried again.
      const started = await this.db.transaction().execute(async (trx) => {
        const locked = await sql`select id from privacy_requests where id = ${requestId} and status = 'pending' for update`.execute(trx);
        if (locked.rows.length === 0) return false;
        await sql`update jobs set payload = payload - 'waitForOrders' where type = ${ERASE_JOB} and payload->>'requestId' = ${requestId}`.execute(trx);
        await this.ports.identity.beginErasure(subjects.identity);
        return true;
      });
      if (!started) return;
    }
    const steps = await this.db.selectFrom('privacy_request_steps').select(['domain', 'status']).where('request_id', '=', requestId).execute();
    const failures: string[] = [];
    for (const domain of ERASURE_STEPS) {
      if (steps.find((s) => s.domain === domain)?.status === 'done') continue;
      try {
        if (domain === 'bridge') await this.eraseOwn(subjects.bridge);
        else await this.ports[domain].eraseSubject(subjects[domain]);
        await this.db
          .updateTable('privacy_request_steps')
          .set({ status: 'done', done_at: sql`now()`, attempts: sql`attempts + 1`, last_error: null })
          .where('request_id', '=', requestId)
          .where('domain', '=', domain)
          .execute();
      } catch (error) {
        failures.push(`${domain}: ${(error as Error).message}`);
        await this.db
          .updateTable('privacy_request_steps')
          .set({ attempts: sql`attempts + 1`, last_error: (error as Error).message })
          .where('request_id', '=', requestId)
          .where('domain', '=', domain)
          .execute();
        // Identity goes last: never finish the account while another domain still holds data.
        break;
      }
    }
    if (failures.length > 0) throw new Error(`erasure not finished: ${failures.join('; ')}`);
    // Done: keep the outcome, forget who it was about.
    await this.db
      .updateTable('privacy_requests')
      .set({ status: 'done', subjects: null, subject: null, finished_at: sql`now()` })
      .where('id', '=', requestId)
      .execute();
    this.log.info({ requestId }, 'erasure finished in every domain');
  }

  private async eraseOwn(bridgeSubject: string): Promise<void> {
    const exports = (await this.db
      .selectFrom('privacy_requests')
      .select(['id', 'file_path'])
      .where('subject', '=', bridgeSubject)
      .where('kind', '=', 'export')
      .execute());
    for (const e of exports) if (e.file_path) rmSync(e.file_path, { force: true });
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('consents').where('subject', '=', bridgeSubject).execute();
      await trx.deleteFrom('affiliate_links').where('subject', '=', bridgeSubject).execute();
      await trx.deleteFrom('personalization_links').where('subject', '=', bridgeSubject).execute();
      await trx.deleteFrom('privacy_requests').where('subject', '=', bridgeSubject).where('kind', '=', 'export').execute();
    });
  }
}
