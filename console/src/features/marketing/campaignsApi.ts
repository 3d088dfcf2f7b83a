import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { http } from '../../app/api/client';
import { qk } from '../../app/api/keys';
import type { Page, Tenant } from '../../app/api/types';

export type CampaignStatus = 'draft' | 'scheduled' | 'sending' | 'paused' | 'done' | 'cancelled';
export type Channel = 'sms' | 'email';

export interface Estimate {
  recipients: number;
  suppressed: number;
  segments: number;
  costFen: number;
}

export interface Campaign {
  id: string;
  name: string;
  channel: Channel;
  segmentId: string | null;
  filter: unknown;
  template: string | { text: string } | { subject: string; body: string };
  marketing: boolean;
  scheduleAt: string | null;
  holdoutPct: number;
  status: CampaignStatus;
  subCode: string;
  estimate: Estimate;
  approvedBy: string | null;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface CampaignStats {
  recipients: number;
  queued: number;
  sent: number;
  delivered: number;
  failed: number;
  suppressed: number;
  replies: number;
  optOuts: number;
  holdout: number;
  suppressedBy: Record<string, number>;
  /** recipients who get nothing because the campaign was cancelled */
  cancelled: number;
  /** messages withdrawn from the outbox by the cancel (refunded) */
  cancelledMessages: number;
  heldForQuietHours: number;
}

export interface CampaignPreview {
  memberId: string | null;
  subject?: string;
  text: string | null;
  characters: number;
  segments: number;
  encoding: string | null;
  tooLong: boolean;
}

export interface ResultGroup {
  members: number;
  purchasers: number;
  purchases: number;
  revenueFen: number;
  conversionRate: number;
  purchasesPerMember: number;
  revenuePerMemberFen: number;
}

export interface CampaignResults {
  id: string;
  days: number;
  from: string;
  to: string;
  recipients: ResultGroup;
  holdout: ResultGroup;
  lift: { revenuePerMemberFen: number; conversionRate: number } | null;
}

export interface CampaignSettings {
  needsApproval: boolean;
  frequencyCap: { messages: number; days: number };
}

export interface NewCampaign {
  name: string;
  channel: Channel;
  segmentId: string;
  template: string | { subject: string; body: string };
  marketing: boolean;
  scheduleAt?: string;
  holdoutPct?: number;
}

const key = {
  list: ['campaigns', 'list'] as const,
  detail: (id: string) => ['campaigns', 'detail', id] as const,
  preview: (id: string) => ['campaigns', 'preview', id] as const,
  results: (id: string, days: number, status: string) => ['campaigns', 'results', id, days, status] as const,
  settings: ['campaigns', 'settings'] as const,
};

/** Campaigns, newest first; polled while one of them is sending (its status changes on its own). */
export function useCampaigns() {
  return useQuery({
    queryKey: key.list,
    queryFn: async () => (await http.get<Page<Campaign>>('/campaigns')).items,
    refetchInterval: (q) => (q.state.data?.some((c) => c.status === 'sending' || c.status === 'scheduled') ? 3000 : false),
  });
}

/** One campaign with live stats: polled every second while it is sending or scheduled. */
export function useCampaign(id: string) {
  return useQuery({
    queryKey: key.detail(id),
    queryFn: () => http.get<Campaign & { stats: CampaignStats }>(`/campaigns/${id}`),
    refetchInterval: (q) => (q.state.data && (q.state.data.status === 'sending' || q.state.data.status === 'scheduled') ? 1000 : false),
    staleTime: 0,
  });
}

export function useCampaignPreview(id: string, enabled: boolean) {
  return useQuery({ queryKey: key.preview(id), queryFn: () => http.post<CampaignPreview>(`/campaigns/${id}/preview`, {}), enabled, retry: false });
}

/** Read again when the status changes (the messaged group grows while sending) and every 10 s while sending. */
/** The message a sample member of the segment would get from the form as it is (nothing is stored). */
export function useDraftPreview(draft: { channel: Channel; segmentId: string; template: NewCampaign['template']; marketing: boolean } | null) {
  return useQuery({
    queryKey: ['campaigns', 'draft-preview', JSON.stringify(draft)] as const,
    queryFn: () => http.post<CampaignPreview>('/campaigns/preview', draft),
    enabled: draft !== null,
    retry: false,
    staleTime: 30_000,
    placeholderData: (prev) => prev,
  });
}

export function useCampaignResults(id: string, days: number, status: CampaignStatus, enabled: boolean) {
  return useQuery({
    queryKey: key.results(id, days, status),
    refetchInterval: status === 'sending' ? 10_000 : false,
    placeholderData: (prev) => prev,
    queryFn: () => http.get<CampaignResults>(`/campaigns/${id}/results`, { days: String(days) }),
    enabled,
    staleTime: 0,
  });
}

export function useCampaignSettings() {
  return useQuery({ queryKey: key.settings, queryFn: () => http.get<CampaignSettings>('/campaigns/settings') });
}

export function useSaveCampaignSettings() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (s: CampaignSettings) => http.put<CampaignSettings>('/campaigns/settings', s),
    onSuccess: (s) => client.setQueryData(key.settings, s),
  });
}

export function useCreateCampaign() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (c: NewCampaign) => http.post<Campaign>('/campaigns', c),
    onSuccess: () => client.invalidateQueries({ queryKey: key.list }),
  });
}

/** send / pause / resume / cancel: the campaign as it is after the call. */
export function useCampaignAction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'send' | 'pause' | 'resume' | 'cancel' }) => http.post<Campaign>(`/campaigns/${id}/${action}`, {}),
    onSettled: (_d, _e, v) =>
      Promise.all([client.invalidateQueries({ queryKey: key.detail(v.id) }), client.invalidateQueries({ queryKey: key.list }), client.invalidateQueries({ queryKey: qk.tenant })]),
  });
}

/** Deletes a draft (the API refuses anything else with 409). */
export function useDeleteCampaign() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => http.del(`/campaigns/${id}`),
    onSuccess: (_d, id) => {
      client.removeQueries({ queryKey: key.detail(id) });
      return client.invalidateQueries({ queryKey: key.list });
    },
  });
}

/** The merchant (credit and SMS price) — the same cache entry the SMS pages read. */
export function useTenantCredit() {
  return useQuery({ queryKey: qk.tenant, queryFn: () => http.get<Tenant>('/tenant'), staleTime: 0 });
}

/** The SMS template text of a campaign (an email's body). */
export function templateText(t: Campaign['template']): string {
  if (typeof t === 'string') return t;
  return 'text' in t ? t.text : t.body;
}
