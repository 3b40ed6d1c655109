import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { buildSekat, type Sekat } from '../../src/server/app.js';
import { testConfig, disposeTestConfig } from '../../src/platform/testing.js';
import type { Config } from '../../src/platform/config.js';
import { launchBrowser, phonePage, screenshot } from './browser.js';

let config: Config;
let sekat: Sekat;
let browser: Browser;
let base: string;

beforeAll(async () => {
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

describe('the web shell in Chromium', () => {
  it('signs up with field errors shown, signs out and signs in again, in Bahasa Indonesia', async () => {
    const { page, errors } = await phonePage(browser);
    await page.goto(`${base}/daftar`);
    expect(await page.getAttribute('html', 'lang')).toBe('id');
    await page.getByRole('heading', { name: 'Buat akun' }).waitFor();

    await page.getByLabel('Nama tampilan').fill('Rina');
    await page.getByLabel('Nama pengguna').fill('R!');
    await page.getByLabel('Email').fill('bukan-email');
    await page.getByLabel('Kata sandi').fill('password123');
    await page.getByRole('button', { name: 'Daftar' }).click();
    await page.getByText('Masukkan alamat email yang benar.').waitFor();
    await page.getByText('Kata sandi ini terlalu umum; pilih yang lain.').waitFor();
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'shell-signup-errors');

    await page.getByLabel('Nama pengguna').fill('rina.putri');
    await page.getByLabel('Email').fill('rina@contoh.id');
    await page.getByLabel('Kata sandi').fill('teh-botol-sosro-dingin');
    await page.getByRole('button', { name: 'Daftar' }).click();
    await page.getByRole('link', { name: '@rina.putri' }).waitFor();
    await page.goto(`${base}/saya`);
    await page.getByRole('heading', { name: 'Halo, Rina!' }).waitFor();
    await screenshot(page, 'shell-home-signed-in');

    await page.getByRole('button', { name: 'Keluar' }).click();
    await page.getByRole('heading', { name: 'Masuk ke Sekat' }).waitFor();
    await page.getByLabel('Email').fill('rina@contoh.id');
    await page.getByLabel('Kata sandi').fill('salah-kata-sandi');
    await page.getByRole('button', { name: 'Masuk' }).last().click();
    await page.getByText('Email atau kata sandi salah.').waitFor();
    await page.getByLabel('Kata sandi').fill('teh-botol-sosro-dingin');
    await page.getByRole('button', { name: 'Masuk' }).last().click();
    await page.getByRole('link', { name: '@rina.putri' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('switches to English', async () => {
    const { page, errors } = await phonePage(browser, 'en-US');
    await page.goto(`${base}/masuk`);
    await page.getByLabel('Bahasa').selectOption('en');
    await page.getByRole('heading', { name: 'Sign in to Sekat' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await screenshot(page, 'shell-signin-en');
    expect(errors).toEqual([]);
  });
});
