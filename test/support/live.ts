import { spawn, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';

/** An RTMP publisher: ffmpeg, and its exit code once it ends. */
export interface Publisher {
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** A publisher as OBS would be: H.264 with a keyframe a second, AAC, over RTMP. */
export function publishRtmp(url: string, options: { seconds?: number; size?: string; rate?: number } = {}): Publisher {
  const { seconds = 60, size = '426x240', rate = 30 } = options;
  const child = spawn(
    'ffmpeg',
    [
      '-hide_banner', '-v', 'error', '-re',
      '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}`,
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', String(seconds),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(rate), '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '64k',
      '-f', 'flv', url,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited };
}

/** A live room's message: its `type` and whatever the room put beside it. */
export type RoomMessage = Record<string, any>;

/** A room WebSocket as a viewer holds it; each message goes to one `next` of its type, before or after the call. */
export interface RoomSocket {
  ws: WebSocket;
  messages: RoomMessage[];
  closed: Promise<number>;
  next(type: string, timeoutMs?: number): Promise<RoomMessage>;
  of(type: string): RoomMessage[];
}

/** Opens a room socket at `url` (ws://…/api/social/lives/:id/room) with these headers. */
export function openRoom(url: string, headers: Record<string, string> = {}): Promise<RoomSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const messages: RoomMessage[] = [];
    const unclaimed: RoomMessage[] = [];
    const waiters: { type: string; resolve: (m: RoomMessage) => void }[] = [];
    const closed = new Promise<number>((done) => ws.on('close', (code) => done(code)));
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as RoomMessage;
      messages.push(message);
      const waiter = waiters.find((w) => w.type === message.type);
      if (waiter) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      } else unclaimed.push(message);
    });
    const socket: RoomSocket = {
      ws,
      messages,
      closed,
      of: (type) => messages.filter((m) => m.type === type),
      next: (type, timeoutMs = 10_000) =>
        new Promise((done, fail) => {
          const early = unclaimed.find((m) => m.type === type);
          if (early) {
            unclaimed.splice(unclaimed.indexOf(early), 1);
            return done(early);
          }
          const timer = setTimeout(() => fail(new Error(`no ${type} message`)), timeoutMs);
          waiters.push({ type, resolve: (m) => (clearTimeout(timer), done(m)) });
        }),
    };
    ws.once('error', reject);
    ws.once('open', () => resolve(socket));
  });
}
