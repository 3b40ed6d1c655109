import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HttpProblem, unprocessable } from './errors.js';

/** The pictures people may upload (avatars, review photos). */
export const PICTURE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export const MAX_PICTURE_BYTES = 5 * 1024 * 1024;
/** Larger pictures are refused before they are decoded (a small file can claim a huge canvas). */
const MAX_SIDE = 8000;

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

const notAPicture = (why = 'Upload a JPEG, PNG or WebP picture.') => new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', why);

function run(tool: 'ffprobe' | 'ffmpeg', args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { timeout: 20_000, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${tool}: ${stderr.trim().slice(0, 300)}`));
      else resolve(stdout);
    });
  });
}

/** Only local files, through the one demuxer chosen from the signature. */
const inputArgs = (demuxer: string, file: string) => ['-protocol_whitelist', 'file', '-f', demuxer, '-i', `file:${file}`];

export type PictureFit = { square: number } | { within: number };

/** The signature's demuxer for bytes declared as a picture type, or a 415 problem. */
function kindOf(bytes: Buffer, declaredType: string): { demuxer: string; codec: string } {
  const kind = demuxerOf(bytes);
  if (!kind) throw notAPicture();
  if (!(PICTURE_TYPES as readonly string[]).includes(declaredType.split(';')[0]!.trim().toLowerCase())) {
    throw notAPicture('Send the picture with Content-Type image/jpeg, image/png or image/webp.');
  }
  return kind;
}

/** ffprobe must find exactly one still of the signature's codec, of a size we will decode. */
async function probe(kind: { demuxer: string; codec: string }, source: string): Promise<void> {
  const probed = await run('ffprobe', ['-v', 'error', ...inputArgs(kind.demuxer, source), '-print_format', 'json', '-show_streams']).catch(() => {
    throw notAPicture('This file is not a picture we can read.');
  });
  const streams = (JSON.parse(probed) as { streams?: { codec_type?: string; codec_name?: string; width?: number; height?: number }[] }).streams ?? [];
  const picture = streams.length === 1 ? streams[0] : undefined;
  if (!picture || picture.codec_type !== 'video' || picture.codec_name !== kind.codec || !picture.width || !picture.height) {
    throw notAPicture('This file is not a picture we can read.');
  }
  if (picture.width > MAX_SIDE || picture.height > MAX_SIDE) {
    throw unprocessable(`The picture is larger than ${MAX_SIDE} × ${MAX_SIDE} pixels.`, { file: [`must be at most ${MAX_SIDE} pixels on each side`] });
  }
}

/**
 * Checks uploaded bytes are a readable JPEG, PNG or WebP picture (signature and ffprobe) without
 * changing them; anything else gets a 415 problem (422 if too large to decode). `workDir` holds
 * the upload while it is checked and is left empty.
 */
export async function checkPicture(bytes: Buffer, declaredType: string, workDir: string): Promise<void> {
  const kind = kindOf(bytes, declaredType);
  await mkdir(workDir, { recursive: true });
  const source = path.join(workDir, randomUUID());
  try {
    await writeFile(source, bytes, { flag: 'wx' });
    await probe(kind, source);
  } finally {
    await rm(source, { force: true });
  }
}

/**
 * Re-encodes uploaded bytes as a JPEG at `target`: checked to be a JPEG, PNG or WebP picture by its
 * signature and by ffprobe, then cut to a square or scaled to fit a box, by ffmpeg (which also drops
 * any metadata, such as where a photo was taken). `workDir` holds the upload while it is checked.
 * Anything else gets a 415 problem (422 for a picture too large to decode) and leaves no file.
 */
export async function storePicture(bytes: Buffer, declaredType: string, workDir: string, target: string, fit: PictureFit): Promise<void> {
  const kind = kindOf(bytes, declaredType);
  await mkdir(workDir, { recursive: true });
  await mkdir(path.dirname(target), { recursive: true });
  const source = path.join(workDir, randomUUID());
  try {
    await writeFile(source, bytes, { flag: 'wx' });
    await probe(kind, source);
    const shape =
      'square' in fit
        ? `scale=${fit.square}:${fit.square}:force_original_aspect_ratio=increase,crop=${fit.square}:${fit.square}`
        : `scale='min(${fit.within},iw)':'min(${fit.within},ih)':force_original_aspect_ratio=decrease,scale=trunc(iw/2)*2:trunc(ih/2)*2`;
    await run('ffmpeg', ['-v', 'error', '-nostdin', ...inputArgs(kind.demuxer, source), '-frames:v', '1', '-map_metadata', '-1', '-vf', `${shape},format=yuvj420p`, '-c:v', 'mjpeg', '-q:v', '3', '-f', 'mjpeg', '-y', `file:${target}`]).catch(() => {
      throw notAPicture('This picture could not be read.');
    });
  } catch (error) {
    await rm(target, { force: true });
    throw error;
  } finally {
    await rm(source, { force: true });
  }
}
