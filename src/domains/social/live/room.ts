import type { WebSocket } from 'ws';

/**
 * The live rooms this process holds: every viewer socket, fan-out of what happens in a room, and
 * likes batched into one message per room per tick. Everything sent carries `at`, the server's
 * time, so every viewer's clock for a countdown is the same one.
 *
 * Rooms are in-process: the platform bus is a durable, shared-consumer event queue (JetStream),
 * not a fan-out, so viewers connected to another process hear what that process's room sees.
 * What is kept (comments, bans, the pin, counts) is in the database and every process reads it.
 */

export const LIKE_FLUSH_MS = 500;
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

export class Rooms {
  private readonly rooms = new Map<string, Room>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly onFlush: (totals: RoomTotals[]) => Promise<void>) {
    this.timer = setInterval(() => void this.flush(), LIKE_FLUSH_MS);
    this.timer.unref();
  }

  private room(liveId: string, likeTotal = 0): Room {
    let room = this.rooms.get(liveId);
    if (!room) {
      room = { viewers: new Set(), pendingLikes: 0, likeTotal, joinsSinceFlush: 0, peak: 0, lastCountSent: -1 };
      this.rooms.set(liveId, room);
    }
    return room;
  }

  join(liveId: string, viewer: Viewer, likeTotal: number): number {
    const room = this.room(liveId, likeTotal);
    room.viewers.add(viewer);
    room.joinsSinceFlush += 1;
    room.peak = Math.max(room.peak, room.viewers.size);
    return room.viewers.size;
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

  viewerCount(liveId: string): number {
    return this.rooms.get(liveId)?.viewers.size ?? 0;
  }

  /** Sends one message to everyone in the room, written once; one `from` an author goes to no one who hides them. */
  send(liveId: string, message: Record<string, unknown>, from?: string): void {
    const room = this.rooms.get(liveId);
    if (!room || room.viewers.size === 0) return;
    const text = JSON.stringify({ ...message, at: new Date().toISOString() });
    for (const viewer of room.viewers) {
      if (from !== undefined && viewer.hidden?.has(from)) continue;
      if (viewer.socket.readyState === viewer.socket.OPEN) viewer.socket.send(text);
    }
  }

  like(liveId: string, count: number): void {
    const room = this.rooms.get(liveId);
    if (room) room.pendingLikes += count;
  }

  /** Closes every socket of `subject` in the room (a removed viewer). */
  kick(liveId: string, subject: string, code: number, reason: string): void {
    for (const viewer of this.rooms.get(liveId)?.viewers ?? []) {
      if (viewer.subject === subject) viewer.socket.close(code, reason);
    }
  }

  /** Closes the room: everyone is told it ended and disconnected. */
  close(liveId: string, message: Record<string, unknown>): void {
    this.send(liveId, message);
    const room = this.rooms.get(liveId);
    if (!room) return;
    for (const viewer of room.viewers) viewer.socket.close(1000, 'live ended');
  }

  async flush(): Promise<void> {
    const totals: RoomTotals[] = [];
    for (const [liveId, room] of this.rooms) {
      const count = room.viewers.size;
      if (room.pendingLikes > 0) {
        room.likeTotal += room.pendingLikes;
        this.send(liveId, { type: 'likes', count: room.pendingLikes, total: room.likeTotal });
      }
      if (count !== room.lastCountSent) {
        room.lastCountSent = count;
        this.send(liveId, { type: 'viewers', count });
      }
      if (room.pendingLikes > 0 || room.joinsSinceFlush > 0) totals.push({ liveId, likes: room.pendingLikes, joins: room.joinsSinceFlush, viewers: room.peak });
      room.pendingLikes = 0;
      room.joinsSinceFlush = 0;
      room.peak = count;
      if (count === 0) this.rooms.delete(liveId);
    }
    if (totals.length > 0) await this.onFlush(totals).catch(() => undefined);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
