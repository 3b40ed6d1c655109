import { execFile } from 'node:child_process';

export interface ProbeResult {
  durationMs: number;
  width: number;
  height: number;
  hasAudio: boolean;
  /** The (first) audio track is already AAC in mono or stereo, as phones record it: HLS can carry it as is. */
  aacAudio?: boolean;
}

export class ProbeError extends Error {}

interface FfprobeOutput {
  streams?: { codec_type?: string; codec_name?: string; channels?: number; width?: number; height?: number; duration?: string; nb_frames?: string; disposition?: { attached_pic?: number } }[];
  format?: { duration?: string; format_name?: string };
}

/** Formats whose single "video" frame is a still picture, not a video. */
const STILL_FORMATS = /^(image2|png_pipe|jpeg_pipe|gif|webp_pipe|bmp_pipe|tiff_pipe|svg_pipe|mjpeg)$/;
const STILL_CODECS = new Set(['png', 'mjpeg', 'bmp', 'gif', 'webp', 'tiff', 'jpegls', 'svg']);

/** The last line of a tool's complaint, without file paths (they are ours, not the user's). */
export function readableReason(stderr: string, ...paths: string[]): string {
  let line = stderr.trim().split('\n').at(-1) ?? '';
  for (const p of paths) line = line.split(p).join('');
  return line.replace(/^[\s:]+/, '').replace(/\/[\w./-]+/g, '').trim().slice(0, 300);
}

export function runFfprobe(file: string, timeoutMs = 30_000): Promise<FfprobeOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      'ffprobe',
      ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file],
      { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return reject(new ProbeError(readableReason(stderr, file) || 'the file could not be read as media'));
        try {
          resolve(JSON.parse(stdout) as FfprobeOutput);
        } catch {
          reject(new ProbeError('ffprobe gave no readable answer'));
        }
      },
    );
  });
}

/**
 * Decides from the content alone (never the name or the client's MIME type) whether a file is a
 * video we can transcode. Throws ProbeError with a reason a person can read.
 */
export async function probeVideo(file: string): Promise<ProbeResult> {
  const info = await runFfprobe(file);
  const video = info.streams?.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video || !video.width || !video.height) throw new ProbeError('the file has no video stream');
  if (STILL_FORMATS.test(info.format?.format_name ?? '') || STILL_CODECS.has(video.codec_name ?? '')) {
    throw new ProbeError('the file is a still image, not a video');
  }
  const duration = Number(info.format?.duration ?? video.duration ?? NaN);
  if (!Number.isFinite(duration) || duration <= 0) throw new ProbeError('the video has no duration');
  const audio = info.streams?.find((s) => s.codec_type === 'audio');
  return {
    durationMs: Math.round(duration * 1000),
    width: video.width,
    height: video.height,
    hasAudio: audio !== undefined,
    aacAudio: audio?.codec_name === 'aac' && (audio.channels ?? 0) >= 1 && (audio.channels ?? 0) <= 2,
  };
}
