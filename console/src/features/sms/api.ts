import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { http } from '../../app/api/client';
import { qk } from '../../app/api/keys';
import { usePaged } from '../../app/api/paged';
import type { Page, Tenant } from '../../app/api/types';
import type { Keyword, Message, OutboundMessage, OutStatus, Report, ReportName, SandboxRecord, SmsSettings, Thread, ThreadDetail } from './types';

export interface MessageFilter {
  direction?: 'in' | 'out';
  status?: OutStatus;
  phone?: string;
}

export const useMessages = (filter: MessageFilter) => usePaged<Message>(qk.sms.messages({ ...filter }), '/messages', { ...filter });

export const useMemberMessages = (memberId: string) => usePaged<Message>(qk.sms.messages({ memberId }), '/messages', { memberId });

export const useThreads = (unread: boolean, phone?: string) =>
  usePaged<Thread>([...qk.sms.threads(unread), phone ?? ''], '/inbox', { unread: unread || undefined, phone }, { enabled: phone === undefined || !phone.includes('*') });

export function useThread(id: string | null) {
  const client = useQueryClient();
  return useQuery({
    queryKey: qk.sms.thread(id ?? ''),
    queryFn: async () => {
      const t = await http.get<ThreadDetail>(`/inbox/${id}`);
      // opening a thread marks it read
      void client.invalidateQueries({ queryKey: qk.sms.threadLists });
      void client.invalidateQueries({ queryKey: qk.sms.unread() });
      return t;
    },
    enabled: Boolean(id),
    staleTime: 0,
  });
}

export function useReply() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, text }: { id: string; text: string }) => http.post<OutboundMessage>(`/inbox/${id}/reply`, { text }),
    onSuccess: () => Promise.all([client.invalidateQueries({ queryKey: qk.sms.all }), client.invalidateQueries({ queryKey: qk.tenant })]),
  });
}

export function useSmsSettings() {
  return useQuery({ queryKey: qk.sms.settings(), queryFn: () => http.get<SmsSettings>('/sms/settings') });
}

export function useSaveSmsSettings() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (s: Partial<SmsSettings>) => http.put<SmsSettings>('/sms/settings', s),
    onSuccess: (s) => client.setQueryData(qk.sms.settings(), s),
  });
}

export function useKeywords() {
  return useQuery({ queryKey: qk.sms.keywords(), queryFn: async () => (await http.get<Page<Keyword>>('/sms/keywords')).items });
}

export function useSaveKeywords() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (items: Keyword[]) => http.put<Page<Keyword>>('/sms/keywords', { items }),
    onSuccess: (r) => client.setQueryData(qk.sms.keywords(), r.items),
  });
}

export function useReport(name: ReportName, range: { from?: string; to?: string }) {
  return useQuery({ queryKey: qk.sms.report(name, range), queryFn: () => http.get<Report>(`/sms/reports/${name}`, range), staleTime: 0 });
}

/** The merchant's credit, price and port (fresh: sending spends credit). */
export function useTenant(enabled = true) {
  return useQuery({ queryKey: qk.tenant, queryFn: () => http.get<Tenant>('/tenant'), enabled, staleTime: 0 });
}

/** What the simulated SMSC sent to one phone, polled while the simulator is open. */
export function useSandboxOutbox(to: string | null) {
  return useQuery({
    queryKey: qk.sms.sandbox(to ?? ''),
    queryFn: async () => (await http.get<Page<SandboxRecord>>('/sandbox/sms/outbox', { to: to ?? undefined, limit: 100 })).items,
    enabled: Boolean(to),
    refetchInterval: 1000,
    staleTime: 0,
  });
}

export const sendInbound = (input: { from: string; to: string; text: string }) => http.post<{ status: string }>('/sandbox/sms/inbound', input);

/** A merchant's operator (sms.send) texts their own port (+ sub-code) in the sandbox. */
export const sendOwnInbound = (input: { from: string; text: string; subCode?: string }) => http.post<{ status: string; to: string }>('/sms/sandbox/inbound', input);

export function usePlatformTenants(enabled: boolean) {
  return useQuery({ queryKey: [...qk.platform.tenants(), 'all'], queryFn: async () => (await http.get<Page<Tenant>>('/platform/tenants', { limit: 500 })).items, enabled });
}
