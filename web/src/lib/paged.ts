import { useInfiniteQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import type { Page } from '../api/types';

/** A list the API pages with `nextCursor`, 30 at a time, with "load more". */
export function usePagedList<T>(key: string, url: string) {
  const pages = useInfiniteQuery({
    queryKey: [key],
    queryFn: ({ pageParam }) => api<Page<T>>(`${url}?limit=30${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  return { ...pages, items: pages.data?.pages.flatMap((p) => p.items) ?? [] };
}
