/**
 * The seller's money in Chromium: an order completes, the Saldo page shows its lines and the
 * pending settlement; the settlement job runs as if its D+3 had come; the seller adds a bank
 * account the Iris sandbox validates, is told when asking for more than available, withdraws,
 * and the sandbox pays, its signed notification arriving over real HTTP.
 */
import { describe, expect, it } from 'vitest';
import type { APIRequestContext, Page } from 'playwright-core';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import type { CommerceInstance } from '../../src/domains/commerce/index.js';
import { releaseDueSettlements } from '../../src/domains/commerce/ledger/ledger.js';
import { desktopPage, phonePage, screenshot, useBrowserSekat, waitInvalid } from './browser.js';
import { seriousViolations } from './a11y.js';

const sekat = useBrowserSekat();
const DAY = 24 * 60 * 60 * 1000;
const ADDRESS = { recipient: 'Siti Rahma', phone: '0812-3456-7890', line1: 'Jl. Merdeka No. 10', city: 'Bandung', province: 'Jawa Barat', postalCode: '40111' };
const rupiah = (n: number) => `Rp ${n.toLocaleString('id-ID')}`;

async function ok(response: Awaited<ReturnType<APIRequestContext["post"]>>): Promise<any> {
  expect(response.ok(), await response.text()).toBe(true);
  return response.json();
}

/** A buyer buys and completes one order of the product; the seller ships and delivers it. */
async function sellOne(seller: APIRequestContext, buyer: APIRequestContext, variantId: string): Promise<{ totalIdr: number }> {
  const base = sekat.base;
  const placed = await ok(
    await buyer.post(`${base}/api/commerce/checkout`, { headers: { 'idempotency-key': `e2e-${Date.now()}` }, data: { items: [{ variantId, quantity: 1 }], shippingAddress: ADDRESS, courier: 'jne_reg', paymentMethod: 'va_bca' } }),
  );
  await ok(await buyer.post(`${base}/api/commerce/payments/${placed.payment.id}/simulate`, { data: { outcome: 'paid' } }));
  await ok(await seller.post(`${base}/api/commerce/orders/${placed.order.id}/ship`, { data: { courier: 'jne_reg', trackingNumber: 'JNE0012345' } }));
  await ok(await seller.post(`${base}/api/commerce/orders/${placed.order.id}/courier/simulate`, { data: { stage: 'delivered' } }));
  await ok(await buyer.post(`${base}/api/commerce/orders/${placed.order.id}/complete`, { data: {} }));
  return { totalIdr: placed.order.totalIdr };
}

const figure = (page: Page, testId: string) => page.getByTestId(testId);

describe('seller balance (Saldo) in Chromium', () => {
  it('shows a completed order’s lines, settles it on its day, and pays a withdrawal out through the sandbox', async () => {
    const commerce = sekat.app.sekat.domains.commerce as CommerceInstance;
    const sandbox = commerce.disbursementSandbox!;
    // The provider calls back over HTTP, as Iris would, to the listening server.
    sandbox.callbackUrl = `${sekat.base}/api/commerce/payouts/webhooks/iris`;

    const { page, errors } = await phonePage(sekat.browser);
    page.setDefaultTimeout(15_000);
    expect((await sekat.register(page.request, 'toko_saldo')).status()).toBe(201);
    const shop = await ok(await page.request.post(`${sekat.base}/api/commerce/shops`, { data: { name: 'Toko Saldo', slug: 'toko-saldo', city: 'Bandung' } }));
    const product = await ok(
      await page.request.post(`${sekat.base}/api/commerce/shops/${shop.id}/products`, {
        data: { title: 'Kain Batik Tulis', description: 'Batik tulis Solo', category: 'fashion', variants: [{ sku: 'BT-1', name: '2 m', priceIdr: 300_000, stock: 5, weightGrams: 500 }] },
      }),
    );
    const buyerContext = await sekat.browser.newContext();
    expect((await sekat.register(buyerContext.request, 'pembeli_saldo')).status()).toBe(201);
    const { totalIdr } = await sellOne(page.request, buyerContext.request, product.variants[0].id);
    const fee = (300_000 * 500) / 10_000;
    const net = totalIdr - fee;

    await page.goto(`${sekat.base}/seller/saldo`);
    await page.getByRole('heading', { name: id.balance.title, exact: true }).waitFor();
    expect(await page.getByRole('link', { name: id.seller.balance, exact: true }).getAttribute('aria-current')).toBe('page');
    await expect.poll(() => figure(page, 'pending').textContent()).toBe(rupiah(net));
    expect(await figure(page, 'available').textContent()).toBe(rupiah(0));
    for (const reason of ['order_paid', 'settlement_started', 'platform_fee'] as const) {
      await page.locator(`li[data-reason="${reason}"]`).first().waitFor();
    }
    await page.getByText(id.balance.reason.platform_fee, { exact: true }).waitFor();
    expect(await page.locator('li[data-reason="platform_fee"] .amount').textContent()).toBe(`−${rupiah(fee)}`);
    await page.getByText(new RegExp(`^${id.balance.heldUntil.split(' (')[0]}`)).waitFor();
    expect(await page.getByRole('link', { name: id.balance.csv }).getAttribute('href')).toBe(`/api/commerce/shops/${shop.id}/statement.csv`);
    await page.getByText(id.balance.needAccount).waitFor();
    await screenshot(page, 'ledger-pending-phone');

    // Time passes: the settlement job runs as on day 4.
    expect(await releaseDueSettlements(sekat.app.sekat.stores.commerce.db, new Date(Date.now() + 4 * DAY))).toBe(1);
    await page.reload();
    await expect.poll(() => figure(page, 'available').textContent()).toBe(rupiah(net));
    expect(await figure(page, 'pending').textContent()).toBe(rupiah(0));
    await page.locator('li[data-reason="settlement_released"]').first().waitFor();

    // A holder's name the bank does not hold is refused at the field; the right one is saved.
    await page.getByLabel(id.balance.bank, { exact: true }).selectOption('bca');
    await page.getByLabel(id.balance.accountNumber, { exact: true }).fill('1234567890');
    await page.getByLabel(id.balance.holderName, { exact: true }).fill('Budi Santosa');
    await page.getByRole('button', { name: id.balance.addAccountSubmit }).click();
    await waitInvalid(page.getByLabel(id.balance.holderName, { exact: true }));
    await page.getByText(id.errors.field['does not match the account holder']).waitFor();
    await page.getByLabel(id.balance.holderName, { exact: true }).fill('Budi Santoso');
    await page.getByRole('button', { name: id.balance.addAccountSubmit }).click();
    await page.getByRole('heading', { name: id.balance.withdraw, exact: true }).waitFor();
    expect(await page.getByLabel(id.balance.toAccount, { exact: true }).locator('option').first().textContent()).toContain('Budi Santoso');

    // More than available: told the amount available, nothing sent.
    await page.getByLabel(id.balance.amount, { exact: true }).fill(String(net + 1));
    await page.getByRole('button', { name: id.balance.withdrawSubmit, exact: true }).click();
    await page.getByText(id.balance.overAvailable.replace('{{amount}}', rupiah(net))).waitFor();
    expect(sandbox.created).toBe(0);

    const amount = 200_000;
    await page.getByLabel(id.balance.amount, { exact: true }).fill(String(amount));
    await page.getByRole('button', { name: id.balance.withdrawSubmit, exact: true }).click();
    await page.getByText(id.balance.withdrawn.replace('{{amount}}', rupiah(amount))).waitFor();
    await page.locator('li[data-payout-id]').getByText(id.balance.payoutStatus.paid).waitFor();
    await expect.poll(() => figure(page, 'paid-out').textContent()).toBe(rupiah(amount));
    await expect.poll(() => figure(page, 'available').textContent()).toBe(rupiah(net - amount));
    await page.locator('li[data-reason="payout_paid"]').first().waitFor();
    expect(sandbox.created).toBe(1);
    expect(sandbox.undelivered).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'ledger-paid-phone');

    // The CSV the link downloads holds every line.
    const csv = await page.request.get(`${sekat.base}/api/commerce/shops/${shop.id}/statement.csv`);
    expect(csv.headers()['content-type']).toContain('text/csv');
    expect((await csv.text()).trim().split('\n').slice(1).map((row) => row.split(',')[2])).toEqual([
      'order_paid',
      'settlement_started',
      'settlement_started',
      'platform_fee',
      'settlement_released',
      'settlement_released',
      'payout_requested',
      'payout_requested',
      'payout_paid',
      'payout_paid',
    ]);
    expect(errors).toEqual([]);

    // The same page in English on a desktop.
    const desktop = await desktopPage(sekat.browser, 'en-GB');
    await desktop.page.context().addCookies(await page.context().cookies());
    await desktop.page.goto(`${sekat.base}/seller/saldo`);
    await desktop.page.evaluate(() => localStorage.setItem('sekat.lang', 'en'));
    await desktop.page.reload();
    await desktop.page.getByRole('heading', { name: en.balance.statement, exact: true }).waitFor();
    await expect.poll(() => figure(desktop.page, 'paid-out').textContent()).toBe(rupiah(amount));
    await screenshot(desktop.page, 'ledger-desktop');
    expect(desktop.errors).toEqual([]);
  }, 120_000);
});
