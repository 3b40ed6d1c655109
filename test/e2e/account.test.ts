import { describe, expect, it } from 'vitest';
import { desktopPage, phonePage, screenshot, useBrowserSekat } from './browser.js';
import { seriousViolations } from './a11y.js';
import { useSmtp } from '../support/smtp.js';

const env: Record<string, string> = { REQUIRE_VERIFIED_EMAIL: 'true' };
const smtp = useSmtp(env);
const sekat = useBrowserSekat({ env });

/** The path and query of the first link to `path` in the newest mail to `address`. */
async function mailedLink(address: string, path: string, count = 1): Promise<string> {
  const mail = await smtp.mailTo(address, count);
  const match = new RegExp(`https?://[^/\\s]+(${path}\\?token=[A-Za-z0-9_-]+)`).exec(mail.text ?? '');
  expect(match, mail.text).not.toBeNull();
  return match![1]!;
}

describe('account in Chromium', () => {
  it('signs up, is asked to verify before opening a shop, follows the mailed link and opens one (id, phone)', async () => {
    const { page, errors } = await phonePage(sekat.browser);
    await page.goto(`${sekat.base}/daftar`);
    await page.getByLabel('Nama tampilan').fill('Rina Batik');
    await page.getByLabel('Nama pengguna').fill('rina.batik');
    await page.getByLabel('Email').fill('rina@contoh.id');
    await page.getByLabel('Kata sandi').fill('gudeg-jogja-manis-sekali');
    await page.getByRole('button', { name: 'Daftar' }).last().click();
    await page.getByRole('link', { name: '@rina.batik' }).waitFor();

    await page.goto(`${sekat.base}/seller`);
    const banner = page.getByRole('region', { name: 'Verifikasi email Anda' });
    await banner.waitFor();
    await banner.getByText('Toko hanya bisa dibuka setelah email Anda terverifikasi.').waitFor();
    // Trying anyway gets the rule, not a shop.
    await page.getByLabel('Nama toko').fill('Batik Rina');
    await page.getByLabel('Alamat toko').fill('batik-rina');
    await page.getByLabel('Kota', { exact: true }).fill('Yogyakarta');
    await page.getByRole('button', { name: 'Buka toko' }).click();
    await page.getByRole('alert').getByText('Verifikasi email Anda dulu untuk melakukan ini.').waitFor();
    await banner.getByRole('button', { name: 'Kirim ulang email verifikasi' }).click();
    await banner.getByRole('status').getByText('Email verifikasi sudah dikirim lagi.').waitFor();
    await screenshot(page, 'account-verify-banner-phone');
    expect(await seriousViolations(page)).toEqual([]);

    const mail = await smtp.mailTo('rina@contoh.id');
    expect(mail.subject).toBe('Verifikasi email Sekat Anda');
    await page.goto(`${sekat.base}${await mailedLink('rina@contoh.id', '/email/verifikasi', 2)}`);
    await page.getByRole('status').getByText('Email Anda sudah terverifikasi.').waitFor();
    await screenshot(page, 'account-verified-phone');

    await page.goto(`${sekat.base}/seller`);
    await page.getByLabel('Nama toko').fill('Batik Rina');
    await page.getByLabel('Alamat toko').fill('batik-rina');
    await page.getByLabel('Kota', { exact: true }).fill('Yogyakarta');
    await page.getByRole('button', { name: 'Buka toko' }).click();
    await page.getByRole('status').getByText('Batik Rina', { exact: false }).waitFor();
    expect(await page.getByRole('region', { name: 'Verifikasi email Anda' }).count()).toBe(0);

    // The first link, not yet used, is still good for nothing more: the address is verified.
    await page.goto(`${sekat.base}${await mailedLink('rina@contoh.id', '/email/verifikasi', 1)}`);
    await page.getByRole('alert').getByText('Tautan ini sudah tidak berlaku.').waitFor();
    expect(errors).toEqual([]);
  });

  it('shows the banner in English on a desktop', async () => {
    const { page, errors } = await desktopPage(sekat.browser, 'en-US');
    await page.goto(`${sekat.base}/`);
    await page.evaluate(() => localStorage.setItem('sekat.lang', 'en'));
    expect((await sekat.register(page.request, 'tom.en')).status()).toBe(201);
    await page.goto(`${sekat.base}/saya`);
    const banner = page.getByRole('region', { name: 'Verify your email' });
    await banner.waitFor();
    await banner.getByRole('button', { name: 'Send the verification email again' }).waitFor();
    await screenshot(page, 'account-verify-banner-desktop-en');
    expect(errors).toEqual([]);
  });
});
