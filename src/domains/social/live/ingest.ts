import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Logger } from 'pino';

/**
 * RTMP ingest with node-media-server (v4). Only its RTMP session and broadcast code are used:
 * Sekat listens itself (so a port in use is a logged refusal, not node-media-server's
 * `process.exit`), starts none of its HTTP-FLV, API, recording or relay servers, and lets nobody
 * play a stream back over RTMP (every external play fails its signature check against a secret
 * no one is told). Packaging reads each stream from inside the process, through an internal
 * subscriber that receives the stream as FLV bytes.
 *
 * node-media-server keeps its sessions in one module-wide context, so there is one ingest per
 * process; several Sekat instances in one process (tests) share it, each asked in turn whether a
 * stream key is theirs.
 */

const require = createRequire(import.meta.url);

interface NmsBroadcast {
  publisher: NmsSession | null;
  flvVideoHeader: Buffer | null;
  flvAudioHeader: Buffer | null;
  postPlay(session: InternalSubscriber): string | null;
  donePlay(session: InternalSubscriber): void;
}

interface NmsSession {
  id: string;
  ip: string;
  protocol: string;
  streamApp: string;
  streamName: string;
  socket?: net.Socket;
  broadcast: NmsBroadcast;
  close(): void;
}

interface InternalSubscriber {
  id: string;
  ip: '';
  protocol: 'flv';
  streamPath: string;
  sendBuffer(buffer: Buffer): void;
  close(): void;
}

interface NodeMediaServerClass {
  new (config: Record<string, unknown>): {
    on(event: string, listener: (session: NmsSession) => void): void;
    rtmpServer: { handleRequest(socket: net.Socket): void };
  };
}

/** The codecs a publisher sends, read from its FLV sequence headers. */
export interface PublishCodecs {
  /** H.264 (FLV codec 7): HLS carries it as is. */
  h264: boolean;
  hasAudio: boolean;
  /** AAC (FLV sound format 10). */
  aac: boolean;
}

/** One publisher on one stream key, as the handler that accepted it sees it. */
export interface Publish {
  readonly streamKey: string;
  /** What the bytes `pipe` hands on are: FLV (RTMP, the default) or a browser's WebM or MP4. */
  readonly container?: 'flv' | 'matroska' | 'mp4';
  /** Waits (up to `waitMs`) for the sequence headers and says what the stream carries. */
  codecs(waitMs?: number): Promise<PublishCodecs>;
  /** Sends the stream as FLV bytes (header, sequence headers, the current GOP, then live) to `write`; returns the detach. */
  pipe(write: (chunk: Buffer) => void): () => void;
  /** Disconnects the publisher (`unplayable`: its stream could not be packaged). */
  close(reason?: 'ended' | 'unplayable'): void;
  /** Called once when the publisher's connection is gone. */
  onClose(listener: () => void): void;
}

/** Takes a publish (true) or leaves it to another instance (false). */
export type PublishHandler = (publish: Publish) => Promise<boolean>;

export const RTMP_APP = 'live';

interface Shared {
  server: net.Server;
  sockets: Set<net.Socket>;
  port: number;
  handlers: Set<PublishHandler>;
  log: Logger;
}

let shared: Promise<Shared | undefined> | undefined;

function codecsOf(broadcast: NmsBroadcast): PublishCodecs {
  // An FLV tag is an 11-byte header, then the codec byte: video frame type | codec id (the top
  // bit marks an enhanced-RTMP FourCC header: HEVC, AV1, VP9), audio sound format in the top nibble.
  const video = broadcast.flvVideoHeader?.[11];
  const audio = broadcast.flvAudioHeader?.[11];
  return {
    h264: video !== undefined && (video & 0x80) === 0 && (video & 0x0f) === 7,
    hasAudio: audio !== undefined,
    aac: audio !== undefined && audio >> 4 === 10,
  };
}

function publishOf(session: NmsSession, onGone: Set<() => void>): Publish {
  const broadcast = session.broadcast;
  return {
    streamKey: session.streamName,
    async codecs(waitMs = 2000) {
      const until = Date.now() + waitMs;
      while (Date.now() < until && !(broadcast.flvVideoHeader && broadcast.flvAudioHeader)) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return codecsOf(broadcast);
    },
    pipe(write) {
      const subscriber: InternalSubscriber = {
        id: `sekat-${randomBytes(8).toString('hex')}`,
        ip: '',
        protocol: 'flv',
        streamPath: `/${RTMP_APP}/${session.streamName}`,
        sendBuffer: write,
        close: () => undefined,
      };
      broadcast.postPlay(subscriber);
      return () => broadcast.donePlay(subscriber);
    },
    // A cut, not a goodbye: a publisher that only sends may never read a half-close.
    close: () => (session.socket ? session.socket.destroy() : session.close()),
    onClose(listener) {
      onGone.add(listener);
    },
  };
}

async function startShared(host: string, port: number, log: Logger): Promise<Shared | undefined> {
  const NodeMediaServer = require('node-media-server') as NodeMediaServerClass;
  // Its console logger (which its constructor turns to debug) stays quiet; Sekat logs what matters itself.
  (require('node-media-server/src/core/logger.js') as { log: (...args: unknown[]) => void }).log = () => undefined;
  const nms = new NodeMediaServer({
    bind: host,
    // No listener of its own (ports unset), no recording, and a play secret nobody knows.
    record: { auto: false },
    auth: { play: true, publish: false, secret: randomBytes(32).toString('hex') },
    webadmin: { enable: false },
  });
  const handlers = new Set<PublishHandler>();
  const gone = new WeakMap<NmsSession, Set<() => void>>();

  nms.on('prePublish', (session) => {
    if (session.streamApp !== RTMP_APP) session.close();
  });
  nms.on('postPublish', (session) => {
    // node-media-server refuses a second publisher on a path right after this event; wait for
    // its decision, so only the publisher it kept is handed on.
    setImmediate(() => {
      if (session.broadcast.publisher !== session || session.streamApp !== RTMP_APP) return;
      const listeners = new Set<() => void>();
      gone.set(session, listeners);
      let closed = false;
      session.socket?.once('close', () => {
        closed = true;
        for (const listener of listeners) listener();
      });
      const publish = publishOf(session, listeners);
      void (async () => {
        for (const handler of handlers) {
          if (closed) return;
          if (await handler(publish).catch((error: unknown) => (log.error({ err: error }, 'live publish failed'), false))) return;
        }
        log.info('RTMP publish refused: unknown, rotated or ended stream key');
        publish.close();
      })();
    });
  });

  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // A connection that sends nothing for a minute (no handshake, no media) is dropped.
    socket.setTimeout(60_000, () => socket.destroy());
    nms.rtmpServer.handleRequest(socket);
  });
  const bound = await new Promise<number | undefined>((resolve) => {
    server.once('error', (error) => {
      log.error({ err: error, host, port }, 'RTMP ingest could not listen; this process takes no live streams');
      resolve(undefined);
    });
    server.listen(port, host, () => resolve((server.address() as net.AddressInfo).port));
  });
  if (bound === undefined) return undefined;
  log.info({ host, port: bound }, 'RTMP ingest listening');
  return { server, sockets, port: bound, handlers, log };
}

export interface Ingest {
  /** The port RTMP listens on (the real one when 0 was asked for). */
  port: number;
  close(): Promise<void>;
}

/** Joins this process's RTMP ingest (starting it on first use); undefined when it cannot listen. */
export async function openIngest(host: string, port: number, log: Logger, handler: PublishHandler): Promise<Ingest | undefined> {
  shared ??= startShared(host, port, log);
  const ingest = await shared;
  if (!ingest) {
    shared = undefined;
    return undefined;
  }
  ingest.handlers.add(handler);
  return {
    port: ingest.port,
    async close() {
      ingest.handlers.delete(handler);
      if (ingest.handlers.size > 0) return;
      if (shared && (await shared) === ingest) shared = undefined;
      await new Promise<void>((resolve) => {
        ingest.server.close(() => resolve());
        // Publishers still connected are dropped, so close returns.
        for (const socket of ingest.sockets) socket.destroy();
      });
    },
  };
}
