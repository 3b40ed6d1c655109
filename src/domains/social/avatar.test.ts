/**
 * Avatars: the picture's bytes are checked by content (signature, then ffprobe through the one
 * image demuxer they claim), cut to a 256 px square and re-encoded by ffmpeg, served under
 * /media/avatars/, replaced and removed with their files, exported and erased with the profile.
 * Anything that is not such a picture gets 415 (or 413, 422) and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, testConfig, STORE_LABEL } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import { ffprobeJson, makeClip, registerUser, type TestUser } from './testkit.js';

const run = promisify(execFile);
let config: Config;
let sekat: Sekat;
let ana: TestUser;
let budi: TestUser;
let dir: string;

/** A still made by ffmpeg in the given container (png, jpg, webp), of the given size. */
async function still(ext: string, size = '640x360'): Promise<Buffer> {
  const file = path.join(config.dataDir, `still-${Math.random().toString(36).slice(2, 8)}.${ext}`);
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${size}`, '-frames:v', '1', ...(ext === 'jpg' ? ['-metadata', 'comment=Lokasi rahasia'] : []), file]);
  return readFileSync(file);
}

const upload = (who: TestUser | undefined, type: string, body: Buffer | string) =>
  sekat.app.inject({ method: 'PUT', url: '/api/social/me/avatar', headers: { ...(who?.auth ?? {}), 'content-type': type }, payload: body });
const avatars = () => (existsSync(dir) ? readdirSync(dir).sort() : []);
const profileOf = async (who: TestUser) => (await sekat.app.inject({ url: '/api/social/me', headers: who.auth })).json() as { avatarUrl: string | null; displayName: string };

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config, { background: false });
  dir = path.join(config.dataDir, 'media', 'avatars');
  ana = await registerUser(sekat.app);
  budi = await registerUser(sekat.app);
});

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

describe(`avatars (${STORE_LABEL})`, () => {
  it('scales a PNG, a JPEG and a WebP to a 256 px JPEG square, serves it, and deletes the one it replaces', async () => {
    let previous: string | undefined;
    for (const [ext, type] of [['png', 'image/png'], ['jpg', 'image/jpeg'], ['webp', 'image/webp']] as const) {
      const response = await upload(ana, type, await still(ext));
      expect(response.statusCode, response.body).toBe(200);
      const url = response.json().avatarUrl as string;
      expect(url).toMatch(/^\/media\/avatars\/[0-9a-f-]{36}\.jpg$/);
      const served = await sekat.app.inject({ url });
      expect(served.statusCode).toBe(200);
      expect(served.headers['content-type']).toBe('image/jpeg');
      const file = path.join(dir, path.basename(url));
      const probed = await ffprobeJson(file);
      expect(probed.streams).toMatchObject([{ codec_type: 'video', codec_name: 'mjpeg', width: 256, height: 256 }]);
      expect(readFileSync(file).includes('Lokasi rahasia')).toBe(false);
      expect(avatars()).toEqual([path.basename(url)]);
      if (previous) expect((await sekat.app.inject({ url: previous })).statusCode).toBe(404);
      previous = url;
    }
    expect((await profileOf(ana)).avatarUrl).toBe(previous);
  });

  it('refuses what is not a picture, or claims to be one it is not, and changes nothing', async () => {
    const before = await profileOf(ana);
    const files = avatars();
    const clip = readFileSync(await makeClip({ width: 160, height: 120, seconds: 1, audio: false }));
    const png = await still('png');
    const refusals: [string, Buffer | string, number][] = [
      ['image/png', 'bukan gambar', 415],
      ['image/jpeg', clip, 415],
      // A playlist behind a PNG signature: the PNG demuxer reads it as a (broken) PNG, never as a playlist.
      ['image/png', Buffer.concat([png.subarray(0, 8), Buffer.from('\n#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n')]), 415],
      ['image/png', png.subarray(0, 200), 415],
      ['image/gif', Buffer.from('GIF89a'), 415],
      ['text/plain', 'halo', 415],
      ['image/png', await still('png', '8001x2'), 422],
      ['image/png', Buffer.concat([png, Buffer.alloc(5 * 1024 * 1024)]), 413],
    ];
    for (const [type, body, status] of refusals) {
      const response = await upload(ana, type, body);
      expect(response.statusCode, `${type} ${response.body}`).toBe(status);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    expect((await upload(undefined, 'image/png', png)).statusCode).toBe(401);
    // Naming someone else's avatar file is refused: only an upload sets one.
    const taken = await sekat.app.inject({ method: 'PATCH', url: `/api/social/users/${budi.handle}`, headers: budi.auth, payload: { avatarUrl: before.avatarUrl } });
    expect(taken.statusCode).toBe(400);
    expect(taken.json().errors.avatarUrl).toBeDefined();
    expect(await profileOf(ana)).toEqual(before);
    expect((await profileOf(budi)).avatarUrl).toBeNull();
    expect(avatars()).toEqual(files);
    expect(readdirSync(path.join(config.dataDir, 'media', 'incoming'))).toEqual([]);
  });

  it('removes the avatar and its file; exports it with the profile and erases it', async () => {
    const first = await upload(budi, 'image/png', await still('png'));
    const url = first.json().avatarUrl as string;
    const exported = await sekat.domains.social.port.exportSubject(sekat.domains.identity.subjectFor('social', budi.accountId));
    expect(exported.files).toContainEqual({ path: path.join(dir, path.basename(url)), name: 'avatar.jpg' });
    const removed = await sekat.app.inject({ method: 'DELETE', url: '/api/social/me/avatar', headers: budi.auth });
    expect(removed.json().avatarUrl).toBeNull();
    expect(avatars()).not.toContain(path.basename(url));

    const again = (await upload(budi, 'image/png', await still('png'))).json().avatarUrl as string;
    await sekat.domains.social.port.eraseSubject(sekat.domains.identity.subjectFor('social', budi.accountId));
    expect(avatars()).not.toContain(path.basename(again));
    expect(avatars()).toHaveLength(1);
  });

  it('changes the display name and bio, and refuses empty, too long or invisible text with field errors, changing nothing', async () => {
    const patch = (payload: object) => sekat.app.inject({ method: 'PATCH', url: `/api/social/users/${ana.handle}`, headers: ana.auth, payload });
    const changed = await patch({ displayName: '  Ana Kopi  ', bio: 'Suka kopi.\nTinggal di Bandung.' });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ displayName: 'Ana Kopi', bio: 'Suka kopi.\nTinggal di Bandung.' });
    const before = await profileOf(ana);
    for (const [payload, field] of [
      [{ displayName: '   ' }, 'displayName'],
      [{ displayName: 'a'.repeat(51) }, 'displayName'],
      [{ displayName: 'Ana\u200bKopi' }, 'displayName'],
      [{ bio: 'halo\u202eolah' }, 'bio'],
      [{ bio: 'x'.repeat(301) }, 'bio'],
    ] as const) {
      const refused = await patch(payload);
      expect(refused.statusCode, JSON.stringify(payload)).toBe(400);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(Object.keys(refused.json().errors)).toEqual([field]);
    }
    expect(await profileOf(ana)).toEqual(before);
  });
});
