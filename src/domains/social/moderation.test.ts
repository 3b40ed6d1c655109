/**
 * Moderation of social content over HTTP: reports (once per person and item, never about
 * yourself), the operators' queue with authority deadlines, decisions with their statement of
 * reasons, appeals decided by another operator, the append-only audit log and the public counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, testConfig, STORE_LABEL } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import { registerUser, seedReadyVideo, type TestUser, serviceOf } from './testkit.js';
import { signInWithTotp } from '../../../test/support/second-factor.js';

describe(`social moderation (${STORE_LABEL})`, () => {
  let config: Config;
  let sekat: Sekat;
  let creator: TestUser;
  let viewer: TestUser;
  let other: TestUser;
  let opOne: TestUser;
  let opTwo: TestUser;
  let video: string;
  let quiet: string;

  const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, user?: TestUser, payload?: object) =>
    sekat.app.inject({ method, url, headers: user?.auth ?? {}, ...(payload ? { payload } : {}) });
  const db = () => serviceOf(sekat.domains.social).db;
  const subjectOf = (user: TestUser) => sekat.domains.identity.subjectFor('social', user.accountId);
  const reportCount = async () => Number((await sql<{ n: number }>`select count(*)::int as n from social_reports`.execute(db())).rows[0]!.n);

  beforeAll(async () => {
    config = testConfig({ OPERATOR_EMAILS: 'modsatu@example.id,moddua@example.id' });
    sekat = await buildSekat(config, { background: false });
    [creator, viewer, other] = [await registerUser(sekat.app), await registerUser(sekat.app), await registerUser(sekat.app)];
    [opOne, opTwo] = [await registerUser(sekat.app, 'modsatu'), await registerUser(sekat.app, 'moddua')];
    // Operators act only in a session signed in with their second factor.
    for (const op of [opOne, opTwo]) {
      op.token = await signInWithTotp(sekat.app, op.token, op.email, 'kata-sandi-yang-panjang');
      op.auth = { authorization: `Bearer ${op.token}` };
    }
    video = await seedReadyVideo(sekat.domains.social, { subject: subjectOf(creator), handle: creator.handle }, 'Obat ajaib #promo');
    quiet = await seedReadyVideo(sekat.domains.social, { subject: subjectOf(creator), handle: creator.handle }, 'Pemandangan sore');
    await inject('GET', '/api/social/me', viewer);
    await inject('GET', '/api/social/me', other);
  });
  afterAll(async () => {
    await sekat?.close();
    await disposeTestConfig(config);
  });

  it('files a report, and reporting the same item again updates that report', async () => {
    const first = await inject('POST', '/api/social/reports', viewer, { itemKind: 'video', itemId: video, reason: 'spam' });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ item: { kind: 'video', id: video, label: 'Obat ajaib #promo' }, reason: 'spam', status: 'open' });
    const again = await inject('POST', '/api/social/reports', viewer, { itemKind: 'video', itemId: video, reason: 'scam', text: 'Menjual obat palsu.\nTolong dicek.' });
    expect(again.statusCode).toBe(201);
    expect(again.json()).toMatchObject({ id: first.json().id, reason: 'scam', text: 'Menjual obat palsu.\nTolong dicek.' });
    expect(await reportCount()).toBe(1);
    const mine = await inject('GET', '/api/social/reports/mine', viewer);
    expect(mine.json().items).toEqual([expect.objectContaining({ id: first.json().id, status: 'open', reason: 'scam' })]);
    expect((await inject('GET', '/api/social/reports/mine', other)).json().items).toEqual([]);
  });

  it('refuses bad reports with a problem and stores nothing', async () => {
    const before = await reportCount();
    const own = await inject('POST', '/api/social/reports', creator, { itemKind: 'video', itemId: video, reason: 'spam' });
    expect(own.statusCode).toBe(422);
    expect(own.headers['content-type']).toContain('application/problem+json');
    expect(own.json().detail).toMatch(/cannot report your own video/);
    const self = await inject('POST', '/api/social/reports', viewer, { itemKind: 'profile', itemId: viewer.handle, reason: 'spam' });
    expect(self.statusCode).toBe(422);
    expect(self.json().detail).toMatch(/own profile/);
    expect((await inject('POST', '/api/social/reports', undefined, { itemKind: 'video', itemId: video, reason: 'spam' })).statusCode).toBe(401);
    expect((await inject('POST', '/api/social/reports', viewer, { itemKind: 'video', itemId: video, reason: 'boring' })).statusCode).toBe(400);
    expect((await inject('POST', '/api/social/reports', viewer, { itemKind: 'product', itemId: video, reason: 'spam' })).statusCode).toBe(400);
    const hidden = await inject('POST', '/api/social/reports', viewer, { itemKind: 'video', itemId: video, reason: 'spam', text: 'a\u202Eb' });
    expect(hidden.statusCode).toBe(400);
    expect(hidden.json().errors.text).toBeDefined();
    expect((await inject('POST', '/api/social/reports', viewer, { itemKind: 'video', itemId: '00000000-0000-7000-8000-000000000000', reason: 'spam' })).statusCode).toBe(404);
    expect((await inject('POST', '/api/social/reports', viewer, { itemKind: 'video', itemId: 'not-a-uuid', reason: 'spam' })).statusCode).toBe(404);
    expect((await inject('POST', '/api/social/reports', viewer, { itemKind: 'profile', itemId: 'nobody_here', reason: 'spam' })).statusCode).toBe(404);
    expect(await reportCount()).toBe(before);
  });

  it('shows operators the queue grouped by item, authority orders by deadline first', async () => {
    expect((await inject('GET', '/api/social/moderation/queue', viewer)).statusCode).toBe(403);
    expect((await inject('GET', '/api/social/moderation/queue')).statusCode).toBe(401);
    await inject('POST', '/api/social/reports', other, { itemKind: 'video', itemId: video, reason: 'spam' });
    await inject('POST', '/api/social/reports', other, { itemKind: 'profile', itemId: creator.handle, reason: 'harassment' });
    expect((await inject('POST', '/api/social/moderation/orders', viewer, { itemKind: 'video', itemId: quiet, reason: 'privacy', authority: 'Kominfo', reference: 'X/1', urgent: true })).statusCode).toBe(403);
    const order = await inject('POST', '/api/social/moderation/orders', opOne, { itemKind: 'video', itemId: quiet, reason: 'privacy', authority: 'Kementerian Komdigi', reference: 'B-123/2026', urgent: true });
    expect(order.statusCode).toBe(201);
    const deadline = Date.parse(order.json().deadlineAt) - Date.parse(order.json().createdAt);
    expect(deadline).toBe(4 * 3_600_000);
    const queue = (await inject('GET', '/api/social/moderation/queue', opOne)).json().items as { item: { kind: string; id: string }; reports: number; urgent: boolean; reasons: string[]; actions: string[] }[];
    expect(queue.map((entry) => `${entry.item.kind}:${entry.item.id}`)).toEqual([`video:${quiet}`, `video:${video}`, `profile:${creator.handle}`]);
    expect(queue[0]).toMatchObject({ urgent: true, reports: 1 });
    expect(queue[1]).toMatchObject({ reports: 2, actions: ['remove', 'restrict', 'age_gate', 'warn'] });
    expect(queue[1]!.reasons.sort()).toEqual(['scam', 'spam']);
  });

  it('needs a reason for every action, and a decision the affected person can read and appeal', async () => {
    const decide = (user: TestUser, body: Record<string, unknown>) => inject('POST', '/api/social/moderation/decisions', user, body);
    const body = { itemKind: 'video', itemId: video, action: 'remove', reason: 'scam', rule: 'Pedoman Komunitas 4.2: penipuan; UU ITE pasal 28 ayat 1', explanation: 'Video menjual obat dengan klaim palsu.' };
    const { explanation: _omitted, ...withoutReason } = body;
    expect((await decide(opOne, withoutReason)).statusCode).toBe(400);
    expect((await decide(opOne, { ...body, explanation: '   ' })).statusCode).toBe(400);
    expect((await decide(opOne, { ...body, action: 'suspend_shop' })).statusCode).toBe(400);
    expect((await decide(viewer, body)).statusCode).toBe(403);
    expect((await sql<{ n: number }>`select count(*)::int as n from social_decisions`.execute(db())).rows[0]!.n).toBe(0);
    expect((await inject('GET', `/api/social/videos/${video}`, viewer)).statusCode).toBe(200);

    const decided = await decide(opOne, body);
    expect(decided.statusCode).toBe(201);
    expect(decided.json()).toMatchObject({ action: 'remove', reason: 'scam', rule: body.rule, explanation: body.explanation, automated: false, endsAt: null, status: 'in_force', appeal: { open: true } });
    expect(decided.json().appeal.howTo).toMatch(/appeal/);
    expect((await inject('GET', `/api/social/videos/${video}`, viewer)).statusCode).toBe(404);
    expect((await inject('GET', `/api/social/videos/${video}`)).statusCode).toBe(404);
    expect((await inject('POST', `/api/social/videos/${video}/like`, viewer)).statusCode).toBe(404);
    expect((await inject('GET', `/api/social/users/${creator.handle}/videos`, viewer)).json().items.map((v: { id: string }) => v.id)).not.toContain(video);
    expect((await inject('GET', `/api/social/videos/${video}`, creator)).statusCode).toBe(200);
    const statements = (await inject('GET', '/api/social/moderation/decisions/mine', creator)).json().items;
    expect(statements).toEqual([expect.objectContaining({ id: decided.json().id, action: 'remove', explanation: body.explanation })]);
    expect((await inject('GET', '/api/social/moderation/decisions/mine', viewer)).json().items).toEqual([]);
    expect((await inject('GET', '/api/social/reports/mine', viewer)).json().items[0]).toMatchObject({ status: 'actioned' });
    const queue = (await inject('GET', '/api/social/moderation/queue', opOne)).json().items as { item: { id: string } }[];
    expect(queue.map((entry) => entry.item.id)).not.toContain(video);
    const audit = (await inject('GET', '/api/social/moderation/audit', opTwo)).json().items;
    expect(audit[0]).toMatchObject({ action: 'decide:remove', item: { kind: 'video', id: video }, decisionId: decided.json().id, reason: body.explanation });
    await expect(sql`update social_moderation_audit set reason = 'changed'`.execute(db())).rejects.toThrow(/append-only/);
    await expect(sql`delete from social_moderation_audit`.execute(db())).rejects.toThrow(/append-only/);
  });

  it('takes one appeal, from the affected person, decided by a different operator; a reversal restores the video', async () => {
    const [statement] = (await inject('GET', '/api/social/moderation/decisions/mine', creator)).json().items as { id: string }[];
    expect((await inject('POST', `/api/social/moderation/decisions/${statement!.id}/appeal`, viewer, { text: 'Bukan saya' })).statusCode).toBe(404);
    expect((await inject('POST', `/api/social/moderation/decisions/${statement!.id}/appeal`, creator, { text: '  ' })).statusCode).toBe(400);
    const appealed = await inject('POST', `/api/social/moderation/decisions/${statement!.id}/appeal`, creator, { text: 'Obat ini terdaftar di BPOM.' });
    expect(appealed.statusCode).toBe(201);
    expect(appealed.json().appeal).toMatchObject({ open: false, appeal: { status: 'pending', text: 'Obat ini terdaftar di BPOM.' } });
    const twice = await inject('POST', `/api/social/moderation/decisions/${statement!.id}/appeal`, creator, { text: 'Sekali lagi' });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().detail).toMatch(/appealed once/);

    const pending = (await inject('GET', '/api/social/moderation/appeals', opOne)).json().items as { id: string; decidedByYou: boolean }[];
    expect(pending).toEqual([expect.objectContaining({ decidedByYou: true })]);
    const appealId = pending[0]!.id;
    const same = await inject('POST', `/api/social/moderation/appeals/${appealId}/decision`, opOne, { outcome: 'reversed', explanation: 'Saya keliru.' });
    expect(same.statusCode).toBe(403);
    expect((await inject('POST', `/api/social/moderation/appeals/${appealId}/decision`, opTwo, { outcome: 'reversed' })).statusCode).toBe(400);
    expect((await inject('GET', `/api/social/videos/${video}`, viewer)).statusCode).toBe(404);
    const reversed = await inject('POST', `/api/social/moderation/appeals/${appealId}/decision`, opTwo, { outcome: 'reversed', explanation: 'Izin edar BPOM terbukti.' });
    expect(reversed.statusCode).toBe(200);
    expect(reversed.json()).toMatchObject({ status: 'reversed', appeal: { appeal: { status: 'reversed', outcome: 'Izin edar BPOM terbukti.' } } });
    expect((await inject('GET', `/api/social/videos/${video}`, viewer)).statusCode).toBe(200);
    expect((await inject('POST', `/api/social/moderation/appeals/${appealId}/decision`, opTwo, { outcome: 'upheld', explanation: 'lagi' })).statusCode).toBe(409);
  });

  it('refuses an appeal after its window', async () => {
    const decided = await inject('POST', '/api/social/moderation/decisions', opOne, {
      itemKind: 'profile',
      itemId: creator.handle,
      action: 'warn',
      reason: 'harassment',
      rule: 'Pedoman Komunitas 2.1',
      explanation: 'Komentar merendahkan.',
    });
    expect(decided.statusCode).toBe(201);
    await sql`update social_decisions set appeal_until = now() - interval '1 minute' where id = ${decided.json().id}`.execute(db());
    const late = await inject('POST', `/api/social/moderation/decisions/${decided.json().id}/appeal`, creator, { text: 'Terlambat' });
    expect(late.statusCode).toBe(422);
    expect(late.json().detail).toMatch(/appeal window/);
    expect((await sql<{ n: number }>`select count(*)::int as n from social_appeals where decision_id = ${decided.json().id}`.execute(db())).rows[0]!.n).toBe(0);
  });

  it('keeps a restricted video off For You and a suspended account from posting; shows counts only in public', async () => {
    await sekat.domains.social.counters.settle();
    const forYou = async () => ((await inject('GET', '/api/social/feed/for-you?personalized=false')).json().items as { id: string }[]).map((v) => v.id);
    expect(await forYou()).toContain(quiet);
    const restricted = await inject('POST', '/api/social/moderation/decisions', opTwo, { itemKind: 'video', itemId: quiet, action: 'restrict', reason: 'privacy', rule: 'Permenkominfo 5/2020 pasal 14', explanation: 'Perintah Komdigi B-123/2026.' });
    expect(restricted.statusCode).toBe(201);
    expect(await forYou()).not.toContain(quiet);
    expect((await inject('GET', `/api/social/videos/${quiet}`, viewer)).statusCode).toBe(200);

    const suspended = await inject('POST', '/api/social/moderation/decisions', opTwo, { itemKind: 'profile', itemId: other.handle, action: 'suspend_account', reason: 'spam', rule: 'Pedoman Komunitas 1.3', explanation: 'Spam berulang.', durationDays: 7 });
    expect(suspended.statusCode).toBe(201);
    expect(Date.parse(suspended.json().endsAt) - Date.parse(suspended.json().decidedAt)).toBe(7 * 86_400_000);
    const comment = await inject('POST', `/api/social/videos/${video}/comments`, other, { text: 'beli di sini' });
    expect(comment.statusCode).toBe(403);
    expect(comment.json().detail).toMatch(/suspended/);

    const months = (await inject('GET', '/api/social/moderation/transparency')).json().months as { reportsByReason: Record<string, number>; actionsByType: Record<string, number>; appeals: number; reversals: number }[];
    expect(months).toHaveLength(1);
    expect(months[0]).toEqual({ month: expect.stringMatching(/^\d{4}-\d{2}$/), reportsByReason: { scam: 1, spam: 1, harassment: 1, privacy: 1 }, actionsByType: { remove: 1, warn: 1, restrict: 1, suspend_account: 1 }, appeals: 1, reversals: 1 });
    const text = JSON.stringify(months);
    for (const user of [creator, viewer, other]) {
      expect(text).not.toContain(user.handle);
      expect(text).not.toContain(subjectOf(user));
    }
  });

  it('blocks: the blocked one cannot follow, comment, like or see; follows end both ways; the blocker sees none of theirs', async () => {
    const [ana, budi] = [await registerUser(sekat.app), await registerUser(sekat.app)];
    const anaVideo = await seedReadyVideo(sekat.domains.social, { subject: subjectOf(ana), handle: ana.handle }, 'Ana menari #tari');
    const budiVideo = await seedReadyVideo(sekat.domains.social, { subject: subjectOf(budi), handle: budi.handle }, 'Budi memasak #tari');
    await inject('GET', '/api/social/me', budi);
    expect((await inject('POST', `/api/social/videos/${anaVideo}/comments`, budi, { text: 'Keren!' })).statusCode).toBe(201);
    expect((await inject('POST', `/api/social/users/${ana.handle}/follow`, budi)).statusCode).toBe(200);
    expect((await inject('POST', `/api/social/users/${budi.handle}/follow`, ana)).statusCode).toBe(200);

    const self = await inject('POST', `/api/social/users/${ana.handle}/block`, ana);
    expect(self.statusCode).toBe(422);
    expect(self.json().detail).toMatch(/cannot block yourself/);
    const blocked = await inject('POST', `/api/social/users/${budi.handle}/block`, ana);
    expect(blocked.statusCode).toBe(200);
    expect(blocked.json()).toMatchObject({ blockedByMe: true, followedByMe: false });
    const follows = await sql<{ n: number }>`select count(*)::int as n from follows where (follower = ${subjectOf(ana)} and followee = ${subjectOf(budi)}) or (follower = ${subjectOf(budi)} and followee = ${subjectOf(ana)})`.execute(db());
    expect(follows.rows[0]!.n).toBe(0);
    expect((await inject('GET', `/api/social/users/${ana.handle}`, ana)).json().counts).toMatchObject({ followers: 0, following: 0 });

    // Budi, blocked: Ana and her videos are not there for him.
    for (const [method, url, payload] of [
      ['GET', `/api/social/users/${ana.handle}`],
      ['GET', `/api/social/users/${ana.handle}/videos`],
      ['GET', `/api/social/videos/${anaVideo}`],
      ['POST', `/api/social/users/${ana.handle}/follow`],
      ['POST', `/api/social/videos/${anaVideo}/like`],
      ['POST', `/api/social/videos/${anaVideo}/comments`, { text: 'Halo?' }],
      ['GET', `/api/social/videos/${anaVideo}/comments`],
    ] as const) {
      expect((await inject(method, url, budi, payload)).statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await sql<{ n: number }>`select count(*)::int as n from likes where subject = ${subjectOf(budi)}`.execute(db())).rows[0]!.n).toBe(0);
    expect((await inject('GET', `/api/social/videos/${anaVideo}`)).statusCode).toBe(200);

    // Ana, the blocker: none of Budi's in her feeds, comments or search.
    await sekat.domains.social.counters.settle();
    const ids = (body: { items: { id: string }[] }) => body.items.map((v) => v.id);
    expect(ids((await inject('GET', '/api/social/feed/for-you', ana)).json())).not.toContain(budiVideo);
    expect(ids((await inject('GET', '/api/social/feed/for-you', viewer)).json())).toContain(budiVideo);
    expect(ids((await inject('GET', '/api/social/search?q=tari', ana)).json())).toEqual([anaVideo]);
    expect(ids((await inject('GET', '/api/social/hashtags/tari', ana)).json())).toEqual([anaVideo]);
    expect((await inject('GET', `/api/social/videos/${anaVideo}/comments`, ana)).json().items).toEqual([]);
    expect((await inject('GET', `/api/social/videos/${anaVideo}/comments`, viewer)).json().items).toHaveLength(1);
    expect((await inject('POST', `/api/social/users/${budi.handle}/follow`, ana)).statusCode).toBe(409);
    expect((await inject('GET', '/api/social/me/blocks', ana)).json()).toMatchObject({ blocked: [{ handle: budi.handle }], muted: [] });

    expect((await inject('DELETE', `/api/social/users/${budi.handle}/block`, ana)).json()).toMatchObject({ blockedByMe: false });
    expect((await inject('GET', `/api/social/videos/${anaVideo}`, budi)).statusCode).toBe(200);
    expect((await inject('POST', `/api/social/users/${ana.handle}/follow`, budi)).statusCode).toBe(200);
  });

  it('mutes without blocking: the muted one still sees and follows; the muter stops seeing them', async () => {
    const [citra, dewi] = [await registerUser(sekat.app), await registerUser(sekat.app)];
    const dewiVideo = await seedReadyVideo(sekat.domains.social, { subject: subjectOf(dewi), handle: dewi.handle }, 'Dewi di pantai #laut');
    const citraVideo = await seedReadyVideo(sekat.domains.social, { subject: subjectOf(citra), handle: citra.handle }, 'Citra di gunung');
    await inject('GET', '/api/social/me', citra);
    await inject('POST', `/api/social/users/${dewi.handle}/follow`, citra);
    expect((await inject('POST', `/api/social/users/${citra.handle}/mute`, citra)).statusCode).toBe(422);
    expect((await inject('POST', `/api/social/users/${dewi.handle}/mute`, citra)).json()).toMatchObject({ mutedByMe: true, followedByMe: true });
    await sekat.domains.social.counters.settle();
    const ids = (body: { items: { id: string }[] }) => body.items.map((v) => v.id);
    expect(ids((await inject('GET', '/api/social/feed/following', citra)).json())).not.toContain(dewiVideo);
    expect(ids((await inject('GET', '/api/social/search?q=pantai', citra)).json())).toEqual([]);
    expect((await inject('GET', `/api/social/videos/${dewiVideo}`, citra)).statusCode).toBe(200);
    expect((await inject('GET', `/api/social/videos/${citraVideo}`, dewi)).statusCode).toBe(200);
    expect((await inject('POST', `/api/social/videos/${citraVideo}/comments`, dewi, { text: 'Indah' })).statusCode).toBe(201);
    expect((await inject('GET', `/api/social/videos/${citraVideo}/comments`, citra)).json().items).toEqual([]);
    await inject('DELETE', `/api/social/users/${dewi.handle}/mute`, citra);
    expect(ids((await inject('GET', '/api/social/feed/following', citra)).json())).toContain(dewiVideo);
  });
});
