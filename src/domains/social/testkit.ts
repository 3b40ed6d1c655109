import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { readdirSync, existsSync } from 'node:fs';
import { JobRunner } from '../../platform/jobs.js';
import type { SocialInstance } from './index.js';
import { transcodeJob, TRANSCODE_JOB } from './media/transcode.job.js';
import { uuidv7 } from '../../platform/ids.js';
import { parseHashtags } from './hashtags.js';
import { serviceOf } from './internals.js';
import { registerUser as registerPerson, waitFor, type TestUser } from '../../../test/support/kit.js';

/** Helpers for social's tests. Test media is made here by ffmpeg, never committed. */

const run = promisify(execFile);
const clipDir = mkdtempSync(path.join(tmpdir(), 'sekat-clips-'));

export interface ClipOptions {
  width: number;
  height: number;
  seconds?: number;
  audio?: boolean;
  rate?: number;
  /** Put the index first (as phones do); false leaves it at the end. */
  faststart?: boolean;
  /** The audio encoder: AAC as phones record, or e.g. `libmp3lame` for audio HLS cannot carry as is. */
  audioCodec?: string;
  /** MP4 and QuickTime MOV (as phones record) hold H.264 and AAC; WebM (as browsers record) VP8 and Opus. */
  container?: 'mp4' | 'mov' | 'webm';
}

export async function makeClip({ width, height, seconds = 2, audio = true, rate = 24, faststart = true, audioCodec = 'aac', container = 'mp4' }: ClipOptions): Promise<string> {
  const file = path.join(clipDir, `${width}x${height}-${seconds}s-${audio ? 'a' : 'na'}-${Math.random().toString(36).slice(2, 7)}.${container}`);
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=${rate}`];
  if (audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  args.push('-t', String(seconds));
  if (container === 'webm') args.push('-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '500k');
  else args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
  if (audio) args.push('-c:a', container === 'webm' ? 'libopus' : audioCodec, '-shortest');
  if (faststart && container !== 'webm') args.push('-movflags', '+faststart');
  args.push(file);
  await run('ffmpeg', args);
  return file;
}

export async function makeImage(): Promise<string> {
  const file = path.join(clipDir, `still-${Math.random().toString(36).slice(2, 7)}.png`);
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240', '-frames:v', '1', file]);
  return file;
}

export async function makeMp3(): Promise<string> {
  const file = path.join(clipDir, `tone-${Math.random().toString(36).slice(2, 7)}.mp3`);
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine', '-t', '1', file]);
  return file;
}

/**
 * A short, plainly red MPEG-TS clip in a folder of its own, outside every DATA_DIR: a file an
 * upload must never get ffmpeg to read.
 */
export async function makeOutsideTs(): Promise<string> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'sekat-outside-')), 'secret.ts');
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=red:size=160x120:rate=10', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file]);
  return file;
}

const playlist = (segment: string) => `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.0,\n${segment}\n#EXT-X-ENDLIST\n`;

/**
 * Uploads that are no video themselves but would have ffmpeg read `target` instead: HLS playlists
 * naming it by file:// URL, absolute path and a path relative to `mediaFolder` (the upload lands in
 * one of its sibling folders), an ffconcat list, a playlist behind an MP4 header, and an MPEG-TS.
 */
export function indirectionUploads(target: string, mediaFolder: string): [string, Buffer][] {
  const relative = path.relative(mediaFolder, target);
  return [
    ['an HLS playlist naming a file:// URL', Buffer.from(playlist(`file://${target}`))],
    ['an HLS playlist naming an absolute path', Buffer.from(playlist(target))],
    ['an HLS playlist naming a relative ../ path', Buffer.from(playlist(relative))],
    ['an ffconcat list', Buffer.from(`ffconcat version 1.0\nfile '${target}'\nfile '${relative}'\n`)],
    // Passes the first-bytes check; only the forced MP4 demuxer keeps the playlist unread.
    ['an HLS playlist behind an MP4 ftyp box', Buffer.concat([Buffer.from('000000146674797069736f6d0000020069736f6d', 'hex'), Buffer.from(playlist(`file://${target}`))])],
    ['an MPEG-TS clip named .mp4', readFileSync(target)],
  ];
}

export async function ffprobeJson(target: string): Promise<{
  streams: { codec_type: string; codec_name: string; width?: number; height?: number }[]; format: { duration?: string; format_name: string };
}> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', target]);
  return JSON.parse(stdout);
}

export function multipart(fields: Record<string, string>, file?: { name: string; content: Buffer; type?: string }) {
  const boundary = `----sekat${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  if (file) {
    chunks.push(
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${file.name}"\r\ncontent-type: ${file.type ?? 'video/mp4'}\r\n\r\n`),
      file.content,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

export type { TestUser } from '../../../test/support/kit.js';
export { waitFor } from '../../../test/support/kit.js';

/** Social's tests name the person by handle (one is made when none is given). */
export function registerUser(app: FastifyInstance, handle?: string): Promise<TestUser> {
  return registerPerson(app, handle === undefined ? {} : { handle });
}

export async function uploadFile(app: FastifyInstance, user: TestUser | undefined, file: string | Buffer, caption = '', name = 'clip.mp4') {
  const content = typeof file === 'string' ? readFileSync(file) : file;
  const form = multipart({ caption }, { name, content });
  return app.inject({ method: 'POST', url: '/api/social/videos', payload: form.payload, headers: { ...form.headers, ...(user?.auth ?? {}) } });
}

export async function waitForStatus(app: FastifyInstance, user: TestUser, id: string, timeoutMs = 60_000) {
  return waitFor(async () => {
    const response = await app.inject({ method: 'GET', url: `/api/social/videos/${id}`, headers: user.auth });
    const body = response.json() as { status: string };
    return body.status === 'processing' ? undefined : (body as Record<string, unknown> & { status: 'ready' | 'failed' });
  }, timeoutMs);
}

/** Runs every queued transcode job to the end in this process (tests build the app with background: false). */
export async function drainTranscodes(social: SocialInstance, options: { leaseMs?: number; preset?: string } = {}): Promise<void> {
  const log = pino({ level: 'silent' });
  const service = serviceOf(social);
  const jobs = new JobRunner(service.db, log, { leaseMs: options.leaseMs ?? 60_000, pollMs: 50, backoffBaseMs: 50 });
  jobs.register(TRANSCODE_JOB, transcodeJob({ db: service.db, media: service.media, log, preset: options.preset, onReady: () => service.videosChanged() }));
  for (let job = await jobs.claim(); job; job = await jobs.claim()) await jobs.run(job);
}

/** Every file under a folder (empty when the folder does not exist). */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => `${e.parentPath}/${e.name}`);
}

/** A ready video written straight to the store, for ranking and engagement tests that need many. */
export async function seedReadyVideo(
  social: SocialInstance,
  author: { subject: string; handle: string },
  caption: string,
  options: { createdAt?: Date; views?: number; completed?: number; likes?: number } = {},
): Promise<string> {
  const service = serviceOf(social);
  await service.ensureProfile(author.subject, { handle: author.handle, displayName: author.handle });
  const id = uuidv7(options.createdAt?.getTime());
  await service.db
    .insertInto('videos')
    .values({
      id,
      author: author.subject,
      caption,
      hashtags: parseHashtags(caption),
      status: 'ready',
      failure_reason: null,
      duration_ms: 10_000,
      width: 720,
      height: 1280,
      renditions: JSON.stringify([{ width: 720, height: 1280, size: 720 }]),
      view_count: options.views ?? 0,
      completed_count: options.completed ?? 0,
      like_count: options.likes ?? 0,
      created_at: options.createdAt ?? new Date(),
      ready_at: new Date(),
    })
    .execute();
  service.videosChanged();
  return id;
}

/** The service behind a started social instance, for tests and benchmarks that reach into its store or caches. */
export { serviceOf };
