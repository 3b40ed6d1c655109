import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { sql } from 'kysely';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, testConfig, STORE_LABEL } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import { filesUnder, makeClip, registerUser, uploadFile, waitForStatus, type TestUser, serviceOf } from './testkit.js';

describe(`a new user's journey, and privacy in social (${STORE_LABEL})`, () => {
  let config: Config;
  let sekat: Sekat;
  let alice: TestUser;
  let bob: TestUser;
  let videoId: string;

  const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, user?: TestUser, payload?: object) =>
    sekat.app.inject({ method, url, headers: user?.auth ?? {}, ...(payload ? { payload } : {}) });
  const social = () => sekat.domains.social;
  const subjectOf = (user: TestUser) => sekat.domains.identity.subjectFor('social', user.accountId);

  beforeAll(async () => {
    config = testConfig();
    sekat = await buildSekat(config);
    alice = await registerUser(sekat.app);
    bob = await registerUser(sekat.app);
  });
  afterAll(async () => {
    await sekat?.close();
    await disposeTestConfig(config);
  });

  it('uploads, plays, follows, likes, comments, and finds the video by hashtag and in both feeds', async () => {
    const upload = await uploadFile(sekat.app, alice, await makeClip({ width: 360, height: 640, seconds: 2 }), 'Senja di pantai #Bali #Liburan');
    expect(upload.statusCode).toBe(202);
    videoId = upload.json().id;
    const ready = await waitForStatus(sekat.app, alice, videoId, 60_000);
    expect(ready.status).toBe('ready');

    expect((await inject('POST', `/api/social/users/${alice.handle}/follow`, bob)).statusCode).toBe(200);
    expect((await inject('POST', `/api/social/videos/${videoId}/like`, bob)).json().counts.likes).toBe(1);
    expect((await inject('POST', `/api/social/videos/${videoId}/comments`, bob, { text: 'Indah sekali!' })).statusCode).toBe(201);
    expect((await inject('POST', `/api/social/videos/${videoId}/share`, bob)).statusCode).toBe(200);
    expect((await inject('POST', '/api/social/events', bob, { events: [{ type: 'view', videoId, watchedMs: 2000, completed: true }] })).statusCode).toBe(202);

    expect((await inject('GET', '/api/social/hashtags/bali')).json().items.map((v: { id: string }) => v.id)).toEqual([videoId]);
    expect((await inject('GET', '/api/social/feed/following', bob)).json().items[0]).toMatchObject({ id: videoId, reason: `Karena Anda mengikuti @${alice.handle}` });
    expect((await inject('GET', '/api/social/feed/for-you?personalized=false', bob)).json().items.map((v: { id: string }) => v.id)).toEqual([videoId]);
    expect((await inject('GET', `/api/social/users/${alice.handle}`)).json().counts).toEqual({ followers: 1, following: 0, videos: 1, likes: 1 });
  });

  it('keeps no email, account id or commerce subject anywhere in the social database', async () => {
    const db = serviceOf(social()).db;
    const columns = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns where table_schema = 'public'`.execute(db);
    // The one purchase-related column allowed: categories, copied only under the consent
    // personalize_feed_with_purchases (test/privacy proves revoking deletes them).
    const consented = new Set(['viewer_purchase_categories.category', 'viewer_purchase_categories.subject']);
    for (const { table_name, column_name } of columns.rows) {
      const name = `${table_name}.${column_name}`;
      if (!consented.has(name)) expect(name).not.toMatch(/email|account|commerce|address|phone|order|purchase/i);
    }
    const forbidden = [alice, bob].flatMap((user) => [
      user.email,
      user.accountId,
      sekat.domains.identity.subjectFor('commerce', user.accountId),
      sekat.domains.identity.subjectFor('bridge', user.accountId),
    ]);
    const tables = [...new Set(columns.rows.map((c) => c.table_name))];
    expect(tables).toEqual(expect.arrayContaining(['profiles', 'videos', 'likes', 'comments', 'follows', 'watch_events', 'jobs']));
    for (const table of tables) {
      const rows = await sql`select * from ${sql.table(table)}`.execute(db);
      const dump = JSON.stringify(rows.rows);
      for (const value of forbidden) expect(dump.includes(value), `${table} holds ${value}`).toBe(false);
    }
    // What social does know: the social subject.
    const profile = await db.selectFrom('profiles').select('subject').where('handle', '=', alice.handle).executeTakeFirstOrThrow();
    expect(profile.subject).toBe(subjectOf(alice));
  });

  it('exports everything it holds about a subject, with the media files', async () => {
    const aliceExport = await social().exportSubject(subjectOf(alice));
    expect(aliceExport.profile?.handle).toBe(alice.handle);
    expect(aliceExport.videos).toHaveLength(1);
    expect(aliceExport.videos[0]!.files.some((f) => f.endsWith('master.m3u8'))).toBe(true);
    expect(aliceExport.videos[0]!.files.every((f) => existsSync(f))).toBe(true);
    expect(aliceExport.follows.followers.map((f) => f.handle)).toEqual([bob.handle]);

    const bobExport = await social().exportSubject(subjectOf(bob));
    expect(bobExport.likes.map((l) => l.videoId)).toEqual([videoId]);
    expect(bobExport.comments.map((c) => c.text)).toEqual(['Indah sekali!']);
    expect(bobExport.follows.following.map((f) => f.handle)).toEqual([alice.handle]);
    expect(bobExport.watchHistory).toMatchObject([{ videoId, watchedMs: 2000, completed: true }]);
    expect(JSON.stringify(bobExport)).not.toContain(bob.email);
  });

  it('erases a subject completely, media files included, and keeps everyone else’s counts right', async () => {
    const db = serviceOf(social()).db;
    await social().eraseSubject(subjectOf(bob));
    expect((await inject('GET', `/api/social/users/${bob.handle}`)).statusCode).toBe(404);
    expect((await inject('GET', `/api/social/users/${alice.handle}`)).json().counts).toEqual({ followers: 0, following: 0, videos: 1, likes: 0 });
    expect((await inject('GET', `/api/social/videos/${videoId}`)).json().counts).toMatchObject({ likes: 0, comments: 0, shares: 1 });

    const dir = serviceOf(social()).media.videoDir(videoId);
    expect(filesUnder(dir).length).toBeGreaterThan(0);
    await social().eraseSubject(subjectOf(alice));
    expect(existsSync(dir)).toBe(false);
    expect((await inject('GET', `/media/videos/${videoId}/master.m3u8`)).statusCode).toBe(404);
    for (const subject of [subjectOf(alice), subjectOf(bob)]) {
      const tables = await sql<{ table_name: string }>`select distinct table_name from information_schema.columns where table_schema = 'public'`.execute(db);
      for (const { table_name } of tables.rows) {
        const dump = JSON.stringify((await sql`select * from ${sql.table(table_name)}`.execute(db)).rows);
        expect(dump.includes(subject), `${table_name} still holds the subject`).toBe(false);
      }
    }
    expect(await social().exportSubject(subjectOf(alice))).toMatchObject({ profile: null, videos: [], comments: [], likes: [], watchHistory: [] });
  });
});
