import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { http } from '../../app/api/client';
import { usePaged } from '../../app/api/paged';

export const CARE_KINDS = ['birthday', 'inactive', 'tier_upgrade', 'points_change', 'points_expiring'] as const;
export type CareKind = (typeof CARE_KINDS)[number];
export const CARE_VARIABLES = ['name', 'cardNo', 'points', 'tier', 'storedValue', 'store', 'phone', 'merchant'] as const;

export interface CareRule {
  id: string | null;
  kind: CareKind;
  enabled: boolean;
  channel: 'sms' | 'email';
  subject: string | null;
  template: string;
  sendTime: string;
  days: number | null;
  minPoints: number | null;
  messageKind: 'marketing' | 'service';
  updatedBy: string | null;
  updatedAt: string | null;
}

export interface CareRuleInput {
  enabled: boolean;
  channel: 'sms' | 'email';
  subject?: string | null;
  template: string;
  sendTime: string;
  days?: number | null;
  minPoints?: number | null;
}

export interface CareSend {
  id: string;
  ruleId: string;
  kind: CareKind;
  channel: 'sms' | 'email';
  memberId: string;
  memberName: string | null;
  phone: string;
  occasion: string;
  messageId: string | null;
  status: string;
  failReason: string | null;
  sentAt: string;
}

export interface RunResult {
  kind: CareKind;
  ruleId: string;
  skipped?: string;
  queued: number;
  suppressed: number;
  failed: number;
}

const key = {
  rules: ['care', 'rules'] as const,
  sends: ['care', 'sends'] as const,
};

export function useCareRules() {
  return useQuery({ queryKey: key.rules, queryFn: async () => (await http.get<{ items: CareRule[] }>('/care/rules')).items });
}

export const useCareSends = () => usePaged<CareSend>(key.sends, '/care/sends');

export function useSaveCareRule() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ kind, body }: { kind: CareKind; body: CareRuleInput }) => http.put<CareRule>(`/care/rules/${kind}`, body),
    onSuccess: (r) => client.setQueryData<CareRule[]>(key.rules, (old) => old?.map((x) => (x.kind === r.kind ? r : x))),
  });
}

export function useRunCare() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => http.post<{ rules: RunResult[] }>('/care/run', {}),
    onSuccess: () => client.invalidateQueries({ queryKey: key.sends }),
  });
}
