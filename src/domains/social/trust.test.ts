/**
 * Trust and safety across lives and feeds: reports on live rooms and what an operator does to a
 * live (end it, remove its replay, restrict it) with the statement of reasons the host reads;
 * blocks and mutes in the LIVE strip, the room and its chat; the age gate on videos and lives;
 * restricted videos off For You; and feeds that leave out what a viewer may not see before the
 * page is cut, so pages stay full and cursors neither skip nor repeat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import WebSocket from 'ws';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, testConfig, STORE_LABEL } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import { registerUser, seedReadyVideo, waitFor, type TestUser, serviceOf } from './testkit.js';
import type { LiveDb } from './live/store.js';
import { signInWithTotp } from '../../../test/support/second-factor.js';

describe(`trust and safety, social (${STORE_LABEL})`, () => {
  let config: Config;
  let sekat: Sekat;
  let base: string;
  let host: TestUser;
  let viewer: TestUser;
  let stranger: TestUser;
  let operator: TestUser;
  let reviewer: TestUser;

  const api = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, who?: TestUser, payload?: object) =>
    sekat.app.inject({ method, url, headers: who?.auth ?? {}, ...(payload ? { payload } : {}) });
  const db = () => serviceOf(sekat.domains.social).db;
  const liveDb = () => db() as unknown as LiveDb;
  const subjectOf = (user: TestUser) => sekat.domains.identity.subjectFor('social', user.accountId);
  const author = (user: TestUser) => ({ subject: subjectOf(user), handle: user.handle });
  const decide = (body: Record<string, unknown>) =>
    api('POST', '/api/social/moderation/decisions', operator, { reason: 'violence', rule: 'Pedoman Komunitas 3.2', explanation: 'Siaran menampilkan kekerasan nyata.', ...body });
  /** The affected person appeals and the other operator reverses the decision. */
  const reverse = async (decisionId: string, affected: TestUser) => {
    const appeal = await api('POST', `/api/social/moderation/decisions/${decisionId}/appeal`, affected, { text: 'Mohon ditinjau ulang.' });
    expect(appeal.statusCode, appeal.body).toBe(201);
    const appealId = appeal.json().appeal.appeal.id as string;
    expect((await api('POST', `/api/social/moderation/appeals/${appealId}/decision`, operator, { outcome: 'reversed', explanation: 'Tinjau.' })).statusCode).toBe(403);
    const reversed = await api('POST', `/api/social/moderation/appeals/${appealId}/decision`, reviewer, { outcome: 'reversed', explanation: 'Keputusan dibatalkan setelah ditinjau.' });
    expect(reversed.statusCode, reversed.body).toBe(200);
    expect(reversed.json().status).toBe('reversed');
  };
  const onAirIds = async (who?: TestUser) => ((await api('GET', '/api/social/lives', who)).json().items as { id: string }[]).map((l) => l.id);
  /** A live on air, as a publish would leave it (the RTMP path is live.test.ts's). */
  const goLive = async (who: TestUser, title: string) => {
    const made = await api('POST', '/api/social/lives', who, { title });
    expect(made.statusCode, made.body).toBe(201);
    const id = made.json().live.id as string;
    await liveDb().updateTable('lives').set({ status: 'live', on_air: true, started_at: new Date() }).where('id', '=', id).execute();
    return id;
  };
  const room = (id: string, who?: TestUser) =>
    new Promise<{ ws: WebSocket; first: Promise<Record<string, unknown> | undefined>; closed: Promise<number> }>((resolve, reject) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/api/social/lives/${id}/room`, { headers: who?.auth ?? {} });
      const closed = new Promise<number>((done) => ws.on('close', (code) => done(code)));
      const first = new Promise<Record<string, unknown> | undefined>((done) => {
        ws.once('message', (data) => done(JSON.parse(data.toString())));
        ws.once('close', () => done(undefined));
      });
      ws.once('error', reject);
      ws.once('open', () => resolve({ ws, first, closed }));
    });

  beforeAll(async () => {
    config = testConfig({ OPERATOR_EMAILS: 'optrust@example.id,optrev@example.id' });
    sekat = await buildSekat(config, { background: false });
    base = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
    [host, viewer, stranger] = [await registerUser(sekat.app), await registerUser(sekat.app), await registerUser(sekat.app)];
    operator = await registerUser(sekat.app, 'optrust');
    reviewer = await registerUser(sekat.app, 'optrev');
    // Operators act only in a session signed in with their second factor.
    for (const [i, op] of [operator, reviewer].entries()) {
      op.token = await signInWithTotp(sekat.app, op.token, op.email, 'kata-sandi-yang-panjang', `10.94.0.${i + 1}`);
      op.auth = { authorization: `Bearer ${op.token}` };
    }
    for (const who of [host, viewer, stranger, operator]) await api('GET', '/api/social/me', who);
  }, 120_000);
  afterAll(async () => {
    await sekat?.close();
    if (config) await disposeTestConfig(config);
  });

  describe('reports on live rooms', () => {
    it('takes a report on a live, never from its host, and an operator action needs a reason', async () => {
      const liveId = await goLive(host, 'Obral malam');
      const report = await api('POST', '/api/social/reports', viewer, { itemKind: 'live', itemId: liveId, reason: 'violence', text: 'Ada perkelahian di siaran.' });
      expect(report.statusCode, report.body).toBe(201);
      expect(report.json()).toMatchObject({ item: { kind: 'live', id: liveId, label: 'Obral malam' }, status: 'open' });
      const own = await api('POST', '/api/social/reports', host, { itemKind: 'live', itemId: liveId, reason: 'spam' });
      expect(own.statusCode).toBe(422);
      expect(own.json().detail).toMatch(/your own live/);
      const missing = await api('POST', '/api/social/reports', viewer, { itemKind: 'live', itemId: '00000000-0000-7000-8000-000000000000', reason: 'spam' });
      expect(missing.statusCode).toBe(404);
      const queue = (await api('GET', '/api/social/moderation/queue', operator)).json().items as { item: { id: string }; actions: string[] }[];
      expect(queue.find((entry) => entry.item.id === liveId)?.actions).toEqual(['end_live', 'remove_replay', 'restrict', 'age_gate', 'warn']);
      const before = await liveDb().selectFrom('lives').select(['status']).where('id', '=', liveId).executeTakeFirstOrThrow();
      const noReason = await decide({ itemKind: 'live', itemId: liveId, action: 'end_live', explanation: '   ' });
      expect(noReason.statusCode).toBe(400);
      expect(noReason.json().errors.explanation).toBeDefined();
      const wrongAction = await decide({ itemKind: 'live', itemId: liveId, action: 'suspend_account' });
      expect(wrongAction.statusCode).toBe(400);
      expect((await liveDb().selectFrom('lives').select(['status']).where('id', '=', liveId).executeTakeFirstOrThrow()).status).toBe(before.status);
    });

    it('ends a live now: its room hears it ended, and the host reads the statement of reasons', async () => {
      const liveId = await goLive(host, 'Live panas');
      const watching = await room(liveId, viewer);
      expect((await watching.first)?.type).toBe('hello');
      const ended = await decide({ itemKind: 'live', itemId: liveId, action: 'end_live' });
      expect(ended.statusCode, ended.body).toBe(201);
      expect(await watching.closed).toBe(1000);
      const live = (await api('GET', `/api/social/lives/${liveId}`, host)).json();
      expect(live).toMatchObject({ status: 'ended', onAir: false });
      expect(await onAirIds(viewer)).not.toContain(liveId);
      const statements = (await api('GET', '/api/social/moderation/decisions/mine', host)).json().items as { item: { kind: string; id: string }; action: string; explanation: string; appeal: { open: boolean } }[];
      expect(statements.find((s) => s.item.id === liveId)).toMatchObject({ item: { kind: 'live' }, action: 'end_live', explanation: 'Siaran menampilkan kekerasan nyata.', appeal: { open: true } });
      expect((await api('GET', '/api/social/moderation/decisions/mine', viewer)).json().items).toEqual([]);
    });

    it('removes a replay (also one made later) and a reversal puts it back; restrict keeps a live off the LIVE strip only', async () => {
      const liveId = await goLive(host, 'Live rekaman');
      const replay = await seedReadyVideo(sekat.domains.social, author(host), 'Rekaman live');
      await liveDb().updateTable('lives').set({ replay_video_id: replay, status: 'ended', on_air: false }).where('id', '=', liveId).execute();
      const removed = await decide({ itemKind: 'live', itemId: liveId, action: 'remove_replay' });
      expect(removed.statusCode, removed.body).toBe(201);
      expect((await api('GET', `/api/social/videos/${replay}`, viewer)).statusCode).toBe(404);
      await reverse(removed.json().id, host);
      expect((await api('GET', `/api/social/videos/${replay}`, viewer)).statusCode).toBe(200);

      // Decided before the replay exists: the replay is made removed.
      const later = await goLive(host, 'Live belum direkam');
      expect((await decide({ itemKind: 'live', itemId: later, action: 'remove_replay' })).statusCode).toBe(201);
      expect((await liveDb().selectFrom('lives').select('replay_removed').where('id', '=', later).executeTakeFirstOrThrow()).replay_removed).toBe(true);

      const restricted = await goLive(host, 'Live terbatas');
      expect(await onAirIds(viewer)).toContain(restricted);
      expect((await decide({ itemKind: 'live', itemId: restricted, action: 'restrict' })).statusCode).toBe(201);
      expect(await onAirIds(viewer)).not.toContain(restricted);
      expect(await onAirIds()).not.toContain(restricted);
      expect((await api('GET', `/api/social/lives/${restricted}`, viewer)).statusCode).toBe(200);
    });
  });

  describe('blocks and mutes in lives', () => {
    it('refuses to block yourself, naming the rule', async () => {
      const self = await api('POST', `/api/social/users/${host.handle}/block`, host);
      expect(self.statusCode).toBe(422);
      expect(self.json().detail).toMatch(/block yourself/);
    });

    it('keeps a blocked viewer out of the host’s live: not listed, not found, no room, no comments', async () => {
      const blocker = await registerUser(sekat.app);
      const blocked = await registerUser(sekat.app);
      await api('GET', '/api/social/me', blocked);
      const liveId = await goLive(blocker, 'Live tanpa dia');
      const inside = await room(liveId, blocked);
      expect((await inside.first)?.type).toBe('hello');
      expect(await onAirIds(blocked)).toContain(liveId);
      expect((await api('POST', `/api/social/users/${blocked.handle}/block`, blocker)).statusCode).toBe(200);
      // Already in the room: put out at once.
      expect(await inside.closed).toBe(4404);
      expect(await onAirIds(blocked)).not.toContain(liveId);
      expect((await api('GET', `/api/social/lives/${liveId}`, blocked)).statusCode).toBe(404);
      expect((await api('GET', `/api/social/lives/${liveId}/comments`, blocked)).statusCode).toBe(404);
      const comment = await api('POST', `/api/social/lives/${liveId}/comments`, blocked, { text: 'Halo kak' });
      expect(comment.statusCode).toBe(404);
      expect(await liveDb().selectFrom('live_comments').selectAll().where('live_id', '=', liveId).execute()).toEqual([]);
      const again = await room(liveId, blocked);
      expect(await again.first).toBeUndefined();
      expect(await again.closed).toBe(4404);
      // The blocker does not see the blocked one's lives either.
      const theirs = await goLive(blocked, 'Live si terblokir');
      expect(await onAirIds(blocker)).not.toContain(theirs);
      expect((await api('GET', `/api/social/lives/${theirs}`, blocker)).statusCode).toBe(404);
      // Everyone else still sees both.
      expect(await onAirIds(stranger)).toEqual(expect.arrayContaining([liveId, theirs]));
      expect((await api('POST', `/api/social/lives/${liveId}/comments`, stranger, { text: 'Mantap' })).statusCode).toBe(201);
    });

    it('a person who blocked a creator does not see the creator’s live', async () => {
      const creator = await registerUser(sekat.app);
      const person = await registerUser(sekat.app);
      await api('GET', '/api/social/me', person);
      const liveId = await goLive(creator, 'Live kreator');
      await api('POST', `/api/social/users/${creator.handle}/block`, person);
      expect(await onAirIds(person)).not.toContain(liveId);
      expect((await api('GET', `/api/social/lives/${liveId}`, person)).statusCode).toBe(404);
      const socket = await room(liveId, person);
      expect(await socket.closed).toBe(4404);
    });

    it('a mute takes the muted creator’s lives off the LIVE strip and nothing else', async () => {
      const creator = await registerUser(sekat.app);
      const person = await registerUser(sekat.app);
      await api('GET', '/api/social/me', person);
      const liveId = await goLive(creator, 'Live yang dibisukan');
      await api('POST', `/api/social/users/${creator.handle}/mute`, person);
      expect(await onAirIds(person)).not.toContain(liveId);
      expect((await api('GET', `/api/social/lives/${liveId}`, person)).statusCode).toBe(200);
      await api('DELETE', `/api/social/users/${creator.handle}/mute`, person);
      expect(await onAirIds(person)).toContain(liveId);
    });

    it('does not show a viewer live comments by someone they mute, in the list or the room', async () => {
      const creator = await registerUser(sekat.app);
      const person = await registerUser(sekat.app);
      const loud = await registerUser(sekat.app);
      for (const who of [person, loud]) await api('GET', '/api/social/me', who);
      const liveId = await goLive(creator, 'Live obrolan');
      await api('POST', `/api/social/users/${loud.handle}/mute`, person);
      expect((await api('POST', `/api/social/lives/${liveId}/comments`, loud, { text: 'Komentar pertama' })).statusCode).toBe(201);
      const texts = async (who: TestUser) => ((await api('GET', `/api/social/lives/${liveId}/comments`, who)).json().items as { text: string }[]).map((c) => c.text);
      expect(await texts(person)).toEqual([]);
      expect(await texts(stranger)).toEqual(['Komentar pertama']);
      const theirs = await room(liveId, person);
      const others = await room(liveId, stranger);
      const hello = (await theirs.first) as { comments: unknown[] };
      expect(hello.comments).toEqual([]);
      await others.first;
      const heard: string[] = [];
      theirs.ws.on('message', (data) => heard.push(String(JSON.parse(data.toString()).type)));
      const otherHeard = new Promise((done) => others.ws.on('message', (data) => JSON.parse(data.toString()).type === 'comment' && done(true)));
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await api('POST', `/api/social/lives/${liveId}/comments`, loud, { text: 'Komentar kedua' })).statusCode).toBe(201);
      expect((await api('POST', `/api/social/lives/${liveId}/comments`, stranger, { text: 'Komentar ketiga' })).statusCode).toBe(201);
      await otherHeard;
      await waitFor(async () => (heard.includes('comment') ? true : undefined), 5_000);
      // The person heard the stranger's comment and not the muted one's.
      expect(heard.filter((type) => type === 'comment')).toHaveLength(1);
      theirs.ws.close();
      others.ws.close();
    });

    it('a tag on a video cannot be opened between two who block each other', async () => {
      const creator = await registerUser(sekat.app);
      const person = await registerUser(sekat.app);
      await api('GET', '/api/social/me', person);
      const video = await seedReadyVideo(sekat.domains.social, author(creator), 'Kemeja baru');
      const productId = '0190f000-0000-7000-8000-00000000abcd';
      await sql`insert into product_cards (product_id, shop_id, shop_name, title, price_min_idr, price_max_idr, in_stock, removed, version)
        values (${productId}, '0190f000-0000-7000-8000-00000000abce', 'Toko', 'Kemeja', 1000, 1000, true, false, 1)`.execute(db());
      await sql`insert into video_product_tags (video_id, product_id, position) values (${video}, ${productId}, 0)`.execute(db());
      expect((await api('POST', `/api/social/videos/${video}/product-tags/${productId}/open`, person)).statusCode).toBe(200);
      await api('POST', `/api/social/users/${person.handle}/block`, creator);
      expect((await api('POST', `/api/social/videos/${video}/product-tags/${productId}/open`, person)).statusCode).toBe(404);
      expect((await api('POST', `/api/social/videos/${video}/product-tags/${productId}/open`, stranger)).statusCode).toBe(200);
    });
  });

  describe('the age gate', () => {
    it('shows an age-gated video only to signed-in viewers who confirmed being 18 or older, and a reversal undoes it', async () => {
      const creator = await registerUser(sekat.app);
      const adult = await registerUser(sekat.app);
      await api('GET', '/api/social/me', adult);
      const video = await seedReadyVideo(sekat.domains.social, author(creator), 'Tutorial tato #seni', { views: 10, likes: 9 });
      await db().updateTable('videos').set({ hot: 1e6 }).where('id', '=', video).execute();
      serviceOf(sekat.domains.social).videosChanged();
      const forYouIds = async (who?: TestUser) => ((await api('GET', '/api/social/feed/for-you?limit=50&personalized=false', who)).json().items as { id: string }[]).map((i) => i.id);
      expect(await forYouIds()).toContain(video);

      const gated = await decide({ itemKind: 'video', itemId: video, action: 'age_gate', reason: 'sexual_content', explanation: 'Konten dewasa: hanya untuk 18+.' });
      expect(gated.statusCode, gated.body).toBe(201);
      const anonymous = await api('GET', `/api/social/videos/${video}`);
      expect(anonymous.statusCode).toBe(403);
      expect(anonymous.json().type).toContain('age-confirmation-required');
      expect((await api('GET', `/api/social/videos/${video}`, adult)).statusCode).toBe(403);
      // Liking what one may not see is refused and stores nothing (no like, no counter delta).
      const likesBefore = await db().selectFrom('likes').select((eb) => eb.fn.countAll<number>().as('n')).where('video_id', '=', video).executeTakeFirstOrThrow();
      expect((await api('POST', `/api/social/videos/${video}/like`, adult)).statusCode).toBe(403);
      const likesAfter = await db().selectFrom('likes').select((eb) => eb.fn.countAll<number>().as('n')).where('video_id', '=', video).executeTakeFirstOrThrow();
      expect(Number(likesAfter.n)).toBe(Number(likesBefore.n));
      expect(await forYouIds()).not.toContain(video);
      expect(await forYouIds(adult)).not.toContain(video);
      expect(((await api('GET', '/api/social/hashtags/seni')).json().items as { id: string }[]).map((v) => v.id)).not.toContain(video);
      expect((await api('GET', `/api/social/videos/${video}`, creator)).statusCode).toBe(200);

      expect((await api('GET', '/api/social/me/age', adult)).json()).toEqual({ adultConfirmed: false, confirmedAt: null });
      expect((await api('PUT', '/api/social/me/age', adult, { adult: 'ya' })).statusCode).toBe(400);
      expect((await api('PUT', '/api/social/me/age', undefined, { adult: true })).statusCode).toBe(401);
      const confirmed = await api('PUT', '/api/social/me/age', adult, { adult: true });
      expect(confirmed.json()).toMatchObject({ adultConfirmed: true, confirmedAt: expect.any(String) });
      expect((await api('GET', `/api/social/videos/${video}`, adult)).statusCode).toBe(200);
      expect(await forYouIds(adult)).toContain(video);
      expect(((await api('GET', '/api/social/hashtags/seni', adult)).json().items as { id: string }[]).map((v) => v.id)).toContain(video);
      expect(await forYouIds()).not.toContain(video);
      expect((await api('PUT', '/api/social/me/age', adult, { adult: false })).json().adultConfirmed).toBe(false);
      expect((await api('GET', `/api/social/videos/${video}`, adult)).statusCode).toBe(403);

      await reverse(gated.json().id, creator);
      expect((await api('GET', `/api/social/videos/${video}`)).statusCode).toBe(200);
      expect(await forYouIds()).toContain(video);
    });

    it('keeps an age-gated live off the strip and out of the room until the viewer confirms', async () => {
      const creator = await registerUser(sekat.app);
      const person = await registerUser(sekat.app);
      await api('GET', '/api/social/me', person);
      const liveId = await goLive(creator, 'Live dewasa');
      expect((await decide({ itemKind: 'live', itemId: liveId, action: 'age_gate', reason: 'sexual_content', explanation: 'Hanya untuk 18+.' })).statusCode).toBe(201);
      expect(await onAirIds(person)).not.toContain(liveId);
      expect(await onAirIds()).not.toContain(liveId);
      expect((await api('GET', `/api/social/lives/${liveId}`, person)).statusCode).toBe(403);
      const refused = await room(liveId, person);
      expect(await refused.closed).toBe(4451);
      await api('PUT', '/api/social/me/age', person, { adult: true });
      expect(await onAirIds(person)).toContain(liveId);
      const admitted = await room(liveId, person);
      expect((await admitted.first)?.type).toBe('hello');
      admitted.ws.close();
    });

    it('keeps a restricted video off For You but reachable by its link', async () => {
      const creator = await registerUser(sekat.app);
      const video = await seedReadyVideo(sekat.domains.social, author(creator), 'Video terbatas');
      await db().updateTable('videos').set({ hot: 2e6 }).where('id', '=', video).execute();
      serviceOf(sekat.domains.social).videosChanged();
      const forYouIds = async () => ((await api('GET', '/api/social/feed/for-you?limit=50&personalized=false')).json().items as { id: string }[]).map((i) => i.id);
      expect(await forYouIds()).toContain(video);
      expect((await decide({ itemKind: 'video', itemId: video, action: 'restrict', reason: 'spam', explanation: 'Clickbait.' })).statusCode).toBe(201);
      expect(await forYouIds()).not.toContain(video);
      expect((await api('GET', `/api/social/videos/${video}`)).statusCode).toBe(200);
    });
  });

  describe('feeds filter before the page is cut', () => {
    it('serves full For You, Following and hashtag pages past many blocked and muted authors, with no skip or repeat', async () => {
      const person = await registerUser(sekat.app);
      await api('GET', '/api/social/me', person);
      const authors = [];
      for (let i = 0; i < 12; i++) authors.push(await registerUser(sekat.app));
      const byAuthor = new Map<string, string[]>();
      // The hidden authors' videos rank first, so a page cut before filtering would be empty.
      for (const [i, a] of authors.entries()) {
        const ids: string[] = [];
        for (let k = 0; k < 4; k++) {
          const id = await seedReadyVideo(sekat.domains.social, author(a), `Video ${i}-${k} #saring`);
          await db().updateTable('videos').set({ hot: 5e6 - i * 10 - k }).where('id', '=', id).execute();
          ids.push(id);
        }
        byAuthor.set(a.handle, ids);
        await api('POST', `/api/social/users/${a.handle}/follow`, person);
      }
      serviceOf(sekat.domains.social).videosChanged();
      const hiddenAuthors = authors.slice(0, 8);
      for (const [i, a] of hiddenAuthors.entries()) {
        if (i % 3 === 0) await api('POST', `/api/social/users/${a.handle}/mute`, person);
        else if (i % 3 === 1) await api('POST', `/api/social/users/${a.handle}/block`, person);
        else await api('POST', `/api/social/users/${person.handle}/block`, a);
      }
      const hidden = new Set(hiddenAuthors.flatMap((a) => byAuthor.get(a.handle)!));
      const visible = new Set(authors.slice(8).flatMap((a) => byAuthor.get(a.handle)!));

      const walk = async (url: (cursor: string | undefined) => string, pick: (body: { items: unknown[] }) => string[]) => {
        const served: string[] = [];
        const sizes: number[] = [];
        let cursor: string | undefined;
        for (let pages = 0; pages < 100; pages++) {
          const response = await api('GET', url(cursor), person);
          expect(response.statusCode, response.body).toBe(200);
          const body = response.json();
          const ids = pick(body);
          sizes.push(ids.length);
          served.push(...ids);
          cursor = body.nextCursor ?? undefined;
          if (!cursor) break;
        }
        return { served, sizes };
      };
      const forYou = await walk((c) => `/api/social/feed/for-you?limit=4${c ? `&cursor=${c}` : ''}`, (b) => (b.items as { id: string }[]).map((i) => i.id));
      expect(forYou.served.filter((id) => hidden.has(id))).toEqual([]);
      expect(new Set(forYou.served).size).toBe(forYou.served.length);
      expect(forYou.sizes[0]).toBe(4);
      const ofOurs = forYou.served.filter((id) => visible.has(id));
      expect(new Set(ofOurs)).toEqual(visible);

      const following = await walk((c) => `/api/social/feed/following?limit=3${c ? `&cursor=${c}` : ''}`, (b) => (b.items as { id: string }[]).map((i) => i.id));
      expect(following.served.filter((id) => hidden.has(id))).toEqual([]);
      expect(new Set(following.served).size).toBe(following.served.length);
      expect(new Set(following.served)).toEqual(visible);
      expect(following.sizes.slice(0, -1).every((n) => n === 3)).toBe(true);

      const tagged = await walk((c) => `/api/social/hashtags/saring?limit=3${c ? `&cursor=${c}` : ''}`, (b) => (b.items as { id: string }[]).map((v) => v.id));
      expect(tagged.served.filter((id) => hidden.has(id))).toEqual([]);
      expect(new Set(tagged.served)).toEqual(visible);
      expect(tagged.sizes.slice(0, -1).every((n) => n === 3)).toBe(true);
    }, 120_000);
  });

  it('keeps a room of a scheduled live informed when an operator ends it', async () => {
    const made = await api('POST', '/api/social/lives', host, { title: 'Live terjadwal' });
    const liveId = made.json().live.id as string;
    const waiting = await room(liveId, viewer);
    expect((await waiting.first)?.type).toBe('hello');
    expect((await decide({ itemKind: 'live', itemId: liveId, action: 'end_live' })).statusCode).toBe(201);
    expect(await within(waiting.closed, 5_000)).toBe(1000);
    await waitFor(async () => ((await api('GET', `/api/social/lives/${liveId}`, host)).json().status === 'ended' ? true : undefined), 5_000);
  });
});

const within = <T,>(promise: Promise<T>, ms: number) => Promise.race([promise, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms))]);
