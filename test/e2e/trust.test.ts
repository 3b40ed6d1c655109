/**
 * Trust and safety around lives in Chromium: a viewer reports a live room ("Laporkan"); an operator
 * ends it with a statement of reasons, which the host then reads; a viewer the host blocked does
 * not see the host's live in the LIVE strip nor reach its page; and an age-gated video opens only
 * after a signed-in viewer confirms being 18 or older. Phones (390×844) speak Indonesian, the
 * desktops (1280×800) English.
 */
import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import { desktopPage, phonePage, useBrowserSekat } from './browser.js';
import { seedReadyVideo, serviceOf } from '../../src/domains/social/testkit.js';
import type { LiveDb } from '../../src/domains/social/live/store.js';
import { signInWithTotpIn } from '../support/second-factor.js';

const sekat = useBrowserSekat({ env: { OPERATOR_EMAILS: 'optrust@contoh.id' } });

const SHOTS = '/tmp/shots';
async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/trust-${name}.png`, fullPage: true });
}

describe('trust and safety around lives in Chromium', () => {
  it('a reported live is ended by an operator with reasons the host reads; a blocked viewer never sees it; an age gate asks for 18+', async () => {
    const { page: host, errors: hostErrors } = await phonePage(sekat.browser);
    const { page: viewer, errors: viewerErrors } = await desktopPage(sekat.browser, 'en-GB');
    const { page: blocked, errors: blockedErrors } = await phonePage(sekat.browser);
    const { page: operator, errors: operatorErrors } = await desktopPage(sekat.browser);
    for (const page of [host, viewer, blocked, operator]) page.setDefaultTimeout(15_000);
    await viewer.addInitScript(() => localStorage.setItem('sekat.lang', 'en'));
    for (const [page, handle] of [[host, 'tuan_live'], [viewer, 'penonton_live'], [blocked, 'diblokir_live'], [operator, 'optrust']] as const) {
      expect((await sekat.register(page.request, handle)).status()).toBe(201);
      expect((await page.request.get(`${sekat.base}/api/social/me`)).status()).toBe(200);
    }
    // Operators act only in a session signed in with their second factor.
    await signInWithTotpIn(operator.request, sekat.base, 'optrust@contoh.id', 'nasi-uduk-betawi-enak');
    const made = await host.request.post(`${sekat.base}/api/social/lives`, { data: { title: 'Obral batik malam ini' } });
    expect(made.status()).toBe(201);
    const liveId = ((await made.json()) as { live: { id: string } }).live.id;
    // On air as a publish leaves it (the RTMP path is test/e2e/live.test.ts's).
    const social = sekat.app.sekat.domains.social;
    await (serviceOf(social).db as unknown as LiveDb).updateTable('lives').set({ status: 'live', on_air: true, started_at: new Date() }).where('id', '=', liveId).execute();
    expect((await host.request.post(`${sekat.base}/api/social/users/diblokir_live/block`)).status()).toBe(200);

    // The blocked viewer: no live in the strip (others' lives still are), and its page is not there.
    const other = await viewer.request.post(`${sekat.base}/api/social/lives`, { data: { title: 'Live orang lain' } });
    const otherId = ((await other.json()) as { live: { id: string } }).live.id;
    await (serviceOf(social).db as unknown as LiveDb).updateTable('lives').set({ status: 'live', on_air: true, started_at: new Date() }).where('id', '=', otherId).execute();
    await blocked.goto(`${sekat.base}/`);
    const strip = blocked.getByTestId('live-strip');
    await strip.getByText('Live orang lain').waitFor();
    expect(await strip.getByText('Obral batik malam ini').count()).toBe(0);
    await shot(blocked, 'blocked-strip-id-390');
    await blocked.goto(`${sekat.base}/live/${liveId}`);
    await blocked.getByText(id.live.notFound).waitFor();

    // The viewer finds it in the strip and reports it.
    await viewer.goto(`${sekat.base}/`);
    await viewer.getByTestId('live-strip').getByText('Obral batik malam ini').click();
    await viewer.getByRole('heading', { name: 'Obral batik malam ini' }).waitFor();
    await viewer.getByRole('button', { name: en.report.button }).click();
    const sheet = viewer.getByRole('dialog', { name: en.trust.reportTitle.live });
    await sheet.getByLabel(en.report.reason.violence).check();
    await sheet.getByLabel(en.report.details).fill('Two people are fighting on stream.');
    await shot(viewer, 'report-live-en-1280');
    await sheet.getByRole('button', { name: en.report.send }).click();
    await sheet.getByText(en.report.sent).waitFor();
    await viewer.keyboard.press('Escape');

    // The operator ends it from the queue: first refused without a reason, then with one.
    await operator.goto(`${sekat.base}/operator/moderasi`);
    const entry = operator.getByRole('listitem').filter({ hasText: 'Obral batik malam ini' });
    await entry.getByText(id.report.reason.violence).waitFor();
    await entry.getByRole('button', { name: id.operator.review }).click();
    await entry.getByLabel(id.operator.action).selectOption('end_live');
    await entry.getByLabel(id.operator.reason).selectOption('violence');
    await entry.getByLabel(id.operator.rule).fill('Pedoman Komunitas 3.2 (kekerasan nyata)');
    await entry.getByRole('button', { name: id.operator.decide }).click();
    await entry.getByRole('alert').waitFor();
    expect((await (serviceOf(social).db as unknown as LiveDb).selectFrom('lives').select('status').where('id', '=', liveId).executeTakeFirstOrThrow()).status).toBe('live');
    await entry.getByLabel(id.operator.explanation).fill('Siaran menampilkan perkelahian sungguhan.');
    await shot(operator, 'operator-ends-live-id-1280');
    await entry.getByRole('button', { name: id.operator.decide }).click();
    await operator.getByText(id.operator.empty).waitFor();

    // The viewer's room hears it ended.
    await viewer.getByText(en.live.endedNote).waitFor();

    // The host reads the statement of reasons.
    await host.goto(`${sekat.base}/live/${liveId}`);
    await host.getByRole('link', { name: id.trust.hostDecisions }).click();
    const statement = host.getByRole('listitem', { name: id.trust.action.end_live });
    await statement.getByText('Siaran menampilkan perkelahian sungguhan.', { exact: false }).waitFor();
    await statement.getByText('Pedoman Komunitas 3.2 (kekerasan nyata)').waitFor();
    await statement.getByText(`${id.trust.kind.live}: Obral batik malam ini`, { exact: false }).waitFor();
    await shot(host, 'host-statement-id-390');

    // An age-gated video: the viewer confirms being 18 or older, then it plays.
    const hostAccount = ((await (await host.request.get(`${sekat.base}/api/me`)).json()) as { id: string }).id;
    const video = await seedReadyVideo(social, { subject: sekat.app.sekat.domains.identity.subjectFor('social', hostAccount), handle: 'tuan_live' }, 'Tutorial tato #seni');
    const gated = await operator.request.post(`${sekat.base}/api/social/moderation/decisions`, {
      data: { itemKind: 'video', itemId: video, action: 'age_gate', reason: 'sexual_content', rule: 'Pedoman Komunitas 5.1', explanation: 'Konten dewasa: hanya 18+.' },
    });
    expect(gated.status()).toBe(201);
    const { page: visitor, errors: visitorErrors } = await phonePage(sekat.browser);
    await visitor.goto(`${sekat.base}/video/${video}`);
    await visitor.getByTestId('age-gate').getByRole('link', { name: id.trust.age.signIn }).waitFor();
    await shot(visitor, 'age-gate-anonymous-id-390');
    await viewer.goto(`${sekat.base}/video/${video}`);
    const gate = viewer.getByTestId('age-gate');
    await gate.getByText(en.trust.age.videoIntro).waitFor();
    await shot(viewer, 'age-gate-en-1280');
    await gate.getByRole('button', { name: en.trust.age.confirm }).click();
    await viewer.getByRole('button', { name: en.report.button }).waitFor();
    expect(await viewer.getByTestId('age-gate').count()).toBe(0);
    await shot(viewer, 'age-gate-confirmed-en-1280');

    expect([...hostErrors, ...viewerErrors, ...blockedErrors, ...operatorErrors, ...visitorErrors]).toEqual([]);
  }, 300_000);
});
