/**
 * Editing a profile in Chromium: a person opens "Ubah profil" from "Saya", is told a text file is
 * not a photo (nothing changes), uploads a real one and sees it as their avatar (cut to a 256 px
 * square by the server), changes the display name and bio, and removes the photo; in English too.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import { phonePage, screenshot, useBrowserSekat } from './browser.js';
import { seriousViolations } from './a11y.js';

const sekat = useBrowserSekat();

describe('editing a profile in Chromium', () => {
  it('uploads a photo (refusing a non-photo), changes name and bio, and removes the photo', async () => {
    const photo = path.join(sekat.app.config.dataDir, 'foto.png');
    await promisify(execFile)('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=800x600', '-frames:v', '1', photo]);
    const fake = path.join(sekat.app.config.dataDir, 'foto-palsu.png');
    writeFileSync(fake, 'ini bukan gambar');

    const { page, errors } = await phonePage(sekat.browser);
    page.setDefaultTimeout(10_000);
    const registered = await page.request.post(`${sekat.base}/api/auth/register`, { data: { email: 'wulan@contoh.id', password: 'nasi-uduk-betawi-enak', handle: 'wulan', displayName: 'Wulan' } });
    expect(registered.status()).toBe(201);
    const me = async () => (await (await page.request.get(`${sekat.base}/api/social/me`)).json()) as { displayName: string; bio: string; avatarUrl: string | null };

    await page.goto(`${sekat.base}/saya`);
    await page.getByRole('link', { name: id.nav.editProfile }).click();
    await page.getByRole('heading', { name: id.editProfile.title }).waitFor();

    await page.getByLabel(id.editProfile.addPhoto).setInputFiles(fake);
    await page.getByText(id.editProfile.notAPicture).waitFor();
    expect((await me()).avatarUrl).toBeNull();
    await screenshot(page, 'profile-edit-not-a-photo');

    await page.getByLabel(id.editProfile.addPhoto).setInputFiles(photo);
    const avatar = page.locator('.avatar img');
    await avatar.waitFor();
    expect(await avatar.getAttribute('src')).toMatch(/^\/media\/avatars\/.+\.jpg$/);
    await expect.poll(() => avatar.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([256, 256]);
    expect(await page.getByText(id.editProfile.notAPicture).count()).toBe(0);

    await page.getByLabel(id.editProfile.displayName, { exact: true }).fill('');
    await page.getByRole('button', { name: id.common.save }).click();
    await page.getByText(id.errors.fixFields).waitFor();
    expect(await page.getByLabel(id.editProfile.displayName, { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect((await me()).displayName).toBe('Wulan');

    await page.getByLabel(id.editProfile.displayName, { exact: true }).fill('Wulan Batik');
    await page.getByLabel(id.editProfile.bio).fill('Pembatik dari Solo.');
    await page.getByText(id.editProfile.bioCount.replace('{{count}}', '19').replace('{{max}}', '300')).waitFor();
    await page.getByRole('button', { name: id.common.save }).click();
    await page.getByText(id.editProfile.saved).waitFor();
    expect(await me()).toMatchObject({ displayName: 'Wulan Batik', bio: 'Pembatik dari Solo.' });
    await screenshot(page, 'profile-edit');
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel(id.nav.language).selectOption('en');
    await page.getByRole('button', { name: en.editProfile.removePhoto }).click();
    await page.getByLabel(en.editProfile.addPhoto).waitFor();
    expect((await me()).avatarUrl).toBeNull();
    expect(errors).toEqual([]);
  });
});
