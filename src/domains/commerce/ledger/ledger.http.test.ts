/**
 * The seller's balance over HTTP: an order's money through escrow, settlement and release, the
 * statement and its CSV, bank accounts checked by the Iris sandbox's account validation, and
 * withdrawals that can never pay out more than available nor twice for one request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { InjectOptions } from 'fastify';
import { buildSekat, type Sekat } from '../../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../../platform/testing.js';
import type { Config } from '../../../platform/config.js';
import type { Database } from '../../../platform/db.js';
import type { CommerceInstance } from '../index.js';
import { checkout, listProduct, openShop, registerUser, storeSnapshot, type TestUser, exportOf } from '../testkit.js';
import type { IrisSandbox, SandboxNotification } from './iris-sandbox.js';
import { irisSignature } from './disbursement.js';
import { releaseDueSettlements } from './ledger.js';

let config: Config;
let sekat: Sekat;
let db: Database;
let sandbox: IrisSandbox;
let seller: TestUser;
let buyer: TestUser;
let stranger: TestUser;
let shopId: string;
const heard: SandboxNotification[] = [];
const DAY = 24 * 60 * 60 * 1000;

const inject = (options: InjectOptions) => sekat.app.inject(options);
const act = (user: TestUser, orderId: string, action: string, payload?: Record<string, unknown>) =>
  inject({ method: 'POST', url: `/api/commerce/orders/${orderId}/${action}`, headers: user.headers, ...(payload ? { payload } : {}) });
const balance = async () => (await inject({ url: `/api/commerce/shops/${shopId}/balance`, headers: seller.headers })).json();
const withdraw = (key: string | null, payload: Record<string, unknown>, user = seller) =>
  inject({ method: 'POST', url: `/api/commerce/shops/${shopId}/payouts`, headers: { ...user.headers, ...(key ? { 'idempotency-key': key } : {}) }, payload });
const addAccount = (payload: Record<string, unknown>, user = seller, shop = shopId) => inject({ method: 'POST', url: `/api/commerce/shops/${shop}/bank-accounts`, headers: user.headers, payload });

/** Buys `quantity` units and walks the order to completed; returns its total. */
async function sellAndComplete(variantId: string, quantity = 1): Promise<{ orderId: string; totalIdr: number }> {
  const placed = await checkout(sekat.app, buyer, { items: [{ variantId, quantity }] });
  expect(placed.statusCode, placed.body).toBe(201);
  const { order, payment } = placed.json();
  expect((await inject({ method: 'POST', url: `/api/commerce/payments/${payment.id}/simulate`, headers: buyer.headers, payload: { outcome: 'paid' } })).statusCode).toBe(200);
  expect((await act(seller, order.id, 'ship', { courier: 'jne_reg', trackingNumber: 'JNE0012345' })).statusCode).toBe(200);
  expect((await act(seller, order.id, 'courier/simulate', { stage: 'delivered' })).statusCode).toBe(200);
  expect((await act(buyer, order.id, 'complete')).json().status).toBe('completed');
  return { orderId: order.id, totalIdr: order.totalIdr };
}

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config, { background: false });
  db = sekat.stores.commerce.db;
  sandbox = (sekat.domains.commerce as CommerceInstance).disbursementSandbox!;
  const deliver = sandbox.deliver!;
  sandbox.deliver = async (notification) => {
    heard.push(notification);
    await deliver(notification);
  };
  seller = await registerUser(sekat.app, 'penjual');
  buyer = await registerUser(sekat.app, 'pembeli');
  stranger = await registerUser(sekat.app, 'orang');
  shopId = (await openShop(sekat.app, seller)).id;
});

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

describe(`seller balance and payouts (${STORE_LABEL})`, () => {
  let orderId: string;
  let net: number;

  it('moves a completed order into pending, less the fee, with each line on the statement', async () => {
    const product = await listProduct(sekat.app, seller, shopId, [{ stock: 20, priceIdr: 200_000 }]);
    const sold = await sellAndComplete(product.variants[0]!.id);
    orderId = sold.orderId;
    const fee = (200_000 * 500) / 10_000;
    net = sold.totalIdr - fee;
    expect(await balance()).toMatchObject({ availableIdr: 0, pendingIdr: net, escrowIdr: 0, tier: 'regular', settlementDays: 3, feeBasisPoints: 500 });
    const statement = (await inject({ url: `/api/commerce/shops/${shopId}/statement`, headers: seller.headers })).json();
    expect(statement.items.map((l: { account: string; reason: string; amountIdr: number }) => [l.account, l.reason, l.amountIdr])).toEqual([
      ['shop_pending', 'platform_fee', -fee],
      ['shop_pending', 'settlement_started', sold.totalIdr],
      ['shop_escrow', 'settlement_started', -sold.totalIdr],
      ['shop_escrow', 'order_paid', sold.totalIdr],
    ]);
    expect(statement.items.every((l: { orderId: string }) => l.orderId === orderId)).toBe(true);
    const hold = statement.items[1].hold;
    expect(hold).toMatchObject({ reason: 'settlement_period', released: false });
    expect(new Date(hold.until).getTime()).toBeGreaterThan(Date.now() + 3 * DAY - 60_000);

    // Paged by cursor, newest first, and every line once.
    const first = (await inject({ url: `/api/commerce/shops/${shopId}/statement?limit=3`, headers: seller.headers })).json();
    expect(first.items).toHaveLength(3);
    const second = (await inject({ url: `/api/commerce/shops/${shopId}/statement?limit=3&cursor=${first.nextCursor}`, headers: seller.headers })).json();
    expect([...first.items, ...second.items]).toEqual(statement.items);
    expect(second.nextCursor).toBeNull();
  });

  it('shows the balance and statement to the owner only, and refuses bad cursors', async () => {
    expect((await inject({ url: `/api/commerce/shops/${shopId}/balance` })).statusCode).toBe(401);
    expect((await inject({ url: `/api/commerce/shops/${shopId}/balance`, headers: stranger.headers })).statusCode).toBe(403);
    expect((await inject({ url: `/api/commerce/shops/${shopId}/statement`, headers: stranger.headers })).statusCode).toBe(403);
    expect((await inject({ url: `/api/commerce/shops/${shopId}/statement.csv`, headers: stranger.headers })).statusCode).toBe(403);
    expect((await inject({ url: `/api/commerce/shops/00000000-0000-7000-8000-000000000000/balance`, headers: seller.headers })).statusCode).toBe(404);
    const bad = await inject({ url: `/api/commerce/shops/${shopId}/statement?cursor=bm90LWEtY3Vyc29y`, headers: seller.headers });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
  });

  it('exports the statement as CSV, oldest first', async () => {
    const csv = await inject({ url: `/api/commerce/shops/${shopId}/statement.csv`, headers: seller.headers });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const rows = csv.body.trim().split('\n');
    expect(rows[0]).toBe('at,account,reason,order_id,payout_id,amount_idr,hold_reason,hold_until');
    expect(rows).toHaveLength(5);
    expect(rows[1]).toContain(`shop_escrow,order_paid,${orderId},,`);
    expect(rows[3]).toMatch(/shop_pending,settlement_started,.*,settlement_period,\d{4}-/);
  });

  it('refuses a withdrawal over the available balance with the amount available, and changes nothing', async () => {
    const account = await addAccount({ bankCode: 'bca', accountNumber: '1234567890', holderName: 'budi  santoso' });
    expect(account.statusCode, account.body).toBe(201);
    const before = await storeSnapshot(db);
    const refused = await withdraw('too-early', { amountIdr: 50_000, bankAccountId: account.json().id });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ availableIdr: 0, errors: { amountIdr: ['is more than the available balance'] } });
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(await storeSnapshot(db)).toBe(before);
  });

  it('checks bank accounts with the provider before saving them', async () => {
    const before = await storeSnapshot(db);
    const unknownAccount = await addAccount({ bankCode: 'bca', accountNumber: '99999999', holderName: 'Budi Santoso' });
    expect(unknownAccount.statusCode).toBe(422);
    expect(unknownAccount.json().errors.accountNumber).toEqual(['Account does not exist']);
    const wrongHolder = await addAccount({ bankCode: 'mandiri', accountNumber: '1111222233', holderName: 'Budi Santoso' });
    expect(wrongHolder.statusCode).toBe(422);
    expect(wrongHolder.json().errors).toHaveProperty('holderName');
    expect((await addAccount({ bankCode: 'bank_palsu', accountNumber: '1111222233', holderName: 'Siti Rahma' })).statusCode).toBe(400);
    expect((await addAccount({ bankCode: 'bca', accountNumber: '12-34', holderName: 'Siti Rahma' })).statusCode).toBe(400);
    expect((await addAccount({ bankCode: 'bca', accountNumber: '1234567890', holderName: 'Budi\u0000' })).statusCode).toBe(400);
    expect((await addAccount({ bankCode: 'mandiri', accountNumber: '1111222233', holderName: 'Siti Rahma' }, stranger)).statusCode).toBe(403);
    expect(await storeSnapshot(db)).toBe(before);
    const again = await addAccount({ bankCode: 'bca', accountNumber: '1234567890', holderName: 'Budi Santoso' });
    expect(again.statusCode).toBe(200);
    const listed = (await inject({ url: `/api/commerce/shops/${shopId}/bank-accounts`, headers: seller.headers })).json();
    expect(listed.items).toEqual([again.json()]);
    expect(listed.items[0]).toMatchObject({ bankCode: 'bca', accountNumberMasked: '••••••7890', holderName: 'Budi Santoso' });
  });

  it('releases the settlement on its day, then pays out once for concurrent withdrawals', async () => {
    expect(await releaseDueSettlements(db, new Date(Date.now() + 2 * DAY))).toBe(0);
    expect((await balance()).availableIdr).toBe(0);
    expect(await releaseDueSettlements(db, new Date(Date.now() + 3 * DAY + 60_000))).toBe(1);
    expect(await releaseDueSettlements(db, new Date(Date.now() + 30 * DAY))).toBe(0);
    expect(await balance()).toMatchObject({ availableIdr: net, pendingIdr: 0 });

    const accountId = (await inject({ url: `/api/commerce/shops/${shopId}/bank-accounts`, headers: seller.headers })).json().items[0].id as string;
    const before = await storeSnapshot(db);
    expect((await withdraw(null, { amountIdr: 50_000, bankAccountId: accountId })).statusCode).toBe(400);
    const notMine = await withdraw('random-account', { amountIdr: 50_000, bankAccountId: '00000000-0000-7000-8000-000000000000' });
    expect(notMine.statusCode).toBe(422);
    expect(notMine.json().type).toMatch(/bank-account-not-validated$/);
    expect((await withdraw('stranger', { amountIdr: 50_000, bankAccountId: accountId }, stranger)).statusCode).toBe(403);
    expect((await withdraw('tiny', { amountIdr: 5, bankAccountId: accountId })).statusCode).toBe(400);
    const over = await withdraw('over', { amountIdr: net + 1, bankAccountId: accountId });
    expect(over.statusCode).toBe(409);
    expect(over.json().availableIdr).toBe(net);
    expect(await storeSnapshot(db)).toBe(before);

    // Five withdrawals of 60 % of the balance at once, one of them sent twice with its key.
    const amount = Math.floor(net * 0.6);
    const racers = await Promise.all([
      ...['a', 'b', 'c', 'd', 'e'].map((k) => withdraw(`race-${k}`, { amountIdr: amount, bankAccountId: accountId })),
      withdraw('race-a', { amountIdr: amount, bankAccountId: accountId }),
    ]);
    const created = racers.filter((r) => r.statusCode === 201);
    expect(created).toHaveLength(1);
    const payoutId = created[0]!.json().id as string;
    // Whichever got the lock first won; the second `race-a` replays it if `race-a` won, else loses too.
    const replays = racers.filter((r) => r.statusCode === 200);
    expect(replays.length).toBeLessThanOrEqual(1);
    for (const replay of replays) expect(replay.json().id).toBe(payoutId);
    const losers = racers.filter((r) => r.statusCode === 409);
    expect(losers).toHaveLength(5 - replays.length);
    for (const loser of losers) expect(loser.json().availableIdr).toBe(net - amount);
    const payoutRows = await db.selectFrom('payouts').select(['id', 'status']).execute();
    expect(payoutRows).toHaveLength(1);
    expect(sandbox.created).toBe(1);
    // The same key again answers with the first payout and sends nothing; with another body it is refused.
    const winner = (await db.selectFrom('payouts').select('idempotency_key').where('id', '=', payoutId).executeTakeFirstOrThrow()).idempotency_key as string;
    const repeat = await withdraw(winner, { amountIdr: amount, bankAccountId: accountId });
    expect(repeat.statusCode).toBe(200);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(repeat.json().id).toBe(payoutId);
    expect((await withdraw(winner, { amountIdr: amount + 1, bankAccountId: accountId })).statusCode).toBe(422);
    await sandbox.settled();
    await expect.poll(async () => (await db.selectFrom('payouts').select('status').where('id', '=', payoutId).executeTakeFirstOrThrow()).status).toBe('paid');
    expect(sandbox.created).toBe(1);
    expect(await balance()).toMatchObject({ availableIdr: net - amount, payoutProcessingIdr: 0, paidOutIdr: amount });
    const lines = (await inject({ url: `/api/commerce/shops/${shopId}/statement?limit=4`, headers: seller.headers })).json().items;
    expect(lines.map((l: { account: string; reason: string; amountIdr: number; payoutId: string }) => [l.account, l.reason, l.amountIdr, l.payoutId])).toEqual([
      ['shop_paid_out', 'payout_paid', amount, payoutId],
      ['shop_payout_processing', 'payout_paid', -amount, payoutId],
      ['shop_payout_processing', 'payout_requested', amount, payoutId],
      ['shop_available', 'payout_requested', -amount, payoutId],
    ]);
    const listed = (await inject({ url: `/api/commerce/shops/${shopId}/payouts`, headers: seller.headers })).json();
    expect(listed.items).toMatchObject([{ id: payoutId, status: 'paid', amountIdr: amount }]);
    // The seller is told, once, in the transaction that marked it paid.
    const told = (await inject({ url: '/api/commerce/notifications', headers: seller.headers })).json().items.filter((n: { kind: string }) => n.kind === 'payout_paid');
    expect(told).toMatchObject([{ target: { type: 'payout', id: payoutId }, data: { amountIdr: amount } }]);
  });

  it('verifies the provider’s notifications: forged, repeated and late ones change nothing', async () => {
    const completed = heard.find((n) => JSON.parse(n.body).status === 'completed')!;
    expect(completed).toBeDefined();
    const post = (body: string, signature?: string) =>
      inject({ method: 'POST', url: '/api/commerce/payouts/webhooks/iris', headers: { 'content-type': 'application/json', ...(signature ? { 'iris-signature': signature } : {}) }, payload: body });
    const before = await storeSnapshot(db);
    expect((await post(completed.body)).statusCode).toBe(401);
    expect((await post(completed.body, 'f'.repeat(128))).statusCode).toBe(401);
    const tampered = completed.body.replace('"completed"', '"failed"');
    expect((await post(tampered, completed.signature)).statusCode).toBe(401);
    const repeat = await post(completed.body, completed.signature);
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json()).toEqual({ applied: false });
    // A failure for a payout already paid, signed properly, arrives late: nothing moves.
    const late = JSON.stringify({ ...JSON.parse(completed.body), status: 'failed', error_code: '005', error_message: 'Timeout error by bank', updated_at: new Date().toISOString() });
    expect((await post(late, irisSignature(late, sandbox.merchantKey))).json()).toEqual({ applied: false });
    const unknown = JSON.stringify({ reference_no: 'nope', amount: '10000.00', status: 'completed' });
    expect((await post(unknown, irisSignature(unknown, sandbox.merchantKey))).statusCode).toBe(404);
    expect((await post('not json', irisSignature('not json', sandbox.merchantKey))).statusCode).toBe(400);
    const snapshotWithoutNotifications = await storeSnapshot(db);
    expect(snapshotWithoutNotifications).toBe(before);
  });

  it('returns a failed payout’s money to the available balance with a reversing line', async () => {
    const account = await addAccount({ bankCode: 'bri', accountNumber: '5555000012', holderName: 'Andi Wijaya' });
    expect(account.statusCode).toBe(201);
    const available = (await balance()).availableIdr as number;
    const payout = await withdraw('will-fail', { amountIdr: 10_000, bankAccountId: account.json().id });
    expect(payout.statusCode).toBe(201);
    await sandbox.settled();
    await expect.poll(async () => (await db.selectFrom('payouts').select('status').where('id', '=', payout.json().id).executeTakeFirstOrThrow()).status).toBe('failed');
    const failed = (await inject({ url: `/api/commerce/shops/${shopId}/payouts`, headers: seller.headers })).json().items[0];
    expect(failed).toMatchObject({ status: 'failed', failureCode: '012', failureMessage: 'Beneficiary account is blocked' });
    const told = (await inject({ url: '/api/commerce/notifications', headers: seller.headers })).json().items[0];
    expect(told).toMatchObject({ kind: 'payout_failed', unread: true, target: { type: 'payout', id: payout.json().id }, data: { amountIdr: 10_000, code: '012' } });
    expect(await balance()).toMatchObject({ availableIdr: available, payoutProcessingIdr: 0 });
    const lines = (await inject({ url: `/api/commerce/shops/${shopId}/statement?limit=2`, headers: seller.headers })).json().items;
    expect(lines.map((l: { account: string; reason: string; amountIdr: number }) => [l.account, l.reason, l.amountIdr])).toEqual([
      ['shop_available', 'payout_failed', 10_000],
      ['shop_payout_processing', 'payout_failed', -10_000],
    ]);
    const total = await sql<{ total: number }>`select coalesce(sum(amount_idr), 0)::bigint as total from ledger_lines`.execute(db);
    expect(Number(total.rows[0]!.total)).toBe(0);
  });
});

describe(`a seller's money data and their privacy (${STORE_LABEL})`, () => {
  it('exports the bank accounts, payouts and ledger lines, and erasure keeps the money but not the account holder', async () => {
    const commerce = sekat.domains.commerce as CommerceInstance;
    const { owner_subject: subject } = (await db.selectFrom('shops').select('owner_subject').where('id', '=', shopId).executeTakeFirstOrThrow()) as { owner_subject: string };
    const exported = await exportOf(commerce, subject);
    expect(exported.bankAccounts.map((a) => a.account_number).sort()).toEqual(['1234567890', '5555000012']);
    expect(exported.payouts.map((p) => p.status).sort()).toEqual(['failed', 'paid']);
    expect(exported.shopLedger.length).toBeGreaterThan(8);
    const lines = await sql<{ n: number }>`select count(*)::int as n from ledger_lines`.execute(db);
    await commerce.port.eraseSubject(subject);
    const accounts = await db.selectFrom('bank_accounts').select(['account_number', 'holder_name', 'validated_name']).where('shop_id', '=', shopId).execute();
    expect(accounts.map((a) => a.account_number).sort()).toEqual(['0012', '7890']);
    expect(new Set(accounts.flatMap((a) => [a.holder_name, a.validated_name]))).toEqual(new Set(['[dihapus]']));
    expect((await sql<{ n: number }>`select count(*)::int as n from ledger_lines`.execute(db)).rows[0]!.n).toBe(lines.rows[0]!.n);
    expect((await inject({ url: `/api/commerce/shops/${shopId}/balance`, headers: seller.headers })).statusCode).toBe(403);
  });
});
