/**
 * Social notifications over HTTP: a new follower, likes and comments on your video (a burst of
 * likes appended one row each and shown as one item "X and n others"), a live from someone you
 * follow; live over SSE, exact unread counts, read markers, muted kinds, bad input; the export and
 * erasure; and the line: nothing of commerce is in social's inbox, nothing social in commerce's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import { registerUser, seedReadyVideo, type TestUser } from './testkit.js';
import { readServerEvents } from '../../../test/support/sse.js';

let config: Config;
let sekat: Sekat;
let base: string;
let creator: TestUser;
let fans: TestUser[];
let video: string;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const inject = (method: Method, url: string, who: TestUser | null, payload?: object) =>
  sekat.app.inject({ method, url, headers: who?.auth ?? {}, ...(payload !== undefined ? { payload } : {}) });
interface Item {
  id: string;
  kind: string;
  unread: boolean;
  count: number;
  actors: number;
  target: { type: string; id: string };
  data: Record<string, unknown>;
  actor: { handle: string; displayName: string } | null;
}
const inbox = async (who: TestUser, query = '') => {
  const response = await inject('GET', `/api/social/notifications${query}`, who);
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as { items: Item[]; nextCursor: string | null };
};
const unread = async (who: TestUser) => (await inject('GET', '/api/social/notifications/unread-count', who)).json().unread as number;
const db = () => sekat.stores.social.db;
const subjectOf = (who: TestUser) => sekat.domains.identity.subjectFor('social', who.accountId);
const everything = async () => JSON.stringify((await sql`select * from social_notifications order by id`.execute(db())).rows);
const like = (who: TestUser, id = video) => inject('POST', `/api/social/videos/${id}/like`, who);

function expectProblem(response: { statusCode: number; headers: Record<string, unknown>; json(): { status: number } }, status: number) {
  expect(response.statusCode).toBe(status);
  expect(String(response.headers['content-type'])).toContain('application/problem+json');
  expect(response.json().status).toBe(status);
}

beforeAll(async () => {
  config = testConfig({ REQUIRE_VERIFIED_EMAIL: 'false' });
  sekat = await buildSekat(config, { background: false });
  base = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
  creator = await registerUser(sekat.app);
  fans = [];
  for (let i = 0; i < 14; i++) fans.push(await registerUser(sekat.app));
  video = await seedReadyVideo(sekat.domains.social, { subject: await subjectOf(creator), handle: creator.handle }, 'Es teh manis #Solo');
  // Every fan has a profile, as anyone who used the social side does.
  await Promise.all(fans.map((fan) => inject('GET', '/api/social/me', fan)));
}, 120_000);

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

describe(`social notifications (${STORE_LABEL})`, () => {
  it('tells a creator of a new follower, linking to the follower by handle', async () => {
    expect((await inject('POST', `/api/social/users/${creator.handle}/follow`, fans[0]!)).statusCode).toBe(200);
    // A repeated follow is no new follower.
    await inject('POST', `/api/social/users/${creator.handle}/follow`, fans[0]!);
    const { items } = await inbox(creator);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: 'follow', unread: true, count: 1, target: { type: 'profile', id: fans[0]!.handle }, actor: { handle: fans[0]!.handle } });
    expect(await unread(creator)).toBe(1);
    // The follower is not told of what they did.
    expect(await unread(fans[0]!)).toBe(0);
  });

  it('coalesces a burst of likes into one item, “X and 12 others”, with no counter row written by a like', async () => {
    await inject('POST', '/api/social/notifications/read', creator, { all: true });
    const likers = fans.slice(0, 13);
    const responses = await Promise.all(likers.map((fan) => like(fan)));
    expect(responses.every((r) => r.statusCode === 200)).toBe(true);
    // The creator's own like tells nobody.
    await like(creator);
    const likes = (await inbox(creator)).items.filter((i) => i.kind === 'like');
    expect(likes).toHaveLength(1);
    expect(likes[0]).toMatchObject({ unread: true, count: 13, actors: 13, target: { type: 'video', id: video } });
    expect(likers.map((f) => f.handle)).toContain(likes[0]!.actor!.handle);
    expect(await unread(creator)).toBe(1);
    const rows = (await sql<{ n: number }>`select count(*)::int as n from social_notifications where kind = 'like'`.execute(db())).rows[0]!.n;
    expect(rows).toBe(13);

    // Read, then one more like: a new unread item of one, the old group stays read.
    expect((await inject('POST', '/api/social/notifications/read', creator, { ids: [likes[0]!.id] })).json()).toEqual({ marked: 13, unread: 0 });
    await like(fans[13]!);
    const after = (await inbox(creator)).items.filter((i) => i.kind === 'like');
    expect(after.map((i) => [i.unread, i.count])).toEqual([
      [true, 1],
      [false, 13],
    ]);
    expect(await unread(creator)).toBe(1);
  });

  it('tells of comments, coalesced per video, and pushes them over SSE as they are written', async () => {
    await inject('POST', '/api/social/notifications/read', creator, { all: true });
    const controller = new AbortController();
    const response = await fetch(`${base}/api/social/notifications/stream`, { headers: { ...creator.auth, accept: 'text/event-stream' }, signal: controller.signal });
    expect(response.status).toBe(200);
    const events = readServerEvents(response);
    try {
      await expect.poll(() => events.find((e) => e.event === 'hello')?.data).toEqual({ unread: 0 });
      const started = Date.now();
      expect((await inject('POST', `/api/social/videos/${video}/comments`, fans[1]!, { text: 'Segar banget!' })).statusCode).toBe(201);
      await expect.poll(() => events.find((e) => e.event === 'notification' && e.data.kind === 'comment'), { timeout: 3000, interval: 20 }).toBeTruthy();
      expect(Date.now() - started).toBeLessThan(2000);
      await expect.poll(() => events.filter((e) => e.event === 'unread').at(-1)?.data).toEqual({ unread: 1 });
      await inject('POST', `/api/social/videos/${video}/comments`, fans[2]!, { text: 'Mau coba' });
      await expect.poll(() => events.some((e) => e.event === 'notification' && e.data.kind === 'comment' && e.data.count === 2), { timeout: 3000, interval: 20 }).toBe(true);
    } finally {
      controller.abort();
    }
    const comments = (await inbox(creator)).items.filter((i) => i.kind === 'comment');
    expect(comments).toMatchObject([{ count: 2, actors: 2, unread: true }]);
    expect(await unread(creator)).toBe(1);
    expectProblem(await sekat.app.inject({ method: 'GET', url: '/api/social/notifications/stream', headers: { ...creator.auth, accept: 'text/event-stream', origin: 'https://evil.example' } }), 403);
    expectProblem(await sekat.app.inject({ method: 'GET', url: '/api/social/notifications/stream', headers: creator.auth }), 406);
  });

  it('tells followers once that a live started, and nobody else', async () => {
    const created = await inject('POST', '/api/social/lives', creator, { title: 'Ngobrol sore' });
    expect(created.statusCode, created.body).toBe(201);
    const liveId = created.json().live.id as string;
    // What the service does once the first publish is watchable; a reconnect calls it again.
    for (let round = 0; round < 2; round++) for (const hook of sekat.domains.social.lives.whenOnAir) hook(liveId);
    await expect.poll(async () => (await inbox(fans[0]!)).items.filter((i) => i.kind === 'live').length).toBe(1);
    const [live] = (await inbox(fans[0]!)).items;
    expect(live).toMatchObject({ kind: 'live', target: { type: 'live', id: liveId }, data: { title: 'Ngobrol sore' }, actor: { handle: creator.handle } });
    expect((await inbox(fans[5]!)).items).toEqual([]);
  });

  it('a muted kind is not stored', async () => {
    const put = await inject('PUT', '/api/social/notifications/preferences', creator, { items: [{ kind: 'follow', muted: true }] });
    expect(put.json().items).toEqual([
      { kind: 'follow', muted: true },
      { kind: 'like', muted: false },
      { kind: 'comment', muted: false },
      { kind: 'live', muted: false },
    ]);
    const before = await everything();
    expect((await inject('POST', `/api/social/users/${creator.handle}/follow`, fans[3]!)).statusCode).toBe(200);
    expect(await everything()).toBe(before);
    await inject('PUT', '/api/social/notifications/preferences', creator, { items: [{ kind: 'follow', muted: false }] });
    await inject('POST', `/api/social/users/${creator.handle}/follow`, fans[4]!);
    expect((await inbox(creator)).items[0]).toMatchObject({ kind: 'follow', actor: { handle: fans[4]!.handle } });
  });

  it('bad cursors, foreign ids and bad bodies get a problem and change nothing; paging is exact', async () => {
    const page = await inbox(creator, '?limit=1');
    expect(page.items).toHaveLength(1);
    const next = await inbox(creator, `?limit=50&cursor=${page.nextCursor}`);
    const all = await inbox(creator, '?limit=100');
    expect([...page.items, ...next.items].map((i) => i.id)).toEqual(all.items.map((i) => i.id));
    const before = await everything();
    expectProblem(await inject('GET', '/api/social/notifications?cursor=%%%', creator), 400);
    expectProblem(await inject('GET', '/api/social/notifications?limit=0', creator), 400);
    const fanItem = (await inbox(fans[0]!)).items[0]!;
    expectProblem(await inject('POST', '/api/social/notifications/read', creator, { ids: [fanItem.id] }), 404);
    expectProblem(await inject('POST', '/api/social/notifications/read', creator, { ids: ['0'] }), 400);
    expectProblem(await inject('POST', '/api/social/notifications/read', creator, { ids: Array.from({ length: 101 }, (_, i) => String(i + 1)) }), 400);
    expectProblem(await inject('PUT', '/api/social/notifications/preferences', creator, { items: [{ kind: 'order_paid', muted: true }] }), 400);
    expectProblem(await inject('GET', '/api/social/notifications', null), 401);
    expect(await everything()).toBe(before);
  });

  it('holds nothing of commerce; commerce holds none of it', async () => {
    const subject = await subjectOf(creator);
    const commerceSubject = await sekat.domains.identity.subjectFor('commerce', creator.accountId);
    const stored = await everything();
    expect(stored).toContain(subject);
    expect(stored).not.toContain(commerceSubject);
    expect(stored).not.toContain(creator.accountId);
    expect(stored).not.toMatch(/order_|payout|chat_message/);
    const commerceRows = JSON.stringify((await sql`select * from commerce_notifications`.execute(sekat.stores.commerce.db)).rows);
    expect(commerceRows).not.toContain(subject);
    expect(commerceRows).not.toContain(creator.handle);
    expect(commerceRows).not.toContain(video);
  });

  it('exports the inbox; erasure takes it and what the person caused in others’ inboxes', async () => {
    const subject = await subjectOf(creator);
    const exported = (await sekat.domains.social.port.exportSubject(subject)).data as { notifications: { kind: string }[] };
    expect(exported.notifications.map((n) => n.kind)).toContain('like');
    // fans[0] followed and liked (in the creator's inbox) and was told of the live (their own).
    const fanSubject = await subjectOf(fans[0]!);
    const count = async (where: ReturnType<typeof sql>) => (await sql<{ n: number }>`select count(*)::int as n from social_notifications where ${where}`.execute(db())).rows[0]!.n;
    expect(await count(sql`recipient = ${fanSubject}`)).toBe(1);
    expect(await count(sql`actor = ${fanSubject}`)).toBeGreaterThan(0);
    await sekat.domains.social.port.eraseSubject(fanSubject);
    expect(await count(sql`recipient = ${fanSubject} or actor = ${fanSubject}`)).toBe(0);
    expect(await count(sql`recipient = ${subject}`)).toBeGreaterThan(0);
  });
});
