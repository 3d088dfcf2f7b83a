import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { http } from '../../app/api/client';
import { qk } from '../../app/api/keys';
import type { Page, Tenant } from '../../app/api/types';

export interface CreateMerchantInput {
  slug: string;
  name: string;
  smsExtension: string;
  timezone?: string;
  currency?: string;
  smsPriceFen?: number;
  admin: { username: string; password: string; name?: string };
}

export interface UpdateMerchantInput {
  name?: string;
  timezone?: string;
  currency?: string;
  smsPriceFen?: number;
  status?: 'active' | 'suspended';
}

export function useMerchants() {
  return useInfiniteQuery({
    queryKey: qk.platform.tenants(),
    queryFn: ({ pageParam }) => http.get<Page<Tenant>>('/platform/tenants', { limit: 200, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

export function useCreateMerchant() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateMerchantInput) => http.post<Tenant>('/platform/tenants', input),
    onSuccess: () => client.invalidateQueries({ queryKey: qk.platform.all }),
  });
}

export function useUpdateMerchant() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ slug, patch }: { slug: string; patch: UpdateMerchantInput }) => http.patch<Tenant>(`/platform/tenants/${encodeURIComponent(slug)}`, patch),
    onSuccess: () => client.invalidateQueries({ queryKey: qk.platform.all }),
  });
}

export function useTopUp() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ slug, amountFen }: { slug: string; amountFen: number }) =>
      http.post<{ creditFen: number }>(`/platform/tenants/${encodeURIComponent(slug)}/sms-credit`, { amountFen }),
    onSuccess: () => client.invalidateQueries({ queryKey: qk.platform.all }),
  });
}

/** Time zones offered in the merchant form (the API accepts any IANA name). */
export const TIMEZONES = [
  'Asia/Shanghai',
  'Asia/Hong_Kong',
  'Asia/Macau',
  'Asia/Taipei',
  'Asia/Singapore',
  'Asia/Tokyo',
  'Asia/Kuala_Lumpur',
  'Europe/London',
  'America/Los_Angeles',
  'UTC',
];

export const CURRENCIES = ['CNY', 'HKD', 'MOP', 'TWD', 'SGD', 'USD', 'EUR'];
