import type { WebSocket } from 'ws';
import type { Publish, PublishCodecs } from './ingest.js';
import type { PublishContainer } from './packager.js';

/**
 * "Live dari kamera": a browser's MediaRecorder output arriving over a WebSocket, handed to the
 * packager like an RTMP publish. The browser records WebM (VP8 or VP9 and Opus) or, on Safari,
 * fragmented MP4; both are encoded to H.264/AAC, which every phone plays.
 */

/** One recorder chunk (a second of camera at a phone's bitrate is a few hundred KB). */
export const MAX_PUBLISH_CHUNK_BYTES = 1024 * 1024;
/** What may wait for ffmpeg to start before the publish is dropped. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/** The container the first bytes of a recording announce, or undefined for anything else. */
export function containerOf(first: Buffer): Exclude<PublishContainer, 'flv'> | undefined {
  // An EBML header (Matroska, WebM), or an ISO BMFF file starting with its `ftyp` box.
  if (first.length >= 4 && first.readUInt32BE(0) === 0x1a45dfa3) return 'matroska';
  if (first.length >= 16 && first.toString('latin1', 4, 8) === 'ftyp') {
    const size = first.readUInt32BE(0);
    if (size < 16 || size > 1024) return undefined;
    // Read from a pipe, an MP4 must say what it holds before its samples: the `moov` (empty in
    // Safari's fragmented recording) comes before any media data, padding boxes aside.
    for (let at = size; at + 8 <= first.length; ) {
      const type = first.toString('latin1', at + 4, at + 8);
      if (type === 'moov') return 'mp4';
      if (type !== 'free' && type !== 'skip' && type !== 'wide') return undefined;
      const box = first.readUInt32BE(at);
      if (box < 8) return undefined;
      at += box;
    }
    // The first chunk ended before the next box: ffmpeg judges the rest.
    return 'mp4';
  }
  return undefined;
}

/** What the publisher may say it sends (`?container=`): WebM from Chromium and Firefox, fragmented MP4 from Safari. */
export const CLAIMED_CONTAINER = { webm: 'matroska', mp4: 'mp4' } as const satisfies Record<string, Exclude<PublishContainer, 'flv'>>;
export type ClaimedContainer = keyof typeof CLAIMED_CONTAINER;

/**
 * The container of a recording's first bytes, when they are what the publisher said it sends
 * (anything when it said nothing); undefined refuses it.
 */
export function acceptedContainer(first: Buffer, claimed: ClaimedContainer | undefined): Exclude<PublishContainer, 'flv'> | undefined {
  const found = containerOf(first);
  if (!found) return undefined;
  if (claimed !== undefined && CLAIMED_CONTAINER[claimed] !== found) return undefined;
  return found;
}

/** The close codes a browser publisher may see. */
export const PUBLISH_CLOSE = {
  ended: 1000,
  unplayable: 1003,
  crossSite: 1008,
  tooBig: 1009,
  signIn: 4401,
  forbidden: 4403,
  notFound: 4404,
  busy: 4409,
} as const;

export class BrowserPublish implements Publish {
  readonly streamKey = '';
  private writer: ((chunk: Buffer) => void) | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly listeners = new Set<() => void>();
  private gone = false;

  constructor(
    readonly container: Exclude<PublishContainer, 'flv'>,
    private readonly socket: WebSocket,
  ) {
    socket.once('close', () => {
      this.gone = true;
      for (const listener of this.listeners) listener();
    });
  }

  /** A browser's codecs are not read ahead: all of it is encoded, and a missing sound track is allowed for. */
  async codecs(): Promise<PublishCodecs> {
    return { h264: false, hasAudio: true, aac: false };
  }

  /** One chunk from the recorder, passed on at once or kept until the packager reads. */
  push(chunk: Buffer): void {
    if (this.writer) return this.writer(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes > MAX_PENDING_BYTES) return this.close('unplayable');
    this.pending.push(chunk);
  }

  pipe(write: (chunk: Buffer) => void): () => void {
    this.writer = write;
    for (const chunk of this.pending) write(chunk);
    this.pending = [];
    this.pendingBytes = 0;
    return () => {
      this.writer = undefined;
    };
  }

  close(reason: 'ended' | 'unplayable' = 'ended'): void {
    if (this.gone) return;
    if (reason === 'unplayable') this.socket.close(PUBLISH_CLOSE.unplayable, 'not a playable recording');
    else this.socket.close(PUBLISH_CLOSE.ended, 'publish ended');
    // A peer that never answers the close handshake is cut off.
    setTimeout(() => this.socket.terminate(), 3_000).unref();
  }

  onClose(listener: () => void): void {
    if (this.gone) listener();
    else this.listeners.add(listener);
  }
}
