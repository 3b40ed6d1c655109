/**
 * Every feed page carries the same per-video facts as a single video does: its product tags and
 * whether the caller likes it, whichever path (shared page, personal page, cache) served it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSekat, type Sekat } from '../../../server/app.js';
import { testConfig, disposeTestConfig, STORE_LABEL } from '../../../platform/testing.js';
import type { Config } from '../../../platform/config.js';
import { registerUser, seedReadyVideo, type TestUser } from '../testkit.js';

interface Item {
  id: string;
  likedByMe: boolean;
  productTags: { productId: string }[];
}

describe(`feed items carry tags and likes (${STORE_LABEL})`, () => {
  let config: Config;
  let sekat: Sekat;
  let viewer: TestUser;
  let tagged: string;
  let other: string;
  const product = '00000000-0000-7000-8000-00000000f0f1';

  beforeAll(async () => {
    config = testConfig();
    sekat = await buildSekat(config, { background: false });
    viewer = await registerUser(sekat.app);
    tagged = await seedReadyVideo(sekat.domains.social, { subject: 'creator-f1', handle: 'kreator_f1' }, 'Kain tenun #wastra', { views: 100, completed: 80, likes: 30 });
    other = await seedReadyVideo(sekat.domains.social, { subject: 'creator-f2', handle: 'kreator_f2' }, 'Sarapan #kuliner', { views: 100, completed: 40, likes: 10 });
    const db = sekat.stores.social.db;
    await db
      .insertInto('product_cards')
      .values({ product_id: product, shop_id: '00000000-0000-7000-8000-00000000a0f1', shop_name: 'Toko Tenun', title: 'Kain tenun ikat', category: 'fashion', price_min_idr: 250_000, price_max_idr: 250_000, image_url: null, in_stock: true, external_url: null, version: 1 })
      .execute();
    await db.insertInto('video_product_tags').values({ video_id: tagged, product_id: product, position: 0 }).execute();
  });
  afterAll(async () => {
    await sekat?.close();
    await disposeTestConfig(config);
  });

  const items = async (url: string, user?: TestUser) => {
    const response = await sekat.app.inject({ url, headers: user?.auth ?? {} });
    expect(response.statusCode, response.body).toBe(200);
    return new Map((response.json().items as Item[]).map((item) => [item.id, item]));
  };
  const feeds = ['/api/social/feed/for-you', '/api/social/feed/for-you?personalized=false', '/api/social/feed/for-you?limit=5'];

  it('shows product tags on every For You path, anonymous or signed in, first request or repeated', async () => {
    for (const url of feeds) {
      for (const user of [undefined, viewer, undefined, viewer]) {
        const page = await items(url, user);
        expect(page.get(tagged)?.productTags.map((t) => t.productId), `${url} ${user ? 'signed in' : 'anonymous'}`).toEqual([product]);
        expect(page.get(other)?.productTags).toEqual([]);
      }
    }
  });

  it('marks what the viewer likes, and follows a like or unlike at once', async () => {
    for (const url of feeds) expect((await items(url, viewer)).get(other)?.likedByMe).toBe(false);
    expect((await sekat.app.inject({ method: 'POST', url: `/api/social/videos/${other}/like`, headers: viewer.auth })).statusCode).toBe(200);
    for (const url of feeds) {
      expect((await items(url, viewer)).get(other)?.likedByMe, url).toBe(true);
      expect((await items(url, viewer)).get(tagged)?.likedByMe, url).toBe(false);
      expect((await items(url)).get(other)?.likedByMe, `${url} anonymous`).toBe(false);
    }
    expect((await sekat.app.inject({ method: 'DELETE', url: `/api/social/videos/${other}/like`, headers: viewer.auth })).statusCode).toBe(200);
    for (const url of feeds) expect((await items(url, viewer)).get(other)?.likedByMe, url).toBe(false);
  });

  it('writes each feed item exactly as the video itself reads, plus its reason', async () => {
    for (const url of [...feeds, '/api/social/feed/following']) {
      if (url.endsWith('following')) await sekat.app.inject({ method: 'POST', url: '/api/social/users/kreator_f1/follow', headers: viewer.auth });
      const response = await sekat.app.inject({ url, headers: viewer.auth });
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      const body = response.json() as { items: (Item & { reason: string; why: { code: string } })[]; nextCursor: string | null };
      expect(body.items.length).toBeGreaterThan(0);
      expect(body.nextCursor).toBeNull();
      for (const { reason, why, ...item } of body.items) {
        expect(reason.length).toBeGreaterThan(0);
        expect(why.code.length).toBeGreaterThan(0);
        const single = await sekat.app.inject({ url: `/api/social/videos/${item.id}`, headers: viewer.auth });
        expect(item, url).toEqual(single.json());
      }
    }
  });
});
