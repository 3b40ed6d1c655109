import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, testConfig, STORE_LABEL } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import { registerUser, seedReadyVideo, waitFor, type TestUser, serviceOf } from './testkit.js';

/** Signed in over HTTP (registration allows 10 a minute from one address)… */
const VIEWERS = 8;
/** …and more at once through the service itself. */
const CROWD = 30;

describe(`engagement counters under a crowd (${STORE_LABEL})`, () => {
  let config: Config;
  let sekat: Sekat;
  let author: TestUser;
  let viewers: TestUser[];
  let viral: string;

  const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, user?: TestUser, payload?: object) =>
    sekat.app.inject({ method, url, headers: user?.auth ?? {}, ...(payload ? { payload } : {}) });
  const db = () => serviceOf(sekat.domains.social).db;
  const subjectOf = (user: TestUser) => sekat.domains.identity.subjectFor('social', user.accountId);

  /** The video's counters next to a count of the facts they stand for. */
  const countersAndFacts = async (id: string) => {
    const counters = await db()
      .selectFrom('videos')
      .select(['view_count', 'completed_count', 'watched_fraction_sum', 'like_count', 'comment_count', 'share_count', 'author'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const { rows } = await sql<{ views: number; completed: number; fraction: number; likes: number; comments: number; shares: number }>`
      select (select count(*) from watch_events where video_id = ${id})::int as views,
             (select count(*) from watch_events where video_id = ${id} and completed)::int as completed,
             (select coalesce(sum(least(1, watched_ms / 10000.0)), 0) from watch_events where video_id = ${id})::float8 as fraction,
             (select count(*) from likes where video_id = ${id})::int as likes,
             (select count(*) from comments where video_id = ${id})::int as comments,
             (select count(*) from shares where video_id = ${id})::int as shares`.execute(db());
    return { counters, facts: rows[0]! };
  };

  beforeAll(async () => {
    config = testConfig();
    sekat = await buildSekat(config, { background: false });
    author = await registerUser(sekat.app);
    viewers = await Promise.all(Array.from({ length: VIEWERS }, () => registerUser(sekat.app)));
    viral = await seedReadyVideo(sekat.domains.social, { subject: subjectOf(author), handle: author.handle }, 'Semua menonton ini #viral');
  }, 240_000);
  afterAll(async () => {
    await sekat?.close();
    await disposeTestConfig(config);
  });

  it('keeps every counter equal to the stored facts when many viewers like, unlike, watch, comment and share one video at once', async () => {
    const ev = (i: number) => ({ type: 'view', videoId: viral, watchedMs: (i * 1_337) % 10_000, completed: i % 3 === 0 });
    const viewer = async (user: TestUser, n: number) => {
      const steps: Promise<unknown>[] = [];
      // Likes repeated (idempotent) and some taken back (each unlike subtracts once).
      for (let k = 0; k < 3; k++) steps.push(inject('POST', `/api/social/videos/${viral}/like`, user));
      for (let b = 0; b < 4; b++) steps.push(inject('POST', '/api/social/events', user, { events: Array.from({ length: 10 + b }, (_, i) => ev(n * 100 + b * 20 + i)) }));
      steps.push(inject('POST', `/api/social/videos/${viral}/comments`, user, { text: `Keren ${n}` }));
      steps.push(inject('POST', `/api/social/videos/${viral}/share`, user));
      const results = await Promise.all(steps);
      for (const result of results) expect((result as { statusCode: number }).statusCode).toBeLessThan(300);
      if (n % 3 === 0) await Promise.all([1, 2].map(() => inject('DELETE', `/api/social/videos/${viral}/like`, user)));
    };
    // The fold runs again and again while the crowd writes.
    let folding = true;
    const folds = (async () => {
      while (folding) {
        await sekat.domains.social.counters.settle();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const service = serviceOf(sekat.domains.social);
    const crowd = async (n: number) => {
      const subject = `crowd-${n}`;
      await service.ensureProfile(subject, { handle: `crowd_${n}`, displayName: `Crowd ${n}` });
      await Promise.all([
        service.like(viral, subject),
        service.like(viral, subject),
        service.recordEvents(subject, Array.from({ length: 10 }, (_, i) => ev(n * 10 + i) as never)),
        service.comment(viral, subject, `Ramai ${n}`),
        service.share(viral, subject),
        service.share(viral, undefined),
      ]);
      if (n % 2 === 0) await Promise.all([service.unlike(viral, subject), service.unlike(viral, subject)]);
    };
    await Promise.all([...viewers.map((user, n) => viewer(user, n)), ...Array.from({ length: CROWD }, (_, n) => crowd(n))]);
    // Anonymous viewers count too.
    await Promise.all([1, 2, 3].map((i) => inject('POST', '/api/social/events', undefined, { events: [ev(i)] })));
    folding = false;
    await folds;
    await sekat.domains.social.counters.settle();

    const { counters, facts } = await countersAndFacts(viral);
    const unliked = Math.ceil(VIEWERS / 3) + CROWD / 2;
    expect(facts).toMatchObject({
      likes: VIEWERS + CROWD - unliked, comments: VIEWERS + CROWD, shares: VIEWERS + 2 * CROWD, views: VIEWERS * 46 + CROWD * 10 + 3,
    });
    expect(counters).toMatchObject({
      view_count: facts.views, completed_count: facts.completed, like_count: facts.likes, comment_count: facts.comments, share_count: facts.shares,
    });
    expect(counters.watched_fraction_sum).toBeCloseTo(facts.fraction, 6);
    const profile = await db().selectFrom('profiles').select('like_count').where('subject', '=', counters.author).executeTakeFirstOrThrow();
    expect(profile.like_count).toBe(facts.likes);
    expect(await db().selectFrom('video_counter_deltas').selectAll().execute()).toEqual([]);
  }, 240_000);

  it('shows a like to its author at once and to everyone within a couple of seconds', async () => {
    const video = await seedReadyVideo(sekat.domains.social, { subject: subjectOf(author), handle: author.handle }, 'Baru #segar');
    const liked = await inject('POST', `/api/social/videos/${video}/like`, viewers[0]);
    expect(liked.json()).toMatchObject({ likedByMe: true, counts: { likes: 1 } });
    expect((await inject('GET', `/api/social/users/${author.handle}`)).json().counts.likes).toBe((await countersAndFacts(viral)).facts.likes + 1);
    // The fold in the background (about once a second) brings the stored counter up.
    await waitFor(async () => {
      const row = await db().selectFrom('videos').select('like_count').where('id', '=', video).executeTakeFirstOrThrow();
      return row.like_count === 1 ? true : undefined;
    }, 5_000);
    const unliked = await inject('DELETE', `/api/social/videos/${video}/like`, viewers[0]);
    expect(unliked.json()).toMatchObject({ likedByMe: false, counts: { likes: 0 } });
  });

  it('counts every like on a profile exactly once while the fold moves it from delta to counter', async () => {
    const video = await seedReadyVideo(sekat.domains.social, { subject: subjectOf(author), handle: author.handle }, 'Dilipat #lipat');
    const { counters } = sekat.domains.social;
    const service = serviceOf(sekat.domains.social);
    await counters.settle();
    const base = (await service.getProfile(author.handle)).counts.likes;
    // Likes arrive as deltas and the fold moves them while readers keep reading the profile: a
    // reader must see every like that committed before it began, and none that was not made.
    let committed = 0;
    let done = false;
    const wrong: string[] = [];
    const reader = async () => {
      while (!done) {
        const before = committed;
        const seen = (await service.getProfile(author.handle)).counts.likes - base;
        const after = committed;
        if (seen < before || seen > after + 1) wrong.push(`saw ${seen} with ${before}..${after} committed`);
      }
    };
    const readers = Array.from({ length: 4 }, reader);
    for (let round = 0; round < 150; round++) {
      await sql`insert into video_counter_deltas (video_id, likes) values (${video}, 1)`.execute(db());
      committed += 1;
      if (round % 2 === 0) await counters.settle();
    }
    done = true;
    await Promise.all(readers);
    await counters.settle();
    expect(wrong.slice(0, 5)).toEqual([]);
    expect((await service.getProfile(author.handle)).counts.likes - base).toBe(committed);
    await sql`update videos set like_count = 0 where id = ${video}`.execute(db());
    await sql`update profiles set like_count = like_count - ${committed} where subject = ${subjectOf(author)}`.execute(db());
  });

  it.runIf(STORE_LABEL === 'postgres')('never makes a request wait on the video row while a fold holds it', async () => {
    const held = serviceOf(sekat.domains.social).db.transaction().execute(async (trx) => {
      // What a fold (or any counter update) holds on the row until it commits.
      await trx.updateTable('videos').set((eb) => ({ view_count: eb('view_count', '+', 0) })).where('id', '=', viral).execute();
      const answered = await Promise.race([
        Promise.all([
          inject('POST', `/api/social/videos/${viral}/like`, viewers[1]),
          inject('POST', '/api/social/events', viewers[2], { events: [{ type: 'view', videoId: viral, watchedMs: 1_000, completed: false }] }),
          inject('POST', `/api/social/videos/${viral}/comments`, viewers[3], { text: 'Tidak menunggu' }),
          inject('POST', `/api/social/videos/${viral}/share`, viewers[4]),
        ]).then((responses) => responses.map((r) => r.statusCode)),
        new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 5_000)),
      ]);
      return answered;
    });
    expect(await held).toEqual([200, 202, 201, 200]);
    await sekat.domains.social.counters.settle();
    const { counters, facts } = await countersAndFacts(viral);
    expect(counters).toMatchObject({ view_count: facts.views, like_count: facts.likes, comment_count: facts.comments, share_count: facts.shares });
  });

  it('refuses a batch whole when one of its videos was deleted elsewhere after this process last checked it', async () => {
    const doomed = await seedReadyVideo(sekat.domains.social, { subject: subjectOf(author), handle: author.handle }, 'Sebentar lagi hilang');
    const view = (videoId: string) => ({ type: 'view', videoId, watchedMs: 1_000, completed: false });
    expect((await inject('POST', '/api/social/events', viewers[6], { events: [view(doomed)] })).statusCode).toBe(202);
    // Another process deletes it: this one's caches do not hear of it.
    await db().deleteFrom('videos').where('id', '=', doomed).execute();
    const before = await countersAndFacts(viral);
    const refused = await inject('POST', '/api/social/events', viewers[6], { events: [view(viral), view(doomed)] });
    expect(refused.statusCode).toBe(400);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(Object.keys(refused.json().errors)).toEqual(['events.1.videoId']);
    expect((await countersAndFacts(viral)).facts.views).toBe(before.facts.views);
  });

  it('stores watch batches that arrive together in one write, and a vanished video fails only its own batch', async () => {
    const doomed = await seedReadyVideo(sekat.domains.social, { subject: subjectOf(author), handle: author.handle }, 'Hilang di tengah');
    const view = (videoId: string, i: number) => ({ type: 'view' as const, videoId, watchedMs: 500 + i, completed: i % 2 === 0 });
    // Checked once by this process, then deleted by another: this process's caches do not hear of it.
    expect((await inject('POST', '/api/social/events', viewers[7], { events: [view(doomed, 0)] })).statusCode).toBe(202);
    await db().deleteFrom('videos').where('id', '=', doomed).execute();
    const writes = serviceOf(sekat.domains.social).watchWrites;
    const before = { writes: writes.writes, items: writes.items, facts: (await countersAndFacts(viral)).facts.views };
    const service = serviceOf(sekat.domains.social);
    const subjects = Array.from({ length: CROWD }, (_, n) => `group-commit-viewer-${n}`);
    const results = await Promise.allSettled(
      subjects.map((subject, n) => service.recordEvents(subject, n === 7 ? [view(viral, n), view(doomed, n)] : [view(viral, n), view(viral, n + 1)])),
    );
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(results[7]!.status).toBe('rejected');
    // Thirty batches took fewer writes than batches (the first is written alone, the rest queue behind it).
    expect(writes.items - before.items).toBeGreaterThanOrEqual(CROWD);
    expect(writes.writes - before.writes).toBeLessThan(CROWD);
    expect((await countersAndFacts(viral)).facts.views).toBe(before.facts + 2 * (CROWD - 1));
    const completions = await db().selectFrom('viewer_completions').select('subject').where('subject', 'in', subjects).execute();
    expect(new Set(completions.map((row) => row.subject)).size).toBe(CROWD - 1);
  });

  it('folds what is left when the domain stops cleanly', async () => {
    await inject('POST', `/api/social/videos/${viral}/like`, viewers[5]);
    await inject('POST', '/api/social/events', viewers[5], { events: [{ type: 'view', videoId: viral, watchedMs: 9_000, completed: true }] });
    // What the server's shutdown calls for social (SIGTERM → sekat.close() → each domain's stop).
    await sekat.domains.social.stop();
    expect(await db().selectFrom('video_counter_deltas').selectAll().execute()).toEqual([]);
    const { counters, facts } = await countersAndFacts(viral);
    expect(counters).toMatchObject({ view_count: facts.views, completed_count: facts.completed, like_count: facts.likes });
  });
});
