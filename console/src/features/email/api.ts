import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { http } from '../../app/api/client';
import { qk } from '../../app/api/keys';
import { usePaged } from '../../app/api/paged';

export interface EmailSettings {
  fromName: string | null;
  fromAddress: string | null;
  replyTo: string | null;
  /** the merchant's own SMTP server (null: the deployment's); the password is never shown */
  smtp: { host: string; port: number; secure: boolean; user: string | null; passwordSet: boolean } | null;
  effective: { from: { name: string; address: string }; replyTo: string | null; smtp: 'tenant' | 'default' } | null;
  defaultSmtpAvailable: boolean;
  updatedAt: string | null;
}

export interface EmailSettingsPatch {
  fromName?: string | null;
  fromAddress?: string | null;
  replyTo?: string | null;
  smtp?: { host: string; port: number; secure?: boolean; user?: string | null; password?: string | null } | null;
}

export const EMAIL_STATUSES = ['queued', 'sent', 'failed', 'suppressed'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

export interface EmailMessage {
  id: string;
  kind: 'service' | 'marketing';
  status: EmailStatus;
  failReason?: string;
  from: { name: string; address: string };
  replyTo?: string;
  to: string;
  subject: string;
  text: string;
  memberId?: string;
  campaignId?: string;
  attempts: number;
  smtpResponse?: string;
  createdAt: string;
  sentAt?: string;
  finalAt?: string;
}

export function useEmailSettings() {
  return useQuery({ queryKey: qk.email.settings(), queryFn: () => http.get<EmailSettings>('/email/settings') });
}

export function useSaveEmailSettings() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (patch: EmailSettingsPatch) => http.put<EmailSettings>('/email/settings', patch),
    onSuccess: (s) => client.setQueryData(qk.email.settings(), s),
  });
}

export interface EmailFilter {
  status?: EmailStatus;
  to?: string;
  memberId?: string;
}

export const useEmailMessages = (filter: EmailFilter) => usePaged<EmailMessage>(qk.email.messages({ ...filter }), '/email/messages', { ...filter });
