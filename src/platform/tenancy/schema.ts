import { sql } from 'drizzle-orm';
import { boolean, customType, integer, jsonb, pgPolicy, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { amount, id, identity } from '../db/columns.js';

// The SQL in migrations/0001_platform_tenancy.sql is the source of truth (it also holds the role,
// grants and triggers); these declarations give the code typed queries over the same tables.

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const tenantIsolation = pgPolicy('tenant_isolation', {
  using: sql`tenant_id = app_tenant_id()`,
  withCheck: sql`tenant_id = app_tenant_id()`,
});

// ------------------------------------------------------------------ platform tables
export const tenants = pgTable('tenants', {
  id: identity('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  smsExtension: text('sms_extension').notNull().unique(),
  timezone: text('timezone').notNull(),
  currency: text('currency').notNull(),
  smsPriceFen: integer('sms_price_fen').notNull(),
  creditFen: amount('credit_fen').notNull(),
  status: text('status').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const platformUsers = pgTable('platform_users', {
  id: identity('id').primaryKey(),
  username: text('username').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const authSessions = pgTable('auth_sessions', {
  tokenHash: bytea('token_hash').primaryKey(),
  csrfToken: text('csrf_token').notNull(),
  principal: text('principal').$type<'platform' | 'operator'>().notNull(),
  tenantId: id('tenant_id'),
  userId: id('user_id').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull(),
  revokedAt: ts('revoked_at'),
});

export const loginFailures = pgTable(
  'login_failures',
  {
    scope: text('scope').notNull(),
    username: text('username').notNull(),
    windowStart: ts('window_start').notNull(),
    failures: integer('failures').notNull(),
    lockedUntil: ts('locked_until'),
  },
  (t) => [primaryKey({ columns: [t.scope, t.username] })],
);

export const platformAuditLog = pgTable('platform_audit_log', {
  id: identity('id').primaryKey(),
  actorId: id('actor_id'),
  actorName: text('actor_name').notNull(),
  action: text('action').notNull(),
  target: text('target'),
  detail: jsonb('detail').$type<Record<string, unknown>>().notNull(),
  ip: text('ip'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

// ------------------------------------------------------------------ tenant-owned tables
export type OrgKind = 'headquarters' | 'region' | 'store';

export const orgNodes = pgTable(
  'org_nodes',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    parentId: id('parent_id'),
    kind: text('kind').$type<OrgKind>().notNull(),
    name: text('name').notNull(),
    code: text('code'),
    path: text('path').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);

export const roles = pgTable(
  'roles',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    code: text('code').notNull(),
    name: text('name').notNull(),
    permissions: text('permissions').array().notNull(),
    builtin: boolean('builtin').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);

export const operators = pgTable(
  'operators',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    username: text('username').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    roleId: id('role_id').notNull(),
    orgNodeId: id('org_node_id').notNull(),
    status: text('status').$type<'active' | 'disabled'>().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    keyHash: bytea('key_hash').notNull(),
    permissions: text('permissions').array().notNull(),
    createdBy: id('created_by'),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastUsedAt: ts('last_used_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);

export const auditLog = pgTable(
  'audit_log',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    actorType: text('actor_type').$type<'platform' | 'operator' | 'api_key' | 'system'>().notNull(),
    actorId: id('actor_id'),
    actorName: text('actor_name').notNull(),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull(),
    ip: text('ip'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);

/** Every change of a tenant's prepaid SMS credit; tenants.credit_fen is its running sum. */
export const smsCreditLedger = pgTable(
  'sms_credit_ledger',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    deltaFen: amount('delta_fen').notNull(),
    balanceAfterFen: amount('balance_after_fen').notNull(),
    reason: text('reason').notNull(),
    refType: text('ref_type'),
    refId: text('ref_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);
