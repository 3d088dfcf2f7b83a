/** Shapes of the SMS API (api.md "SMS"; src/messaging/README.md). */
export type OutStatus = 'queued' | 'sent' | 'delivered' | 'failed' | 'suppressed';
export const OUT_STATUSES: readonly OutStatus[] = ['queued', 'sent', 'delivered', 'failed', 'suppressed'];

export interface OutboundMessage {
  id: string;
  direction: 'out';
  from: string;
  to: string;
  text: string;
  kind: 'service' | 'marketing';
  segments: number;
  costFen: number;
  status: OutStatus;
  failReason?: string;
  campaignId?: string;
  memberId?: string;
  threadId?: string;
  subCode?: string;
  nextAttemptAt?: string;
  createdAt: string;
}

export interface InboundMessage {
  id: string;
  direction: 'in';
  from: string;
  to: string;
  text: string;
  keyword?: string;
  subCode?: string;
  memberId?: string;
  threadId?: string;
  createdAt: string;
}

export type Message = OutboundMessage | InboundMessage;

export interface Thread {
  id: string;
  phone: string;
  memberId?: string;
  lastText: string;
  lastAt: string;
  unread: number;
}

export interface ThreadDetail extends Thread {
  messages: Message[];
}

export const TEMPLATE_KEYS = ['join', 'joinExisting', 'joinApplicant', 'points', 'notMember', 'optOut'] as const;
export type TemplateKey = (typeof TEMPLATE_KEYS)[number];

export interface SmsSettings {
  quietHours: { start: string; end: string };
  optOutHint: string;
  templates: Record<TemplateKey, string>;
}

export interface Keyword {
  keyword: string;
  template: string;
}

export type ReportName = 'keywords' | 'status' | 'replies' | 'cost';
export const REPORT_NAMES: readonly ReportName[] = ['keywords', 'status', 'replies', 'cost'];

export interface Report {
  name: ReportName;
  from: string | null;
  to: string | null;
  columns: { key: string; header: string }[];
  items: Record<string, string | number | null>[];
  totals?: Record<string, string | number | null>;
}

export interface SandboxRecord {
  id: string;
  from: string;
  to: string;
  text: string;
  segments: number;
  status: string;
  messageId?: string;
  createdAt: string;
}
