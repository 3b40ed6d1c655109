import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSekat, type Sekat } from '../../../server/app.js';
import { disposeTestConfig, testConfig, STORE_LABEL } from '../../../platform/testing.js';
import type { Config } from '../../../platform/config.js';
import { registerUser, seedReadyVideo, type TestUser, serviceOf } from '../testkit.js';

interface Item {
  id: string;
  reason: string;
  why: { code: string; handle?: string; hashtag?: string };
  author: { handle: string };
}

describe(`feeds (${STORE_LABEL})`, () => {
  let config: Config;
  let sekat: Sekat;
  let viewerA: TestUser;
  let viewerB: TestUser;
  const creators = Array.from({ length: 8 }, (_, i) => ({ subject: `test-subject-${i}`, handle: `kreator_${i}` }));
  const videos: { id: string; creator: number; tag: string }[] = [];

  const get = (url: string, user?: TestUser) => sekat.app.inject({ method: 'GET', url, headers: user?.auth ?? {} });
  const pages = async (url: string, user?: TestUser, limit = 7) => {
    const all: Item[][] = [];
    let cursor: string | null = null;
    do {
      const response = await get(`${url}${url.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, user);
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json() as { items: Item[]; nextCursor: string | null };
      all.push(body.items);
      cursor = body.nextCursor;
    } while (cursor && all.length < 50);
    return all;
  };

  beforeAll(async () => {
    config = testConfig();
    sekat = await buildSekat(config, { background: false });
    viewerA = await registerUser(sekat.app);
    viewerB = await registerUser(sekat.app);
    const now = Date.now();
    for (let i = 0; i < 56; i++) {
      const creator = i % creators.length;
      const tag = ['kuliner', 'musik', 'olahraga', 'wisata'][i % 4]!;
      const fresh = i % 9 === 0;
      const id = await seedReadyVideo(sekat.domains.social, creators[creator]!, `Video ${i} #${tag}`, {
        createdAt: new Date(now - (fresh ? i * 60_000 : (i + 1) * 3_600_000)),
        views: fresh ? 3 : 100 + ((i * 37) % 400),
        completed: fresh ? 1 : (i * 13) % 90,
        likes: (i * 7) % 30,
      });
      videos.push({ id, creator, tag });
    }
    // Viewer A has a history: follows kreator_1, completed three #musik videos.
    expect((await sekat.app.inject({ method: 'POST', url: `/api/social/users/kreator_1/follow`, headers: viewerA.auth })).statusCode).toBe(200);
    const musik = videos.filter((v) => v.tag === 'musik').slice(0, 3);
    const events = musik.map((v) => ({ type: 'view', videoId: v.id, watchedMs: 10_000, completed: true }));
    expect((await sekat.app.inject({ method: 'POST', url: '/api/social/events', headers: viewerA.auth, payload: { events } })).statusCode).toBe(202);
  });
  afterAll(async () => {
    await sekat?.close();
    await disposeTestConfig(config);
  });

  const checkSequence = (all: Item[][]) => {
    const items = all.flat();
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
    for (let i = 1; i < items.length; i++) expect(items[i]!.author.handle, `items ${i - 1} and ${i}`).not.toBe(items[i - 1]!.author.handle);
    for (const item of items) expect(item.reason).toMatch(/^(Karena Anda mengikuti @|Karena Anda sering menonton #|Populer di |Video baru)/);
    return items;
  };

  it('never repeats a video across the pages of one cursor, nor a creator twice in a row', async () => {
    const raw = await pages("/api/social/feed/for-you");
    const anonymous = checkSequence(raw);
    expect(anonymous.length).toBeGreaterThanOrEqual(50);
    const personal = checkSequence(await pages('/api/social/feed/for-you', viewerA, 5));
    expect(personal.length).toBeGreaterThanOrEqual(45);
  });

  it('takes later For You pages from the session\'s ranked window instead of ranking again', async () => {
    const windows = () => serviceOf(sekat.domains.social).forYouWindows.cache.stats();
    for (const [url, user] of [['/api/social/feed/for-you', undefined], ['/api/social/feed/for-you', viewerA]] as const) {
      const before = windows().hits;
      const all = await pages(url, user, 5);
      expect(all.length).toBeGreaterThan(3);
      // Pages after the first continued a window; a window that runs short is ranked afresh once.
      expect(windows().hits - before).toBeGreaterThanOrEqual(all.length - 3);
      checkSequence(all);
    }
    expect(windows().bytes).toBeLessThanOrEqual(windows().maxBytes);
  });

  it('gives two viewers with different histories the same feed when personalized=false', async () => {
    const a = (await pages('/api/social/feed/for-you?personalized=false', viewerA)).flat();
    const b = (await pages('/api/social/feed/for-you?personalized=false', viewerB)).flat();
    const anonymous = (await pages('/api/social/feed/for-you')).flat();
    expect(a.map((i) => [i.id, i.reason])).toEqual(b.map((i) => [i.id, i.reason]));
    expect(anonymous.map((i) => i.id)).toEqual(a.map((i) => i.id));
    expect(a.some((i) => i.reason.startsWith('Karena Anda'))).toBe(false);
  });

  it('personalizes For You: followed creators first with a reason, hashtag affinity, nothing completed recently, fresh videos mixed in', async () => {
    const first = (await get('/api/social/feed/for-you?limit=10', viewerA)).json().items as Item[];
    expect(first.some((i) => i.reason === 'Karena Anda mengikuti @kreator_1' && i.author.handle === 'kreator_1')).toBe(true);
    expect(first.some((i) => i.reason === 'Video baru')).toBe(true);
    // The same reasons as codes with their parameters, for the client to word.
    expect(first.some((i) => i.why.code === 'followed' && i.why.handle === 'kreator_1' && i.author.handle === 'kreator_1')).toBe(true);
    expect(first.some((i) => i.why.code === 'new')).toBe(true);
    const all = (await pages('/api/social/feed/for-you', viewerA)).flat();
    const completed = new Set(videos.filter((v) => v.tag === 'musik').slice(0, 3).map((v) => v.id));
    expect(all.filter((i) => completed.has(i.id))).toEqual([]);
    expect(all.some((i) => i.reason === 'Karena Anda sering menonton #musik')).toBe(true);
    // Without personalization the completed ones come back: it reads no history.
    const plain = (await pages('/api/social/feed/for-you?personalized=false', viewerA)).flat();
    expect(plain.filter((i) => completed.has(i.id)).length).toBe(3);
  });

  it('shows a followed creator’s new video in Following at once, newest first', async () => {
    expect((await get('/api/social/feed/following')).statusCode).toBe(401);
    const before = (await pages('/api/social/feed/following', viewerA, 3)).flat();
    expect(before.length).toBe(7);
    expect(before.every((i) => i.author.handle === 'kreator_1' && i.reason === 'Karena Anda mengikuti @kreator_1')).toBe(true);
    const id = await seedReadyVideo(sekat.domains.social, creators[1]!, 'Baru saja #musik');
    // The same first page as before (limit 3), so a cached page would show here.
    const after = (await get('/api/social/feed/following?limit=3', viewerA)).json().items as Item[];
    expect(after[0]!.id).toBe(id);
    expect((await sekat.app.inject({ method: 'DELETE', url: '/api/social/users/kreator_1/follow', headers: viewerA.auth })).statusCode).toBe(200);
    expect((await get('/api/social/feed/following?limit=3', viewerA)).json().items).toEqual([]);
    expect((await get('/api/social/feed/following', viewerB)).json().items).toEqual([]);
  });

  it('rejects a tampered cursor with 400', async () => {
    for (const cursor of ['bogus', 'f1.0.3.x.AAAA', `f1.2.0..${'A'.repeat(683)}`]) {
      const response = await get(`/api/social/feed/for-you?cursor=${cursor}`);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    expect((await get('/api/social/feed/following?cursor=bm9wZQ', viewerA)).statusCode).toBe(400);
  });
});
