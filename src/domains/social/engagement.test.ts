import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, testConfig, STORE_LABEL } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import { registerUser, seedReadyVideo, type TestUser, serviceOf } from './testkit.js';
import { parseHashtags } from './hashtags.js';

describe('parseHashtags', () => {
  it('takes unicode letters, folds case and keeps each tag once', () => {
    expect(parseHashtags('Enak! #Kuliner #kuliner #ÉTÉ #日本 #123 #jalan_jalan #Straße, #bakso2024')).toEqual(['kuliner', 'été', '日本', 'jalan_jalan', 'straße', 'bakso2024']);
    expect(parseHashtags('tanpa tagar')).toEqual([]);
  });
});

describe(`profiles and engagement (${STORE_LABEL})`, () => {
  let config: Config;
  let sekat: Sekat;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let video: string;

  const inject = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, user?: TestUser, payload?: object) =>
    sekat.app.inject({ method, url, headers: user?.auth ?? {}, ...(payload ? { payload } : {}) });
  const db = () => serviceOf(sekat.domains.social).db;
  const subjectOf = (user: TestUser) => sekat.domains.identity.subjectFor('social', user.accountId);

  beforeAll(async () => {
    config = testConfig();
    sekat = await buildSekat(config, { background: false });
    [alice, bob, carol] = [await registerUser(sekat.app), await registerUser(sekat.app), await registerUser(sekat.app)];
    video = await seedReadyVideo(sekat.domains.social, { subject: subjectOf(alice), handle: alice.handle }, 'Bakso enak #Kuliner #Solo');
  });
  afterAll(async () => {
    await sekat?.close();
    await disposeTestConfig(config);
  });

  it('creates a profile on first use from the public handle, and lets only its owner change it', async () => {
    expect((await inject('GET', `/api/social/users/${bob.handle}`)).statusCode).toBe(404);
    const me = await inject('GET', '/api/social/me', bob);
    expect(me.json()).toMatchObject({ handle: bob.handle, displayName: `Nama ${bob.handle}`, bio: '', counts: { followers: 0, following: 0, videos: 0, likes: 0 } });
    expect((await inject('GET', `/api/social/users/${bob.handle.toUpperCase()}`)).statusCode).toBe(200);
    const patched = await inject('PATCH', `/api/social/users/${bob.handle}`, bob, { bio: '  Suka jalan-jalan  ', displayName: 'Bobby' });
    expect(patched.json()).toMatchObject({ bio: 'Suka jalan-jalan', displayName: 'Bobby' });
    expect((await inject('PATCH', `/api/social/users/${bob.handle}`, carol, { bio: 'diretas' })).statusCode).toBe(403);
    expect((await inject('PATCH', `/api/social/users/${bob.handle}`, bob, { avatarUrl: 'javascript:alert(1)' })).statusCode).toBe(400);
    expect((await inject('GET', '/api/social/me')).statusCode).toBe(401);
    expect((await inject('GET', `/api/social/users/${bob.handle}`)).json().bio).toBe('Suka jalan-jalan');
  });

  it('follows and unfollows idempotently, and refuses following yourself', async () => {
    const self = await inject('POST', `/api/social/users/${alice.handle}/follow`, alice);
    expect(self.statusCode).toBe(422);
    expect(await db().selectFrom('follows').selectAll().execute()).toEqual([]);
    await Promise.all([1, 2, 3].map(() => inject('POST', `/api/social/users/${alice.handle}/follow`, bob)));
    const profile = await inject('GET', `/api/social/users/${alice.handle}`, bob);
    expect(profile.json()).toMatchObject({ counts: { followers: 1 }, followedByMe: true });
    expect((await inject('GET', `/api/social/users/${bob.handle}`)).json().counts.following).toBe(1);
    await inject('DELETE', `/api/social/users/${alice.handle}/follow`, bob);
    const after = await inject('DELETE', `/api/social/users/${alice.handle}/follow`, bob);
    expect(after.json()).toMatchObject({ counts: { followers: 0 }, followedByMe: false });
    expect((await inject('POST', '/api/social/users/nobody_here/follow', bob)).statusCode).toBe(404);
  });

  it('keeps like counts right under concurrency', async () => {
    const likers = [bob, carol, ...(await Promise.all([1, 2, 3, 4, 5, 6].map(() => registerUser(sekat.app))))];
    await Promise.all(likers.flatMap((user) => [1, 2, 3].map(() => inject('POST', `/api/social/videos/${video}/like`, user))));
    expect((await inject('GET', `/api/social/videos/${video}`)).json().counts.likes).toBe(likers.length);
    expect((await inject('GET', `/api/social/users/${alice.handle}`)).json().counts.likes).toBe(likers.length);
    await Promise.all([bob, bob, carol, carol].map((user) => inject('DELETE', `/api/social/videos/${video}/like`, user)));
    expect((await inject('GET', `/api/social/videos/${video}`)).json().counts.likes).toBe(likers.length - 2);
    // Each caller sees whether they like it; nobody sees who else does.
    expect((await inject('GET', `/api/social/videos/${video}`, bob)).json().likedByMe).toBe(false);
    expect((await inject('GET', `/api/social/videos/${video}`, likers[2])).json().likedByMe).toBe(true);
    expect((await inject('GET', `/api/social/videos/${video}`)).json().likedByMe).toBe(false);
    const rows = await db().selectFrom('likes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(rows.n)).toBe(likers.length - 2);
    expect((await inject('POST', `/api/social/videos/${video}/like`)).statusCode).toBe(401);
  });

  it('takes comments of 1–500 characters after trimming, rate limits them, and lets the right people delete them', async () => {
    for (const text of ['', '   \n ', 'x'.repeat(501)]) {
      const response = await inject('POST', `/api/social/videos/${video}/comments`, carol, { text });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    expect(await db().selectFrom('comments').selectAll().execute()).toEqual([]);
    const longest = await inject('POST', `/api/social/videos/${video}/comments`, carol, { text: `  ${'y'.repeat(500)}  ` });
    expect(longest.statusCode).toBe(201);
    expect(longest.json().text).toBe('y'.repeat(500));
    const byBob = (await inject('POST', `/api/social/videos/${video}/comments`, bob, { text: 'Mantap!' })).json().id;
    const byCarol = (await inject('POST', `/api/social/videos/${video}/comments`, carol, { text: 'Setuju' })).json().id;

    expect((await inject('DELETE', `/api/social/videos/${video}/comments/${byCarol}`, bob)).statusCode).toBe(403);
    expect((await inject('DELETE', `/api/social/videos/${video}/comments/${byCarol}`, carol)).statusCode).toBe(204);
    expect((await inject('DELETE', `/api/social/videos/${video}/comments/${byBob}`, alice)).statusCode).toBe(204);
    const list = (await inject('GET', `/api/social/videos/${video}/comments`)).json();
    expect(list.items.map((c: { text: string }) => c.text)).toEqual(['y'.repeat(500)]);
    expect((await inject('GET', `/api/social/videos/${video}`)).json().counts.comments).toBe(1);

    const spammer = await registerUser(sekat.app);
    const statuses = [];
    for (let i = 0; i < 11; i++) statuses.push((await inject('POST', `/api/social/videos/${video}/comments`, spammer, { text: `komentar ${i}` })).statusCode);
    expect(statuses.slice(0, 10).every((s) => s === 201)).toBe(true);
    expect(statuses[10]).toBe(429);
    expect((await inject('GET', `/api/social/videos/${video}`)).json().counts.comments).toBe(11);
  });

  it('counts shares', async () => {
    await inject('POST', `/api/social/videos/${video}/share`);
    const shared = await inject('POST', `/api/social/videos/${video}/share`, bob);
    expect(shared.json().counts.shares).toBe(2);
  });

  it('finds videos by hashtag (any case) and by search', async () => {
    const other = await seedReadyVideo(sekat.domains.social, { subject: subjectOf(carol), handle: carol.handle }, 'Sate ayam #kuliner malam');
    const tag = (await inject('GET', '/api/social/hashtags/KULINER')).json();
    expect(tag.tag).toBe('kuliner');
    expect(tag.videoCount).toBe(2);
    expect(tag.items.map((v: { id: string }) => v.id).sort()).toEqual([video, other].sort());
    expect((await inject('GET', `/api/social/hashtags/${encodeURIComponent('#Solo')}`)).json().items.map((v: { id: string }) => v.id)).toEqual([video]);
    const search = (await inject('GET', '/api/social/search?q=sate')).json();
    expect(search.items.map((v: { id: string }) => v.id)).toEqual([other]);
    const byTag = (await inject('GET', '/api/social/search?q=%23kul')).json();
    expect(byTag.hashtags).toEqual([{ tag: 'kuliner', videoCount: 2 }]);
    expect((await inject('GET', '/api/social/search?q=%25')).json().items).toEqual([]);
  });

  it('rolls valid watch events into stats and rejects bad batches whole', async () => {
    const ev = (over: object = {}) => ({ type: 'view', videoId: video, watchedMs: 5_000, completed: false, ...over });
    const before = (await inject('GET', `/api/social/videos/${video}`)).json().counts.views;
    const bad: [string, object][] = [
      ['negative watchedMs', { events: [ev({ watchedMs: -1 })] }],
      ['absurd watchedMs', { events: [ev(), ev({ watchedMs: 3_000_000 })] }],
      ['watchedMs past the end', { events: [ev({ watchedMs: 60_000 })] }],
      ['an unknown video', { events: [ev(), ev({ videoId: '0190a6f0-0000-7000-8000-000000000000' })] }],
      ['a malformed video id', { events: [ev({ videoId: 'abc' })] }],
      ['more than 100 events', { events: Array.from({ length: 101 }, () => ev()) }],
      ['no events', { events: [] }],
    ];
    for (const [name, payload] of bad) {
      const response = await inject('POST', '/api/social/events', bob, payload);
      expect(response.statusCode, name).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    expect(await db().selectFrom('watch_events').selectAll().execute()).toEqual([]);
    expect((await inject('GET', `/api/social/videos/${video}`)).json().counts.views).toBe(before);

    const ok = await inject('POST', '/api/social/events', bob, { events: [ev({ watchedMs: 10_000, completed: true }), ev({ watchedMs: 2_500 }), ...Array.from({ length: 98 }, () => ev())] });
    expect(ok.statusCode).toBe(202);
    expect((await inject('POST', '/api/social/events', undefined, { events: [ev()] })).statusCode).toBe(202);
    await sekat.domains.social.counters.settle();
    const stats = await db().selectFrom('videos').select(['view_count', 'completed_count', 'watched_fraction_sum']).where('id', '=', video).executeTakeFirstOrThrow();
    expect(stats.view_count).toBe(before + 101);
    expect(stats.completed_count).toBe(1);
    expect(stats.watched_fraction_sum).toBeCloseTo(1 + 0.25 + 98 * 0.5 + 0.5, 6);
    const affinity = await db().selectFrom('viewer_hashtags').select(['tag', 'score']).where('subject', '=', subjectOf(bob)).orderBy('tag').execute();
    expect(affinity).toEqual([{ tag: 'kuliner', score: 1 }, { tag: 'solo', score: 1 }]);
  });
});
