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
  /** Live HLS as it is packaged (served under /media/live/). */
  readonly live: string;
  /** Each publish's recording, until it becomes the replay (never served). */
  readonly recordings: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'media');
    this.videos = path.join(this.root, 'videos');
    this.sources = path.join(this.root, 'sources');
    this.incoming = path.join(this.root, 'incoming');
    this.uploads = path.join(this.root, 'uploads');
    this.work = path.join(this.root, 'work');
    this.avatars = path.join(this.root, 'avatars');
    this.live = path.join(this.root, 'live');
    this.recordings = path.join(this.root, 'recordings');
  }

  /** One publish of a live: a folder of its own, so a reconnect never rewrites what players cached. */
  livePublishDir(liveId: string, publish: number): string {
    return path.join(this.live, liveId, String(publish));
  }

  recordingOf(liveId: string, publish: number): string {
    return path.join(this.recordings, `${liveId}-${publish}.mkv`);
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
export const LIVE_URL_PREFIX = '/media/live/';

export const livePlaylistUrl = (liveId: string, publish: number) => `${LIVE_URL_PREFIX}${liveId}/${publish}/index.m3u8`;

export const masterUrl = (id: string) => `${MEDIA_URL_PREFIX}${id}/master.m3u8`;
export const posterUrl = (id: string) => `${MEDIA_URL_PREFIX}${id}/poster.jpg`;
