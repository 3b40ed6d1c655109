import path from 'node:path';

/** Where social keeps its media under DATA_DIR/media. Only `videos/` and `avatars/` are served over HTTP. */
export class MediaPaths {
  readonly root: string;
  readonly videos: string;
  readonly sources: string;
  readonly incoming: string;
  readonly uploads: string;
  readonly work: string;
  readonly avatars: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'media');
    this.videos = path.join(this.root, 'videos');
    this.sources = path.join(this.root, 'sources');
    this.incoming = path.join(this.root, 'incoming');
    this.uploads = path.join(this.root, 'uploads');
    this.work = path.join(this.root, 'work');
    this.avatars = path.join(this.root, 'avatars');
  }

  videoDir(id: string): string {
    return path.join(this.videos, id);
  }

  sourceOf(id: string): string {
    return path.join(this.sources, id);
  }

  /**
   * Where one attempt at transcoding a video writes until its output is complete: each attempt
   * its own, since the ffmpeg of a worker that was killed outlives it and may still be writing.
   */
  workDirOf(id: string, attempt: number): string {
    return path.join(this.work, `${id}.${attempt}`);
  }
}

export const MEDIA_URL_PREFIX = '/media/videos/';
export const AVATAR_URL_PREFIX = '/media/avatars/';

export const masterUrl = (id: string) => `${MEDIA_URL_PREFIX}${id}/master.m3u8`;
export const posterUrl = (id: string) => `${MEDIA_URL_PREFIX}${id}/poster.jpg`;
