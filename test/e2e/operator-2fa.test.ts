/**
 * Operators need a second factor, in Chromium: an operator without TOTP is refused in the
 * moderation console and sent to set it up; with TOTP on but a session signed in by password
 * alone they are asked to sign in again; signed in with a code they see the queue. On a phone in
 * Indonesian, and on a desktop in English (another operator refused, then one signing in with a
 * recovery code). Then a seller: urged on Saldo to set TOTP up, asked for the password again
 * before adding a bank account, and sent to sign in (and back) once the session ran out.
 */
import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Secret, TOTP } from 'otpauth';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import { desktopPage, phonePage, useBrowserSekat } from './browser.js';
import { seriousViolations } from './a11y.js';

const PASSWORD = 'nasi-uduk-betawi-enak';
// Session lifetimes and re-authentication follow this clock; "later" is a shift, not a sleep.
let shift = 0;
const MINUTE = 60_000;
const sekat = useBrowserSekat({ env: { OPERATOR_EMAILS: 'opa2fa@contoh.id,opi2fa@contoh.id' }, clock: () => Date.now() + shift });
const shot = async (page: Page, name: string) => {
  mkdirSync('/tmp/shots', { recursive: true });
  await page.screenshot({ path: `/tmp/shots/sessions-${name}.png`, fullPage: true });
};

describe('operators need a second factor in Chromium', () => {
  it('refuses the console without TOTP, sets it up, signs in again with a code and shows the queue', async () => {
    const { page, errors } = await phonePage(sekat.browser);
    page.setDefaultTimeout(15_000);
    expect((await sekat.register(page.request, 'opa2fa')).status()).toBe(201);

    // No second factor: the console says what to do, and links to setting it up.
    await page.goto(`${sekat.base}/operator/moderasi`);
    const notice = page.getByRole('alert').filter({ hasText: id.guard.operatorTitle });
    await notice.getByText(id.guard.operatorSetUp).waitFor();
    expect(await page.getByRole('heading', { name: id.operator.queue }).count()).toBe(0);
    await shot(page, 'operator-no-totp-phone');
    expect(await seriousViolations(page)).toEqual([]);
    await notice.getByRole('link', { name: id.guard.setUpTotp }).click();

    // Two-step sign-in, set up on the security page.
    const twoStep = page.getByRole('region', { name: id.twoFactor.title });
    await twoStep.getByLabel('Kata sandi saat ini').fill(PASSWORD);
    await page.getByRole('button', { name: id.twoFactor.turnOn }).click();
    await page.getByRole('img', { name: id.twoFactor.qrAlt }).waitFor();
    const secret = (await page.locator('code.secret').textContent())!.trim();
    const totp = new TOTP({ secret: Secret.fromBase32(secret), period: 30, digits: 6, algorithm: 'SHA1' });
    await page.getByLabel(id.twoFactor.code).fill(totp.generate());
    await page.getByRole('button', { name: id.twoFactor.confirm }).click();
    await page.getByRole('status').getByText(id.twoFactor.on).waitFor();
    const codes = page.locator('.recovery-codes code');
    await expect.poll(() => codes.count()).toBe(10);
    const recoveryCode = (await codes.first().textContent())!.trim();

    // TOTP is on, but this session began with the password alone: sign in again.
    await page.goto(`${sekat.base}/operator/moderasi`);
    await page.getByText(id.guard.operatorSignInAgain).waitFor();
    await shot(page, 'operator-sign-in-again-phone');
    await page.getByRole('button', { name: id.guard.operatorSignInButton }).click();
    await page.waitForURL(/\/masuk\?next=%2Foperator%2Fmoderasi/);
    await page.getByLabel(id.auth.email).fill('opa2fa@contoh.id');
    await page.getByLabel(id.auth.password).fill(PASSWORD);
    await page.getByRole('button', { name: id.auth.submitSignIn }).last().click();
    await page.getByRole('heading', { name: id.twoFactor.signInTitle }).waitFor();
    // The code of the next step: the current one was spent turning TOTP on.
    await page.getByLabel(id.twoFactor.code).fill(totp.generate({ timestamp: Date.now() + 30_000 }));
    await page.getByRole('button', { name: id.twoFactor.verify, exact: true }).click();
    await page.getByRole('heading', { name: id.operator.title }).waitFor();
    await page.getByText(id.operator.empty).waitFor();
    expect(page.url()).toBe(`${sekat.base}/operator/moderasi`);
    await shot(page, 'operator-queue-phone');

    // On a desktop in English: another operator without TOTP is refused the same way…
    const other = await desktopPage(sekat.browser, 'en-GB');
    other.page.setDefaultTimeout(15_000);
    await other.page.addInitScript(() => localStorage.setItem('sekat.lang', 'en'));
    expect((await sekat.register(other.page.request, 'opi2fa')).status()).toBe(201);
    await other.page.goto(`${sekat.base}/operator/voucher`);
    await other.page.getByText(en.guard.operatorSetUp).waitFor();
    await other.page.getByRole('link', { name: en.guard.setUpTotp }).waitFor();
    await shot(other.page, 'operator-no-totp-desktop-en');
    expect(await seriousViolations(other.page)).toEqual([]);

    // …and the first signs in there with a recovery code and sees the queue.
    const desktop = await desktopPage(sekat.browser, 'en-GB');
    desktop.page.setDefaultTimeout(15_000);
    await desktop.page.addInitScript(() => localStorage.setItem('sekat.lang', 'en'));
    await desktop.page.goto(`${sekat.base}/masuk?next=%2Foperator%2Fmoderasi`);
    await desktop.page.getByLabel(en.auth.email).fill('opa2fa@contoh.id');
    await desktop.page.getByLabel(en.auth.password).fill(PASSWORD);
    await desktop.page.getByRole('button', { name: en.auth.submitSignIn }).last().click();
    await desktop.page.getByRole('heading', { name: en.twoFactor.signInTitle }).waitFor();
    await desktop.page.getByLabel(en.twoFactor.code).fill(recoveryCode);
    await desktop.page.getByRole('button', { name: en.twoFactor.verify, exact: true }).click();
    await desktop.page.getByRole('heading', { name: en.operator.title }).waitFor();
    await desktop.page.getByText(en.operator.empty).waitFor();
    await shot(desktop.page, 'operator-queue-desktop-en');

    expect(errors).toEqual([]);
    expect(other.errors).toEqual([]);
    expect(desktop.errors).toEqual([]);
  });

  it('urges a seller to set up TOTP, asks for the password again before a bank account, and signs in again after expiry', async () => {
    const { page, errors } = await phonePage(sekat.browser);
    page.setDefaultTimeout(15_000);
    expect((await sekat.register(page.request, 'penjual2fa')).status()).toBe(201);
    expect((await page.request.post(`${sekat.base}/api/commerce/shops`, { data: { name: 'Toko Dua Langkah', slug: 'toko-dua-langkah', city: 'Bandung' } })).status()).toBe(201);
    await page.goto(`${sekat.base}/seller/saldo`);
    const nudge = page.getByRole('region', { name: id.guard.suggestTitle });
    await nudge.getByText(id.guard.suggestBody).waitFor();
    await nudge.getByRole('link', { name: id.guard.setUpTotp }).waitFor();
    await shot(page, 'saldo-nudge-phone');

    // Eleven minutes after signing in, a new bank account wants the password again.
    shift += 11 * MINUTE;
    await page.getByLabel(id.balance.bank, { exact: true }).selectOption('bca');
    await page.getByLabel(id.balance.accountNumber, { exact: true }).fill('1234567890');
    await page.getByLabel(id.balance.holderName, { exact: true }).fill('Budi Santoso');
    await page.getByRole('button', { name: id.balance.addAccountSubmit }).click();
    const prompt = page.getByRole('dialog', { name: id.guard.reauthTitle });
    await prompt.getByLabel(id.guard.reauthPassword).fill('bukan-kata-sandinya');
    await prompt.getByRole('button', { name: id.guard.reauthSubmit }).click();
    await prompt.getByRole('alert').getByText(id.guard.reauthWrong).waitFor();
    await shot(page, 'reauth-prompt-phone');
    await prompt.getByLabel(id.guard.reauthPassword).fill(PASSWORD);
    await prompt.getByRole('button', { name: id.guard.reauthSubmit }).click();
    await expect.poll(async () => (await page.getByLabel(id.balance.toAccount, { exact: true }).locator('option').first().textContent()) ?? '').toContain('Budi Santoso');
    expect(await prompt.count()).toBe(0);

    // Half an hour without a request ends a seller's session: the next page asks to sign in, and returns.
    shift += 31 * MINUTE;
    await page.reload();
    await page.waitForURL(/\/masuk\?next=%2Fseller%2Fsaldo&sesi=berakhir/);
    await page.getByRole('status').getByText(id.guard.expired).waitFor();
    await shot(page, 'session-expired-phone');
    await page.getByLabel(id.auth.email).fill('penjual2fa@contoh.id');
    await page.getByLabel(id.auth.password).fill(PASSWORD);
    await page.getByRole('button', { name: id.auth.submitSignIn }).last().click();
    await page.waitForURL(`${sekat.base}/seller/saldo`);
    await page.getByRole('region', { name: id.guard.suggestTitle }).waitFor();
    expect(errors).toEqual([]);
  });
});
