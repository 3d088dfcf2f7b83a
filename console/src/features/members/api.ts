import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { http } from '../../app/api/client';
import { qk } from '../../app/api/keys';
import type {
  ApplicationStatus,
  AttributeDef,
  AttributeType,
  CardPoolBatchResult,
  CardPoolCounts,
  CardPoolEntry,
  Gender,
  Member,
  MemberApplication,
  MemberChange,
  MemberSettings,
  MemberStatus,
  Page,
  TagCount,
} from '../../app/api/types';

// ------------------------------------------------------------------ members

export interface MemberFilter {
  q?: string;
  tag?: string;
  status?: MemberStatus;
  storeId?: string;
}

export function useMembers(filter: MemberFilter) {
  return useInfiniteQuery({
    queryKey: qk.members.list({ ...filter }),
    queryFn: ({ pageParam }) => http.get<Page<Member>>('/members', { ...filter, limit: 20, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Typing in the search box keeps the old rows on screen until the new ones arrive.
    placeholderData: keepPreviousData,
  });
}

export function useMember(id: string) {
  return useQuery({ queryKey: qk.members.detail(id), queryFn: () => http.get<Member>(`/members/${id}`) });
}

export function useMemberChanges(id: string) {
  return useInfiniteQuery({
    queryKey: qk.members.changes(id),
    queryFn: ({ pageParam }) => http.get<Page<MemberChange>>(`/members/${id}/changes`, { limit: 30, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    staleTime: 0,
  });
}

/** GET /members/lookup: the member a phone or card number belongs to, or a 404. */
export const lookupMember = (key: string) => http.get<Member>('/members/lookup', { key: key.trim() });

export interface MemberInput {
  phone: string;
  name?: string;
  gender?: Gender;
  birthday?: string;
  email?: string;
  storeId?: string;
  cardNo?: string;
  attributes?: Record<string, unknown>;
  tags?: string[];
}

export interface MemberPatch {
  name?: string | null;
  gender?: Gender | null;
  birthday?: string | null;
  storeId?: string | null;
  attributes?: Record<string, unknown>;
  tags?: string[];
  smsOptOut?: boolean;
  email?: string | null;
  emailOptOut?: boolean;
  status?: MemberStatus;
}

/** After a member changed: its page, its history, every list and the tag counts. */
function useMemberRefresh() {
  const client = useQueryClient();
  return (m: Member) => {
    client.setQueryData(qk.members.detail(m.id), m);
    return Promise.all([
      client.invalidateQueries({ queryKey: qk.members.lists }),
      client.invalidateQueries({ queryKey: qk.members.changes(m.id) }),
      client.invalidateQueries({ queryKey: qk.members.tags() }),
    ]);
  };
}

export function useCreateMember() {
  const refresh = useMemberRefresh();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: MemberInput) => http.post<Member>('/members', input),
    onSuccess: (m) => Promise.all([refresh(m), client.invalidateQueries({ queryKey: qk.members.pool.all })]),
  });
}

export function useUpdateMember() {
  const refresh = useMemberRefresh();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: MemberPatch }) => http.patch<Member>(`/members/${id}`, patch),
    onSuccess: refresh,
  });
}

export function useChangePhone() {
  const refresh = useMemberRefresh();
  return useMutation({
    mutationFn: ({ id, phone, reason }: { id: string; phone: string; reason: string }) => http.post<Member>(`/members/${id}/phone`, { phone, reason }),
    onSuccess: refresh,
  });
}

export function useMemberTags(enabled = true) {
  return useQuery({ queryKey: qk.members.tags(), queryFn: async () => (await http.get<Page<TagCount>>('/members/tags')).items, enabled });
}

// ------------------------------------------------------------------ settings, card pool, attributes

export function useMemberSettings() {
  return useQuery({ queryKey: qk.members.settings(), queryFn: () => http.get<MemberSettings>('/members/settings') });
}

export type SettingsInput = Partial<Pick<MemberSettings, 'cardMode' | 'cardPrefix' | 'cardDigits' | 'cardCheckDigit' | 'reviewApplications'>>;

export function useSaveMemberSettings() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: SettingsInput) => http.put<MemberSettings>('/members/settings', input),
    onSuccess: (s) => client.setQueryData(qk.members.settings(), s),
  });
}

export function usePoolCounts(enabled = true) {
  return useQuery({ queryKey: qk.members.pool.counts(), queryFn: () => http.get<CardPoolCounts>('/members/card-pool/counts'), enabled, staleTime: 0 });
}

export function usePool(filter: { status?: 'free' | 'used'; special?: boolean }, enabled = true) {
  return useInfiniteQuery({
    queryKey: qk.members.pool.list(filter),
    queryFn: ({ pageParam }) => http.get<Page<CardPoolEntry>>('/members/card-pool', { ...filter, limit: 10, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    enabled,
    staleTime: 0,
  });
}

export interface PoolBatchInput {
  prefix: string;
  digits: number;
  from: number;
  count: number;
  checkDigit?: boolean;
  batch?: string;
}

export function useAddPoolBatch() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: PoolBatchInput) => http.post<CardPoolBatchResult>('/members/card-pool/batch', input),
    onSuccess: () => client.invalidateQueries({ queryKey: qk.members.pool.all }),
  });
}

export function useAddPoolNumber() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: { cardNo: string; special: true; batch?: string }) => http.post<CardPoolEntry>('/members/card-pool', input),
    onSuccess: () => client.invalidateQueries({ queryKey: qk.members.pool.all }),
  });
}

export function useAttributeDefs() {
  return useQuery({
    queryKey: qk.members.attributes(),
    queryFn: async () => (await http.get<Page<AttributeDef>>('/members/attributes')).items,
  });
}

export interface AttributeDefInput {
  key: string;
  label: string;
  type: AttributeType;
  required?: boolean;
  options?: string[];
  position?: number;
}

export type AttributeDefPatch = Partial<Pick<AttributeDef, 'label' | 'required' | 'options' | 'position'>>;

export function useCreateAttributeDef() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: AttributeDefInput) => http.post<AttributeDef>('/members/attributes', input),
    onSuccess: () => client.invalidateQueries({ queryKey: qk.members.attributes() }),
  });
}

export function useUpdateAttributeDef() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ key, patch }: { key: string; patch: AttributeDefPatch }) => http.patch<AttributeDef>(`/members/attributes/${key}`, patch),
    onSuccess: () => client.invalidateQueries({ queryKey: qk.members.attributes() }),
  });
}

export function useDeleteAttributeDef() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ key, purge }: { key: string; purge?: boolean }) => http.del(`/members/attributes/${key}`, purge ? { purge: true } : undefined),
    // purging rewrites members' attributes
    onSuccess: () => Promise.all([client.invalidateQueries({ queryKey: qk.members.attributes() }), client.invalidateQueries({ queryKey: qk.members.lists })]),
  });
}

// ------------------------------------------------------------------ join applications

export function useApplications(status: ApplicationStatus) {
  return useInfiniteQuery({
    queryKey: qk.applications.list(status),
    queryFn: ({ pageParam }) => http.get<Page<MemberApplication>>('/member-applications', { status, limit: 20, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    staleTime: 0,
  });
}

export interface ApplicationInput extends Omit<MemberInput, 'cardNo'> {
  source?: 'counter' | 'api' | 'sms' | 'h5';
}

export function useCreateApplication() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: ApplicationInput) => http.post<MemberApplication & { member: Member | null }>('/member-applications', input),
    onSuccess: () => Promise.all([client.invalidateQueries({ queryKey: qk.applications.all }), client.invalidateQueries({ queryKey: qk.members.lists })]),
  });
}

export function useApproveApplication() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, cardNo }: { id: string; cardNo?: string }) =>
      http.post<{ application: MemberApplication; member: Member }>(`/member-applications/${id}/approve`, cardNo ? { cardNo } : {}),
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: qk.applications.all }),
        client.invalidateQueries({ queryKey: qk.members.lists }),
        client.invalidateQueries({ queryKey: qk.members.pool.all }),
      ]),
  });
}

export function useRejectApplication() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, reason }: { id: string; reason: string }) => http.post<MemberApplication>(`/member-applications/${id}/reject`, { reason }),
    onSuccess: () => client.invalidateQueries({ queryKey: qk.applications.all }),
  });
}
