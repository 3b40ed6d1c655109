import path from 'node:path';

/** Where social keeps its media under DATA_DIR/media. Only `videos/` and `avatars/` are served over HTTP. */
export class MediaPaths {
  readonly root: string;
  readonly videos: string;
  readonly sources: string;
  readonly incoming: string;
  readonly uploads: string;
  readonly avatars: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'media');
    this.videos = path.join(this.root, 'videos');
    this.sources = path.join(this.root, 'sources');
    this.incoming = path.join(this.root, 'incoming');
    this.uploads = path.join(this.root, 'uploads');
    this.avatars = path.join(this.root, 'avatars');
  }

  videoDir(id: string): string {
    return path.join(this.videos, id);
  }

  sourceOf(id: string): string {
    return path.join(this.sources, id);
  }
}

export const MEDIA_URL_PREFIX = '/media/videos/';
export const AVATAR_URL_PREFIX = '/media/avatars/';

export const masterUrl = (id: string) => `${MEDIA_URL_PREFIX}${id}/master.m3u8`;
export const posterUrl = (id: string) => `${MEDIA_URL_PREFIX}${id}/poster.jpg`;
