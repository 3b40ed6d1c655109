import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HttpProblem, unprocessable } from '../../../platform/errors.js';

/** The containers a return video may come in, each read only by its own ffmpeg demuxer. */
export const VIDEO_CONTAINERS = {
  'video/mp4': { demuxer: 'mov', formats: ['mp4', 'mov'], muxer: 'mp4', ext: 'mp4' },
  'video/webm': { demuxer: 'matroska', formats: ['webm', 'matroska'], muxer: 'webm', ext: 'webm' },
} as const;
export type VideoType = keyof typeof VIDEO_CONTAINERS;
export const VIDEO_TYPES = Object.keys(VIDEO_CONTAINERS) as VideoType[];
export const MAX_VIDEO_BYTES = 20 * 1024 * 1024;
export const MAX_VIDEO_SECONDS = 30;
const MAX_SIDE = 4096;
const VIDEO_CODECS = new Set(['h264', 'hevc', 'vp8', 'vp9', 'av1']);

const notAVideo = (why = 'Upload a short MP4 or WebM video.') => new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', why);

function run(tool: 'ffprobe' | 'ffmpeg', args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { timeout: 60_000, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${tool}: ${stderr.trim().slice(0, 300)}`));
      else resolve(stdout);
    });
  });
}

/** The signature the claimed container starts with (an ISO BMFF `ftyp` box; the EBML header). */
function hasSignature(bytes: Buffer, type: VideoType): boolean {
  if (type === 'video/mp4') return bytes.length >= 12 && bytes.toString('latin1', 4, 8) === 'ftyp';
  return bytes.length >= 4 && bytes.readUInt32BE(0) === 0x1a45dfa3;
}

/**
 * Stores a short evidence video at `target` (without its extension): the bytes must be the
 * container they claim (signature, then ffprobe through that container's demuxer alone, local
 * file only), hold a video stream of a known codec, last at most 30 s and be at most 4096 px a
 * side. They are remuxed, not re-encoded, with every metadata tag and chapter dropped (a phone's
 * clip can carry where it was shot). Answers the file name written. Anything else: 415 (422 when
 * too long or too large), and no file is left.
 */
export async function storeVideo(bytes: Buffer, declaredType: string, workDir: string, target: string): Promise<string> {
  const type = declaredType.split(';')[0]!.trim().toLowerCase() as VideoType;
  const container = VIDEO_CONTAINERS[type];
  if (!container) throw notAVideo('Send the video with Content-Type video/mp4 or video/webm.');
  if (!hasSignature(bytes, type)) throw notAVideo(`This file is not a ${container.ext.toUpperCase()} video.`);
  await mkdir(workDir, { recursive: true });
  await mkdir(path.dirname(target), { recursive: true });
  const source = path.join(workDir, randomUUID());
  const output = `${target}.${container.ext}`;
  const input = ['-protocol_whitelist', 'file', '-f', container.demuxer, '-i', `file:${source}`];
  try {
    await writeFile(source, bytes, { flag: 'wx' });
    const probed = await run('ffprobe', ['-v', 'error', ...input, '-print_format', 'json', '-show_entries', 'format=format_name,duration:stream=codec_type,codec_name,width,height']).catch(() => {
      throw notAVideo(`This file is not a ${container.ext.toUpperCase()} video we can read.`);
    });
    const parsed = JSON.parse(probed) as {
      format?: { format_name?: string; duration?: string }; streams?: { codec_type?: string; codec_name?: string; width?: number; height?: number }[];
    };
    const formats = (parsed.format?.format_name ?? '').split(',');
    const video = (parsed.streams ?? []).find((s) => s.codec_type === 'video');
    if (!container.formats.some((f) => formats.includes(f)) || !video || !VIDEO_CODECS.has(video.codec_name ?? '') || !video.width || !video.height) {
      throw notAVideo(`This file is not a ${container.ext.toUpperCase()} video we can read.`);
    }
    const seconds = Number(parsed.format?.duration);
    if (!Number.isFinite(seconds) || seconds > MAX_VIDEO_SECONDS) throw unprocessable(`A return video lasts at most ${MAX_VIDEO_SECONDS} seconds.`, { file: [`at most ${MAX_VIDEO_SECONDS} seconds`] });
    if (video.width > MAX_SIDE || video.height > MAX_SIDE) throw unprocessable(`A return video is at most ${MAX_SIDE} pixels on each side.`, { file: [`at most ${MAX_SIDE} pixels a side`] });
    await run('ffmpeg', [
      '-v', 'error', '-y', ...input,
      '-map', '0:v:0', '-map', '0:a:0?', '-c', 'copy', '-map_metadata', '-1', '-map_chapters', '-1',
      ...(container.muxer === 'mp4' ? ['-movflags', '+faststart'] : []),
      '-f', container.muxer, `file:${output}`,
    ]).catch(() => {
      throw notAVideo('This video could not be read to the end.');
    });
    return path.basename(output);
  } catch (error) {
    await rm(output, { force: true });
    throw error;
  } finally {
    await rm(source, { force: true });
  }
}
