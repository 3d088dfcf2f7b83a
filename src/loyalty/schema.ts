import { sql } from 'drizzle-orm';
import { date, integer, jsonb, pgPolicy, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { amount, id, identity } from '../platform/db/columns.js';

// Source of truth: migrations/0005_loyalty.sql. The services use raw SQL on their hot paths
// (db.ts); these declarations document the tables and type ad-hoc drizzle queries.
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const tenantIsolation = pgPolicy('tenant_isolation', {
  using: sql`tenant_id = app_tenant_id()`,
  withCheck: sql`tenant_id = app_tenant_id()`,
});
const actor = () => ({ actorType: text('actor_type').notNull(), actorId: id('actor_id'), actorName: text('actor_name').notNull() });

export const loyaltySettings = pgTable(
  'loyalty_settings',
  { tenantId: id('tenant_id').notNull(), version: integer('version').notNull(), periodsClosedTo: date('periods_closed_to', { mode: 'string' }), updatedAt: ts('updated_at').notNull().defaultNow() },
  (t) => [primaryKey({ columns: [t.tenantId] }), tenantIsolation],
);

export const loyaltyRuleVersions = pgTable(
  'loyalty_rule_versions',
  { tenantId: id('tenant_id').notNull(), version: integer('version').notNull(), rules: jsonb('rules').notNull(), tiers: jsonb('tiers').notNull(), ...actor(), createdAt: ts('created_at').notNull().defaultNow() },
  (t) => [primaryKey({ columns: [t.tenantId, t.version] }), tenantIsolation],
);

export const loyaltyTransactions = pgTable(
  'loyalty_transactions',
  {
    tenantId: id('tenant_id').notNull(),
    id: id('id').notNull(),
    memberId: id('member_id').notNull(),
    storeId: id('store_id'),
    amountFen: amount('amount_fen').notNull(),
    discountFen: amount('discount_fen').notNull(),
    payableFen: amount('payable_fen').notNull(),
    tierCode: text('tier_code'),
    pointsEarned: amount('points_earned').notNull(),
    tierPointsEarned: amount('tier_points_earned').notNull(),
    pointsPaid: amount('points_paid').notNull(),
    pointsPaidFen: amount('points_paid_fen').notNull(),
    svPrincipalPaidFen: amount('sv_principal_paid_fen').notNull(),
    svBonusPaidFen: amount('sv_bonus_paid_fen').notNull(),
    items: jsonb('items').notNull(),
    tenders: jsonb('tenders').notNull(),
    detail: jsonb('detail').notNull(),
    periodStart: date('period_start', { mode: 'string' }),
    ruleVersion: integer('rule_version').notNull(),
    occurredAt: ts('occurred_at').notNull(),
    idempotencyKey: text('idempotency_key'),
    ...actor(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);

export const loyaltyRefunds = pgTable(
  'loyalty_refunds',
  {
    tenantId: id('tenant_id').notNull(),
    id: id('id').notNull(),
    transactionId: id('transaction_id').notNull(),
    memberId: id('member_id').notNull(),
    amountFen: amount('amount_fen').notNull(),
    refundedFenTotal: amount('refunded_fen_total').notNull(),
    pointsReversed: amount('points_reversed').notNull(),
    pointsReversedTotal: amount('points_reversed_total').notNull(),
    pointsShortfall: amount('points_shortfall').notNull(),
    tierPointsReversed: amount('tier_points_reversed').notNull(),
    tierPointsReversedTotal: amount('tier_points_reversed_total').notNull(),
    tierPointsShortfall: amount('tier_points_shortfall').notNull(),
    pointsReturned: amount('points_returned').notNull(),
    pointsReturnedTotal: amount('points_returned_total').notNull(),
    svPrincipalReturnedFen: amount('sv_principal_returned_fen').notNull(),
    svBonusReturnedFen: amount('sv_bonus_returned_fen').notNull(),
    svPrincipalReturnedTotal: amount('sv_principal_returned_total').notNull(),
    svBonusReturnedTotal: amount('sv_bonus_returned_total').notNull(),
    reason: text('reason'),
    ruleVersion: integer('rule_version').notNull(),
    ...actor(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);

export const loyaltyOperations = pgTable(
  'loyalty_operations',
  {
    tenantId: id('tenant_id').notNull(),
    id: id('id').notNull(),
    kind: text('kind').$type<'redemption' | 'adjustment' | 'top_up' | 'tier_override' | 'opening_balance' | 'expiry_run'>().notNull(),
    memberId: id('member_id'),
    detail: jsonb('detail').notNull(),
    reason: text('reason'),
    ruleVersion: integer('rule_version').notNull(),
    ...actor(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);

/** Append-only. */
export const loyaltyLedger = pgTable(
  'loyalty_ledger',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    memberId: id('member_id').notNull(),
    kind: text('kind').$type<'points' | 'tier_points' | 'stored_value'>().notNull(),
    delta: amount('delta').notNull(),
    balanceAfter: amount('balance_after').notNull(),
    principalDelta: amount('principal_delta'),
    bonusDelta: amount('bonus_delta'),
    cause: text('cause').notNull(),
    reason: text('reason'),
    refType: text('ref_type').notNull(),
    refId: id('ref_id'),
    ruleVersion: integer('rule_version').notNull(),
    ...actor(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);

export const loyaltyPointLots = pgTable(
  'loyalty_point_lots',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    memberId: id('member_id').notNull(),
    refType: text('ref_type').notNull(),
    refId: id('ref_id'),
    earnedAt: ts('earned_at').notNull(),
    expiresAt: ts('expires_at'),
    original: amount('original').notNull(),
    remaining: amount('remaining').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);

/** Append-only. */
export const loyaltyTierChanges = pgTable(
  'loyalty_tier_changes',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    memberId: id('member_id').notNull(),
    fromCode: text('from_code'),
    toCode: text('to_code'),
    direction: text('direction').$type<'up' | 'down' | 'same'>().notNull(),
    cause: text('cause').notNull(),
    reason: text('reason'),
    refType: text('ref_type'),
    refId: id('ref_id'),
    ...actor(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);

export const loyaltyIdempotency = pgTable(
  'loyalty_idempotency',
  {
    tenantId: id('tenant_id').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    status: integer('status').notNull(),
    response: jsonb('response').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] }), tenantIsolation],
);

/** Balance columns 0005 and 0008 add to `members` (the members capability declares the rest). */
export const memberLoyaltyColumns = {
  storedPrincipalFen: 'stored_principal_fen',
  storedBonusFen: 'stored_bonus_fen',
  tierFloorCode: 'tier_floor_code',
  tierPeriodStart: 'tier_period_start',
  pointsExpireAt: 'points_expire_at',
  periodSpendFen: 'period_spend_fen',
} as const;
