/**
 * What a withdrawal and a new bank account wait for besides the money: a verified email
 * (withdrawing) and a recent sign-in or re-authentication (both). Identity makes both claims;
 * commerce only hears yes or no. The clock is fake, so "ten minutes later" needs no sleep.
 */
import { describe, expect, it } from 'vitest';
import { STORE_LABEL } from '../../../platform/testing.js';
import { useSekat } from '../../../../test/support/sekat.js';
import { checkout, listProduct, registerUser, storeSnapshot, type TestUser } from '../testkit.js';
import { releaseDueSettlements } from './ledger.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const PASSWORD = 'kopi-susu-gula-aren-42';
let now = Date.now();
const t = useSekat({ background: false, clock: () => now, env: { REQUIRE_VERIFIED_EMAIL: 'true' } });

let ips = 0;
const inject = (method: 'GET' | 'POST', url: string, user?: TestUser, payload?: Record<string, unknown>, headers: Record<string, string> = {}) =>
  t.sekat.app.inject({ method, url, payload, headers: { ...headers, ...(user?.headers ?? {}) }, remoteAddress: `10.7.0.${ips++ % 250}` });
const setVerified = (email: string, verified: boolean) =>
  t.sekat.stores.identity.db.updateTable('accounts').set({ email_verified_at: verified ? new Date() : null }).where('email', '=', email).execute();
/** A new session, so it reads the account as it is now. */
async function signIn(email: string): Promise<TestUser> {
  const res = await inject('POST', '/api/auth/login', undefined, { email, password: PASSWORD });
  expect(res.statusCode).toBe(200);
  return { token: res.json().token, headers: { authorization: `Bearer ${res.json().token}` } };
}
const problemType = (res: { json(): { type: string } }) => res.json().type.replace('https://sekat.id/problems/', '');

describe(`withdrawals need a verified email and a recent sign-in (${STORE_LABEL})`, () => {
  it('refuses an unverified seller, then one who signed in too long ago, and pays out after the password again', async () => {
    const email = 'penjual.guard@example.id';
    expect((await inject('POST', '/api/auth/register', undefined, { email, password: PASSWORD, handle: 'penjual_guard', displayName: 'Penjual' })).statusCode).toBe(201);
    await setVerified(email, true);
    let seller = await signIn(email);
    const shop = await inject('POST', '/api/commerce/shops', seller, { name: 'Toko Jaga', slug: 'toko-jaga', city: 'Jakarta' });
    expect(shop.statusCode).toBe(201);
    const shopId = shop.json().id as string;

    // Money to withdraw: one order paid, completed and settled.
    const buyer = await registerUser(t.sekat.app, 'pembeli');
    const product = await listProduct(t.sekat.app, seller, shopId, [{ stock: 5, priceIdr: 200_000 }]);
    const placed = await checkout(t.sekat.app, buyer, { items: [{ variantId: product.variants[0]!.id, quantity: 1 }] });
    const { order, payment } = placed.json();
    expect((await inject('POST', `/api/commerce/payments/${payment.id}/simulate`, buyer, { outcome: 'paid' })).statusCode).toBe(200);
    expect((await inject('POST', `/api/commerce/orders/${order.id}/ship`, seller, { courier: 'jne_reg', trackingNumber: 'JNE0012345' })).statusCode).toBe(200);
    expect((await inject('POST', `/api/commerce/orders/${order.id}/courier/simulate`, seller, { stage: 'delivered' })).statusCode).toBe(200);
    expect((await inject('POST', `/api/commerce/orders/${order.id}/complete`, buyer)).statusCode).toBe(200);
    await releaseDueSettlements(t.sekat.stores.commerce.db, new Date(Date.now() + 30 * DAY));
    const account = await inject('POST', `/api/commerce/shops/${shopId}/bank-accounts`, seller, { bankCode: 'bca', accountNumber: '1234567890', holderName: 'Budi Santoso' });
    expect(account.statusCode, account.body).toBe(201);
    const bankAccountId = account.json().id as string;
    const withdraw = (user: TestUser, key: string) => inject('POST', `/api/commerce/shops/${shopId}/payouts`, user, { amountIdr: 50_000, bankAccountId }, { 'idempotency-key': key });
    const before = await storeSnapshot(t.sekat.stores.commerce.db);

    // The address is no longer confirmed: no withdrawal, and nothing written.
    await setVerified(email, false);
    const unverified = await signIn(email);
    const refused = await withdraw(unverified, 'w-unverified');
    expect(refused.statusCode).toBe(403);
    expect(problemType(refused)).toBe('email-not-verified');
    expect(refused.json().detail).toContain('before withdrawing money');
    expect(await storeSnapshot(t.sekat.stores.commerce.db)).toBe(before);

    // Verified again, but signed in eleven minutes ago: neither a withdrawal nor a new account.
    await setVerified(email, true);
    seller = await signIn(email);
    now += 11 * MINUTE;
    const stale = await withdraw(seller, 'w-stale');
    expect(stale.statusCode).toBe(403);
    expect(problemType(stale)).toBe('reauthentication-required');
    const staleAccount = await inject('POST', `/api/commerce/shops/${shopId}/bank-accounts`, seller, { bankCode: 'mandiri', accountNumber: '1111222233', holderName: 'Siti Rahma' });
    expect(staleAccount.statusCode).toBe(403);
    expect(problemType(staleAccount)).toBe('reauthentication-required');
    expect(await storeSnapshot(t.sekat.stores.commerce.db)).toBe(before);

    // The password again opens both for a while.
    expect((await inject('POST', '/api/auth/reauth', seller, { password: 'bukan-sandinya-ya' })).statusCode).toBe(403);
    expect(problemType(await withdraw(seller, 'w-wrong-password'))).toBe('reauthentication-required');
    expect((await inject('POST', '/api/auth/reauth', seller, { password: PASSWORD })).statusCode).toBe(204);
    const paid = await withdraw(seller, 'w-ok');
    expect(paid.statusCode, paid.body).toBe(201);
    expect(paid.json()).toMatchObject({ amountIdr: 50_000, bankAccountId });
    const second = await inject('POST', `/api/commerce/shops/${shopId}/bank-accounts`, seller, { bankCode: 'mandiri', accountNumber: '1111222233', holderName: 'Siti Rahma' });
    expect(second.statusCode, second.body).toBe(201);
  });
});
