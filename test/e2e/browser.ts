import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { useSekat } from '../support/sekat.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve('test-results');

/** Debian's Chromium, headless, with the flags this closed network needs. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
}

async function sizedPage(browser: Browser, viewport: { width: number; height: number }, locale: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport, locale, timezoneId: 'Asia/Jakarta' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return { page, errors };
}

/** A phone-sized page that records every uncaught page error. */
export function phonePage(browser: Browser, locale = 'id-ID'): Promise<{ page: Page; errors: string[] }> {
  return sizedPage(browser, { width: 390, height: 844 }, locale);
}

/** A desktop-sized page (1280×800), recording page errors like the phone one. */
export function desktopPage(browser: Browser, locale = 'id-ID'): Promise<{ page: Page; errors: string[] }> {
  return sizedPage(browser, { width: 1280, height: 800 }, locale);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * A whole Sekat listening on a free port and one Chromium for a test file, started before its
 * tests and stopped after.
 */
export function useBrowserSekat(options: Parameters<typeof useSekat>[0] = {}) {
  const app = useSekat(options);
  let base = '';
  let browser: Browser | undefined;
  beforeAll(async () => {
    base = await app.sekat.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    app,
    get base() {
      return base;
    },
    get browser() {
      if (!browser) throw new Error('useBrowserSekat: the browser starts in beforeAll');
      return browser;
    },
    /** Signs a new person up through the API in `request`'s context (its cookie signs them in). */
    register: (request: Page['request'], handle: string) =>
      request.post(`${base}/api/auth/register`, { data: { email: `${handle}@contoh.id`, password: 'nasi-uduk-betawi-enak', handle, displayName: handle } }),
  };
}

/**
 * Waits until the field is marked invalid. A form answers a click after its request returns, so
 * reading `aria-invalid` at once races the answer.
 */
export async function waitInvalid(field: Locator): Promise<void> {
  await field.and(field.page().locator('[aria-invalid="true"]')).waitFor();
}
