import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Publish, PublishCodecs } from './ingest.js';

/** HLS for a live: 1 s segments, a short sliding window of them, each with its wall-clock time. */
export const LIVE_SEGMENT_SECONDS = 1;
export const LIVE_PLAYLIST_SEGMENTS = 6;
/** The recording kept for the replay stops here: a replay is a normal video, at most 10 minutes. */
export const REPLAY_MAX_SECONDS = 600;
/** ffmpeg falling this far behind the publisher is stopped rather than buffered without end. */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

/**
 * The container a publish arrives in: FLV from the RTMP ingest, or what a browser's MediaRecorder
 * writes (WebM from Chromium and Firefox, fragmented MP4 from Safari), each read with its own
 * demuxer forced.
 */
export type PublishContainer = 'flv' | 'matroska' | 'mp4';

/** Each container's demuxer, always named: ffmpeg never guesses what a publisher sent. */
const DEMUXER: Record<PublishContainer, string> = { flv: 'flv', matroska: 'matroska', mp4: 'mp4' };

/**
 * ffmpeg's arguments for one publish: the stream on stdin (its demuxer forced, the pipe the only
 * protocol), copied into fMP4 HLS when it is H.264/AAC, and encoded only where it is not; a
 * Matroska copy of the input becomes the replay. A browser's recording may come without a sound
 * track (no microphone), so its audio is mapped only if present.
 */
export function packagingArgs(outDir: string, recording: string, codecs: PublishCodecs, container: PublishContainer = 'flv'): string[] {
  const args = ['-hide_banner', '-v', 'error', '-protocol_whitelist', 'pipe', '-analyzeduration', '2000000'];
  if (container === 'mp4') args.push('-enable_drefs', '0');
  args.push('-f', DEMUXER[container], '-i', 'pipe:0');
  const audio = container === 'flv' ? '0:a:0' : '0:a:0?';
  args.push('-map', '0:v:0');
  if (codecs.hasAudio) args.push('-map', audio);
  if (codecs.h264) args.push('-c:v', 'copy');
  else {
    args.push(
      // x264 in 4:2:0 needs even sides; a phone camera's may not be.
      '-vf', 'scale=trunc(iw/2)*2:trunc(ih/2)*2',
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'main', '-pix_fmt', 'yuv420p',
      '-force_key_frames', `expr:gte(t,n_forced*${LIVE_SEGMENT_SECONDS})`,
    );
  }
  if (codecs.hasAudio) {
    if (codecs.aac) args.push('-c:a', 'copy');
    else args.push('-c:a', 'aac', '-aac_coder', 'fast', '-b:a', '128k', '-ac', '2', '-ar', '48000');
  }
  args.push(
    '-f', 'hls', '-hls_time', String(LIVE_SEGMENT_SECONDS), '-hls_list_size', String(LIVE_PLAYLIST_SEGMENTS),
    '-hls_flags', 'delete_segments+program_date_time+independent_segments+temp_file',
    '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4',
    '-hls_segment_filename', path.join(outDir, 'seg_%05d.m4s'),
    path.join(outDir, 'index.m3u8'),
  );
  args.push('-map', '0:v:0');
  if (codecs.hasAudio) args.push('-map', audio);
  args.push('-c', 'copy', '-t', String(REPLAY_MAX_SECONDS), '-f', 'matroska', recording);
  return args;
}

export interface Packaging {
  /** Resolves when ffmpeg has written its last segment and the recording's end. */
  done: Promise<void>;
  /** Detaches from the stream and lets ffmpeg finish what it has. */
  stop(): void;
  readonly child: ChildProcess;
}

/** Starts the one ffmpeg child that packages this publish. */
export async function startPackaging(publish: Publish, outDir: string, recording: string, log: Logger): Promise<Packaging> {
  const codecs = await publish.codecs();
  const container = publish.container ?? 'flv';
  await mkdir(outDir, { recursive: true });
  await mkdir(path.dirname(recording), { recursive: true });
  const child = spawn('ffmpeg', packagingArgs(outDir, recording, codecs, container), { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const stdin = child.stdin!;
  stdin.on('error', () => undefined);
  let detach: (() => void) | undefined = publish.pipe((chunk) => {
    if (stdin.writableLength > MAX_BUFFERED_BYTES) {
      log.warn('live packaging fell behind; stopping it');
      child.kill('SIGKILL');
      return;
    }
    if (!stdin.destroyed) stdin.write(chunk);
  });
  const stop = () => {
    detach?.();
    detach = undefined;
    stdin.end();
    // ffmpeg flushes its last segment and the recording's index within moments of end of input.
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  };
  const done = new Promise<void>((resolve) => {
    child.on('error', (error) => {
      log.error({ err: error }, 'live packaging could not start');
      resolve();
    });
    child.on('close', (code, signal) => {
      detach?.();
      detach = undefined;
      if (code !== 0) log.warn({ code, signal, stderr: stderr.split('\n').slice(-3).join(' ') }, 'live packaging ended with an error');
      resolve();
    });
  });
  log.info({ codecs, container }, 'live packaging started');
  return { done, stop, child };
}
