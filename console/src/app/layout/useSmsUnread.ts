import { useQuery } from '@tanstack/react-query';
import { http } from '../api/client';
import { qk } from '../api/keys';
import type { Page } from '../api/types';

/** How many inbox threads have unread messages (the menu badge), refreshed every half minute;
 * the inbox page invalidates the same key when a thread is read. */
export function useSmsUnread(enabled: boolean) {
  return useQuery({
    queryKey: qk.sms.unread(),
    queryFn: async () => (await http.get<Page<{ id: string }>>('/inbox', { unread: true, limit: 100 })).items.length,
    enabled,
    refetchInterval: 30_000,
  });
}
