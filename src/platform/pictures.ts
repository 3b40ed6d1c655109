import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HttpProblem, unprocessable } from './errors.js';

/** The pictures people may upload (avatars, review photos, product photos). */
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

/** What ffprobe read of the one still: its size and the EXIF orientation a camera wrote (1 when none). */
interface Probed {
  width: number;
  height: number;
  orientation: number;
}

/** ffprobe must find exactly one still of the signature's codec, of a size we will decode. */
async function probe(kind: { demuxer: string; codec: string }, source: string): Promise<Probed> {
  const probed = await run('ffprobe', [
    '-v', 'error', ...inputArgs(kind.demuxer, source), '-print_format', 'json',
    '-show_entries', 'stream=codec_type,codec_name,width,height:frame_tags=Orientation',
  ]).catch(() => {
    throw notAPicture('This file is not a picture we can read.');
  });
  const parsed = JSON.parse(probed) as {
    streams?: { codec_type?: string; codec_name?: string; width?: number; height?: number }[];
    frames?: { tags?: { Orientation?: string } }[];
  };
  const streams = parsed.streams ?? [];
  const picture = streams.length === 1 ? streams[0] : undefined;
  if (!picture || picture.codec_type !== 'video' || picture.codec_name !== kind.codec || !picture.width || !picture.height) {
    throw notAPicture('This file is not a picture we can read.');
  }
  if (picture.width > MAX_SIDE || picture.height > MAX_SIDE) {
    throw unprocessable(`The picture is larger than ${MAX_SIDE} × ${MAX_SIDE} pixels.`, { file: [`must be at most ${MAX_SIDE} pixels on each side`] });
  }
  const orientation = Number(parsed.frames?.[0]?.tags?.Orientation?.trim() ?? 1);
  return { width: picture.width, height: picture.height, orientation: Number.isInteger(orientation) && orientation >= 1 && orientation <= 8 ? orientation : 1 };
}

/**
 * The filters that turn a picture the way its EXIF orientation says it is to be seen: the tag goes
 * when the metadata is dropped, so the pixels must be turned first (else a phone photo lies on its side).
 */
const UPRIGHT: Record<number, string[]> = {
  1: [],
  2: ['hflip'],
  3: ['hflip', 'vflip'],
  4: ['vflip'],
  5: ['transpose=0'],
  6: ['transpose=1'],
  7: ['transpose=3'],
  8: ['transpose=2'],
};

/**
 * Keeps only what a JPEG needs to be drawn: every APP segment but the JFIF header (EXIF with its GPS
 * position, XMP, ICC profiles, maker notes) and every comment is dropped. ffmpeg already leaves out
 * EXIF and XMP but copies an ICC profile and writes its own comment; this settles it for any version.
 */
export function stripJpegMetadata(jpeg: Buffer): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG');
  const kept: Buffer[] = [jpeg.subarray(0, 2)];
  let at = 2;
  while (at + 4 <= jpeg.length) {
    if (jpeg[at] !== 0xff) throw new Error('broken JPEG segment');
    const marker = jpeg[at + 1]!;
    if (marker === 0xda) {
      // Start of scan: the coded picture and everything after it stay as they are.
      kept.push(jpeg.subarray(at));
      return Buffer.concat(kept);
    }
    const length = jpeg.readUInt16BE(at + 2);
    const segment = jpeg.subarray(at, at + 2 + length);
    const isJfif = marker === 0xe0 && segment.toString('latin1', 4, 9) === 'JFIF\0';
    const isMetadata = (marker >= 0xe0 && marker <= 0xef && !isJfif) || marker === 0xfe;
    if (!isMetadata) kept.push(segment);
    at += 2 + length;
  }
  throw new Error('JPEG without a picture');
}

/**
 * Re-encodes uploaded bytes as a JPEG at `target`: checked to be a JPEG, PNG or WebP picture by its
 * signature and by ffprobe, turned upright by its EXIF orientation, laid on white (a transparent
 * PNG would turn black), cut to a square or scaled to fit a box by ffmpeg, and stripped of every
 * metadata segment (no photo keeps where it was taken, with what, or by whom). `workDir` holds the
 * upload while it is checked. Anything else gets a 415 problem (422 for a picture too large to
 * decode) and leaves no file.
 */
export async function storePicture(bytes: Buffer, declaredType: string, workDir: string, target: string, fit: PictureFit): Promise<void> {
  const kind = kindOf(bytes, declaredType);
  await mkdir(workDir, { recursive: true });
  await mkdir(path.dirname(target), { recursive: true });
  const source = path.join(workDir, randomUUID());
  const encoded = path.join(workDir, `${randomUUID()}.jpg`);
  try {
    await writeFile(source, bytes, { flag: 'wx' });
    const { width, height, orientation } = await probe(kind, source);
    const shape =
      'square' in fit
        ? `scale=${fit.square}:${fit.square}:force_original_aspect_ratio=increase,crop=${fit.square}:${fit.square}`
        : `scale='min(${fit.within},iw)':'min(${fit.within},ih)':force_original_aspect_ratio=decrease,scale=trunc(iw/2)*2:trunc(ih/2)*2`;
    const graph = `color=c=white:s=${width}x${height}[paper];[paper][0:v]overlay=shortest=1,${[...UPRIGHT[orientation]!, shape, 'format=yuvj420p'].join(',')}`;
    await run('ffmpeg', [
      '-v', 'error', '-nostdin', ...inputArgs(kind.demuxer, source), '-filter_complex', graph, '-frames:v', '1',
      '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact', '-c:v', 'mjpeg', '-q:v', '3', '-f', 'mjpeg', '-y', `file:${encoded}`,
    ]).catch(() => {
      throw notAPicture('This picture could not be read.');
    });
    await writeFile(target, stripJpegMetadata(await readFile(encoded)), { flag: 'wx' });
  } catch (error) {
    await rm(target, { force: true });
    throw error;
  } finally {
    await rm(source, { force: true });
    await rm(encoded, { force: true });
  }
}
