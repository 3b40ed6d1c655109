/**
 * A creator's confirmed commission over HTTP, withdrawn the way a seller withdraws: a bank account
 * checked by the Iris sandbox's account validation, withdrawals that never pay more than payable
 * nor twice for one request, a failed payout returning the money, the commission statement and CSV,
 * and the same verified-email and recent-sign-in guards.
 */
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { InjectOptions } from 'fastify';
import { STORE_LABEL } from '../../../platform/testing.js';
import { signToken } from '../../../platform/tokens.js';
import { useSekat } from '../../../../test/support/sekat.js';
import type { CommerceInstance } from '../index.js';
import { checkout, listProduct, openShop, registerUser, storeSnapshot, type TestUser, exportOf } from '../testkit.js';

const ME = '/api/commerce/affiliates/me';

/** A shop paying 10 % commission, and helpers to sell through the creator's attributed tag. */
function commerceWorld(t: ReturnType<typeof useSekat>, remote?: () => string) {
  const inject = (options: InjectOptions) => t.sekat.app.inject({ ...(remote ? { remoteAddress: remote() } : {}), ...options });
  const post = (url: string, user: TestUser, payload?: Record<string, unknown>, headers: Record<string, string> = {}) =>
    inject({ method: 'POST', url, headers: { ...headers, ...user.headers }, ...(payload ? { payload } : {}) });
  const get = (url: string, user?: TestUser) => inject({ url, headers: user?.headers ?? {} });
  return {
    inject,
    post,
    get,
    /** Buys one unit through the creator's tag and pays; `complete` walks it to completed. */
    async sell(
      seller: TestUser, buyer: TestUser, affiliateId: string, product: { id: string; variants: { id: string }[] }, complete: boolean,
    ): Promise<string> {
      const attributionToken = signToken(t.config.secrets.attributionKey, { v: 1, aff: affiliateId, vid: 'video-1', pid: product.id, exp: Math.floor(Date.now() / 1000) + 3600, n: Math.random().toString(36) });
      const placed = await checkout(t.sekat.app, buyer, { items: [{ variantId: product.variants[0]!.id, quantity: 1, attributionToken }] });
      expect(placed.statusCode, placed.body).toBe(201);
      const { order, payment } = placed.json();
      expect((await post(`/api/commerce/payments/${payment.id}/simulate`, buyer, { outcome: 'paid' })).statusCode).toBe(200);
      if (!complete) return order.id as string;
      expect((await post(`/api/commerce/orders/${order.id}/ship`, seller, { courier: 'jne_reg', trackingNumber: 'JNE0012345' })).statusCode).toBe(200);
      expect((await post(`/api/commerce/orders/${order.id}/courier/simulate`, seller, { stage: 'delivered' })).statusCode).toBe(200);
      expect((await post(`/api/commerce/orders/${order.id}/complete`, buyer)).json().status).toBe('completed');
      return order.id as string;
    },
  };
}

describe(`a creator withdraws confirmed commission (${STORE_LABEL})`, () => {
  const t = useSekat({ background: false });
  const w = commerceWorld(t);
  let seller: TestUser;
  let buyer: TestUser;
  let creator: TestUser;
  let outsider: TestUser;
  let shopId: string;
  let affiliateId: string;
  let completedOrders: string[];
  let pendingOrder: string;
  const db = () => t.sekat.stores.commerce.db;
  const sandbox = () => (t.sekat.domains.commerce as CommerceInstance).disbursementSandbox!;
  const balance = async () => (await w.get(`${ME}/balance`, creator)).json();
  const withdraw = (key: string | null, payload: Record<string, unknown>, user = creator) => w.post(`${ME}/payouts`, user, payload, key ? { 'idempotency-key': key } : {});
  const addAccount = (payload: Record<string, unknown>, user = creator) => w.post(`${ME}/bank-accounts`, user, payload);

  it('keeps a creator who never enrolled out with 404 problems, and writes nothing', async () => {
    outsider = await registerUser(t.sekat.app, 'luar');
    const before = await storeSnapshot(db());
    for (const url of [`${ME}/balance`, `${ME}/statement`, `${ME}/statement.csv`, `${ME}/bank-accounts`, `${ME}/payouts`]) {
      const res = await w.get(url, outsider);
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await addAccount({ bankCode: 'bca', accountNumber: '1234567890', holderName: 'Budi Santoso' }, outsider)).statusCode).toBe(404);
    expect((await withdraw('outsider', { amountIdr: 10_000, bankAccountId: '00000000-0000-7000-8000-000000000000' }, outsider)).statusCode).toBe(404);
    expect((await w.get(`${ME}/balance`)).statusCode).toBe(401);
    // Whether one is enrolled is asked without an error.
    const enrolment = await w.get(ME, outsider);
    expect(enrolment.statusCode).toBe(200);
    expect(enrolment.json()).toEqual({ affiliateId: null });
    expect(await storeSnapshot(db())).toBe(before);
  });

  it('shows pending and withdrawable commission, and a statement of every line with its order, date and reason', async () => {
    seller = await registerUser(t.sekat.app, 'penjual');
    buyer = await registerUser(t.sekat.app, 'pembeli');
    creator = await registerUser(t.sekat.app, 'kreator');
    shopId = (await openShop(t.sekat.app, seller)).id;
    affiliateId = (await w.post('/api/commerce/affiliates', creator)).json().affiliateId;
    expect((await w.get(ME, creator)).json()).toEqual({ affiliateId });
    expect((await w.inject({ method: 'PUT', url: `/api/commerce/shops/${shopId}/affiliate`, headers: seller.headers, payload: { commissionPercent: 10 } })).statusCode).toBe(200);
    const product = await listProduct(t.sekat.app, seller, shopId, [{ stock: 20, priceIdr: 500_000 }]);
    completedOrders = [];
    for (let i = 0; i < 3; i++) completedOrders.push(await w.sell(seller, buyer, affiliateId, product, true));
    pendingOrder = await w.sell(seller, buyer, affiliateId, product, false);

    expect(await balance()).toEqual({ pendingIdr: 50_000, withdrawableIdr: 150_000, payoutProcessingIdr: 0, paidOutIdr: 0 });
    const statement = (await w.get(`${ME}/statement`, creator)).json();
    // Each completed order: held into pending, then out of pending into payable; the open one only held.
    expect(statement.items).toHaveLength(10);
    expect(statement.items[0]).toMatchObject({ account: 'affiliate_commission_pending', reason: 'affiliate_commission_held', amountIdr: 50_000, orderId: pendingOrder, payoutId: null });
    const confirmed = statement.items.filter((l: { reason: string; account: string }) => l.reason === 'affiliate_commission_confirmed' && l.account === 'affiliate_commission_payable');
    expect(confirmed.map((l: { orderId: string }) => l.orderId).sort()).toEqual([...completedOrders].sort());
    expect(statement.items.every((l: { at: string }) => !Number.isNaN(Date.parse(l.at)))).toBe(true);
    // Commerce's own pseudonym and the order, never the buyer or the creator's social handle.
    expect(JSON.stringify(statement)).not.toMatch(/pembeli|kreator|recipient|phone|Siti|shop_/);

    const first = (await w.get(`${ME}/statement?limit=6`, creator)).json();
    const second = (await w.get(`${ME}/statement?limit=6&cursor=${first.nextCursor}`, creator)).json();
    expect([...first.items, ...second.items]).toEqual(statement.items);
    expect(second.nextCursor).toBeNull();
    const bad = await w.get(`${ME}/statement?cursor=bm90LWEtY3Vyc29y`, creator);
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');

    const csv = await w.get(`${ME}/statement.csv`, creator);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const rows = csv.body.trim().split('\n');
    expect(rows[0]).toBe('at,account,reason,order_id,payout_id,amount_idr');
    expect(rows).toHaveLength(11);
    expect(rows[1]).toContain(`affiliate_commission_pending,affiliate_commission_held,${completedOrders[0]},,50000`);
  });

  it('checks the creator’s bank account with the provider as a seller’s, and keeps each owner’s accounts apart', async () => {
    const before = await storeSnapshot(db());
    const unknownAccount = await addAccount({ bankCode: 'bca', accountNumber: '99999999', holderName: 'Budi Santoso' });
    expect(unknownAccount.statusCode).toBe(422);
    expect(unknownAccount.json().errors.accountNumber).toEqual(['Account does not exist']);
    const wrongHolder = await addAccount({ bankCode: 'mandiri', accountNumber: '1111222233', holderName: 'Budi Santoso' });
    expect(wrongHolder.statusCode).toBe(422);
    expect(wrongHolder.json().errors).toHaveProperty('holderName');
    expect((await addAccount({ bankCode: 'bank_palsu', accountNumber: '1111222233', holderName: 'Siti Rahma' })).statusCode).toBe(400);
    expect((await addAccount({ bankCode: 'bca', accountNumber: '12-34', holderName: 'Siti Rahma' })).statusCode).toBe(400);
    expect(await storeSnapshot(db())).toBe(before);

    const added = await addAccount({ bankCode: 'mandiri', accountNumber: '1111222233', holderName: 'siti  rahma' });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toMatchObject({ bankCode: 'mandiri', accountNumberMasked: '••••••2233', holderName: 'Siti Rahma' });
    expect((await addAccount({ bankCode: 'mandiri', accountNumber: '1111222233', holderName: 'Siti Rahma' })).statusCode).toBe(200);
    // The seller saves the same account for the shop: a separate row, and neither sees the other's.
    const shopAccount = await w.post(`/api/commerce/shops/${shopId}/bank-accounts`, seller, { bankCode: 'mandiri', accountNumber: '1111222233', holderName: 'Siti Rahma' });
    expect(shopAccount.statusCode).toBe(201);
    expect(shopAccount.json().id).not.toBe(added.json().id);
    expect((await w.get(`${ME}/bank-accounts`, creator)).json().items.map((a: { id: string }) => a.id)).toEqual([added.json().id]);
    expect((await w.get(`/api/commerce/shops/${shopId}/bank-accounts`, seller)).json().items.map((a: { id: string }) => a.id)).toEqual([shopAccount.json().id]);
    const rows = await db().selectFrom('bank_accounts').select(['shop_id', 'affiliate_id']).execute();
    expect(rows.map((r) => [r.shop_id === null, r.affiliate_id === null]).sort()).toEqual([
      [false, true],
      [true, false],
    ]);
  });

  it('refuses more than payable (409 with the amount), an account not the creator’s, and a missing key; nothing changes', async () => {
    const accounts = (await w.get(`${ME}/bank-accounts`, creator)).json().items as { id: string }[];
    const shopAccountId = (await w.get(`/api/commerce/shops/${shopId}/bank-accounts`, seller)).json().items[0].id as string;
    const before = await storeSnapshot(db());
    const over = await withdraw('over', { amountIdr: 150_001, bankAccountId: accounts[0]!.id });
    expect(over.statusCode).toBe(409);
    expect(over.headers['content-type']).toContain('application/problem+json');
    expect(over.json()).toMatchObject({ availableIdr: 150_000, errors: { amountIdr: ['is more than the available balance'] } });
    const sellersAccount = await withdraw('sellers-account', { amountIdr: 10_000, bankAccountId: shopAccountId });
    expect(sellersAccount.statusCode).toBe(422);
    expect(sellersAccount.json().type).toMatch(/bank-account-not-validated$/);
    // The seller cannot send shop money to the creator's account either.
    expect((await w.post(`/api/commerce/shops/${shopId}/payouts`, seller, { amountIdr: 10_000, bankAccountId: accounts[0]!.id }, { 'idempotency-key': 'x' })).statusCode).toBe(422);
    expect((await withdraw(null, { amountIdr: 10_000, bankAccountId: accounts[0]!.id })).statusCode).toBe(400);
    expect((await withdraw('tiny', { amountIdr: 5, bankAccountId: accounts[0]!.id })).statusCode).toBe(400);
    expect(await storeSnapshot(db())).toBe(before);
  });

  it('pays out once for withdrawals at once, and the sandbox’s signed notification marks it paid', async () => {
    const accountId = (await w.get(`${ME}/bank-accounts`, creator)).json().items[0].id as string;
    const amount = 90_000;
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
    for (const loser of losers) expect(loser.json().availableIdr).toBe(150_000 - amount);
    expect(await db().selectFrom('payouts').select('id').where('affiliate_id', '=', affiliateId).execute()).toHaveLength(1);
    expect(sandbox().created).toBe(1);
    const winner = (await db().selectFrom('payouts').select('idempotency_key').where('id', '=', payoutId).executeTakeFirstOrThrow()).idempotency_key as string;
    const repeat = await withdraw(winner, { amountIdr: amount, bankAccountId: accountId });
    expect(repeat.statusCode).toBe(200);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(repeat.json().id).toBe(payoutId);
    expect((await withdraw(winner, { amountIdr: amount + 1, bankAccountId: accountId })).statusCode).toBe(422);

    await sandbox().settled();
    await expect.poll(async () => (await db().selectFrom('payouts').select('status').where('id', '=', payoutId).executeTakeFirstOrThrow()).status).toBe('paid');
    expect(sandbox().created).toBe(1);
    expect(await balance()).toEqual({ pendingIdr: 50_000, withdrawableIdr: 60_000, payoutProcessingIdr: 0, paidOutIdr: amount });
    const lines = (await w.get(`${ME}/statement?limit=4`, creator)).json().items;
    expect(lines.map((l: { account: string; reason: string; amountIdr: number; payoutId: string }) => [l.account, l.reason, l.amountIdr, l.payoutId])).toEqual([
      ['affiliate_paid_out', 'payout_paid', amount, payoutId],
      ['affiliate_payout_processing', 'payout_paid', -amount, payoutId],
      ['affiliate_payout_processing', 'payout_requested', amount, payoutId],
      ['affiliate_commission_payable', 'payout_requested', -amount, payoutId],
    ]);
    expect((await w.get(`${ME}/payouts`, creator)).json().items).toMatchObject([{ id: payoutId, status: 'paid', amountIdr: amount }]);
    // The seller's balance never saw the creator's withdrawal.
    expect((await w.get(`/api/commerce/shops/${shopId}/balance`, seller)).json()).toMatchObject({ payoutProcessingIdr: 0, paidOutIdr: 0 });
    expect((await w.get(`/api/commerce/shops/${shopId}/payouts`, seller)).json().items).toEqual([]);
  });

  it('returns a failed payout’s money to payable with a reversing line', async () => {
    const account = await addAccount({ bankCode: 'bri', accountNumber: '5555000012', holderName: 'Andi Wijaya' });
    expect(account.statusCode).toBe(201);
    const payout = await withdraw('will-fail', { amountIdr: 20_000, bankAccountId: account.json().id });
    expect(payout.statusCode).toBe(201);
    await sandbox().settled();
    await expect.poll(async () => (await db().selectFrom('payouts').select('status').where('id', '=', payout.json().id).executeTakeFirstOrThrow()).status).toBe('failed');
    expect((await w.get(`${ME}/payouts`, creator)).json().items[0]).toMatchObject({ status: 'failed', failureCode: '012', failureMessage: 'Beneficiary account is blocked' });
    expect(await balance()).toEqual({ pendingIdr: 50_000, withdrawableIdr: 60_000, payoutProcessingIdr: 0, paidOutIdr: 90_000 });
    const lines = (await w.get(`${ME}/statement?limit=2`, creator)).json().items;
    expect(lines.map((l: { account: string; reason: string; amountIdr: number }) => [l.account, l.reason, l.amountIdr])).toEqual([
      ['affiliate_commission_payable', 'payout_failed', 20_000],
      ['affiliate_payout_processing', 'payout_failed', -20_000],
    ]);
    const total = await sql<{ total: number }>`select coalesce(sum(amount_idr), 0)::bigint as total from ledger_lines`.execute(db());
    expect(Number(total.rows[0]!.total)).toBe(0);
    const csv = (await w.get(`${ME}/statement.csv`, creator)).body.trim().split('\n');
    expect(csv.at(-1)).toContain(`affiliate_commission_payable,payout_failed,,${payout.json().id},20000`);
  });

  it('exports the creator’s accounts, payouts and commission lines; erasure keeps the money but not the holder', async () => {
    const commerce = t.sekat.domains.commerce as CommerceInstance;
    const { subject } = (await db().selectFrom('affiliates').select('subject').where('id', '=', affiliateId).executeTakeFirstOrThrow()) as { subject: string };
    const exported = await exportOf(commerce, subject);
    expect(exported.affiliateBankAccounts.map((a) => a.account_number).sort()).toEqual(['1111222233', '5555000012']);
    expect(exported.affiliatePayouts.map((p) => p.status).sort()).toEqual(['failed', 'paid']);
    expect(exported.affiliateLedger.length).toBe(18);
    await commerce.port.eraseSubject(subject);
    const accounts = await db().selectFrom('bank_accounts').select(['account_number', 'holder_name']).where('affiliate_id', '=', affiliateId).execute();
    expect(accounts.map((a) => a.account_number).sort()).toEqual(['0012', '2233']);
    expect(new Set(accounts.map((a) => a.holder_name))).toEqual(new Set(['[dihapus]']));
    // The seller's own copy of the same account is untouched.
    expect((await db().selectFrom('bank_accounts').select('account_number').where('shop_id', '=', shopId).executeTakeFirstOrThrow()).account_number).toBe('1111222233');
    expect((await w.get(`${ME}/balance`, creator)).statusCode).toBe(404);
  });
});

describe(`a creator's withdrawal needs a verified email and a recent sign-in (${STORE_LABEL})`, () => {
  const MINUTE = 60_000;
  const PASSWORD = 'kopi-susu-gula-aren-42';
  let now = Date.now();
  let ips = 0;
  const t = useSekat({ background: false, clock: () => now, env: { REQUIRE_VERIFIED_EMAIL: 'true' } });
  const w = commerceWorld(t, () => `10.9.0.${ips++ % 250}`);
  const setVerified = (email: string, verified: boolean) =>
    t.sekat.stores.identity.db.updateTable('accounts').set({ email_verified_at: verified ? new Date() : null }).where('email', '=', email).execute();
  async function signIn(email: string): Promise<TestUser> {
    const res = await w.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: PASSWORD } });
    expect(res.statusCode).toBe(200);
    return { token: res.json().token, headers: { authorization: `Bearer ${res.json().token}` } };
  }
  const problemType = (res: { json(): { type: string } }) => res.json().type.replace('https://sekat.id/problems/', '');

  it('refuses an unverified creator, then one who signed in too long ago, and pays out after the password again', async () => {
    const sellerEmail = 'penjual.komisi@example.id';
    const email = 'kreator.komisi@example.id';
    for (const [address, handle] of [
      [sellerEmail, 'penjual_komisi'],
      [email, 'kreator_komisi'],
    ] as const) {
      expect((await w.inject({ method: 'POST', url: '/api/auth/register', payload: { email: address, password: PASSWORD, handle, displayName: handle } })).statusCode).toBe(201);
      await setVerified(address, true);
    }
    const seller = await signIn(sellerEmail);
    let creator = await signIn(email);
    const buyer = await registerUser(t.sekat.app, 'pembeli');
    const shopId = (await w.post('/api/commerce/shops', seller, { name: 'Toko Komisi', slug: 'toko-komisi', city: 'Jakarta' })).json().id as string;
    expect((await w.inject({ method: 'PUT', url: `/api/commerce/shops/${shopId}/affiliate`, headers: seller.headers, payload: { commissionPercent: 20 } })).statusCode).toBe(200);
    const affiliateId = (await w.post('/api/commerce/affiliates', creator)).json().affiliateId as string;
    const product = await listProduct(t.sekat.app, seller, shopId, [{ stock: 5, priceIdr: 300_000 }]);
    await w.sell(seller, buyer, affiliateId, product, true);
    const account = await w.post(`${ME}/bank-accounts`, creator, { bankCode: 'bca', accountNumber: '1234567890', holderName: 'Budi Santoso' });
    expect(account.statusCode, account.body).toBe(201);
    const bankAccountId = account.json().id as string;
    const withdraw = (user: TestUser, key: string) => w.post(`${ME}/payouts`, user, { amountIdr: 50_000, bankAccountId }, { 'idempotency-key': key });
    const db = t.sekat.stores.commerce.db;
    const before = await storeSnapshot(db);

    await setVerified(email, false);
    const refused = await withdraw(await signIn(email), 'w-unverified');
    expect(refused.statusCode).toBe(403);
    expect(problemType(refused)).toBe('email-not-verified');
    expect(await storeSnapshot(db)).toBe(before);

    await setVerified(email, true);
    creator = await signIn(email);
    now += 11 * MINUTE;
    const stale = await withdraw(creator, 'w-stale');
    expect(stale.statusCode).toBe(403);
    expect(problemType(stale)).toBe('reauthentication-required');
    const staleAccount = await w.post(`${ME}/bank-accounts`, creator, { bankCode: 'mandiri', accountNumber: '1111222233', holderName: 'Siti Rahma' });
    expect(problemType(staleAccount)).toBe('reauthentication-required');
    expect(await storeSnapshot(db)).toBe(before);

    expect((await w.post('/api/auth/reauth', creator, { password: PASSWORD })).statusCode).toBe(204);
    const paid = await withdraw(creator, 'w-ok');
    expect(paid.statusCode, paid.body).toBe(201);
    expect(paid.json()).toMatchObject({ amountIdr: 50_000, bankAccountId });
  });
});
