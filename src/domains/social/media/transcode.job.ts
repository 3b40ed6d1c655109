import { availableParallelism } from 'node:os';
import { spawn } from 'node:child_process';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { defineJob, type Job } from '../../../platform/jobs.js';
import type { SocialDB } from '../store.js';
import { adjustProfileCounts } from '../counters.js';
import { probeVideo, ProbeError, readableReason, runFfprobe, uploadInput, type ProbeResult } from './probe.js';
import type { MediaPaths } from './paths.js';

/** A fault in the content itself: retrying will not help. */
class MediaError extends Error {}

export const TRANSCODE_JOB = 'social.transcode';
export const TRANSCODE_MAX_ATTEMPTS = 3;

export interface Transcode {
  videoId: string;
}
/** Faster sources (slow motion, or a file that claims 240 fps) are played back at this rate. */
export const MAX_OUTPUT_FPS = 60;

/**
 * How long ffmpeg may run for a video of this length before it is killed and the video fails:
 * generous next to what bench:transcode measures (a 1080p clip in under half its length), yet
 * bounded, so no upload holds the transcode slot indefinitely.
 */
export const transcodeBudgetMs = (durationMs: number) => 60_000 + 6 * durationMs;

/** The rendition ladder by the short side ("720p" of a 9:16 clip is 720×1280). */
const LADDER = [720, 480, 360] as const;
const BITRATES: Record<number, { video: number; audio: number }> = {
  720: { video: 2_500_000, audio: 128_000 },
  480: { video: 1_200_000, audio: 96_000 },
  360: { video: 700_000, audio: 64_000 },
};

export interface Rendition {
  width: number;
  height: number;
  /** Short side, the "p" number. */
  size: number;
  videoBitrate: number;
  audioBitrate: number;
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** Renditions at or below the source's short side, aspect kept; a small source keeps its size. */
export function ladderFor(width: number, height: number): Rendition[] {
  const short = Math.min(width, height);
  const sizes: number[] = LADDER.filter((size) => size <= short);
  if (sizes.length === 0) sizes.push(even(short));
  return sizes.map((size) => {
    const scale = size / short;
    const rate = BITRATES[size] ?? { video: Math.round((700_000 * size) / 360), audio: 64_000 };
    return {
      width: width <= height ? size : even(width * scale),
      height: width <= height ? even(height * scale) : size,
      size,
      videoBitrate: rate.video,
      audioBitrate: rate.audio,
    };
  });
}

/** Over 2× real time on 2 cores for a phone clip (bench:transcode); `ultrafast` is faster still. */
export const DEFAULT_TRANSCODE_PRESET = 'superfast';

/** The ffmpeg arguments for one run that splits the source into every rendition plus a poster. */
export function ffmpegArgs(source: string, outDir: string, probe: ProbeResult, renditions: Rendition[], preset: string): string[] {
  // Each rendition is scaled from the one above it (cheaper than scaling every one from the
  // source), and the poster is taken from the top rendition.
  const graph = renditions
    .map((r, i) => {
      const from = i === 0 ? '[0:v]' : `[next${i}]`;
      const outs = i === 0 ? `[v0][poster]${renditions.length > 1 ? '[next1]' : ''}` : `[v${i}]${i + 1 < renditions.length ? `[next${i + 1}]` : ''}`;
      const count = (outs.match(/\[/g) ?? []).length;
      const rate = i === 0 && probe.frameRate > MAX_OUTPUT_FPS ? `fps=${MAX_OUTPUT_FPS},` : '';
      return `${from}${rate}scale=${r.width}:${r.height}:flags=area${i === 0 ? ',format=yuv420p' : ''},setsar=1${count > 1 ? `,split=${count}` : ''}${outs}`;
    })
    .join(';');
  const args = ['-hide_banner', '-v', 'error', '-nostdin', '-y', ...uploadInput(source, probe.container), '-filter_complex', graph];
  renditions.forEach((r, i) => {
    args.push('-map', `[v${i}]`);
    if (probe.hasAudio) args.push('-map', '0:a:0');
    args.push(`-b:v:${i}`, String(r.videoBitrate), `-maxrate:v:${i}`, String(Math.round(r.videoBitrate * 1.2)), `-bufsize:v:${i}`, String(r.videoBitrate * 2));
    if (probe.hasAudio && !probe.aacAudio) args.push(`-b:a:${i}`, String(r.audioBitrate));
  });
  args.push(
    '-c:v', 'libx264', '-preset', preset, '-profile:v', 'main', '-pix_fmt', 'yuv420p',
    // CABAC and the deblocking filter stay on even with `ultrafast` (the two tools that matter
    // most for quality at a fixed bitrate, for little CPU); one encoder thread per core, because
    // three encoders already run side by side.
    '-x264-params', 'cabac=1:deblock=1', '-threads', String(availableParallelism()),
    '-g', '60', '-keyint_min', '60', '-sc_threshold', '0',
  );
  // Audio that is already AAC (what phones record) goes into every rendition as it is; anything
  // else is encoded, with the fast AAC coder (the default one costs as much as a video rendition).
  if (probe.aacAudio) args.push('-c:a', 'copy');
  else if (probe.hasAudio) args.push('-c:a', 'aac', '-aac_coder', 'fast', '-ac', '2', '-ar', '48000');
  args.push(
    '-f', 'hls', '-hls_time', '4', '-hls_playlist_type', 'vod', '-hls_flags', 'independent_segments',
    '-hls_segment_type', 'mpegts',
    '-hls_segment_filename', path.join(outDir, 'v%v', 'seg_%03d.ts'),
    '-master_pl_name', 'master.m3u8',
    '-var_stream_map', renditions.map((_, i) => (probe.hasAudio ? `v:${i},a:${i}` : `v:${i}`)).join(' '),
    path.join(outDir, 'v%v', 'index.m3u8'),
  );
  const posterAt = Math.min(1, probe.durationMs / 2000);
  args.push('-map', '[poster]', '-ss', posterAt.toFixed(3), '-frames:v', '1', '-q:v', '3', '-update', '1', path.join(outDir, 'poster.jpg'));
  return args;
}

function runFfmpeg(args: string[], budgetMs: number, paths: string[], signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'], signal, killSignal: 'SIGKILL' });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    let overBudget = false;
    const timer = setTimeout(() => {
      overBudget = true;
      child.kill('SIGKILL');
    }, budgetMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      // Another run would take as long again: the video fails at once.
      else if (overBudget) reject(new MediaError(`transcoding took longer than its budget of ${Math.round(budgetMs / 1000)} s and was stopped`));
      else reject(new Error(`transcoding failed (${signal ?? `exit ${code}`}): ${readableReason(stderr, ...paths) || 'no detail'}`));
    });
  });
}

/** A file whose header promised more than its frames deliver ends up here, not as "ready". */
async function checkOutput(outDir: string, probe: ProbeResult): Promise<void> {
  if (!(await stat(path.join(outDir, 'poster.jpg')).catch(() => undefined))) {
    throw new MediaError('no picture could be taken from the video; it may be cut short or damaged');
  }
  const rendered = await runFfprobe(['-i', path.join(outDir, 'v0', 'index.m3u8')], [outDir]).catch(() => undefined);
  const renderedMs = Number(rendered?.format?.duration ?? 0) * 1000;
  if (!(renderedMs >= probe.durationMs * 0.9 - 200)) {
    throw new MediaError(`the video is cut short or damaged: ${Math.round(renderedMs)} ms of ${probe.durationMs} ms could be read`);
  }
}

export interface TranscodeOptions {
  db: Kysely<SocialDB>;
  media: MediaPaths;
  log: Logger;
  preset?: string;
  /** ffmpeg's time budget for a video of this length (transcodeBudgetMs unless a test needs less). */
  budgetMs?: (durationMs: number) => number;
  /** Called when a video becomes ready (feeds drop their cached candidates). */
  onReady?: () => void;
}

/**
 * Turns an uploaded source into HLS renditions, a poster and a duration. Always starts from an
 * empty working folder, so a job reclaimed after a crash redoes the work from scratch.
 */
export function transcodeJob({ db, media, log, preset = DEFAULT_TRANSCODE_PRESET, budgetMs = transcodeBudgetMs, onReady }: TranscodeOptions) {
  /** Every attempt's working folder for this video, a dead worker's included. */
  const removeWork = async (id: string) => {
    const names = await readdir(media.work).catch(() => []);
    await Promise.all(names.filter((name) => name.startsWith(`${id}.`)).map((name) => rm(path.join(media.work, name), { recursive: true, force: true })));
  };
  const fail = (id: string, reason: string) =>
    db.updateTable('videos').set({ status: 'failed', failure_reason: reason.slice(0, 500) }).where('id', '=', id).where('status', '=', 'processing').execute();

  return async (job: Job<Transcode>): Promise<void> => {
    const id = job.payload.videoId;
    const video = await db.selectFrom('videos').select(['id', 'status']).where('id', '=', id).executeTakeFirst();
    if (!video || video.status !== 'processing') return;
    const source = media.sourceOf(id);
    const outDir = media.videoDir(id);
    const workDir = media.workDirOf(id, job.attempts);
    const started = Date.now();
    try {
      if (!(await stat(source).catch(() => undefined))) throw new MediaError('the uploaded file is gone');
      const probe = await probeVideo(source);
      const renditions = ladderFor(probe.width, probe.height);
      await removeWork(id);
      await Promise.all(renditions.map((_, i) => mkdir(path.join(workDir, `v${i}`), { recursive: true })));
      await runFfmpeg(ffmpegArgs(source, workDir, probe, renditions, preset), budgetMs(probe.durationMs), [`file:${source}`, source, workDir], job.signal);
      await checkOutput(workDir, probe);
      // Only a complete output goes where it is served, in one step.
      await rm(outDir, { recursive: true, force: true });
      await rename(workDir, outDir);
      await db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('videos')
          .set({
            status: 'ready',
            failure_reason: null,
            duration_ms: probe.durationMs,
            width: probe.width,
            height: probe.height,
            renditions: JSON.stringify(renditions.map((r) => ({ width: r.width, height: r.height, size: r.size }))),
            ready_at: new Date(),
          })
          .where('id', '=', id)
          .where('status', '=', 'processing')
          .returning('author')
          .executeTakeFirst();
        if (updated) await adjustProfileCounts(trx, updated.author, { video_count: 1 });
      });
      await rm(source, { force: true });
      onReady?.();
      log.info({ videoId: id, ms: Date.now() - started, renditions: renditions.map((r) => r.size) }, 'video transcoded');
    } catch (error) {
      // Another worker holds the job now and starts over itself: leave the video to it.
      if (job.signal?.aborted) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      const permanent = error instanceof ProbeError || error instanceof MediaError;
      if (permanent || job.attempts >= job.maxAttempts) {
        await removeWork(id);
        await rm(outDir, { recursive: true, force: true });
        await rm(source, { force: true });
        await fail(id, reason);
        if (permanent) return;
      }
      throw error;
    }
  };
}

export const transcodeJobType = defineJob<Transcode, TranscodeOptions>(TRANSCODE_JOB, transcodeJob);
