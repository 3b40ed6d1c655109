/**
 * Trust and safety in Chromium: a viewer reports a video and follows the report under "Laporan
 * saya"; an operator removes the video with a statement of reasons (refused first without a
 * reason); the creator reads the statement (in English) and appeals; the operator who decided
 * cannot decide the appeal, a second operator reverses it and the video is back; the public
 * transparency page shows the month's counts only.
 */
import { describe, expect, it } from 'vitest';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import { desktopPage, phonePage, screenshot, useBrowserSekat } from './browser.js';
import { seedReadyVideo, serviceOf } from '../../src/domains/social/testkit.js';
import { signInWithTotpIn } from '../support/second-factor.js';

const sekat = useBrowserSekat({ env: { OPERATOR_EMAILS: 'opsatu@contoh.id,opdua@contoh.id' } });

describe('reports, moderation and appeals in Chromium', () => {
  it('a reported video is removed with reasons, appealed by its creator and restored by a second operator', async () => {
    const { page: viewer, errors: viewerErrors } = await phonePage(sekat.browser);
    const { page: creator, errors: creatorErrors } = await phonePage(sekat.browser, 'en-GB');
    const { page: opOne, errors: opOneErrors } = await desktopPage(sekat.browser);
    const { page: opTwo, errors: opTwoErrors } = await phonePage(sekat.browser);
    for (const page of [viewer, creator, opOne, opTwo]) page.setDefaultTimeout(15_000);
    await creator.addInitScript(() => localStorage.setItem('sekat.lang', 'en'));
    expect((await sekat.register(viewer.request, 'penonton_lapor')).status()).toBe(201);
    expect((await sekat.register(creator.request, 'kreator_obat')).status()).toBe(201);
    expect((await sekat.register(opOne.request, 'opsatu')).status()).toBe(201);
    expect((await sekat.register(opTwo.request, 'opdua')).status()).toBe(201);
    // Operators act only in a session signed in with their second factor.
    await signInWithTotpIn(opOne.request, sekat.base, 'opsatu@contoh.id', 'nasi-uduk-betawi-enak');
    await signInWithTotpIn(opTwo.request, sekat.base, 'opdua@contoh.id', 'nasi-uduk-betawi-enak');
    const creatorAccount = ((await (await creator.request.get(`${sekat.base}/api/me`)).json()) as { id: string }).id;
    const social = sekat.app.sekat.domains;
    const caption = 'Obat pelangsing ajaib 3 hari #promo';
    const video = await seedReadyVideo(social.social, { subject: social.identity.subjectFor('social', creatorAccount), handle: 'kreator_obat' }, caption);

    // The viewer reports the video from its page, then sees the report under "Laporan saya".
    await viewer.goto(`${sekat.base}/video/${video}`);
    await viewer.getByRole('button', { name: id.report.button }).click();
    const sheet = viewer.getByRole('dialog', { name: id.report.title.video });
    await sheet.getByLabel(id.report.reason.scam).check();
    await sheet.getByLabel(id.report.details).fill('Mengaku bisa turun 10 kg dalam 3 hari.');
    await screenshot(viewer, 'moderation-1-report-sheet');
    await sheet.getByRole('button', { name: id.report.send }).click();
    await sheet.getByText(id.report.sent).waitFor();
    await viewer.goto(`${sekat.base}/saya/laporan`);
    const myReport = viewer.getByRole('listitem').filter({ hasText: caption });
    await myReport.getByText(id.report.status.open).waitFor();
    await screenshot(viewer, 'moderation-2-my-reports');

    // The first operator finds it in the queue; no decision without a reason.
    await opOne.goto(`${sekat.base}/operator/moderasi`);
    const entry = opOne.getByRole('listitem').filter({ hasText: caption });
    await entry.getByText(id.report.reason.scam).waitFor();
    await entry.getByRole('button', { name: id.operator.review }).click();
    await entry.getByLabel(id.operator.action).selectOption('remove');
    await entry.getByLabel(id.operator.reason).selectOption('scam');
    await entry.getByLabel(id.operator.rule).fill('Pedoman Komunitas 4.2 (penipuan); UU ITE pasal 28 ayat 1');
    await entry.getByRole('button', { name: id.operator.decide }).click();
    await entry.getByRole('alert').waitFor();
    expect(await serviceOf(social.social).db.selectFrom('social_decisions' as never).selectAll().execute()).toEqual([]);
    await entry.getByLabel(id.operator.explanation).fill('Klaim kesehatan palsu untuk menjual obat tanpa izin edar.');
    await screenshot(opOne, 'moderation-3-operator-decides');
    await entry.getByRole('button', { name: id.operator.decide }).click();
    await opOne.getByText(id.operator.empty).waitFor();

    // The video is gone for the viewer; their report says it was acted on.
    await viewer.goto(`${sekat.base}/video/${video}`);
    await viewer.getByText(id.errors.notFound).waitFor();
    await viewer.goto(`${sekat.base}/saya/laporan`);
    await viewer.getByRole('listitem').filter({ hasText: caption }).getByText(id.report.status.actioned).waitFor();

    // The creator reads the statement of reasons in English and appeals it.
    await creator.goto(`${sekat.base}/saya/moderasi`);
    const statement = creator.getByRole('listitem', { name: en.moderation.action.remove });
    await statement.getByText('Klaim kesehatan palsu untuk menjual obat tanpa izin edar.', { exact: false }).waitFor();
    await statement.getByText('Pedoman Komunitas 4.2 (penipuan); UU ITE pasal 28 ayat 1').waitFor();
    await statement.getByText(en.moderation.automatedNo).waitFor();
    await statement.getByText(en.moderation.noEnd).waitFor();
    await screenshot(creator, 'moderation-4-statement-of-reasons');
    await statement.getByLabel(en.moderation.appealLabel).fill('The product is registered with BPOM: number NA18230100123.');
    await statement.getByRole('button', { name: en.moderation.appealSend }).click();
    await statement.getByText(en.moderation.appealStatus.pending).waitFor();

    // The operator who decided may not decide the appeal; a second operator reverses it.
    await opOne.goto(`${sekat.base}/operator/moderasi`);
    await opOne.getByText(id.operator.notYours).waitFor();
    await opTwo.goto(`${sekat.base}/operator/moderasi`);
    const appeal = opTwo.getByRole('listitem').filter({ hasText: 'NA18230100123' });
    await appeal.getByLabel(id.operator.appealExplanation).fill('Nomor izin edar BPOM terbukti sah.');
    await screenshot(opTwo, 'moderation-5-second-operator');
    await appeal.getByRole('button', { name: id.operator.reverse }).click();
    await opTwo.getByText(id.operator.noAppeals).waitFor();

    await creator.reload();
    await creator.getByText(en.moderation.appealStatus.reversed).waitFor();
    await creator.getByText('Nomor izin edar BPOM terbukti sah.', { exact: false }).waitFor();
    await screenshot(creator, 'moderation-6-reversed');
    await viewer.goto(`${sekat.base}/video/${video}`);
    await viewer.getByRole('button', { name: id.report.button }).waitFor();

    // The public page: counts per month from both sides, nothing about anyone.
    const { page: visitor, errors: visitorErrors } = await desktopPage(sekat.browser);
    await visitor.goto(`${sekat.base}/transparansi`);
    await visitor.getByRole('heading', { name: id.transparency.title }).waitFor();
    await visitor.getByText(id.transparency.reports_one.replace('{{count}}', '1')).waitFor();
    await visitor.getByText(`${id.transparency.appeals_one.replace('{{count}}', '1')} · ${id.transparency.reversals_one.replace('{{count}}', '1')}`).waitFor();
    const text = await visitor.locator('main').innerText();
    for (const name of ['kreator_obat', 'penonton_lapor', 'opsatu', caption]) expect(text).not.toContain(name);
    await screenshot(visitor, 'moderation-7-transparency');

    expect([...viewerErrors, ...creatorErrors, ...opOneErrors, ...opTwoErrors, ...visitorErrors]).toEqual([]);
  }, 300_000);
});
