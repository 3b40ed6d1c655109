/**
 * Purchase categories change a viewer's For You ranking only while they consent, and revoking
 * puts the ranking back as if they had never bought anything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSekat, type Sekat } from '../../src/server/app.js';
import { testConfig, disposeTestConfig, STORE_LABEL } from '../../src/platform/testing.js';
import type { Config } from '../../src/platform/config.js';
import { seedReadyVideo } from '../../src/domains/social/testkit.js';
import { register, type Person } from './support.js';

let config: Config;
let sekat: Sekat;
let viewer: Person;
let popular: string;
let fashion: string;

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config, { background: false });
  viewer = await register(sekat.app, 'viewer.pc@contoh.id', 'viewer_pc', 'Viewer');
  const social = sekat.domains.social;
  popular = await seedReadyVideo(social, { subject: 'creator-a', handle: 'kreator_a' }, 'Masak enak #kuliner', { views: 100, completed: 80, likes: 40 });
  fashion = await seedReadyVideo(social, { subject: 'creator-b', handle: 'kreator_b' }, 'Gaya hari ini #ootd', { views: 100, completed: 60, likes: 20 });
  const db = sekat.stores.social.db;
  await db
    .insertInto('product_cards')
    .values({ product_id: '00000000-0000-7000-8000-00000000f001', shop_id: '00000000-0000-7000-8000-00000000a001', shop_name: 'Toko', title: 'Kemeja', category: 'fashion', price_min_idr: 1, price_max_idr: 1, image_url: null, in_stock: true, external_url: null, version: 1 })
    .execute();
  await db.insertInto('video_product_tags').values({ video_id: fashion, product_id: '00000000-0000-7000-8000-00000000f001', position: 0 }).execute();
});

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

const feed = async () => {
  const res = await sekat.app.inject({ url: '/api/social/feed/for-you?limit=10', headers: viewer.headers });
  expect(res.statusCode).toBe(200);
  return res.json().items as { id: string; reason: string }[];
};

describe(`purchase-based personalization (${STORE_LABEL})`, () => {
  it('ranks by engagement without consent, boosts bought categories with it, and forgets them on revoke', async () => {
    const social = sekat.domains.identity.subjectFor('social', viewer.id);
    const before = await feed();
    expect(before.map((i) => i.id)).toEqual([popular, fashion]);

    await sekat.domains.social.port.setPurchaseCategories(social, ['fashion']);
    const boosted = await feed();
    expect(boosted.map((i) => i.id)).toEqual([fashion, popular]);
    expect(boosted[0]!.reason).toContain('fashion');

    await sekat.domains.social.port.setPurchaseCategories(social, null);
    const after = await feed();
    expect(after).toEqual(before);
    const left = await sekat.stores.social.db.selectFrom('viewer_purchase_categories').selectAll().execute();
    expect(left).toEqual([]);
  });

  it('never uses purchase categories for the non-personalised feed', async () => {
    const social = sekat.domains.identity.subjectFor('social', viewer.id);
    await sekat.domains.social.port.setPurchaseCategories(social, ['fashion']);
    const res = await sekat.app.inject({ url: '/api/social/feed/for-you?limit=10&personalized=false', headers: viewer.headers });
    expect(res.json().items.map((i: { id: string }) => i.id)).toEqual([popular, fashion]);
    await sekat.domains.social.port.setPurchaseCategories(social, null);
  });
});
