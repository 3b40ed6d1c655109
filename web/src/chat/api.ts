import { useEffect } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import type { components } from '../api/schema.gen';
import type { Reply } from '../api/types';
import { useSession } from '../api/session';

export type Side = 'buyer' | 'shop';

export type Conversation = components['schemas']['ChatConversation'];
export type ChatMessage = components['schemas']['ChatMessage'];
export type Unread = Reply<'/api/commerce/chat/unread'>;

export type ChatEvent =
  | { type: 'message'; conversationId: string; message: ChatMessage }
  | { type: 'read'; conversationId: string; by: Side; upTo: string }
  | { type: 'removed'; conversationId: string; messageId: string };

/**
 * One EventSource for the whole page, shared by every component that listens: the server sends
 * every conversation the person is in (as a buyer and for their shops) down one stream.
 */
const listeners = new Set<(event: ChatEvent) => void>();
const reconnectListeners = new Set<() => void>();
let source: EventSource | null = null;

function connect() {
  if (source || typeof EventSource === 'undefined') return;
  source = new EventSource('/api/commerce/chat/events');
  for (const type of ['message', 'read', 'removed'] as const) {
    source.addEventListener(type, (e) => {
      const event = JSON.parse((e as MessageEvent<string>).data) as ChatEvent;
      for (const listener of listeners) listener(event);
    });
  }
  // After a reconnect, whatever was missed is fetched again.
  source.addEventListener('hello', () => {
    for (const listener of reconnectListeners) listener();
  });
}

function disconnect() {
  if (listeners.size === 0 && source) {
    source.close();
    source = null;
  }
}

/** Calls `handler` for every live chat event while mounted (signed in only). */
export function useChatEvents(handler: (event: ChatEvent) => void, onHello?: () => void) {
  const { user } = useSession();
  useEffect(() => {
    if (!user) return;
    listeners.add(handler);
    if (onHello) reconnectListeners.add(onHello);
    connect();
    return () => {
      listeners.delete(handler);
      if (onHello) reconnectListeners.delete(onHello);
      disconnect();
    };
  }, [user, handler, onHello]);
}

/** Unread counts, kept fresh by the live stream. */
export function useUnread() {
  const { user } = useSession();
  const client = useQueryClient();
  const unread = useQuery({ queryKey: ['chat-unread', user?.id], queryFn: () => api<Unread>('/api/commerce/chat/unread'), enabled: !!user });
  useChatEvents(refreshUnread(client), refreshUnreadOnHello(client));
  return unread.data;
}

const refreshers = new WeakMap<object, () => void>();
function refreshUnread(client: ReturnType<typeof useQueryClient>) {
  let fn = refreshers.get(client);
  if (!fn) {
    fn = () => void client.invalidateQueries({ queryKey: ['chat-unread'] });
    refreshers.set(client, fn);
  }
  return fn as (event: ChatEvent) => void;
}
const refreshUnreadOnHello = (client: ReturnType<typeof useQueryClient>) => refreshUnread(client) as () => void;

export const openConversation = (shopId: string) => api<Conversation>('/api/commerce/chat/conversations', { body: { shopId } });
