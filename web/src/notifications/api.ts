import { useEffect } from 'react';
import { useInfiniteQuery, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import type { Item, Reply } from '../api/types';
import { useSession } from '../api/session';

/**
 * Two inboxes, one screen: commerce and social each keep and send their own notifications under
 * their own pseudonym of the person; only this client puts them side by side (summed on the bell,
 * merged by time in the list). Neither server ever sees the other's.
 */
export const DOMAINS = ['commerce', 'social'] as const;
export type Domain = (typeof DOMAINS)[number];

/** One notification of either inbox (social's adds who acted, as `actor`). */
export type NotificationItem = Item<Reply<'/api/commerce/notifications'>> & Partial<Pick<Item<Reply<'/api/social/notifications'>>, 'actor'>>;
export type Shown = NotificationItem & { domain: Domain };

type Page = { items: NotificationItem[]; nextCursor: string | null };

const unreadKey = (domain: Domain) => ['notifications', domain, 'unread'] as const;
const listKey = ['notifications', 'list'] as const;

/** One EventSource per domain for the page; every event refreshes the counts and the list. */
const sources = new Map<Domain, EventSource>();
let users = 0;

export function useNotificationStreams() {
  const { user } = useSession();
  const client = useQueryClient();
  useEffect(() => {
    if (!user || typeof EventSource === 'undefined') return;
    users++;
    for (const domain of DOMAINS) {
      if (sources.has(domain)) continue;
      const source = new EventSource(`/api/${domain}/notifications/stream`);
      const setUnread = (e: Event) => {
        const { unread } = JSON.parse((e as MessageEvent<string>).data) as { unread: number };
        client.setQueryData(unreadKey(domain), unread);
      };
      source.addEventListener('hello', setUnread);
      source.addEventListener('unread', (e) => {
        setUnread(e);
        void client.invalidateQueries({ queryKey: listKey });
      });
      source.addEventListener('notification', () => void client.invalidateQueries({ queryKey: listKey }));
      sources.set(domain, source);
    }
    return () => {
      users--;
      if (users === 0) {
        for (const source of sources.values()) source.close();
        sources.clear();
      }
    };
  }, [user, client]);
}

/** Unread items of both domains, summed for the bell; a domain that does not answer counts 0. */
export function useUnreadTotal(): number {
  const { user } = useSession();
  const counts = useQueries({
    queries: DOMAINS.map((domain) => ({
      queryKey: unreadKey(domain),
      queryFn: async () => (await api<{ unread: number }>(`/api/${domain}/notifications/unread-count`)).unread,
      enabled: !!user,
      staleTime: 30_000,
    })),
  });
  return counts.reduce((sum, q) => sum + (q.data ?? 0), 0);
}

/**
 * Both inboxes merged newest first. Each domain is paged on its own; a merged page shows items
 * only down to the older of the two pages' last items, so nothing appears out of order.
 */
export function useMergedInbox() {
  const { user } = useSession();
  return useInfiniteQuery({
    queryKey: listKey,
    enabled: !!user,
    initialPageParam: { commerce: '', social: '' } as Record<Domain, string | null>,
    queryFn: async ({ pageParam }) => {
      const pages = await Promise.all(
        DOMAINS.map(async (domain) => {
          const cursor = pageParam[domain];
          if (cursor === null) return { domain, page: { items: [], nextCursor: null } as Page, failed: false };
          try {
            const page = await api<Page>(`/api/${domain}/notifications?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
            return { domain, page, failed: false };
          } catch {
            return { domain, page: { items: [], nextCursor: null } as Page, failed: true };
          }
        }),
      );
      const items: Shown[] = pages.flatMap(({ domain, page }) => page.items.map((item) => ({ ...item, domain })));
      items.sort((a, b) => b.at.localeCompare(a.at));
      return {
        items,
        next: Object.fromEntries(pages.map(({ domain, page }) => [domain, page.nextCursor])) as Record<Domain, string | null>,
        failed: pages.filter((p) => p.failed).map((p) => p.domain),
      };
    },
    getNextPageParam: (last) => (DOMAINS.some((d) => last.next[d]) ? last.next : undefined),
  });
}

export async function markRead(domain: Domain, body: { ids: string[] } | { all: true }) {
  return api<{ marked: number; unread: number }>(`/api/${domain}/notifications/read`, { body });
}

export type Preference = Item<Reply<'/api/social/notifications/preferences'>>;

export function usePreferences(domain: Domain) {
  const { user } = useSession();
  return useQuery({ queryKey: ['notifications', domain, 'preferences'], enabled: !!user, queryFn: () => api<{ items: Preference[] }>(`/api/${domain}/notifications/preferences`) });
}

export function savePreference(domain: Domain, item: Preference) {
  return api<{ items: Preference[] }>(`/api/${domain}/notifications/preferences`, { method: 'PUT', body: { items: [item] } });
}

/** Where an item leads. */
export function hrefOf(item: NotificationItem): string {
  const { type, id } = item.target;
  switch (type) {
    case 'order':
      return `/pesanan/${id}`;
    case 'seller_order':
      return '/seller/pesanan';
    case 'chat':
    case 'seller_chat':
      return `/chat/${id}`;
    case 'payout':
      return '/seller/saldo';
    case 'video':
      return `/video/${id}`;
    case 'profile':
      return id ? `/@${id}` : '/notifikasi';
    case 'live':
      return `/live/${id}`;
    default:
      return '/notifikasi';
  }
}
