import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';

/** The containers an upload may be, named as ffmpeg's demuxer for each. */
export type Container = 'mov' | 'matroska';

export interface ProbeResult {
  /** Read from the file's first bytes; ffprobe and ffmpeg are held to it. */
  container: Container;
  durationMs: number;
  /** Average frames a second of the video track (0 when the file does not say). */
  frameRate: number;
  width: number;
  height: number;
  hasAudio: boolean;
  /** The (first) audio track is already AAC in mono or stereo, as phones record it: HLS can carry it as is. */
  aacAudio?: boolean;
}

export class ProbeError extends Error {}

interface FfprobeOutput {
  streams?: {
    codec_type?: string;
    codec_name?: string;
    channels?: number;
    width?: number;
    height?: number;
    duration?: string;
    nb_frames?: string;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    disposition?: { attached_pic?: number };
  }[];
  format?: { duration?: string };
}

/** Codecs whose single "video" frame is a still picture (a cover or an image in a box), not a video. */
const STILL_CODECS = new Set(['png', 'mjpeg', 'bmp', 'gif', 'webp', 'tiff', 'jpegls', 'svg']);

/** The last line of a tool's complaint, without file paths (they are ours, not the user's). */
export function readableReason(stderr: string, ...paths: string[]): string {
  let line = stderr.trim().split('\n').at(-1) ?? '';
  for (const p of paths) line = line.split(p).join('');
  return line.replace(/^[\s:]+/, '').replace(/\/[\w./-]+/g, '').trim().slice(0, 300);
}

/** Phones, cameras and browsers record within these; anything beyond is refused before transcoding. */
export const MAX_VIDEO_MS = 10 * 60_000;
export const MAX_LONG_SIDE = 4096;
/** Ten minutes at 60 frames a second: a slow-motion clip of up to two minutes at 240 fits. */
export const MAX_FRAMES = 36_000;

const EBML_MAGIC = Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);

/**
 * The container a file is by its first bytes: an ISO base media file (MP4, MOV, 3GP: a `ftyp`
 * box first) or Matroska/WebM (an EBML header). Anything else, playlists and concat lists
 * included, is no upload we read.
 */
export async function containerOf(file: string): Promise<Container | undefined> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(12), 0, 12, 0);
    if (bytesRead >= 12 && buffer.toString('latin1', 4, 8) === 'ftyp') return 'mov';
    if (bytesRead >= 4 && buffer.subarray(0, 4).equals(EBML_MAGIC)) return 'matroska';
    return undefined;
  } finally {
    await handle.close();
  }
}

/**
 * ffprobe's and ffmpeg's input options for an upload: read as the container it is and nothing
 * else, so no playlist, concat list or external track reference inside it is ever followed, and
 * from the one local file only.
 */
export function uploadInput(file: string, container: Container): string[] {
  const demuxer = container === 'mov' ? ['-f', 'mov', '-enable_drefs', '0'] : ['-f', 'matroska'];
  return ['-protocol_whitelist', 'file', ...demuxer, '-i', `file:${file}`];
}

/** Runs ffprobe on `input` (its input options and `-i`); `paths` are kept out of the reason. */
export function runFfprobe(input: string[], paths: string[], timeoutMs = 30_000): Promise<FfprobeOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      'ffprobe',
      ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', ...input],
      { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return reject(new ProbeError(readableReason(stderr, ...paths) || 'the file could not be read as media'));
        try {
          resolve(JSON.parse(stdout) as FfprobeOutput);
        } catch {
          reject(new ProbeError('ffprobe gave no readable answer'));
        }
      },
    );
  });
}

/** "30000/1001" → 29.97; 0 for "0/0" or nothing. */
function rateOf(fraction: string | undefined): number {
  const [num, den] = (fraction ?? '').split('/').map(Number);
  const rate = den ? num! / den : Number(fraction);
  return Number.isFinite(rate) && rate > 0 ? rate : 0;
}

/**
 * Decides from the content alone (never the name or the client's MIME type) whether a file is a
 * video we can transcode at a bounded cost. Throws ProbeError with a reason a person can read.
 */
export async function probeVideo(file: string): Promise<ProbeResult> {
  const container = await containerOf(file);
  if (!container) throw new ProbeError('the file is not an MP4, MOV, WebM or Matroska video');
  const info = await runFfprobe(uploadInput(file, container), [`file:${file}`, file]);
  const video = info.streams?.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video || !video.width || !video.height) throw new ProbeError('the file has no video stream');
  if (STILL_CODECS.has(video.codec_name ?? '')) {
    throw new ProbeError('the file is a still image, not a video');
  }
  const duration = Number(info.format?.duration ?? video.duration ?? NaN);
  if (!Number.isFinite(duration) || duration <= 0) throw new ProbeError('the video has no duration');
  if (duration * 1000 > MAX_VIDEO_MS) throw new ProbeError('the video is longer than 10 minutes');
  if (Math.max(video.width, video.height) > MAX_LONG_SIDE) {
    throw new ProbeError(`the picture is ${video.width}×${video.height}, larger than ${MAX_LONG_SIDE} pixels on its long side`);
  }
  const frameRate = rateOf(video.avg_frame_rate) || rateOf(video.r_frame_rate);
  const frames = Math.max(Number(video.nb_frames) || 0, Math.round(frameRate * duration));
  if (frames > MAX_FRAMES) throw new ProbeError(`the video has ${frames} frames, more than ${MAX_FRAMES} (10 minutes at 60 a second)`);
  const audio = info.streams?.find((s) => s.codec_type === 'audio');
  return {
    container,
    durationMs: Math.round(duration * 1000),
    frameRate,
    width: video.width,
    height: video.height,
    hasAudio: audio !== undefined,
    aacAudio: audio?.codec_name === 'aac' && (audio.channels ?? 0) >= 1 && (audio.channels ?? 0) <= 2,
  };
}
