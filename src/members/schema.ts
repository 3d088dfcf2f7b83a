import { sql } from 'drizzle-orm';
import { boolean, date, integer, jsonb, pgPolicy, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { amount, id, identity } from '../platform/db/columns.js';

// Source of truth: migrations/0002_members.sql and 0003_members_more.sql. These declarations type the queries.
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const tenantIsolation = pgPolicy('tenant_isolation', {
  using: sql`tenant_id = app_tenant_id()`,
  withCheck: sql`tenant_id = app_tenant_id()`,
});

export const memberSettings = pgTable(
  'member_settings',
  {
    tenantId: id('tenant_id').notNull(),
    cardMode: text('card_mode').$type<'sequence' | 'pool'>().notNull(),
    cardPrefix: text('card_prefix').notNull(),
    cardDigits: integer('card_digits').notNull(),
    cardCheckDigit: boolean('card_check_digit').notNull(),
    cardNextSeq: amount('card_next_seq').notNull(),
    reviewApplications: boolean('review_applications').notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId] }), tenantIsolation],
);

export const cardPool = pgTable(
  'card_pool',
  {
    tenantId: id('tenant_id').notNull(),
    cardNo: text('card_no').notNull(),
    batch: text('batch'),
    special: boolean('special').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    usedAt: ts('used_at'),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.cardNo] }), tenantIsolation],
);

export type AttributeType = 'text' | 'number' | 'date' | 'single' | 'multi' | 'boolean';

export const memberAttributeDefs = pgTable(
  'member_attribute_defs',
  {
    tenantId: id('tenant_id').notNull(),
    key: text('key').notNull(),
    label: text('label').notNull(),
    type: text('type').$type<AttributeType>().notNull(),
    required: boolean('required').notNull(),
    options: text('options').array().notNull(),
    position: integer('position').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] }), tenantIsolation],
);

export type Gender = 'male' | 'female' | 'other';
export type MemberStatus = 'active' | 'frozen' | 'cancelled';
export type MemberSource = 'counter' | 'api' | 'sms' | 'h5' | 'import' | 'application';

export const members = pgTable(
  'members',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    cardNo: text('card_no').notNull(),
    phone: text('phone').notNull(),
    name: text('name'),
    gender: text('gender').$type<Gender>(),
    birthday: date('birthday', { mode: 'string' }),
    storeId: id('store_id'),
    tierCode: text('tier_code'),
    points: amount('points').notNull().default(0),
    tierPoints: amount('tier_points').notNull().default(0),
    storedValueFen: amount('stored_value_fen').notNull().default(0),
    smsOptOut: boolean('sms_opt_out').notNull().default(false),
    email: text('email'),
    emailOptOut: boolean('email_opt_out').notNull().default(false),
    status: text('status').$type<MemberStatus>().notNull().default('active'),
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull().default({}),
    tags: text('tags').array().notNull().default(sql`'{}'`),
    source: text('source').$type<MemberSource>().notNull().default('counter'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);

export const memberChanges = pgTable(
  'member_changes',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    memberId: id('member_id').notNull(),
    change: text('change').notNull(),
    before: jsonb('before'),
    after: jsonb('after'),
    reason: text('reason'),
    actorType: text('actor_type').notNull(),
    actorId: id('actor_id'),
    actorName: text('actor_name').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);

export const memberApplications = pgTable(
  'member_applications',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    phone: text('phone').notNull(),
    name: text('name'),
    gender: text('gender').$type<Gender>(),
    birthday: date('birthday', { mode: 'string' }),
    storeId: id('store_id'),
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull().default({}),
    tags: text('tags').array().notNull().default(sql`'{}'`),
    source: text('source').$type<MemberSource>().notNull(),
    status: text('status').$type<'pending' | 'approved' | 'rejected'>().notNull().default('pending'),
    flags: text('flags').array().notNull().default(sql`'{}'`),
    reason: text('reason'),
    memberId: id('member_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
    decidedAt: ts('decided_at'),
    decidedBy: text('decided_by'),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);

export const memberPiiViews = pgTable(
  'member_pii_views',
  {
    tenantId: id('tenant_id').notNull(),
    viewerType: text('viewer_type').notNull(),
    viewerId: id('viewer_id').notNull(),
    memberId: id('member_id').notNull(),
    viewedAt: ts('viewed_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.viewerType, t.viewerId, t.memberId] }), tenantIsolation],
);
