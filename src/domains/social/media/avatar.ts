import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { storePicture } from '../../../platform/pictures.js';
import { AVATAR_URL_PREFIX, type MediaPaths } from './paths.js';

/** The square an avatar is cut and scaled to. */
export const AVATAR_SIZE = 256;
const AVATAR_FILE = /^[0-9a-f-]{36}\.jpg$/;

/** Stores uploaded bytes as an avatar (checked, cut to a 256 px square, re-encoded); returns its URL. */
export async function storeAvatar(media: MediaPaths, declaredType: string, bytes: Buffer): Promise<string> {
  const name = `${randomUUID()}.jpg`;
  await storePicture(bytes, declaredType, media.incoming, path.join(media.avatars, name), { square: AVATAR_SIZE });
  return AVATAR_URL_PREFIX + name;
}

/** The file behind one of our avatar URLs, or undefined for any other URL. */
export function avatarFileOf(media: MediaPaths, url: string | null): string | undefined {
  if (!url?.startsWith(AVATAR_URL_PREFIX)) return undefined;
  const name = url.slice(AVATAR_URL_PREFIX.length);
  return AVATAR_FILE.test(name) ? path.join(media.avatars, name) : undefined;
}
