import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { sql } from 'kysely';
import { buildSekat, type Sekat } from '../../../server/app.js';
import { disposeTestConfig, testConfig, STORE_LABEL } from '../../../platform/testing.js';
import type { Config } from '../../../platform/config.js';
import { JobRunner } from '../../../platform/jobs.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ffprobeJson, indirectionUploads, makeClip, makeOutsideTs, registerUser, uploadFile, type TestUser, serviceOf } from '../testkit.js';
import { ladderFor, transcodeJob, TRANSCODE_JOB } from './transcode.job.js';
import { MediaPaths } from './paths.js';

describe('ladderFor', () => {
  it('keeps the aspect and never goes above the source', () => {
    expect(ladderFor(1280, 720).map((r) => [r.width, r.height])).toEqual([[1280, 720], [854, 480], [640, 360]]);
    expect(ladderFor(720, 1280).map((r) => [r.width, r.height])).toEqual([[720, 1280], [480, 854], [360, 640]]);
    expect(ladderFor(1080, 1920).map((r) => r.size)).toEqual([720, 480, 360]);
    expect(ladderFor(320, 240).map((r) => [r.width, r.height])).toEqual([[320, 240]]);
    expect(ladderFor(540, 960).map((r) => [r.width, r.height])).toEqual([[480, 854], [360, 640]]);
  });
});

describe(`transcode pipeline (${STORE_LABEL})`, () => {
  let config: Config;
  let sekat: Sekat;
  let user: TestUser;
  let media: MediaPaths;
  const log = pino({ level: 'silent' });
  const runner = (options: { budgetMs?: (durationMs: number) => number } = {}) => {
    const jobs = new JobRunner(sekat.stores.social.db, log, { leaseMs: 400, pollMs: 50, backoffBaseMs: 50 });
    jobs.register(TRANSCODE_JOB, transcodeJob({ db: serviceOf(sekat.domains.social).db, media, log, ...options }));
    return jobs;
  };
  /** Runs queued transcode jobs to the end in this process. */
  const drain = async (jobs = runner()) => {
    for (let job = await jobs.claim(); job; job = await jobs.claim()) await jobs.run(job);
  };
  const jobOf = (id: string) =>
    sekat.stores.social.db.selectFrom('jobs').select(['status', 'attempts']).where('payload', '@>', JSON.stringify({ videoId: id }) as never).executeTakeFirstOrThrow();
  /** Frames decoded from a video's top rendition. */
  const framesOf = async (id: string) => {
    const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'json', path.join(media.videoDir(id), 'v0', 'index.m3u8')]);
    return Number((JSON.parse(stdout) as { streams: { nb_read_frames: string }[] }).streams[0]!.nb_read_frames);
  };
  const upload = async (file: string, caption = '') => {
    const response = await uploadFile(sekat.app, user, file, caption);
    expect(response.statusCode, response.body).toBe(202);
    return (response.json() as { id: string }).id;
  };
  const video = async (id: string) => (await sekat.app.inject({ method: 'GET', url: `/api/social/videos/${id}`, headers: user.auth })).json();
  const variants = async (id: string) => {
    const master = readFileSync(path.join(media.videoDir(id), 'master.m3u8'), 'utf8');
    const lists = master.split('\n').filter((line) => line.endsWith('.m3u8'));
    return Promise.all(
      lists.map(async (list) => {
        const info = await ffprobeJson(path.join(media.videoDir(id), list));
        const v = info.streams.find((s) => s.codec_type === 'video')!;
        return { width: v.width, height: v.height, codec: v.codec_name, audio: info.streams.find((s) => s.codec_type === 'audio')?.codec_name, duration: Number(info.format.duration) };
      }),
    );
  };

  const waitForJob = async (jobs: JobRunner) => {
    for (let i = 0; i < 100; i++) {
      const job = await jobs.claim();
      if (job) return job;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('no job became due');
  };

  beforeAll(async () => {
    config = testConfig();
    sekat = await buildSekat(config, { background: false });
    media = new MediaPaths(config.dataDir);
    user = await registerUser(sekat.app);
  });
  afterAll(async () => {
    await sekat?.close();
    await disposeTestConfig(config);
  });

  it('makes the full ladder, poster and duration for landscape, portrait, small and silent clips', async () => {
    const clips = {
      landscape: await makeClip({ width: 1280, height: 720, seconds: 2 }),
      portrait: await makeClip({ width: 720, height: 1280, seconds: 2 }),
      small: await makeClip({ width: 320, height: 240, seconds: 2 }),
      silent: await makeClip({ width: 360, height: 640, seconds: 2, audio: false }),
      mp3: await makeClip({ width: 360, height: 640, seconds: 2, audioCodec: 'libmp3lame' }),
    };
    const ids = {
      landscape: await upload(clips.landscape, 'Pemandangan #Bali'),
      portrait: await upload(clips.portrait),
      small: await upload(clips.small),
      silent: await upload(clips.silent),
      mp3: await upload(clips.mp3),
    };
    expect((await video(ids.portrait)).status).toBe('processing');
    await drain();

    for (const id of Object.values(ids)) {
      const v = await video(id);
      expect(v.status, JSON.stringify(v)).toBe('ready');
      expect(Math.abs(v.durationMs - 2000)).toBeLessThanOrEqual(100);
      const poster = path.join(media.videoDir(id), 'poster.jpg');
      expect(readFileSync(poster).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      expect(existsSync(media.sourceOf(id))).toBe(false);
    }
    const landscape = await variants(ids.landscape);
    expect(landscape.map((r) => [r.width, r.height])).toEqual([[1280, 720], [854, 480], [640, 360]]);
    for (const r of landscape) {
      expect(r.codec).toBe('h264');
      expect(r.audio).toBe('aac');
      expect(Math.abs(r.duration - 2)).toBeLessThanOrEqual(0.1);
    }
    expect((await variants(ids.portrait)).map((r) => [r.width, r.height])).toEqual([[720, 1280], [480, 854], [360, 640]]);
    expect((await variants(ids.small)).map((r) => [r.width, r.height])).toEqual([[320, 240]]);
    const silent = await variants(ids.silent);
    expect(silent.map((r) => [r.width, r.height, r.audio])).toEqual([[360, 640, undefined]]);
    // AAC from the phone is carried as is; other audio is encoded to AAC.
    expect((await variants(ids.mp3)).map((r) => [r.width, r.height, r.audio])).toEqual([[360, 640, 'aac']]);

    // The master playlist itself is playable by ffprobe.
    const master = await ffprobeJson(path.join(media.videoDir(ids.portrait), 'master.m3u8'));
    expect(master.format.format_name).toBe('hls');
    expect((await video(ids.portrait)).sources[0]).toMatchObject({ type: 'application/vnd.apple.mpegurl', height: 1280 });
  });

  it('reads a QuickTime MOV and a browser WebM as the containers they are', async () => {
    const ids = [await upload(await makeClip({ width: 180, height: 320, seconds: 1, container: 'mov' })), await upload(await makeClip({ width: 180, height: 320, seconds: 1, container: 'webm' }))];
    await drain();
    for (const id of ids) {
      const v = await video(id);
      expect(v.status, JSON.stringify(v)).toBe('ready');
      expect((await variants(id)).map((r) => [r.width, r.height, r.audio])).toEqual([[180, 320, 'aac']]);
    }
  });

  it('plays a slow-motion clip back at 60 frames a second and keeps a phone clip at its own 30', async () => {
    const slowMotion = await upload(await makeClip({ width: 144, height: 256, seconds: 1, rate: 240 }));
    const phone = await upload(await makeClip({ width: 144, height: 256, seconds: 1, rate: 30 }));
    await drain();
    expect((await video(slowMotion)).status).toBe('ready');
    expect(Math.abs((await framesOf(slowMotion)) - 60)).toBeLessThanOrEqual(2);
    expect(Math.abs((await framesOf(phone)) - 30)).toBeLessThanOrEqual(1);
  });

  it('stops ffmpeg past its time budget and fails the video with that reason, without another attempt', async () => {
    const id = await upload(await makeClip({ width: 720, height: 1280, seconds: 2 }));
    const started = Date.now();
    await drain(runner({ budgetMs: () => 100 }));
    expect(Date.now() - started).toBeLessThan(5_000);
    const v = await video(id);
    expect(v.status).toBe('failed');
    expect(v.failureReason).toMatch(/longer than its budget/);
    expect(await jobOf(id)).toEqual({ status: 'done', attempts: 1 });
    expect(existsSync(media.videoDir(id))).toBe(false);
    expect(existsSync(media.sourceOf(id))).toBe(false);
  });

  it('fails a source that points at another file instead of being a video, and publishes nothing of that file', async () => {
    // The upload routes refuse these; the transcode checks again for itself, as a source queued
    // before that check (or by any other path) reaches it too.
    const outside = await makeOutsideTs();
    const clip = await makeClip({ width: 144, height: 256, seconds: 1, audio: false });
    for (const [name, content] of indirectionUploads(outside, media.sources)) {
      const id = await upload(clip);
      writeFileSync(media.sourceOf(id), content);
      await drain();
      const v = await video(id);
      expect(v.status, name).toBe('failed');
      expect(v.failureReason, name).toMatch(/not an MP4, MOV, WebM or Matroska video|Invalid data/);
      expect(existsSync(media.videoDir(id)), name).toBe(false);
    }
  });

  it('marks a file that only turns out corrupt while transcoding as failed, with a reason', async () => {
    const clip = await makeClip({ width: 360, height: 640, seconds: 3 });
    // Cut the tail: the header (faststart) still probes, the frames are gone.
    truncateSync(clip, Math.floor(statSync(clip).size * 0.3));
    const id = await upload(clip);
    await drain();
    const v = await video(id);
    expect(v.status).toBe('failed');
    expect(v.failureReason).toMatch(/cut short|damaged/);
    const job = await sekat.stores.social.db.selectFrom('jobs').select(['status', 'attempts']).where('payload', '@>', JSON.stringify({ videoId: id }) as never).executeTakeFirstOrThrow();
    expect(v.failureReason).not.toContain('/');
    expect(job).toEqual({ status: 'done', attempts: 1 });
    expect(existsSync(media.videoDir(id))).toBe(false);
    // Others do not see a failed video.
    const other = await registerUser(sekat.app);
    expect((await sekat.app.inject({ method: 'GET', url: `/api/social/videos/${id}`, headers: other.auth })).statusCode).toBe(404);
  });

  it('retries a failing transcode with backoff and marks the video failed after the third attempt', async () => {
    const id = await upload(await makeClip({ width: 180, height: 320, seconds: 1 }));
    // A preset x264 does not know makes every run fail the way a transient fault would.
    const jobs = new JobRunner(sekat.stores.social.db, log, { leaseMs: 60_000, pollMs: 50, backoffBaseMs: 100 });
    jobs.register(TRANSCODE_JOB, transcodeJob({ db: serviceOf(sekat.domains.social).db, media, log, preset: 'no-such-preset' }));
    const runAts: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const job = await waitForJob(jobs);
      expect(job.attempts).toBe(attempt);
      runAts.push(Date.now());
      await jobs.run(job);
      expect((await video(id)).status).toBe(attempt < 3 ? 'processing' : 'failed');
    }
    expect(runAts[2]! - runAts[1]!).toBeGreaterThanOrEqual(150);
    const v = await video(id);
    expect(v.failureReason).toMatch(/transcoding failed/);
    expect(existsSync(media.sourceOf(id))).toBe(false);
    expect(await jobs.claim()).toBeUndefined();
  });

  it('stops its ffmpeg and leaves the video alone once another worker has taken the job', async () => {
    const id = await upload(await makeClip({ width: 720, height: 1280, seconds: 2 }));
    const worker = runner();
    const claimed = (await worker.claim())!;
    const started = Date.now();
    const running = worker.run(claimed);
    // What a successor's claim does once this worker's lease looked expired.
    await sql`update jobs set attempts = attempts + 1, locked_until = now() + interval '1 minute' where id = ${claimed.id}`.execute(sekat.stores.social.db);
    await running;
    expect(Date.now() - started).toBeLessThan(1_500);
    expect((await video(id)).status).toBe('processing');
    expect(existsSync(media.sourceOf(id))).toBe(true);
    expect(await jobOf(id)).toEqual({ status: 'running', attempts: 2 });
    // The successor then does the whole job.
    await sql`update jobs set locked_until = now() - interval '1 second' where id = ${claimed.id}`.execute(sekat.stores.social.db);
    await drain();
    expect((await video(id)).status).toBe('ready');
  });

  it('redoes a job from scratch when its process died mid-transcode', async () => {
    const id = await upload(await makeClip({ width: 360, height: 640, seconds: 2 }));
    // A worker claims the job and "dies": the job stays running with a lease, half an output written.
    const crashed = runner();
    const claimed = await crashed.claim();
    expect(claimed?.payload).toEqual({ videoId: id });
    mkdirSync(path.join(media.videoDir(id), 'v0'), { recursive: true });
    writeFileSync(path.join(media.videoDir(id), 'v0', 'stale_999.ts'), 'half a segment');
    // Its ffmpeg outlives it and goes on writing into that attempt's own folder.
    mkdirSync(path.join(media.workDirOf(id, 1), 'v0'), { recursive: true });
    writeFileSync(path.join(media.workDirOf(id, 1), 'v0', 'seg_000.ts'), 'from the dead worker');
    expect(await runner().claim()).toBeUndefined();

    await new Promise((resolve) => setTimeout(resolve, 500));
    const restarted = runner();
    const reclaimed = await restarted.claim();
    expect(reclaimed?.id).toBe(claimed?.id);
    expect(reclaimed?.attempts).toBe(2);
    await restarted.run(reclaimed!);
    expect((await video(id)).status).toBe('ready');
    expect(existsSync(path.join(media.videoDir(id), 'v0', 'stale_999.ts'))).toBe(false);
    expect(readFileSync(path.join(media.videoDir(id), 'v0', 'seg_000.ts')).toString()).not.toContain('from the dead worker');
    expect(existsSync(media.workDirOf(id, 1))).toBe(false);
    expect(existsSync(media.workDirOf(id, 2))).toBe(false);
  });
});
