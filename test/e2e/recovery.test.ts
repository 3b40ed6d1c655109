import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { simpleParser } from 'mailparser';
import { buildSekat, type Sekat } from '../../src/server/app.js';
import { testConfig, disposeTestConfig } from '../../src/platform/testing.js';
import type { Config } from '../../src/platform/config.js';
import { launchBrowser, phonePage, screenshot } from './browser.js';
import { seriousViolations } from './a11y.js';

let config: Config;
let sekat: Sekat;
let browser: Browser;
let base: string;

beforeAll(async () => {
  // No SMTP_URL: the embedded default writes each mail to DATA_DIR/mail as an .eml file.
  config = testConfig();
  sekat = await buildSekat(config);
  base = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

/** The one reset mail on disk (sign-up also wrote its verification mail there). */
async function onlyMail() {
  const folder = path.join(config.dataDir, 'mail');
  const resets = async () => {
    const mails = await Promise.all(readdirSync(folder).filter((f) => f.endsWith('.eml')).map((f) => simpleParser(readFileSync(path.join(folder, f)))));
    return mails.filter((mail) => mail.subject === 'Atur ulang kata sandi Sekat Anda');
  };
  await vi.waitFor(async () => expect(await resets()).toHaveLength(1), { timeout: 10_000 });
  return (await resets())[0]!;
}

describe('password reset in Chromium', () => {
  it('walks from "Lupa kata sandi?" through the mailed link to signing in with the new password', async () => {
    const signUp = await sekat.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      payload: { email: 'lupa@contoh.id', password: 'pisang-goreng-keju', handle: 'lupa.sandi', displayName: 'Lupa', locale: 'id' },
    });
    expect(signUp.statusCode).toBe(201);

    const { page, errors } = await phonePage(browser);
    await page.goto(`${base}/masuk`);
    await page.getByRole('link', { name: 'Lupa kata sandi?' }).click();
    await page.getByRole('heading', { name: 'Lupa kata sandi' }).waitFor();
    await page.getByLabel('Email').fill('lupa@contoh.id');
    await page.getByRole('button', { name: 'Kirim tautan' }).click();
    await page.getByRole('status').getByText('Jika lupa@contoh.id terdaftar di Sekat').waitFor();
    await screenshot(page, 'recovery-sent');
    expect(await seriousViolations(page)).toEqual([]);

    const mail = await onlyMail();
    expect(mail.subject).toBe('Atur ulang kata sandi Sekat Anda');
    const link = new URL(/http:\/\/\S+\/sandi\/baru\?token=[A-Za-z0-9_-]+/.exec(mail.text ?? '')![0]);
    await page.goto(`${base}${link.pathname}${link.search}`);
    await page.getByRole('heading', { name: 'Buat kata sandi baru' }).waitFor();
    await page.getByLabel('Kata sandi baru', { exact: true }).fill('password123');
    await page.getByRole('button', { name: 'Simpan kata sandi' }).click();
    await page.getByText('Kata sandi ini terlalu umum; pilih yang lain.').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Kata sandi baru', { exact: true }).fill('es-cendol-durian-segar');
    await page.getByRole('button', { name: 'Simpan kata sandi' }).click();
    await page.getByRole('heading', { name: 'Masuk ke Sekat' }).waitFor();
    await page.getByText('Kata sandi sudah diganti.', { exact: false }).waitFor();

    await page.getByLabel('Email').fill('lupa@contoh.id');
    await page.getByLabel('Kata sandi').fill('es-cendol-durian-segar');
    await page.getByRole('button', { name: 'Masuk' }).last().click();
    await page.getByRole('link', { name: '@lupa.sandi' }).waitFor();

    // The link is spent: opening it again and saving is refused.
    await page.goto(`${base}${link.pathname}${link.search}`);
    await page.getByLabel('Kata sandi baru', { exact: true }).fill('bubur-ayam-cianjur');
    await page.getByRole('button', { name: 'Simpan kata sandi' }).click();
    await page.getByText('Tautan ini sudah tidak berlaku. Minta tautan baru.').waitFor();
    await screenshot(page, 'recovery-link-spent');
    expect(errors).toEqual([]);
  });
});
