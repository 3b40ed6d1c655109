import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, statSync, truncateSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, testConfig, STORE_LABEL } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import { drainTranscodes, filesUnder, indirectionUploads, makeClip, makeImage, makeMp3, makeOutsideTs, multipart, registerUser, uploadFile, type TestUser, serviceOf } from './testkit.js';

const MAX_BYTES = 1_000_000;

describe(`video upload (${STORE_LABEL})`, () => {
  let config: Config;
  let sekat: Sekat;
  let alice: TestUser;
  let bob: TestUser;
  let clip: string;
  let outside: string;

  beforeAll(async () => {
    config = testConfig({ VIDEO_MAX_BYTES: String(MAX_BYTES) });
    sekat = await buildSekat(config, { background: false });
    alice = await registerUser(sekat.app);
    bob = await registerUser(sekat.app);
    clip = await makeClip({ width: 180, height: 320, seconds: 2 });
    outside = await makeOutsideTs();
  });
  afterAll(async () => {
    await sekat?.close();
    await disposeTestConfig(config);
  });

  const media = () => serviceOf(sekat.domains.social).media;
  const db = () => serviceOf(sekat.domains.social).db;
  const videoCount = async () => Number((await db().selectFrom('videos').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  /** Nothing was written: no new video row, no upload row, no file left in any media folder. */
  const expectNothingWritten = async (videosBefore: number) => {
    expect(await videoCount()).toBe(videosBefore);
    expect(await db().selectFrom('uploads').selectAll().execute()).toEqual([]);
    expect(filesUnder(media().incoming)).toEqual([]);
    expect(filesUnder(media().uploads)).toEqual([]);
    expect(filesUnder(media().sources).length).toBe(await db().selectFrom('videos').select('id').where('status', '=', 'processing').execute().then((r) => r.length));
  };

  it('accepts a phone-style portrait clip and serves its HLS with the right types, ranges and caching', async () => {
    const response = await uploadFile(sekat.app, alice, clip, 'Jalan-jalan sore #Jakarta #KulinerMalam');
    expect(response.statusCode, response.body).toBe(202);
    const { id, status } = response.json() as { id: string; status: string };
    expect(status).toBe('processing');
    await drainTranscodes(sekat.domains.social);
    const video = (await sekat.app.inject({ method: 'GET', url: `/api/social/videos/${id}` })).json();
    expect(video).toMatchObject({ status: 'ready', hashtags: ['jakarta', 'kulinermalam'], productTags: [], counts: { views: 0, likes: 0, comments: 0, shares: 0 } });
    expect(video.author.handle).toBe(alice.handle);

    const master = await sekat.app.inject({ method: 'GET', url: video.sources[0].url });
    expect(master.statusCode).toBe(200);
    expect(master.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    const variantUrl = `/media/videos/${id}/${master.body.split('\n').find((l: string) => l.endsWith('.m3u8'))}`;
    const variant = await sekat.app.inject({ method: 'GET', url: variantUrl });
    const segment = variant.body.split('\n').find((l: string) => l.endsWith('.ts'))!;
    const segmentUrl = variantUrl.replace('index.m3u8', segment);
    const full = await sekat.app.inject({ method: 'GET', url: segmentUrl });
    expect(full.headers['content-type']).toBe('video/mp2t');
    expect(full.headers['cache-control']).toContain('immutable');
    const part = await sekat.app.inject({ method: 'GET', url: segmentUrl, headers: { range: 'bytes=0-187' } });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toMatch(/^bytes 0-187\/\d+$/);
    expect(part.rawPayload.length).toBe(188);
    expect(part.rawPayload[0]).toBe(0x47);
    const poster = await sekat.app.inject({ method: 'GET', url: video.posterUrl });
    expect(poster.headers['content-type']).toBe('image/jpeg');
    expect((await sekat.app.inject({ method: 'GET', url: '/media/videos/../secrets.json' })).statusCode).toBeGreaterThanOrEqual(400);
  });

  describe('bad input gets a problem and writes nothing', () => {
    const cases: [string, () => Promise<Buffer>, number][] = [
      ['an image', async () => readFileSync(await makeImage()), 422],
      ['an mp3', async () => readFileSync(await makeMp3()), 422],
      ['a text file', async () => Buffer.from('bukan video\n'.repeat(100)), 422],
      ['0 bytes', async () => Buffer.alloc(0), 422],
      [
        'a truncated mp4',
        async () => {
          const file = await makeClip({ width: 180, height: 320, seconds: 2, faststart: false });
          truncateSync(file, Math.floor(statSync(file).size / 2));
          return readFileSync(file);
        },
        422,
      ],
      ['a file over the size limit', async () => randomBytes(MAX_BYTES + 50_000), 413],
    ];
    for (const [name, content, status] of cases) {
      it(`rejects ${name} with ${status}`, async () => {
        const before = await videoCount();
        const response = await uploadFile(sekat.app, alice, await content(), 'coba', 'video.mp4');
        expect(response.statusCode, response.body).toBe(status);
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.json().detail).toBeTruthy();
        await expectNothingWritten(before);
      });
    }

    it('refuses, before transcoding, a picture wider than 4096 pixels and a clip of more than 36,000 frames', async () => {
      const cases: [string, RegExp][] = [
        [await makeClip({ width: 4112, height: 16, seconds: 1, rate: 5, audio: false }), /4112×16, larger than 4096 pixels/],
        [await makeClip({ width: 16, height: 16, seconds: 1, rate: 36_100, audio: false }), /36100 frames, more than 36000/],
      ];
      for (const [file, reason] of cases) {
        const before = await videoCount();
        const response = await uploadFile(sekat.app, alice, file);
        expect(response.statusCode, response.body).toBe(422);
        expect(response.json().detail).toMatch(reason);
        await expectNothingWritten(before);
      }
    });

    // Each would have ffmpeg read (and publish) a file from outside the upload.
    it('rejects every upload that points at another file, and reads none', async () => {
      for (const [name, content] of indirectionUploads(outside, media().incoming)) {
        const before = await videoCount();
        const published = filesUnder(media().videos);
        const response = await uploadFile(sekat.app, alice, content, name, 'video.mp4');
        expect(response.statusCode, `${name}: ${response.body}`).toBe(422);
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.json().detail).toMatch(/not a video we can use/);
        await drainTranscodes(sekat.domains.social);
        await expectNothingWritten(before);
        expect(filesUnder(media().videos)).toEqual(published);
      }
    });

    it('rejects a caption over 2,200 characters', async () => {
      const before = await videoCount();
      const response = await uploadFile(sekat.app, alice, clip, 'a'.repeat(2201));
      expect(response.statusCode).toBe(400);
      expect(response.json().errors.caption).toBeDefined();
      await expectNothingWritten(before);
    });

    it('rejects a form without a file, a JSON body, and an anonymous upload', async () => {
      const before = await videoCount();
      const form = multipart({ caption: 'tanpa berkas' });
      expect((await sekat.app.inject({ method: 'POST', url: '/api/social/videos', payload: form.payload, headers: { ...form.headers, ...alice.auth } })).statusCode).toBe(400);
      expect((await sekat.app.inject({ method: 'POST', url: '/api/social/videos', payload: { caption: 'x' }, headers: alice.auth })).statusCode).toBe(415);
      expect((await uploadFile(sekat.app, undefined, clip, 'anonim')).statusCode).toBe(401);
      await expectNothingWritten(before);
    });
  });

  describe('tus resumable upload', () => {
    const tusHeaders = { 'tus-resumable': '1.0.0' };
    const create = (user: TestUser | undefined, length: number, caption = '') =>
      sekat.app.inject({
        method: 'POST',
        url: '/api/social/uploads',
        headers: { ...tusHeaders, ...(user?.auth ?? {}), 'upload-length': String(length), 'upload-metadata': `caption ${Buffer.from(caption).toString('base64')},filename ${Buffer.from('a.mp4').toString('base64')}` },
      });
    const patch = (user: TestUser, location: string, offset: number, body: Buffer) =>
      sekat.app.inject({
        method: 'PATCH',
        url: location,
        headers: { ...tusHeaders, ...user.auth, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
        payload: body,
      });

    it('resumes across requests and ends in the same path as a multipart upload', async () => {
      const content = readFileSync(clip);
      const created = await create(alice, content.length, 'Lewat tus #Resumable');
      expect(created.statusCode, created.body).toBe(201);
      const location = created.headers.location as string;
      expect(location).toMatch(/^\/api\/social\/uploads\/[0-9a-f-]{36}$/);
      const half = Math.floor(content.length / 2);
      expect((await patch(alice, location, 0, content.subarray(0, half))).statusCode).toBe(204);

      // Another user can neither see nor resume it.
      expect((await sekat.app.inject({ method: 'HEAD', url: location, headers: { ...tusHeaders, ...bob.auth } })).statusCode).toBe(404);
      const hijack = await patch(bob, location, half, content.subarray(half));
      expect(hijack.statusCode).toBe(404);
      expect(hijack.headers['content-type']).toContain('application/problem+json');

      const head = await sekat.app.inject({ method: 'HEAD', url: location, headers: { ...tusHeaders, ...alice.auth } });
      expect(head.headers['upload-offset']).toBe(String(half));
      const done = await patch(alice, location, half, content.subarray(half));
      expect(done.statusCode, done.body).toBe(204);
      const id = done.headers['sekat-video-id'] as string;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(filesUnder(media().uploads)).toEqual([]);
      await drainTranscodes(sekat.domains.social);
      const video = (await sekat.app.inject({ method: 'GET', url: `/api/social/videos/${id}` })).json();
      expect(video).toMatchObject({ status: 'ready', caption: 'Lewat tus #Resumable', hashtags: ['resumable'] });
    });

    it('rejects every upload that points at another file, and reads none', async () => {
      for (const [name, content] of indirectionUploads(outside, media().incoming)) {
        const before = await videoCount();
        const published = filesUnder(media().videos);
        const created = await create(alice, content.length);
        const finished = await patch(alice, created.headers.location as string, 0, content);
        expect(finished.statusCode, `${name}: ${finished.body}`).toBe(422);
        expect(JSON.parse(finished.body).detail).toMatch(/not a video we can use/);
        await drainTranscodes(sekat.domains.social);
        await expectNothingWritten(before);
        expect(filesUnder(media().videos)).toEqual(published);
      }
    });

    it('rejects a non-video, an oversized upload, a long caption and an anonymous caller', async () => {
      const before = await videoCount();
      const text = Buffer.from('ini bukan video');
      const created = await create(alice, text.length);
      const finished = await patch(alice, created.headers.location as string, 0, text);
      expect(finished.statusCode).toBe(422);
      expect(JSON.parse(finished.body).detail).toMatch(/not a video/);
      expect((await create(alice, MAX_BYTES + 1)).statusCode).toBe(413);
      expect((await create(alice, 10, 'a'.repeat(2201))).statusCode).toBe(400);
      expect((await create(undefined, 10)).statusCode).toBe(401);
      await expectNothingWritten(before);
    });
  });

  describe('acting on videos', () => {
    it("refuses another user's changes and engagement with failed or missing videos", async () => {
      const ok = (await uploadFile(sekat.app, alice, clip, 'milik alice')).json().id as string;
      const broken = await makeClip({ width: 180, height: 320, seconds: 3 });
      truncateSync(broken, Math.floor(statSync(broken).size * 0.3));
      const failed = (await uploadFile(sekat.app, alice, broken)).json().id as string;
      await drainTranscodes(sekat.domains.social);
      expect((await sekat.app.inject({ method: 'GET', url: `/api/social/videos/${failed}`, headers: alice.auth })).json().status).toBe('failed');

      const patchByBob = await sekat.app.inject({ method: 'PATCH', url: `/api/social/videos/${ok}`, headers: bob.auth, payload: { caption: 'dicuri' } });
      expect(patchByBob.statusCode).toBe(403);
      expect((await sekat.app.inject({ method: 'DELETE', url: `/api/social/videos/${ok}`, headers: bob.auth })).statusCode).toBe(403);
      expect((await sekat.app.inject({ method: 'GET', url: `/api/social/videos/${ok}` })).json().caption).toBe('milik alice');

      for (const [id, status] of [[failed, 404], ['0190a6f0-0000-7000-8000-000000000000', 404], ['not-a-uuid', 400]] as const) {
        expect((await sekat.app.inject({ method: 'POST', url: `/api/social/videos/${id}/like`, headers: bob.auth })).statusCode).toBe(status);
        expect((await sekat.app.inject({ method: 'POST', url: `/api/social/videos/${id}/comments`, headers: bob.auth, payload: { text: 'halo' } })).statusCode).toBe(status);
      }
      // The author sees their failed video but cannot engage with it either.
      expect((await sekat.app.inject({ method: 'POST', url: `/api/social/videos/${failed}/like`, headers: alice.auth })).statusCode).toBe(422);
      expect(await db().selectFrom('likes').selectAll().execute()).toEqual([]);
      expect(await db().selectFrom('comments').selectAll().execute()).toEqual([]);

      expect((await sekat.app.inject({ method: 'DELETE', url: `/api/social/videos/${ok}`, headers: alice.auth })).statusCode).toBe(204);
      expect((await sekat.app.inject({ method: 'GET', url: `/api/social/videos/${ok}` })).statusCode).toBe(404);
      expect(filesUnder(media().videoDir(ok))).toEqual([]);
    });
  });
});
