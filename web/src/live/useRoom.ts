import { useEffect, useRef, useState } from 'react';
import type { Live, LiveComment, LiveDrop, ProductTag } from '../api/types';

export interface RoomState {
  live: Live | null;
  comments: LiveComment[];
  viewers: number;
  likes: number;
  pinned: ProductTag | null;
  playlistUrl: string | null;
  ended: { replayVideoId: string | null } | null;
  you: { signedIn: boolean; host: boolean; muted: boolean } | null;
  /** Why the room would not have us (removed by the host, no such live). */
  refused: 'removed' | 'gone' | null;
  /** The last problem the room answered a comment with. */
  error: string | null;
  /** Server time minus this device's time, from the stamps on every message. */
  clockOffsetMs: number;
  /** Vouchers and flash-sale countdowns the host dropped. */
  drops: LiveDrop[];
}

const initial: RoomState = {
  live: null, comments: [], viewers: 0, likes: 0, pinned: null, playlistUrl: null,
  ended: null, you: null, refused: null, error: null, clockOffsetMs: 0, drops: [],
};

type Message = { type: string; at?: string; [key: string]: unknown };

/** The live room over WebSocket: what everyone sees, and sending comments and likes. */
export function useRoom(liveId: string | undefined) {
  const [state, setState] = useState<RoomState>(initial);
  const socket = useRef<WebSocket | null>(null);

  useEffect(() => {
    if (!liveId) return;
    let stopped = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const open = () => {
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      const ws = new WebSocket(`${scheme}://${location.host}/api/social/lives/${liveId}/room`);
      socket.current = ws;
      ws.onmessage = (event) => {
        let message: Message;
        try {
          message = JSON.parse(String(event.data)) as Message;
        } catch {
          return;
        }
        const offset = message.at ? Date.parse(message.at) - Date.now() : undefined;
        setState((s) => {
          const next = { ...s, clockOffsetMs: offset ?? s.clockOffsetMs };
          switch (message.type) {
            case 'hello': {
              const live = message.live as Live;
              return { ...next, live, comments: message.comments as LiveComment[], viewers: live.viewers, likes: live.counts.likes, pinned: live.pinned, playlistUrl: live.playlistUrl, you: message.you as RoomState['you'], refused: null, drops: (message.drops as LiveDrop[] | undefined) ?? [] };
            }
            case 'comment':
              return { ...next, comments: [...s.comments, message.comment as LiveComment].slice(-100), error: null };
            case 'deleted':
              return { ...next, comments: s.comments.filter((c) => c.id !== message.commentId) };
            case 'likes':
              return { ...next, likes: Number(message.total) };
            case 'viewers':
              return { ...next, viewers: Number(message.count) };
            case 'drop':
              return { ...next, drops: [...s.drops.filter((d) => d.id !== (message.drop as LiveDrop).id), message.drop as LiveDrop] };
            case 'undrop':
              return { ...next, drops: s.drops.filter((d) => d.id !== message.dropId) };
            case 'pin':
              return { ...next, pinned: (message.product as ProductTag | null) ?? null };
            case 'stream':
              return { ...next, playlistUrl: String(message.url) };
            case 'offair':
              return { ...next, playlistUrl: null };
            case 'ended':
              return { ...next, playlistUrl: null, ended: { replayVideoId: (message.replayVideoId as string | null) ?? null } };
            case 'error':
              return { ...next, error: String(message.detail ?? '') };
            default:
              return next;
          }
        });
      };
      ws.onclose = (event) => {
        if (stopped) return;
        if (event.code === 4403) return setState((s) => ({ ...s, refused: 'removed' }));
        if (event.code === 4404) return setState((s) => ({ ...s, refused: s.ended ? s.refused : 'gone' }));
        if (event.code === 1000) return;
        retry = setTimeout(open, 2000);
      };
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      socket.current?.close();
      socket.current = null;
    };
  }, [liveId]);

  const send = (message: Record<string, unknown>) => {
    if (socket.current?.readyState === WebSocket.OPEN) socket.current.send(JSON.stringify(message));
  };
  return { state, comment: (text: string) => send({ type: 'comment', text }), like: (count = 1) => send({ type: 'like', count }) };
}
