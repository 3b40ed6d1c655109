import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HttpProblem, unprocessable } from '../../../platform/errors.js';
import { AVATAR_URL_PREFIX, type MediaPaths } from './paths.js';

export const AVATAR_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export const MAX_AVATAR_BYTES = 5 * 1024 * 1024;
/** The square an avatar is cut and scaled to. */
export const AVATAR_SIZE = 256;
/** Larger pictures are refused before they are decoded (a small file can claim a huge canvas). */
const MAX_SIDE = 8000;
const AVATAR_FILE = /^[0-9a-f-]{36}\.jpg$/;

/**
 * The ffmpeg demuxer for the picture the bytes really are, from their signature (never the name or
 * the declared type). Each reads one still from one local file: no pattern, playlist or protocol
 * it could be led to follow.
 */
function demuxerOf(bytes: Buffer): { demuxer: string; codec: string } | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { demuxer: 'jpeg_pipe', codec: 'mjpeg' };
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return { demuxer: 'png_pipe', codec: 'png' };
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return { demuxer: 'webp_pipe', codec: 'webp' };
  return undefined;
}

const notAnImage = (why = 'Upload a JPEG, PNG or WebP picture.') => new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', why);

function run(tool: 'ffprobe' | 'ffmpeg', args: string[], file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { timeout: 20_000, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${tool} could not read ${path.basename(file)}: ${stderr.trim().slice(0, 300)}`));
      else resolve(stdout);
    });
  });
}

/** Only local files, through the one demuxer chosen from the signature. */
const inputArgs = (demuxer: string, file: string) => ['-protocol_whitelist', 'file', '-f', demuxer, '-i', `file:${file}`];

/**
 * Turns uploaded bytes into the avatar social serves: checked to be a JPEG, PNG or WebP picture by
 * its content and by ffprobe, then centre-cut to a square, scaled to 256 px and re-encoded as JPEG
 * by ffmpeg (which also drops any metadata, such as where a photo was taken). Returns its URL.
 */
export async function storeAvatar(media: MediaPaths, declaredType: string, bytes: Buffer): Promise<string> {
  const kind = demuxerOf(bytes);
  if (!kind) throw notAnImage();
  if (!(AVATAR_TYPES as readonly string[]).includes(declaredType.split(';')[0]!.trim().toLowerCase())) {
    throw notAnImage('Send the picture with Content-Type image/jpeg, image/png or image/webp.');
  }
  await mkdir(media.incoming, { recursive: true });
  await mkdir(media.avatars, { recursive: true });
  const source = path.join(media.incoming, randomUUID());
  const name = `${randomUUID()}.jpg`;
  const target = path.join(media.avatars, name);
  try {
    await writeFile(source, bytes, { flag: 'wx' });
    const probed = await run('ffprobe', ['-v', 'error', ...inputArgs(kind.demuxer, source), '-print_format', 'json', '-show_streams'], source).catch(() => {
      throw notAnImage('This file is not a picture we can read.');
    });
    const streams = (JSON.parse(probed) as { streams?: { codec_type?: string; codec_name?: string; width?: number; height?: number }[] }).streams ?? [];
    const picture = streams.length === 1 ? streams[0] : undefined;
    if (!picture || picture.codec_type !== 'video' || picture.codec_name !== kind.codec || !picture.width || !picture.height) {
      throw notAnImage('This file is not a picture we can read.');
    }
    if (picture.width > MAX_SIDE || picture.height > MAX_SIDE) {
      throw unprocessable(`The picture is larger than ${MAX_SIDE} × ${MAX_SIDE} pixels.`, { file: [`must be at most ${MAX_SIDE} pixels on each side`] });
    }
    const square = `scale=${AVATAR_SIZE}:${AVATAR_SIZE}:force_original_aspect_ratio=increase,crop=${AVATAR_SIZE}:${AVATAR_SIZE},format=yuvj420p`;
    await run('ffmpeg', ['-v', 'error', '-nostdin', ...inputArgs(kind.demuxer, source), '-frames:v', '1', '-map_metadata', '-1', '-vf', square, '-c:v', 'mjpeg', '-q:v', '3', '-f', 'mjpeg', '-y', `file:${target}`], source).catch(() => {
      throw notAnImage('This picture could not be read.');
    });
    return AVATAR_URL_PREFIX + name;
  } catch (error) {
    await rm(target, { force: true });
    throw error;
  } finally {
    await rm(source, { force: true });
  }
}

/** The file behind one of our avatar URLs, or undefined for any other URL. */
export function avatarFileOf(media: MediaPaths, url: string | null): string | undefined {
  if (!url?.startsWith(AVATAR_URL_PREFIX)) return undefined;
  const name = url.slice(AVATAR_URL_PREFIX.length);
  return AVATAR_FILE.test(name) ? path.join(media.avatars, name) : undefined;
}
