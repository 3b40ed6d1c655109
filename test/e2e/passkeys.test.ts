import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { desktopPage, launchBrowser, phonePage } from './browser.js';
import { seriousViolations } from './a11y.js';
import { useSekat } from '../support/sekat.js';

/**
 * Passkeys in Chromium with its virtual authenticator (a platform one that keeps credentials and
 * verifies its user). WebAuthn needs a host name, not an IP, and the origin the server expects is
 * PUBLIC_URL's, so the app is served on a free port chosen first, at http://localhost.
 */
const env: Record<string, string> = {};
beforeAll(async () => {
  env.PUBLIC_URL = `http://localhost:${await freePort()}`;
});
const app = useSekat({ env });
let browser: Browser;
let base = '';
beforeAll(async () => {
  base = env.PUBLIC_URL!;
  await app.sekat.app.listen({ port: Number(new URL(base).port), host: 'localhost' });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const SHOTS = '/tmp/shots';
const PASSWORD = 'nasi-uduk-betawi-enak';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/passkeys-${name}.png`, fullPage: true });
}

/** A platform authenticator in this page that keeps its credentials and always verifies its user. */
async function virtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return {
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    /** Whether the authenticator's user check (PIN, fingerprint) passes. */
    userVerifies: (isUserVerified: boolean) => cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified }),
  };
}

interface Words {
  recoveryTitle: string;
  codesSaved: string;
  lang: 'id' | 'en';
  security: string;
  currentPassword: string;
  passkeyName: string;
  add: string;
  added: string;
  signOut: string;
  signInWithPasskey: string;
  email: string;
  password: string;
  signIn: string;
  secondStep: string;
  usePasskey: string;
  rename: string;
  newName: string;
  save: string;
  remove: string;
  removeConfirm: string;
  removed: string;
  none: string;
  neverUsed: RegExp;
  lastUsed: RegExp;
  refused: string;
}

const ID: Words = {
  recoveryTitle: 'Kode pemulihan',
  codesSaved: 'Saya sudah menyimpan kode ini',
  lang: 'id',
  security: 'Keamanan akun',
  currentPassword: 'Kata sandi saat ini',
  passkeyName: 'Nama passkey (boleh kosong)',
  add: 'Tambah passkey',
  added: 'Passkey ditambahkan.',
  signOut: 'Keluar',
  signInWithPasskey: 'Masuk dengan passkey',
  email: 'Email',
  password: 'Kata sandi',
  signIn: 'Masuk',
  secondStep: 'Langkah kedua',
  usePasskey: 'Pakai passkey',
  rename: 'Ganti nama',
  newName: 'Nama baru untuk',
  save: 'Simpan',
  remove: 'Hapus',
  removeConfirm: 'Hapus passkey',
  removed: 'Passkey dihapus.',
  none: 'Belum ada passkey.',
  neverUsed: /belum pernah dipakai/,
  lastUsed: /terakhir dipakai/,
  refused: 'Tidak ada passkey yang dipakai: permintaan dibatalkan atau perangkat menolak. Coba lagi.',
};

const EN: Words = {
  recoveryTitle: 'Recovery codes',
  codesSaved: 'I have saved these codes',
  lang: 'en',
  security: 'Account security',
  currentPassword: 'Current password',
  passkeyName: 'Passkey name (optional)',
  add: 'Add a passkey',
  added: 'Passkey added.',
  signOut: 'Sign out',
  signInWithPasskey: 'Sign in with a passkey',
  email: 'Email',
  password: 'Password',
  signIn: 'Sign in',
  secondStep: 'Second step',
  usePasskey: 'Use a passkey',
  rename: 'Rename',
  newName: 'New name for',
  save: 'Save',
  remove: 'Remove',
  removeConfirm: 'Remove passkey',
  removed: 'Passkey removed.',
  none: 'No passkeys yet.',
  neverUsed: /never used/,
  lastUsed: /last used/,
  refused: 'No passkey was used: the request was cancelled or the device refused. Try again.',
};

async function signOut(page: Page, w: Words) {
  await page.goto(`${base}/saya`);
  await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/auth/logout')), page.getByRole('button', { name: w.signOut, exact: true }).click()]);
  await expect.poll(async () => (await page.request.get(`${base}/api/session`)).json()).toEqual({ signedIn: false });
}

/** Adds a passkey on the security page, signs out, signs in with it alone, then with the password and it. */
async function passkeyJourney(page: Page, errors: string[], w: Words, handle: string, screen: string) {
  const authenticator = await virtualAuthenticator(page);
  await page.goto(`${base}/`);
  await page.evaluate((lang) => localStorage.setItem('sekat.lang', lang), w.lang);
  expect((await page.request.post(`${base}/api/auth/register`, { data: { email: `${handle}@contoh.id`, password: PASSWORD, handle, displayName: handle } })).status()).toBe(201);

  await page.goto(`${base}/saya/keamanan`);
  await page.getByRole('heading', { name: w.security }).waitFor();
  const section = page.getByRole('region', { name: /^Passkeys?$/ });
  await section.getByText(w.none).waitFor();
  await section.getByLabel(w.passkeyName).fill(`Ponsel ${handle}`);
  await section.getByLabel(w.currentPassword).fill(PASSWORD);
  await section.getByRole('button', { name: w.add }).click();
  await section.getByRole('status').getByText(w.added).waitFor();
  // The first passkey comes with recovery codes, shown once: the way back if the device is lost.
  const codes = section.getByRole('region', { name: w.recoveryTitle }).locator('code');
  await codes.first().waitFor();
  expect(await codes.count()).toBe(10);
  await section.getByRole('button', { name: w.codesSaved }).click();
  const item = section.getByRole('listitem', { name: `Ponsel ${handle}` });
  await item.getByText(w.neverUsed).waitFor();
  expect(await authenticator.credentials()).toHaveLength(1);
  expect((await authenticator.credentials())[0]!.isResidentCredential).toBe(true);

  // Renamed from the list.
  await item.getByRole('button', { name: w.rename }).click();
  await item.getByLabel(new RegExp(`^${w.newName}`)).fill(`Kunci ${handle}`);
  await item.getByRole('button', { name: w.save }).click();
  const renamed = section.getByRole('listitem', { name: `Kunci ${handle}` });
  await renamed.waitFor();
  await shot(page, `security-${screen}`);
  expect(await seriousViolations(page)).toEqual([]);

  // Signed out, then in with the passkey alone.
  await signOut(page, w);
  await page.goto(`${base}/masuk`);
  await page.getByRole('button', { name: w.signInWithPasskey }).waitFor();
  await shot(page, `sign-in-${screen}`);
  expect(await seriousViolations(page)).toEqual([]);
  // A user check that fails (a wrong fingerprint) signs nobody in and says so.
  await authenticator.userVerifies(false);
  await page.getByRole('button', { name: w.signInWithPasskey }).click();
  await page.getByRole('alert').getByText(w.refused).waitFor();
  expect((await (await page.request.get(`${base}/api/session`)).json()).signedIn).toBe(false);
  await authenticator.userVerifies(true);
  await page.getByRole('button', { name: w.signInWithPasskey }).click();
  await page.getByRole('link', { name: `@${handle}` }).waitFor();

  // Signed out, then in with the password: the passkey is asked for as the second step.
  await signOut(page, w);
  await page.goto(`${base}/masuk`);
  await page.getByLabel(w.email).fill(`${handle}@contoh.id`);
  await page.getByLabel(w.password, { exact: true }).fill(PASSWORD);
  await page.locator('form').getByRole('button', { name: w.signIn, exact: true }).click();
  await page.getByRole('heading', { name: w.secondStep }).waitFor();
  // The code field takes a recovery code (the account has no authenticator app).
  expect(await page.getByRole('textbox').count()).toBe(1);
  await shot(page, `second-step-${screen}`);
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByRole('button', { name: w.usePasskey }).click();
  await page.getByRole('link', { name: `@${handle}` }).waitFor();

  // The list says it was used; removing it asks first, with the password.
  await page.goto(`${base}/saya/keamanan`);
  const used = page.getByRole('region', { name: /^Passkeys?$/ }).getByRole('listitem', { name: `Kunci ${handle}` });
  await used.getByText(w.lastUsed).waitFor();
  await used.getByRole('button', { name: w.remove, exact: true }).click();
  const dialog = page.getByRole('alertdialog');
  await dialog.waitFor();
  await dialog.getByLabel(w.currentPassword).fill(PASSWORD);
  await shot(page, `remove-${screen}`);
  await dialog.getByRole('button', { name: w.removeConfirm }).click();
  await page.getByRole('status').getByText(w.removed).waitFor();
  await page.getByText(w.none).waitFor();
  expect((await (await page.request.get(`${base}/api/auth/passkeys`)).json()).items).toEqual([]);
  expect(errors).toEqual([]);
}

describe('passkeys in Chromium', () => {
  it('adds a passkey, signs in with it alone and as the step after the password, and removes it (id, phone)', async () => {
    const { page, errors } = await phonePage(browser);
    await passkeyJourney(page, errors, ID, 'sinta.kunci', 'phone-id');
  });

  it('does the same in English on a desktop', async () => {
    const { page, errors } = await desktopPage(browser, 'en-US');
    await passkeyJourney(page, errors, EN, 'tom.passkey', 'desktop-en');
  });
});
