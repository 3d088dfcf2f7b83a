import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { http } from '../../app/api/client';
import { qk } from '../../app/api/keys';
import type { AttributeDef, Member, Page, TagCount } from '../../app/api/types';

export interface Segment {
  id: string;
  name: string;
  filter: unknown;
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedAt: string;
}

export interface Preview {
  count: number;
  sample: Member[];
}

export interface TierOption {
  code: string;
  name: string;
}

export function useSegments() {
  return useQuery({ queryKey: qk.segments.list(), queryFn: async () => (await http.get<Page<Segment>>('/segments')).items });
}

export function useSegment(id: string | null) {
  return useQuery({ queryKey: qk.segments.detail(id ?? ''), queryFn: () => http.get<Segment>(`/segments/${id}`), enabled: Boolean(id), staleTime: 0 });
}

/** The members a saved segment holds now (counted on every look: members change). */
export function useSegmentCount(id: string) {
  return useQuery({ queryKey: qk.segments.count(id), queryFn: () => http.get<{ id: string; count: number; countedAt: string }>(`/segments/${id}/count`), staleTime: 0, retry: false });
}

/** The count and a few members of a filter (the JSON text, so equal filters share a result). */
export function usePreview(filterJson: string | null) {
  return useQuery({
    queryKey: qk.segments.preview(filterJson ?? ''),
    queryFn: () => {
      return http.post<Preview>('/segments/preview', { filter: JSON.parse(filterJson!) as unknown });
    },
    enabled: filterJson !== null,
    retry: false,
    staleTime: 30_000,
    placeholderData: (prev) => prev,
  });
}

export function useSaveSegment() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, name, filter }: { id: string | null; name: string; filter: unknown }) =>
      id ? http.put<Segment>(`/segments/${id}`, { name, filter }) : http.post<Segment>('/segments', { name, filter }),
    onSuccess: (s) => {
      client.setQueryData(qk.segments.detail(s.id), s);
      return Promise.all([client.invalidateQueries({ queryKey: qk.segments.list() }), client.invalidateQueries({ queryKey: qk.segments.count(s.id) })]);
    },
  });
}

export function useDeleteSegment() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => http.del(`/segments/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: qk.segments.list() }),
  });
}

// What the condition builder offers (the same keys the member and loyalty pages read).
// (tiers, attributes and tags need members.read: without it the rows take typed codes and keys)
export function useTierOptions(enabled: boolean) {
  return useQuery({ queryKey: qk.loyalty.tiers(), queryFn: () => http.get<TierOption[]>('/loyalty/tiers'), enabled });
}

export function useAttributeDefs(enabled: boolean) {
  return useQuery({ queryKey: qk.members.attributes(), queryFn: async () => (await http.get<Page<AttributeDef>>('/members/attributes')).items, enabled });
}

export function useTagOptions(enabled: boolean) {
  return useQuery({ queryKey: qk.members.tags(), queryFn: async () => (await http.get<Page<TagCount>>('/members/tags')).items, enabled });
}
