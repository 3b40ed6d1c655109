import type { WebSocket } from 'ws';
import type { Broadcast } from '../../../platform/broadcast.js';
import { isSubjectToken } from '../../../platform/broadcast.js';

/**
 * The live rooms this process holds: every viewer socket, fan-out of what happens in a room, and
 * likes batched into one message per room per tick. Everything sent carries `at`, the server's
 * time, so every viewer's clock for a countdown is the same one.
 *
 * Several social processes share their rooms over a broadcast (NATS core publish/subscribe, not
 * the event bus: room messages are ephemeral). Each message a process sends to its own sockets it
 * also publishes once on `live.<liveId>`; every other process relays it to its sockets, so each
 * viewer hears it exactly once wherever it happened. Each process announces how many viewers it
 * holds every VIEWER_ANNOUNCE_MS; a room's count is its own plus every announcement younger than
 * VIEWER_COUNT_TTL_MS. What is kept (comments, bans, the pin, counts) is in the database.
 */

export const LIKE_FLUSH_MS = 500;
/** How often each process tells the others how many viewers it holds in each room. */
export const VIEWER_ANNOUNCE_MS = 2_000;
/** An announcement not renewed within this is forgotten (its process stopped or crashed). */
export const VIEWER_COUNT_TTL_MS = 6_000;
/** More messages than this from one socket within FLOOD_WINDOW_MS closes it. */
export const FLOOD_MESSAGES = 20;
export const FLOOD_WINDOW_MS = 5_000;
/** A room message is small; bigger closes the socket (1009). */
export const MAX_ROOM_MESSAGE_BYTES = 4096;

export interface Viewer {
  socket: WebSocket;
  /** Social subject when signed in. */
  subject: string | undefined;
  handle: string | undefined;
  host: boolean;
  /** Authors this viewer does not see (blocks either way, mutes), as of joining: their comments are not sent to them. */
  hidden?: ReadonlySet<string>;
  /** Times of this socket's recent messages (flood control). */
  recent: number[];
}

interface Room {
  viewers: Set<Viewer>;
  pendingLikes: number;
  likeTotal: number;
  joinsSinceFlush: number;
  peak: number;
  lastCountSent: number;
}

export interface RoomTotals {
  liveId: string;
  likes: number;
  joins: number;
  viewers: number;
}

/** What travels between processes, one JSON object per message. */
type Relay =
  /** A message for every viewer (`text` as sent, `from` its author for those who hide them). */
  | { o: string; k: 'send'; text: string; from?: string }
  | { o: string; k: 'likes'; n: number }
  | { o: string; k: 'kick'; subject: string; code: number; reason: string }
  | { o: string; k: 'close'; text: string }
  | { o: string; k: 'count'; n: number }
  /** Every socket of `subject` in every room (an erased person). */
  | { o: string; k: 'forget'; subject: string; code: number; reason: string };
type Outgoing = Relay extends infer R ? (R extends Relay ? Omit<R, 'o'> : never) : never;

export interface RoomsOptions {
  /** Other social processes' rooms; without it the rooms are this process's alone. */
  broadcast?: Broadcast;
  /** Another process closed a room because its live ended: finish here what this process holds of it. */
  onRemoteClose?: (liveId: string) => void;
  warn?: (message: string, detail: Record<string, unknown>) => void;
}

const roomSubject = (liveId: string) => `live.${liveId}`;
/** Not a live id (those are UUIDs): the subject of messages about every room. */
const FORGET_ROOM = 'every';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class Rooms {
  private readonly rooms = new Map<string, Room>();
  /** Per live, per other process: how many viewers it announced, until when that holds. */
  private readonly elsewhere = new Map<string, Map<string, { count: number; until: number }>>();
  private readonly timer: NodeJS.Timeout;
  private readonly announcer: NodeJS.Timeout;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly onFlush: (totals: RoomTotals[]) => Promise<void>,
    private readonly options: RoomsOptions = {},
  ) {
    this.timer = setInterval(() => void this.flush(), LIKE_FLUSH_MS);
    this.timer.unref();
    this.announcer = setInterval(() => this.announce(), VIEWER_ANNOUNCE_MS);
    this.announcer.unref();
  }

  /** Starts hearing the other processes' rooms (resolves once subscribed). */
  async listen(): Promise<void> {
    if (!this.options.broadcast || this.unsubscribe) return;
    this.unsubscribe = await this.options.broadcast.subscribe('live.*', (data, subject) => this.heard(subject.slice('live.'.length), data));
  }

  private relay(liveId: string, message: Outgoing): void {
    const broadcast = this.options.broadcast;
    if (!broadcast || !isSubjectToken(liveId)) return;
    broadcast.publish(roomSubject(liveId), encoder.encode(JSON.stringify({ ...message, o: broadcast.origin })));
  }

  /** A message from another process: to this process's sockets only, never published again. */
  private heard(liveId: string, data: Uint8Array): void {
    let message: Relay;
    try {
      message = JSON.parse(decoder.decode(data)) as Relay;
    } catch {
      return this.options.warn?.('fan-out message is not JSON; dropped', { liveId });
    }
    if (typeof message !== 'object' || message === null || typeof message.o !== 'string' || message.o === this.options.broadcast?.origin) return;
    switch (message.k) {
      case 'send':
        if (typeof message.text === 'string') this.deliver(liveId, message.text, typeof message.from === 'string' ? message.from : undefined);
        return;
      case 'likes': {
        const room = this.rooms.get(liveId);
        if (!room || !Number.isInteger(message.n) || message.n < 1) return;
        room.likeTotal += message.n;
        this.deliver(liveId, this.stamp({ type: 'likes', count: message.n, total: room.likeTotal }));
        return;
      }
      case 'kick':
        if (typeof message.subject === 'string') this.closeSocketsOf(liveId, message.subject, message.code, String(message.reason));
        return;
      case 'close':
        if (typeof message.text === 'string') this.closeHere(liveId, message.text);
        this.options.onRemoteClose?.(liveId);
        return;
      case 'forget':
        if (typeof message.subject === 'string') this.closeSocketsEverywhereOf(message.subject, message.code, String(message.reason));
        return;
      case 'count': {
        if (!Number.isInteger(message.n) || message.n < 0) return;
        let counts = this.elsewhere.get(liveId);
        if (!counts) this.elsewhere.set(liveId, (counts = new Map()));
        if (message.n === 0) counts.delete(message.o);
        else counts.set(message.o, { count: message.n, until: Date.now() + VIEWER_COUNT_TTL_MS });
        if (counts.size === 0) this.elsewhere.delete(liveId);
        return;
      }
    }
  }

  /** Tells the other processes how many viewers this one holds in each of its rooms. */
  private announce(): void {
    if (!this.options.broadcast) return;
    for (const [liveId, room] of this.rooms) this.relay(liveId, { k: 'count', n: room.viewers.size });
  }

  private room(liveId: string, likeTotal = 0): Room {
    let room = this.rooms.get(liveId);
    if (!room) {
      room = { viewers: new Set(), pendingLikes: 0, likeTotal, joinsSinceFlush: 0, peak: 0, lastCountSent: -1 };
      this.rooms.set(liveId, room);
    }
    return room;
  }

  /** Adds a viewer; answers the room's viewer count, every process's together. */
  join(liveId: string, viewer: Viewer, likeTotal: number): number {
    const room = this.room(liveId, likeTotal);
    const first = room.viewers.size === 0;
    room.viewers.add(viewer);
    room.joinsSinceFlush += 1;
    // The others count this process in from its first viewer, not only at the next announcement.
    if (first) this.relay(liveId, { k: 'count', n: room.viewers.size });
    const count = this.viewerCount(liveId);
    room.peak = Math.max(room.peak, count);
    return count;
  }

  leave(liveId: string, viewer: Viewer): void {
    const room = this.rooms.get(liveId);
    if (!room) return;
    room.viewers.delete(viewer);
  }

  /** The lives that have a room here now. */
  liveIds(): string[] {
    return [...this.rooms.keys()];
  }

  /** This process's viewers of the live. */
  localCount(liveId: string): number {
    return this.rooms.get(liveId)?.viewers.size ?? 0;
  }

  /** The live's viewers on every process: this one's, and what the others announced lately. */
  viewerCount(liveId: string): number {
    let total = this.localCount(liveId);
    const counts = this.elsewhere.get(liveId);
    if (!counts) return total;
    const now = Date.now();
    for (const [origin, entry] of counts) {
      if (entry.until <= now) counts.delete(origin);
      else total += entry.count;
    }
    if (counts.size === 0) this.elsewhere.delete(liveId);
    return total;
  }

  private stamp(message: Record<string, unknown>): string {
    return JSON.stringify({ ...message, at: new Date().toISOString() });
  }

  /** Writes one prepared message to this process's sockets in the room. */
  private deliver(liveId: string, text: string, from?: string): void {
    const room = this.rooms.get(liveId);
    if (!room || room.viewers.size === 0) return;
    for (const viewer of room.viewers) {
      if (from !== undefined && viewer.hidden?.has(from)) continue;
      if (viewer.socket.readyState === viewer.socket.OPEN) viewer.socket.send(text);
    }
  }

  /** Sends one message to everyone in the room on every process, written once; one `from` an author goes to no one who hides them. */
  send(liveId: string, message: Record<string, unknown>, from?: string): void {
    const text = this.stamp(message);
    this.deliver(liveId, text, from);
    this.relay(liveId, { k: 'send', text, ...(from === undefined ? {} : { from }) });
  }

  like(liveId: string, count: number): void {
    const room = this.rooms.get(liveId);
    if (room) room.pendingLikes += count;
  }

  private closeSocketsOf(liveId: string, subject: string, code: number, reason: string): void {
    for (const viewer of this.rooms.get(liveId)?.viewers ?? []) {
      if (viewer.subject === subject) viewer.socket.close(code, reason);
    }
  }

  /** Closes every socket of `subject` in the room, on every process (a removed viewer). */
  kick(liveId: string, subject: string, code: number, reason: string): void {
    this.closeSocketsOf(liveId, subject, code, reason);
    this.relay(liveId, { k: 'kick', subject, code, reason });
  }

  private closeSocketsEverywhereOf(subject: string, code: number, reason: string): void {
    for (const liveId of this.rooms.keys()) this.closeSocketsOf(liveId, subject, code, reason);
  }

  /** Closes every socket of `subject` in every room of every process (a person erased). */
  forget(subject: string, code: number, reason: string): void {
    this.closeSocketsEverywhereOf(subject, code, reason);
    this.relay(FORGET_ROOM, { k: 'forget', subject, code, reason });
  }

  private closeHere(liveId: string, text: string): void {
    this.deliver(liveId, text);
    for (const viewer of this.rooms.get(liveId)?.viewers ?? []) viewer.socket.close(1000, 'live ended');
  }

  /**
   * Closes the room: everyone is told it ended and disconnected, on every process; `here` only on
   * this one (a process finishing what it held of a live another process ended).
   */
  close(liveId: string, message: Record<string, unknown>, scope: 'everywhere' | 'here' = 'everywhere'): void {
    const text = this.stamp(message);
    this.closeHere(liveId, text);
    if (scope === 'everywhere') this.relay(liveId, { k: 'close', text });
  }

  async flush(): Promise<void> {
    const totals: RoomTotals[] = [];
    for (const [liveId, room] of this.rooms) {
      const local = room.viewers.size;
      const count = this.viewerCount(liveId);
      if (room.pendingLikes > 0) {
        room.likeTotal += room.pendingLikes;
        this.deliver(liveId, this.stamp({ type: 'likes', count: room.pendingLikes, total: room.likeTotal }));
        this.relay(liveId, { k: 'likes', n: room.pendingLikes });
      }
      if (count !== room.lastCountSent) {
        room.lastCountSent = count;
        // Each process tells its own sockets the sum it knows; no need to relay it.
        this.deliver(liveId, this.stamp({ type: 'viewers', count }));
      }
      room.peak = Math.max(room.peak, count);
      if (room.pendingLikes > 0 || room.joinsSinceFlush > 0) totals.push({ liveId, likes: room.pendingLikes, joins: room.joinsSinceFlush, viewers: room.peak });
      room.pendingLikes = 0;
      room.joinsSinceFlush = 0;
      room.peak = count;
      if (local === 0) {
        this.rooms.delete(liveId);
        // The others stop counting this process at once rather than when its last count expires.
        this.relay(liveId, { k: 'count', n: 0 });
      }
    }
    if (totals.length > 0) await this.onFlush(totals).catch(() => undefined);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.announcer);
    for (const room of this.rooms.values()) room.viewers.clear();
    await this.flush();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}
