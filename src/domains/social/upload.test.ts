import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, testConfig, STORE_LABEL } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import { makeClip, registerUser, uploadFile, waitForStatus } from './testkit.js';

describe(`social upload smoke (${STORE_LABEL})`, () => {
  let config: Config;
  let sekat: Sekat;
  beforeAll(async () => {
    config = testConfig();
    sekat = await buildSekat(config);
  });
  afterAll(async () => {
    await sekat?.close();
    await disposeTestConfig(config);
  });

  it('uploads a portrait clip and serves its HLS', async () => {
    const user = await registerUser(sekat.app);
    const clip = await makeClip({ width: 360, height: 640 });
    const res = await uploadFile(sekat.app, user, clip, 'Halo #Jakarta');
    expect(res.statusCode, res.body).toBe(202);
    const { id } = res.json() as { id: string };
    const video = await waitForStatus(sekat.app, user, id);
    expect(video.status, JSON.stringify(video)).toBe('ready');
    const master = await sekat.app.inject({ method: 'GET', url: `/media/videos/${id}/master.m3u8` });
    expect(master.statusCode).toBe(200);
    expect(master.headers['content-type']).toContain('application/vnd.apple.mpegurl');
    console.log(master.body, JSON.stringify(video));
  });
});
