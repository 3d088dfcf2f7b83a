import { keepPreviousData, useInfiniteQuery, type QueryKey } from '@tanstack/react-query';
import { http } from './client';
import type { Page } from './types';

type Query = Record<string, string | number | boolean | undefined | null>;

/** A cursor-paged list of the API (`{items, nextCursor}`) as one infinite query: `rows` holds
 * every loaded item, `fetchNextPage` loads the next page. Filters belong in both the key and
 * `query`; while a new filter loads, the old rows stay on screen. */
export function usePaged<T>(key: QueryKey, path: string, query: Query = {}, opts: { limit?: number; enabled?: boolean; staleTime?: number } = {}) {
  const q = useInfiniteQuery({
    queryKey: key,
    queryFn: ({ pageParam }) => http.get<Page<T>>(path, { ...query, limit: opts.limit ?? 20, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    enabled: opts.enabled,
    staleTime: opts.staleTime ?? 0,
  });
  const rows: T[] = q.data?.pages.flatMap((p) => p.items) ?? [];
  return { ...q, rows };
}

export type PagedQuery<T> = ReturnType<typeof usePaged<T>>;
