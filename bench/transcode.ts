/**
 * npm run bench:transcode — real-time factor of transcoding a clip to the full HLS ladder
 * (one ffmpeg run, the default TRANSCODE_PRESET unless it is set). The clip is made by ffmpeg first and not counted.
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildSekat } from '../src/server/app.js';
import { disposeTestConfig, testConfig } from '../src/platform/testing.js';
import { probeVideo } from '../src/domains/social/media/probe.js';
import { drainTranscodes, makeClip, serviceOf } from '../src/domains/social/testkit.js';

export type ClipSpec = readonly [label: string, width: number, height: number, seconds: number];

export async function benchTranscode(clips: readonly ClipSpec[]): Promise<void> {
  const config = testConfig({ LOG_LEVEL: 'silent', DATABASE_URL: '', ...(process.env.TRANSCODE_PRESET ? { TRANSCODE_PRESET: process.env.TRANSCODE_PRESET } : {}) });
  const sekat = await buildSekat(config, { background: false });
  try {
    const social = sekat.domains.social;
    await serviceOf(social).ensureProfile('bench-transcoder', { handle: 'transcoder', displayName: 'Transcoder' });
    for (const [label, width, height, seconds] of clips) {
      const clip = await makeClip({ width, height, seconds, rate: 30 });
      await serviceOf(social).createVideo('bench-transcoder', '', clip, await probeVideo(clip));
      const started = performance.now();
      await drainTranscodes(social, { preset: config.transcodePreset });
      const ms = performance.now() - started;
      console.log(`  ${label} to the full ladder (x264 ${config.transcodePreset}): ${(ms / 1000).toFixed(2)} s (${((seconds * 1000) / ms).toFixed(2)}x real time)`);
    }
  } finally {
    await sekat.close();
    await disposeTestConfig(config);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log('Sekat transcode benchmark:');
  await benchTranscode([['30 s 1080p portrait', 1080, 1920, 30]]);
}
