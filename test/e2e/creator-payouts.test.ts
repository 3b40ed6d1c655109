/**
 * A creator's commission in Chromium: a creator not enrolled sees the enrol state with no failed
 * request; enrolled, a buyer comes through their tag and the order completes; the affiliate page
 * shows the commission withdrawable, the creator adds a bank account the Iris sandbox validates,
 * is told when asking for more than withdrawable, withdraws, and the sandbox pays, its signed
 * notification arriving over real HTTP; the statement shows it. Phone in Indonesian, desktop in English.
 */
import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { APIRequestContext, Page } from 'playwright-core';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import type { CommerceInstance } from '../../src/domains/commerce/index.js';
import { signToken } from '../../src/platform/tokens.js';
import { desktopPage, phonePage, useBrowserSekat } from './browser.js';
import { seriousViolations } from './a11y.js';

const sekat = useBrowserSekat();
const ADDRESS = { recipient: 'Siti Rahma', phone: '0812-3456-7890', line1: 'Jl. Merdeka No. 10', city: 'Bandung', province: 'Jawa Barat', postalCode: '40111' };
const rupiah = (n: number) => `Rp ${n.toLocaleString('id-ID')}`;
const SHOTS = '/tmp/shots';

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/creator-payouts-${name}.png`, fullPage: true });
}

async function ok(response: Awaited<ReturnType<APIRequestContext['post']>>): Promise<any> {
  expect(response.ok(), await response.text()).toBe(true);
  return response.json();
}

/** Every failed request and console error a page makes: the enrol state must make none. */
function watchFailures(page: Page): string[] {
  const failures: string[] = [];
  page.on('response', (response) => {
    if (response.status() >= 400) failures.push(`${response.status()} ${response.url()}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') failures.push(message.text());
  });
  return failures;
}

describe('a creator withdraws commission in Chromium', () => {
  it('shows the enrol state without an error, then the commission, a withdrawal the sandbox pays, and the statement', async () => {
    const base = sekat.base;
    const commerce = sekat.app.sekat.domains.commerce as CommerceInstance;
    const sandbox = commerce.disbursementSandbox!;
    sandbox.callbackUrl = `${base}/api/commerce/payouts/webhooks/iris`;

    const { page, errors } = await phonePage(sekat.browser);
    page.setDefaultTimeout(15_000);
    expect((await sekat.register(page.request, 'kreator_komisi')).status()).toBe(201);
    const failures = watchFailures(page);

    // Not enrolled: the page says so, and asks nothing that fails.
    await page.goto(`${base}/studio/afiliasi`);
    await page.getByTestId('affiliate-state').getByText(id.studio.notEnrolled).waitFor();
    await page.getByRole('button', { name: id.studio.setUp }).waitFor();
    expect(failures).toEqual([]);
    await page.getByRole('button', { name: id.studio.setUp }).click();
    await page.getByTestId('affiliate-state').getByText(id.studio.linked).waitFor();
    await page.getByRole('heading', { name: id.creatorPayouts.title, exact: true }).waitFor();
    await page.getByText(id.creatorPayouts.noLines).waitFor();
    expect(failures).toEqual([]);
    const { affiliateId } = await ok(await page.request.get(`${base}/api/commerce/affiliates/me`));
    expect(affiliateId).toMatch(/^aff_/);

    // A seller pays 10 %; a buyer comes through the creator's tag, and the order completes.
    const sellerContext = await sekat.browser.newContext();
    const seller = sellerContext.request;
    expect((await sekat.register(seller, 'toko_komisi')).status()).toBe(201);
    const shop = await ok(await seller.post(`${base}/api/commerce/shops`, { data: { name: 'Toko Komisi', slug: 'toko-komisi', city: 'Bandung' } }));
    await ok(await seller.put(`${base}/api/commerce/shops/${shop.id}/affiliate`, { data: { commissionPercent: 10 } }));
    const product = await ok(
      await seller.post(`${base}/api/commerce/shops/${shop.id}/products`, {
        data: { title: 'Kain Batik Tulis', description: 'Batik tulis Solo', category: 'fashion', variants: [{ sku: 'BT-1', name: '2 m', priceIdr: 500_000, stock: 5, weightGrams: 500 }] },
      }),
    );
    const buyerContext = await sekat.browser.newContext();
    const buyer = buyerContext.request;
    expect((await sekat.register(buyer, 'pembeli_komisi')).status()).toBe(201);
    const attributionToken = signToken(sekat.app.config.secrets.attributionKey, { v: 1, aff: affiliateId, vid: 'video-1', pid: product.id, exp: Math.floor(Date.now() / 1000) + 3600, n: 'e2e' });
    const placed = await ok(
      await buyer.post(`${base}/api/commerce/checkout`, {
        headers: { 'idempotency-key': `e2e-${Date.now()}` },
        data: { items: [{ variantId: product.variants[0].id, quantity: 1, attributionToken }], shippingAddress: ADDRESS, courier: 'jne_reg', paymentMethod: 'va_bca' },
      }),
    );
    await ok(await buyer.post(`${base}/api/commerce/payments/${placed.payment.id}/simulate`, { data: { outcome: 'paid' } }));
    await ok(await seller.post(`${base}/api/commerce/orders/${placed.order.id}/ship`, { data: { courier: 'jne_reg', trackingNumber: 'JNE0012345' } }));
    await ok(await seller.post(`${base}/api/commerce/orders/${placed.order.id}/courier/simulate`, { data: { stage: 'delivered' } }));
    await ok(await buyer.post(`${base}/api/commerce/orders/${placed.order.id}/complete`, { data: {} }));
    const commission = 50_000;

    await page.reload();
    await expect.poll(() => page.getByTestId('commission-withdrawable').textContent()).toBe(rupiah(commission));
    expect(await page.getByTestId('commission-balance-pending').textContent()).toBe(rupiah(0));
    await page.locator('li[data-reason="affiliate_commission_confirmed"][data-account="affiliate_commission_payable"]').waitFor();
    expect(await page.getByRole('link', { name: id.balance.csv }).getAttribute('href')).toBe('/api/commerce/affiliates/me/statement.csv');
    await page.getByText(id.balance.needAccount).waitFor();

    // The bank's name for the account is checked; the right holder is saved.
    await page.getByLabel(id.balance.bank, { exact: true }).selectOption('mandiri');
    await page.getByLabel(id.balance.accountNumber, { exact: true }).fill('1111222233');
    await page.getByLabel(id.balance.holderName, { exact: true }).fill('Siti Rahma');
    await page.getByRole('button', { name: id.balance.addAccountSubmit }).click();
    await page.getByRole('heading', { name: id.balance.withdraw, exact: true }).waitFor();
    expect(await page.getByLabel(id.balance.toAccount, { exact: true }).locator('option').first().textContent()).toContain('Siti Rahma');

    // More than withdrawable: told the amount, nothing sent.
    await page.getByLabel(id.balance.amount, { exact: true }).fill(String(commission + 1));
    await page.getByRole('button', { name: id.balance.withdrawSubmit, exact: true }).click();
    await page.getByText(id.balance.overAvailable.replace('{{amount}}', rupiah(commission))).waitFor();
    expect(sandbox.created).toBe(0);

    const amount = 30_000;
    await page.getByLabel(id.balance.amount, { exact: true }).fill(String(amount));
    await page.getByRole('button', { name: id.balance.withdrawSubmit, exact: true }).click();
    await page.getByText(id.balance.withdrawn.replace('{{amount}}', rupiah(amount))).waitFor();
    await page.locator('li[data-payout-id]').getByText(id.balance.payoutStatus.paid).waitFor();
    await expect.poll(() => page.getByTestId('commission-paid-out').textContent()).toBe(rupiah(amount));
    await expect.poll(() => page.getByTestId('commission-withdrawable').textContent()).toBe(rupiah(commission - amount));
    await page.locator('li[data-reason="payout_paid"][data-account="affiliate_paid_out"]').waitFor();
    expect(await page.locator('li[data-account="affiliate_paid_out"]').getByText(id.creatorPayouts.account.affiliate_paid_out).count()).toBe(1);
    expect(sandbox.created).toBe(1);
    expect(sandbox.undelivered).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, 'phone-id');

    const csv = await page.request.get(`${base}/api/commerce/affiliates/me/statement.csv`);
    expect(csv.headers()['content-type']).toContain('text/csv');
    expect((await csv.text()).trim().split('\n').slice(1).map((row) => row.split(',')[2])).toEqual([
      'affiliate_commission_held',
      'affiliate_commission_confirmed',
      'affiliate_commission_confirmed',
      'payout_requested',
      'payout_requested',
      'payout_paid',
      'payout_paid',
    ]);
    expect(errors).toEqual([]);
    // The 409 above is the only failed request the page made.
    expect(failures.filter((f) => !f.includes('/payouts') && !f.includes('409'))).toEqual([]);

    // The same page in English on a desktop.
    const desktop = await desktopPage(sekat.browser, 'en-GB');
    await desktop.page.context().addCookies(await page.context().cookies());
    await desktop.page.goto(`${base}/studio/afiliasi`);
    await desktop.page.evaluate(() => localStorage.setItem('sekat.lang', 'en'));
    await desktop.page.reload();
    await desktop.page.getByRole('heading', { name: en.creatorPayouts.title, exact: true }).waitFor();
    await expect.poll(() => desktop.page.getByTestId('commission-paid-out').textContent()).toBe(rupiah(amount));
    await desktop.page.getByText(en.balance.reason.payout_paid, { exact: true }).first().waitFor();
    await shot(desktop.page, 'desktop-en');
    expect(desktop.errors).toEqual([]);
  }, 120_000);
});
