import { describe, expect, it, vi } from 'vitest';
import { Secret, TOTP } from 'otpauth';
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

    // The first link was never used, but the address is verified: it confirms nothing now.
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

  it('changes the email after the password, by the link mailed to the new address (id, phone)', async () => {
    const { page, errors } = await phonePage(sekat.browser);
    expect((await sekat.register(page.request, 'sari.pindah')).status()).toBe(201);
    await page.goto(`${sekat.base}/saya`);
    await page.getByRole('link', { name: 'Ganti email' }).click();
    await page.getByRole('heading', { name: 'Ganti email' }).waitFor();
    await page.getByLabel('Email baru').fill('sari.baru@contoh.id');
    await page.getByLabel('Kata sandi saat ini').fill('bukan-sandi-sari');
    await page.getByRole('button', { name: 'Kirim tautan konfirmasi' }).click();
    await page.getByRole('alert').getByText('Kata sandi salah.').waitFor();
    await page.getByLabel('Kata sandi saat ini').fill('nasi-uduk-betawi-enak');
    await page.getByRole('button', { name: 'Kirim tautan konfirmasi' }).click();
    await page.getByRole('status').getByText('Tautan konfirmasi sudah dikirim ke sari.baru@contoh.id').waitFor();
    await screenshot(page, 'account-change-email-phone');
    expect(await seriousViolations(page)).toEqual([]);

    await page.goto(`${sekat.base}${await mailedLink('sari.baru@contoh.id', '/email/ganti')}`);
    await page.getByRole('status').getByText('Email baru Anda sudah aktif.').waitFor();
    await vi.waitFor(() => expect(smtp.to('sari.pindah@contoh.id').some((m) => m.subject === 'Email akun Sekat Anda sedang diganti')).toBe(true));
    const signIn = await page.request.post(`${sekat.base}/api/auth/login`, { data: { email: 'sari.baru@contoh.id', password: 'nasi-uduk-betawi-enak' } });
    expect(signIn.status()).toBe(200);
    expect(errors).toEqual([]);
  });

  it('turns two-step sign-in on with the QR code, signs in with a code, and lists and ends devices', async () => {
    const { page, errors } = await phonePage(sekat.browser);
    expect((await sekat.register(page.request, 'tari.totp')).status()).toBe(201);
    await page.goto(`${sekat.base}/saya`);
    await page.getByRole('link', { name: 'Keamanan akun' }).click();
    const twoStep = page.getByRole('region', { name: 'Verifikasi dua langkah' });
    await twoStep.waitFor();
    await twoStep.getByLabel('Kata sandi saat ini').fill('nasi-uduk-betawi-enak');
    await page.getByRole('button', { name: 'Aktifkan verifikasi dua langkah' }).click();
    await page.getByRole('img', { name: 'Kode QR untuk aplikasi autentikator' }).waitFor();
    const secret = (await page.locator('code.secret').textContent())!.trim();
    const totp = new TOTP({ secret: Secret.fromBase32(secret), period: 30, digits: 6, algorithm: 'SHA1' });
    await page.getByLabel('Kode autentikator').fill(totp.generate());
    await page.getByRole('button', { name: 'Konfirmasi dan aktifkan' }).click();
    await page.getByRole('status').getByText('Verifikasi dua langkah sudah aktif.').waitFor();
    const codes = page.locator('.recovery-codes code');
    await expect.poll(() => codes.count()).toBe(10);
    const recoveryCode = (await codes.first().textContent())!.trim();
    await page.getByRole('button', { name: 'Keluar dari semua perangkat lain' }).waitFor();
    await screenshot(page, 'account-totp-on-phone');
    expect(await seriousViolations(page)).toEqual([]);

    // Another device, in English: the password, then a code of the next step (the first is spent).
    const desktop = await desktopPage(sekat.browser, 'en-US');
    await desktop.page.goto(`${sekat.base}/masuk`);
    await desktop.page.evaluate(() => localStorage.setItem('sekat.lang', 'en'));
    await desktop.page.reload();
    await desktop.page.getByLabel('Email').fill('tari.totp@contoh.id');
    await desktop.page.getByLabel('Password').fill('nasi-uduk-betawi-enak');
    await desktop.page.getByRole('button', { name: 'Sign in' }).last().click();
    await desktop.page.getByRole('heading', { name: 'Enter your code' }).waitFor();
    await desktop.page.getByLabel('Authenticator code').fill('000000' === totp.generate({ timestamp: Date.now() + 30_000 }) ? '111111' : '000000');
    await desktop.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await desktop.page.getByRole('alert').getByText('That code is wrong or already used.').waitFor();
    await screenshot(desktop.page, 'account-totp-code-desktop-en');
    await desktop.page.getByLabel('Authenticator code').fill(totp.generate({ timestamp: Date.now() + 30_000 }));
    await desktop.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await desktop.page.getByRole('link', { name: '@tari.totp' }).waitFor();

    // Back on the phone: both devices are listed; the other one is signed out from here.
    await page.goto(`${sekat.base}/saya/sesi`);
    const list = page.locator('.sessions .session');
    await expect.poll(() => list.count()).toBe(2);
    await list.filter({ hasText: 'Perangkat ini' }).waitFor();
    await screenshot(page, 'account-sessions-phone');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: /^Keluar: / }).click();
    await expect.poll(() => list.count()).toBe(1);
    await expect.poll(async () => (await (await desktop.page.request.get(`${sekat.base}/api/session`)).json()).signedIn).toBe(false);

    // Turning it off needs a code: a recovery code does.
    await page.goto(`${sekat.base}/saya/keamanan`);
    await page.getByRole('heading', { name: 'Matikan verifikasi dua langkah' }).waitFor();
    await page.getByLabel('Kode autentikator').fill(recoveryCode);
    await page.getByRole('button', { name: 'Matikan', exact: true }).click();
    await page.getByRole('status').getByText('Verifikasi dua langkah sudah dimatikan.').waitFor();

    // Changing the password offers to sign the other devices out.
    const password = page.getByRole('region', { name: 'Ganti kata sandi' });
    await password.getByLabel('Kata sandi saat ini').fill('nasi-uduk-betawi-enak');
    await password.getByLabel('Kata sandi baru').fill('pempek-palembang-cuko');
    await password.getByRole('button', { name: 'Ganti kata sandi' }).click();
    await password.getByText('Kata sandi sudah diganti.', { exact: false }).waitFor();
    await password.getByRole('button', { name: 'Keluar dari semua perangkat lain' }).click();
    await password.getByRole('status').getByText('perangkat lain sudah dikeluarkan', { exact: false }).waitFor();
    await screenshot(page, 'account-security-phone');
    expect(errors).toEqual([]);
    expect(desktop.errors).toEqual([]);
  });
});
