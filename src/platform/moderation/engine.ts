import { sql, type Kysely, type Transaction } from 'kysely';
import type { AnyDB } from '../db.js';
import { uuidv7 } from '../ids.js';
import { conflict, forbidden, notFound, unprocessable, validationFailed } from '../errors.js';
import { textProblem } from '../text.js';

/**
 * One moderation engine that each domain runs over its own database, with its own tables
 * (`<domain>_reports`, `_decisions`, `_appeals`, `_moderation_audit`) and its own pseudonyms:
 * social reports never reach commerce and commerce reports never reach social. The domain says
 * what its items are, who owns one and what an action does to it.
 */

export const REPORT_REASONS = [
  'spam',
  'harassment',
  'hate',
  'violence',
  'sexual_content',
  'privacy',
  'intellectual_property',
  'counterfeit',
  'prohibited_product',
  'scam',
  'other',
] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

/** How long after a decision its affected person may appeal it. */
export const APPEAL_WINDOW_DAYS = 14;
/** Permenkominfo 5/2020 art. 15: take down within 1×24 h of an order, 4 h when urgent. */
export const ORDER_DEADLINE_HOURS = { normal: 24, urgent: 4 } as const;
export const MAX_REPORT_TEXT = 1000;
export const MAX_REASON_TEXT = 2000;

/** An item as the domain resolves it from what a client sent. */
export interface ResolvedItem {
  /** The id the item is kept under (a profile's subject, not its handle). */
  id: string;
  /** Whose item it is (their pseudonym in this domain); null for an item nobody owns. */
  owner: string | null;
  /** Public words that name the item for the reporter and operators (a caption, a title). */
  label: string;
  /**
   * The owner is not shown reports on this item (`reportsAbout`): a message in a two-person chat,
   * where being told of a report would tell them who made it. Decisions still reach them.
   */
  reportsHiddenFromOwner?: boolean;
}

export interface ModerationDomain<Kind extends string, Action extends string> {
  /** `social` or `commerce`: the tables' prefix and the routes' path. */
  name: string;
  kinds: readonly Kind[];
  /** Which actions apply to each kind of item. */
  actions: Record<Kind, readonly Action[]>;
  /**
   * The item, as anyone may see it (`asOperator` also finds one already removed); undefined when
   * absent. `caller` is the reporter, for items only some people may see (a chat message).
   */
  resolve(kind: Kind, id: string, options: { asOperator: boolean; caller?: string }): Promise<ResolvedItem | undefined>;
  /** Makes the action take effect (on = true) or undoes it after a reversal, in the decision's transaction. */
  apply(trx: Transaction<AnyDB>, decision: { id: string; kind: Kind; itemId: string; action: Action; endsAt: Date | null }, on: boolean): Promise<void>;
  /** Called in the transaction that closes an item's reports with no action (e.g. to release a held listing). */
  dismissed?(trx: Transaction<AnyDB>, kind: Kind, itemId: string): Promise<void>;
  /** Called after a decision or reversal is committed (to drop caches). */
  changed?(): void;
}

export interface ReportRow {
  id: string;
  item_kind: string;
  item_id: string;
  item_owner: string | null;
  item_label: string;
  reporter: string;
  source: 'person' | 'authority' | 'automated';
  reason: ReportReason;
  text: string;
  urgent: boolean;
  deadline_at: Date | null;
  status: 'open' | 'actioned' | 'dismissed';
  decision_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface DecisionRow {
  id: string;
  item_kind: string;
  item_id: string;
  item_label: string;
  affected: string | null;
  action: string;
  reason: ReportReason;
  rule: string;
  explanation: string;
  automated: boolean;
  ends_at: Date | null;
  operator: string;
  status: 'in_force' | 'reversed';
  appeal_until: Date;
  created_at: Date;
}

export interface AppealRow {
  id: string;
  decision_id: string;
  appellant: string;
  text: string;
  status: 'pending' | 'upheld' | 'reversed';
  decided_by: string | null;
  outcome: string | null;
  decided_at: Date | null;
  created_at: Date;
}

export interface ReportInput {
  itemKind: string;
  itemId: string;
  reason: ReportReason;
  text?: string;
}

export interface DecisionInput {
  itemKind: string;
  itemId: string;
  action: string;
  reason: ReportReason;
  rule: string;
  explanation: string;
  durationDays?: number;
  automated?: boolean;
}

export interface OrderInput {
  itemKind: string;
  itemId: string;
  reason: ReportReason;
  authority: string;
  reference: string;
  urgent: boolean;
}

/** What the affected person reads about a decision (the DSA's statement of reasons, art. 17). */
export interface StatementOfReasons {
  id: string;
  item: { kind: string; id: string; label: string };
  action: string;
  reason: ReportReason;
  rule: string;
  explanation: string;
  automated: boolean;
  endsAt: string | null;
  status: 'in_force' | 'reversed';
  decidedAt: string;
  appeal: { until: string; open: boolean; howTo: string; appeal: AppealView | null };
}

export interface AppealView {
  id: string;
  status: AppealRow['status'];
  text: string;
  outcome: string | null;
  createdAt: string;
  decidedAt: string | null;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

function checkedText(field: string, raw: string | undefined, { required, max }: { required: boolean; max: number }): string {
  const text = (raw ?? '').normalize('NFC').trim();
  if (required && text.length === 0) throw validationFailed({ [field]: ['is required: say why'] }, `An operator action needs a ${field}.`);
  if ([...text].length > max) throw validationFailed({ [field]: [`must be at most ${max} characters`] });
  const problem = textProblem('free-text', text);
  if (problem) throw validationFailed({ [field]: [problem] });
  return text;
}

/**
 * A report filed by the platform's own rules (no person reported it), in the caller's transaction:
 * e.g. a listing held by the prohibited-item rules before it goes live.
 */
export async function fileAutomatedReport(
  trx: Transaction<AnyDB>,
  domain: string,
  report: { kind: string; id: string; owner: string | null; label: string; reason: ReportReason; text: string },
): Promise<void> {
  const now = new Date();
  await trx
    .insertInto(`${domain}_reports`)
    .values({ id: uuidv7(now.getTime()), item_kind: report.kind, item_id: report.id, item_owner: report.owner, item_label: report.label, reporter: 'sekat:rules', source: 'automated', reason: report.reason, text: report.text, urgent: false, status: 'open', created_at: now, updated_at: now })
    .execute();
}

export class ModerationEngine<Kind extends string, Action extends string> {
  private readonly t: { reports: string; decisions: string; appeals: string; audit: string };

  constructor(
    readonly db: Kysely<AnyDB>,
    readonly domain: ModerationDomain<Kind, Action>,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.t = { reports: `${domain.name}_reports`, decisions: `${domain.name}_decisions`, appeals: `${domain.name}_appeals`, audit: `${domain.name}_moderation_audit` };
  }

  private kindOf(kind: string): Kind {
    if (!(this.domain.kinds as readonly string[]).includes(kind)) {
      throw validationFailed({ itemKind: [`must be one of ${this.domain.kinds.join(', ')}`] });
    }
    return kind as Kind;
  }

  private async item(kind: string, id: string, asOperator: boolean, caller?: string): Promise<ResolvedItem & { kind: Kind }> {
    const checked = this.kindOf(kind);
    const item = await this.domain.resolve(checked, id, { asOperator, caller });
    if (!item) throw notFound(`No such ${checked}.`);
    return { ...item, kind: checked };
  }

  // ---- reports

  /** Files a report, or updates the reporter's open report on the same item. */
  async report(reporter: string, input: ReportInput) {
    const text = checkedText('text', input.text, { required: false, max: MAX_REPORT_TEXT });
    const item = await this.item(input.itemKind, input.itemId, false, reporter);
    if (item.owner === reporter) {
      throw unprocessable(`You cannot report your own ${item.kind}: reports are about someone else's content.`, { itemId: ['is your own'] });
    }
    const now = this.now();
    const row = await this.db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom(this.t.reports)
        .selectAll()
        .where('item_kind', '=', item.kind)
        .where('item_id', '=', item.id)
        .where('reporter', '=', reporter)
        .where('source', '=', 'person')
        .forUpdate()
        .executeTakeFirst();
      if (existing) {
        return trx
          .updateTable(this.t.reports)
          .set({ reason: input.reason, text, item_label: item.label, updated_at: now, ...(existing.status === 'open' ? {} : { status: 'open', decision_id: null }) })
          .where('id', '=', existing.id)
          .returningAll()
          .executeTakeFirstOrThrow() as Promise<ReportRow>;
      }
      return trx
        .insertInto(this.t.reports)
        .values({ id: uuidv7(now.getTime()), item_kind: item.kind, item_id: item.id, item_owner: item.reportsHiddenFromOwner ? null : item.owner, item_label: item.label, reporter, source: 'person', reason: input.reason, text, urgent: false, status: 'open', created_at: now, updated_at: now })
        .returningAll()
        .executeTakeFirstOrThrow() as Promise<ReportRow>;
    });
    return this.reportView(row);
  }

  reportView(row: ReportRow) {
    return {
      id: row.id,
      item: { kind: row.item_kind, id: row.item_id, label: row.item_label },
      reason: row.reason,
      text: row.text,
      status: row.status,
      createdAt: iso(row.created_at)!,
      updatedAt: iso(row.updated_at)!,
    };
  }

  /** The reporter's own reports, newest first ("Laporan saya"). */
  async reportsBy(reporter: string) {
    const rows = (await this.db.selectFrom(this.t.reports).selectAll().where('reporter', '=', reporter).where('source', '=', 'person').orderBy('updated_at', 'desc').limit(200).execute()) as ReportRow[];
    return rows.map((row) => this.reportView(row));
  }

  /**
   * Reports about the caller's items, as the owner may see them: what and why, never who
   * (a seller is never told who reported their product).
   */
  async reportsAbout(owner: string) {
    const rows = (await this.db
      .selectFrom(this.t.reports)
      .select(['id', 'item_kind', 'item_id', 'item_label', 'reason', 'status', 'created_at'])
      .where('item_owner', '=', owner)
      .where('source', '=', 'person')
      .orderBy('created_at', 'desc')
      .limit(200)
      .execute()) as Pick<ReportRow, 'id' | 'item_kind' | 'item_id' | 'item_label' | 'reason' | 'status' | 'created_at'>[];
    return rows.map((row) => ({
      id: row.id, item: { kind: row.item_kind, id: row.item_id, label: row.item_label },
      reason: row.reason, status: row.status, createdAt: iso(row.created_at)!,
    }));
  }

  /** An order from an authority (Kominfo, a court): a report with a deadline of 24 h, or 4 h when urgent. */
  async order(operator: string, input: OrderInput) {
    const authority = checkedText('authority', input.authority, { required: true, max: 200 });
    const reference = checkedText('reference', input.reference, { required: true, max: 200 });
    const item = await this.item(input.itemKind, input.itemId, true);
    const now = this.now();
    const deadline = new Date(now.getTime() + (input.urgent ? ORDER_DEADLINE_HOURS.urgent : ORDER_DEADLINE_HOURS.normal) * 3_600_000);
    const row = await this.db.transaction().execute(async (trx) => {
      const created = (await trx
        .insertInto(this.t.reports)
        .values({ id: uuidv7(now.getTime()), item_kind: item.kind, item_id: item.id, item_owner: item.owner, item_label: item.label, reporter: operator, source: 'authority', reason: input.reason, text: `${authority}: ${reference}`, urgent: input.urgent, deadline_at: deadline, status: 'open', created_at: now, updated_at: now })
        .returningAll()
        .executeTakeFirstOrThrow()) as ReportRow;
      await this.audit(trx, operator, 'order', item.kind, item.id, null, `${authority}: ${reference}${input.urgent ? ' (urgent)' : ''}`);
      return created;
    });
    return { ...this.reportView(row), urgent: row.urgent, deadlineAt: iso(row.deadline_at) };
  }

  // ---- the operators' queue

  /** Open reports grouped by item: items with an authority's deadline first (soonest first), then the oldest. */
  async queue(limit = 50) {
    const { rows } = await sql<{
      item_kind: string;
      item_id: string;
      item_label: string;
      reports: number;
      reasons: ReportReason[];
      oldest: Date;
      deadline: Date | null;
      urgent: boolean;
    }>`
      select item_kind, item_id, (array_agg(item_label order by updated_at desc))[1] as item_label, count(*)::int as reports,
        array_agg(distinct reason) as reasons, min(created_at) as oldest, min(deadline_at) as deadline, bool_or(urgent) as urgent
      from ${sql.table(this.t.reports)} where status = 'open'
      group by item_kind, item_id
      order by min(deadline_at) asc nulls last, min(created_at) asc
      limit ${limit}`.execute(this.db);
    return rows.map((row) => ({
      item: { kind: row.item_kind, id: row.item_id, label: row.item_label },
      reports: Number(row.reports),
      reasons: row.reasons,
      oldestAt: iso(row.oldest)!,
      deadlineAt: iso(row.deadline),
      urgent: row.urgent,
      actions: this.domain.actions[row.item_kind as Kind] ?? [],
    }));
  }

  /** Every report on one item, for the operator deciding it (reporters' pseudonyms stay inside this domain). */
  async itemReports(kind: string, id: string) {
    const item = await this.item(kind, id, true);
    const rows = (await this.db.selectFrom(this.t.reports).selectAll().where('item_kind', '=', item.kind).where('item_id', '=', item.id).orderBy('created_at').execute()) as ReportRow[];
    const decisions = (await this.db.selectFrom(this.t.decisions).selectAll().where('item_kind', '=', item.kind).where('item_id', '=', item.id).orderBy('created_at').execute()) as DecisionRow[];
    return {
      item: { kind: item.kind, id: item.id, label: item.label },
      actions: this.domain.actions[item.kind],
      reports: rows.map((row) => ({ ...this.reportView(row), source: row.source, urgent: row.urgent, deadlineAt: iso(row.deadline_at) })),
      decisions: await Promise.all(decisions.map((d) => this.statementOf(d))),
    };
  }

  /** Dismisses the open reports on an item (no action against anyone), with the operator's reason. */
  async dismiss(operator: string, input: { itemKind: string; itemId: string; explanation: string }) {
    const explanation = checkedText('explanation', input.explanation, { required: true, max: MAX_REASON_TEXT });
    const item = await this.item(input.itemKind, input.itemId, true);
    const dismissed = await this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .updateTable(this.t.reports)
        .set({ status: 'dismissed', updated_at: this.now() })
        .where('item_kind', '=', item.kind)
        .where('item_id', '=', item.id)
        .where('status', '=', 'open')
        .returning('id')
        .execute();
      await this.domain.dismissed?.(trx, item.kind, item.id);
      await this.audit(trx, operator, 'dismiss', item.kind, item.id, null, explanation);
      return rows.length;
    });
    this.domain.changed?.();
    return { dismissed };
  }

  // ---- decisions

  async decide(operator: string, input: DecisionInput): Promise<StatementOfReasons> {
    const explanation = checkedText('explanation', input.explanation, { required: true, max: MAX_REASON_TEXT });
    const rule = checkedText('rule', input.rule, { required: true, max: 300 });
    const item = await this.item(input.itemKind, input.itemId, true);
    const allowed = this.domain.actions[item.kind] as readonly string[];
    if (!allowed.includes(input.action)) throw validationFailed({ action: [`must be one of ${allowed.join(', ')} for a ${item.kind}`] });
    const now = this.now();
    const endsAt = input.durationDays ? new Date(now.getTime() + input.durationDays * 86_400_000) : null;
    const decision = await this.db.transaction().execute(async (trx) => {
      const row = (await trx
        .insertInto(this.t.decisions)
        .values({
          id: uuidv7(now.getTime()),
          item_kind: item.kind,
          item_id: item.id,
          item_label: item.label,
          affected: item.owner,
          action: input.action,
          reason: input.reason,
          rule,
          explanation,
          automated: input.automated ?? false,
          ends_at: endsAt,
          operator,
          status: 'in_force',
          appeal_until: new Date(now.getTime() + APPEAL_WINDOW_DAYS * 86_400_000),
          created_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow()) as DecisionRow;
      await this.domain.apply(trx, { id: row.id, kind: item.kind, itemId: item.id, action: input.action as Action, endsAt }, true);
      await trx
        .updateTable(this.t.reports)
        .set({ status: 'actioned', decision_id: row.id, updated_at: now })
        .where('item_kind', '=', item.kind)
        .where('item_id', '=', item.id)
        .where('status', '=', 'open')
        .execute();
      await this.audit(trx, operator, `decide:${input.action}`, item.kind, item.id, row.id, explanation);
      return row;
    });
    this.domain.changed?.();
    return this.statementOf(decision);
  }

  private howToAppeal(decision: DecisionRow): string {
    return `Within ${APPEAL_WINDOW_DAYS} days (until ${iso(decision.appeal_until)}), appeal once from your moderation decisions page or POST /api/${this.domain.name}/moderation/decisions/${decision.id}/appeal; an operator other than the one who decided reviews it.`;
  }

  private async statementOf(decision: DecisionRow, appeal?: AppealRow | null): Promise<StatementOfReasons> {
    const found = appeal === undefined ? ((await this.db.selectFrom(this.t.appeals).selectAll().where('decision_id', '=', decision.id).executeTakeFirst()) as AppealRow | undefined) : appeal;
    return {
      id: decision.id,
      item: { kind: decision.item_kind, id: decision.item_id, label: decision.item_label },
      action: decision.action,
      reason: decision.reason,
      rule: decision.rule,
      explanation: decision.explanation,
      automated: decision.automated,
      endsAt: iso(decision.ends_at),
      status: decision.status,
      decidedAt: iso(decision.created_at)!,
      appeal: {
        until: iso(decision.appeal_until)!,
        open: !found && decision.status === 'in_force' && new Date(decision.appeal_until) > this.now(),
        howTo: this.howToAppeal(decision),
        appeal: found ? this.appealView(found) : null,
      },
    };
  }

  private appealView(row: AppealRow): AppealView {
    return { id: row.id, status: row.status, text: row.text, outcome: row.outcome, createdAt: iso(row.created_at)!, decidedAt: iso(row.decided_at) };
  }

  /** The statements of reasons about the caller's items, newest first. */
  async decisionsAbout(affected: string): Promise<StatementOfReasons[]> {
    const rows = (await this.db.selectFrom(this.t.decisions).selectAll().where('affected', '=', affected).orderBy('created_at', 'desc').limit(200).execute()) as DecisionRow[];
    return Promise.all(rows.map((row) => this.statementOf(row)));
  }

  // ---- appeals

  async appeal(appellant: string, decisionId: string, rawText: string): Promise<StatementOfReasons> {
    const text = checkedText('text', rawText, { required: true, max: MAX_REPORT_TEXT });
    const now = this.now();
    const result = await this.db.transaction().execute(async (trx) => {
      const decision = (await trx.selectFrom(this.t.decisions).selectAll().where('id', '=', decisionId).forUpdate().executeTakeFirst()) as DecisionRow | undefined;
      if (!decision || decision.affected !== appellant) throw notFound('No such decision about you.');
      const existing = await trx.selectFrom(this.t.appeals).select('id').where('decision_id', '=', decisionId).executeTakeFirst();
      if (existing) throw conflict('A decision can be appealed once, and this one already has been.', { decisionId: ['already appealed'] }, 'appeal-once');
      if (decision.status !== 'in_force') throw conflict('This decision has been reversed already.', { decisionId: ['is reversed'] });
      if (new Date(decision.appeal_until) <= now) {
        throw unprocessable(`The appeal window closed ${APPEAL_WINDOW_DAYS} days after the decision (${iso(decision.appeal_until)}).`, { decisionId: ['is past its appeal window'] });
      }
      const appeal = (await trx
        .insertInto(this.t.appeals)
        .values({ id: uuidv7(now.getTime()), decision_id: decisionId, appellant, text, status: 'pending', created_at: now })
        .returningAll()
        .executeTakeFirstOrThrow()) as AppealRow;
      return { decision, appeal };
    });
    return this.statementOf(result.decision, result.appeal);
  }

  /** Appeals waiting for an operator, oldest first, each with the decision it is about. */
  async pendingAppeals(operator: string) {
    const appeals = (await this.db.selectFrom(this.t.appeals).selectAll().where('status', '=', 'pending').orderBy('created_at').limit(100).execute()) as AppealRow[];
    return Promise.all(
      appeals.map(async (appeal) => {
        const decision = (await this.db.selectFrom(this.t.decisions).selectAll().where('id', '=', appeal.decision_id).executeTakeFirstOrThrow()) as DecisionRow;
        return { ...this.appealView(appeal), decision: await this.statementOf(decision, appeal), decidedByYou: decision.operator === operator };
      }),
    );
  }

  /** Decides an appeal: never by the operator who made the decision. A reversal undoes the action. */
  async decideAppeal(operator: string, appealId: string, input: { outcome: 'upheld' | 'reversed'; explanation: string }): Promise<StatementOfReasons> {
    const explanation = checkedText('explanation', input.explanation, { required: true, max: MAX_REASON_TEXT });
    const now = this.now();
    const result = await this.db.transaction().execute(async (trx) => {
      const appeal = (await trx.selectFrom(this.t.appeals).selectAll().where('id', '=', appealId).forUpdate().executeTakeFirst()) as AppealRow | undefined;
      if (!appeal) throw notFound('No such appeal.');
      if (appeal.status !== 'pending') throw conflict('This appeal has been decided already.', { appealId: ['is decided'] });
      const decision = (await trx.selectFrom(this.t.decisions).selectAll().where('id', '=', appeal.decision_id).forUpdate().executeTakeFirstOrThrow()) as DecisionRow;
      if (decision.operator === operator) throw forbidden('An appeal is decided by an operator other than the one who made the decision.');
      const decided = (await trx
        .updateTable(this.t.appeals)
        .set({ status: input.outcome, decided_by: operator, outcome: explanation, decided_at: now })
        .where('id', '=', appealId)
        .returningAll()
        .executeTakeFirstOrThrow()) as AppealRow;
      let current = decision;
      if (input.outcome === 'reversed') {
        current = (await trx.updateTable(this.t.decisions).set({ status: 'reversed' }).where('id', '=', decision.id).returningAll().executeTakeFirstOrThrow()) as DecisionRow;
        await this.domain.apply(
          trx,
          { id: decision.id, kind: decision.item_kind as Kind, itemId: decision.item_id, action: decision.action as Action, endsAt: decision.ends_at },
          false,
        );
      }
      await this.audit(trx, operator, `appeal:${input.outcome}`, decision.item_kind, decision.item_id, decision.id, explanation);
      return { decision: current, appeal: decided };
    });
    this.domain.changed?.();
    return this.statementOf(result.decision, result.appeal);
  }

  // ---- audit and transparency

  private async audit(trx: Transaction<AnyDB>, operator: string, action: string, kind: string, itemId: string, decisionId: string | null, reason: string) {
    await trx.insertInto(this.t.audit).values({
      operator, action, item_kind: kind, item_id: itemId, decision_id: decisionId, reason, created_at: this.now(),
    }).execute();
  }

  async auditLog(limit = 100) {
    const rows = (await this.db.selectFrom(this.t.audit).selectAll().orderBy('id', 'desc').limit(limit).execute()) as {
      id: number;
      operator: string;
      action: string;
      item_kind: string;
      item_id: string;
      decision_id: string | null;
      reason: string;
      created_at: Date;
    }[];
    return rows.map((row) => ({
      id: Number(row.id),
      operator: row.operator,
      action: row.action,
      item: { kind: row.item_kind, id: row.item_id },
      decisionId: row.decision_id,
      reason: row.reason,
      at: iso(row.created_at)!,
    }));
  }

  /** Counts per month (Asia/Jakarta), aggregates only: no item, no person. */
  async transparency() {
    const month = (column: string) => sql<string>`to_char(${sql.ref(column)} at time zone 'Asia/Jakarta', 'YYYY-MM')`;
    const reports = await sql<{ month: string; key: string; n: number }>`
      select ${month('created_at')} as month, reason as key, count(*)::int as n from ${sql.table(this.t.reports)} group by 1, 2`.execute(this.db);
    const actions = await sql<{ month: string; key: string; n: number }>`
      select ${month('created_at')} as month, action as key, count(*)::int as n from ${sql.table(this.t.decisions)} group by 1, 2`.execute(this.db);
    const appeals = await sql<{ month: string; key: string; n: number }>`
      select ${month('created_at')} as month, status as key, count(*)::int as n from ${sql.table(this.t.appeals)} group by 1, 2`.execute(this.db);
    const months = new Map<string, {
      month: string; reportsByReason: Record<string, number>; actionsByType: Record<string, number>; appeals: number; reversals: number,
    }>();
    const at = (m: string) => {
      let entry = months.get(m);
      if (!entry) months.set(m, (entry = { month: m, reportsByReason: {}, actionsByType: {}, appeals: 0, reversals: 0 }));
      return entry;
    };
    for (const row of reports.rows) at(row.month).reportsByReason[row.key] = Number(row.n);
    for (const row of actions.rows) at(row.month).actionsByType[row.key] = Number(row.n);
    for (const row of appeals.rows) {
      const entry = at(row.month);
      entry.appeals += Number(row.n);
      if (row.key === 'reversed') entry.reversals += Number(row.n);
    }
    return { months: [...months.values()].sort((a, b) => b.month.localeCompare(a.month)) };
  }

  // ---- privacy

  /** What this domain's moderation holds about a subject, for their export. */
  async exportOf(subject: string) {
    return { reports: await this.reportsBy(subject), decisionsAboutMe: await this.decisionsAbout(subject) };
  }

  /** Forgets a subject's reports and appeals; decisions stay (they are the platform's record), detached from them. */
  async eraseOf(trx: Kysely<AnyDB>, subject: string) {
    await trx.deleteFrom(this.t.reports).where('reporter', '=', subject).where('source', '=', 'person').execute();
    await trx.updateTable(this.t.reports).set({ item_owner: null }).where('item_owner', '=', subject).execute();
    await trx.deleteFrom(this.t.appeals).where('appellant', '=', subject).execute();
    await trx.updateTable(this.t.decisions).set({ affected: null }).where('affected', '=', subject).execute();
  }
}
