import { sql } from 'drizzle-orm';
import { boolean, integer, jsonb, pgPolicy, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { amount, id, identity } from '../platform/db/columns.js';

// migrations/0007_messaging.sql is the source of truth; these give typed queries over it.

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const tenantIsolation = pgPolicy('tenant_isolation', {
  using: sql`tenant_id = app_tenant_id()`,
  withCheck: sql`tenant_id = app_tenant_id()`,
});

// ------------------------------------------------------------------ tenant-owned tables
export const smsSettings = pgTable(
  'sms_settings',
  {
    tenantId: id('tenant_id').notNull(),
    quietStart: text('quiet_start').notNull(),
    quietEnd: text('quiet_end').notNull(),
    optOutHint: text('opt_out_hint').notNull(),
    templates: jsonb('templates').$type<Record<string, string>>().notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId] }), tenantIsolation],
).enableRLS();

export const smsKeywords = pgTable(
  'sms_keywords',
  {
    tenantId: id('tenant_id').notNull(),
    keyword: text('keyword').notNull(),
    template: text('template').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.keyword] }), tenantIsolation],
).enableRLS();

export const smsSubCodes = pgTable(
  'sms_sub_codes',
  {
    tenantId: id('tenant_id').notNull(),
    code: text('code').notNull(),
    label: text('label').notNull(),
    campaignId: id('campaign_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.code] }), tenantIsolation],
).enableRLS();

export const smsThreads = pgTable(
  'sms_threads',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    phone: text('phone').notNull(),
    memberId: id('member_id'),
    lastText: text('last_text').notNull(),
    lastAt: ts('last_at').notNull(),
    unread: integer('unread').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
).enableRLS();

export const smsOutbound = pgTable(
  'sms_outbound',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    kind: text('kind').$type<'service' | 'marketing'>().notNull(),
    status: text('status').$type<'queued' | 'submitting' | 'sent' | 'delivered' | 'failed' | 'suppressed'>().notNull(),
    failReason: text('fail_reason'),
    sender: text('sender').notNull(),
    recipient: text('recipient').notNull(),
    body: text('body').notNull(),
    encoding: text('encoding').$type<'gsm7' | 'ucs2'>().notNull(),
    segments: integer('segments').notNull(),
    costFen: amount('cost_fen').notNull(),
    refunded: boolean('refunded').notNull(),
    subCode: text('sub_code').notNull(),
    campaignId: id('campaign_id'),
    memberId: id('member_id'),
    threadId: id('thread_id'),
    gatewayMessageId: text('gateway_message_id'),
    attempts: integer('attempts').notNull(),
    nextAttemptAt: ts('next_attempt_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    sentAt: ts('sent_at'),
    finalAt: ts('final_at'),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
).enableRLS();

export const smsInbound = pgTable(
  'sms_inbound',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    stagingId: id('staging_id').notNull(),
    sender: text('sender').notNull(),
    destination: text('destination').notNull(),
    subCode: text('sub_code').notNull(),
    body: text('body').notNull(),
    keyword: text('keyword'),
    threadId: id('thread_id'),
    memberId: id('member_id'),
    replyToMessageId: id('reply_to_message_id'),
    campaignId: id('campaign_id'),
    receivedAt: ts('received_at').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
).enableRLS();

/** Idempotency-Key of POST /sms/send (migrations/0009_sms_idempotency.sql); request_hash is bytea. */
export const smsIdempotency = pgTable(
  'sms_idempotency',
  {
    tenantId: id('tenant_id').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    status: integer('status').notNull(),
    response: jsonb('response').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] }), tenantIsolation],
).enableRLS();

// ------------------------------------------------------------------ platform tables
export const smsOutbox = pgTable('sms_outbox', {
  messageId: id('message_id').primaryKey(),
  tenantId: id('tenant_id').notNull(),
  state: text('state').$type<'queued' | 'submitting' | 'sent' | 'failed'>().notNull(),
  dueAt: ts('due_at').notNull(),
  attempts: integer('attempts').notNull(),
  claimedBy: text('claimed_by'),
  claimedAt: ts('claimed_at'),
  sender: text('sender').notNull(),
  recipient: text('recipient').notNull(),
  body: text('body').notNull(),
  segments: integer('segments').notNull(),
  costFen: amount('cost_fen').notNull(),
  gatewayMessageId: text('gateway_message_id'),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const smsDispatchers = pgTable('sms_dispatchers', {
  instanceId: text('instance_id').primaryKey(),
  startedAt: ts('started_at').notNull().defaultNow(),
  heartbeatAt: ts('heartbeat_at').notNull().defaultNow(),
});

export const smsInboundStaging = pgTable('sms_inbound_staging', {
  id: identity('id').primaryKey(),
  gateway: text('gateway').notNull(),
  sender: text('sender').notNull(),
  destination: text('destination').notNull(),
  body: text('body').notNull(),
  raw: jsonb('raw').$type<Record<string, unknown>>(),
  receivedAt: ts('received_at').notNull(),
  state: text('state').$type<'pending' | 'done' | 'unrouted' | 'malformed'>().notNull(),
  tenantId: id('tenant_id'),
  attempts: integer('attempts').notNull(),
  error: text('error'),
  createdAt: ts('created_at').notNull().defaultNow(),
  processedAt: ts('processed_at'),
});
