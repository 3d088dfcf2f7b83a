/**
 * Read-only queries: member ledgers, purchases, tier changes, members about to lose points, a
 * member's loyalty summary, and the reconciliation of every balance against its ledger.
 * Written against `LoyaltyTx`; `fromDrizzle` runs them inside another capability's drizzle
 * transaction too.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../platform/db/with-tenant.js';
import { decodeCursor, encodeCursor, type Page } from '../platform/http/pagination.js';
import { notFound } from '../platform/http/problem.js';
import { currentConfig, tenantTimezone } from './config.repo.js';
import type { Tier } from './config.rules.js';
import type { LoyaltyTx } from './db.js';
import { scopePattern } from './ledger.repo.js';
import { carryOverLapse, currentPeriod, formatDate } from './period.rules.js';
import { tierRef, type TierRef } from './views.js';
import { maskName } from '../members/index.js';

/** Runs LoyaltyTx queries ($1, $2 … placeholders) on a drizzle transaction. */
export function fromDrizzle(tx: Tx, tenantId: string): LoyaltyTx {
  return {
    tenantId,
    scope: tx,
    async query(_name, text, values = []) {
      const parts = text.split(/\$(\d+)/);
      const chunks: SQL[] = parts.map((part, i) => (i % 2 === 0 ? sql.raw(part) : sql`${sql.param(values[Number(part) - 1])}`));
      const res = await tx.execute(sql.join(chunks, sql.raw('')));
      return res.rows as any[];
    },
  };
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

async function requireMember(tx: LoyaltyTx, memberId: string): Promise<Record<string, any>> {
  const rows = await tx.query(
    'loyalty_member_row',
    `SELECT id::text, card_no, name, points, tier_points, stored_value_fen, stored_principal_fen, stored_bonus_fen, tier_code, tier_floor_code,
            to_char(tier_period_start, 'YYYY-MM-DD') AS period_start, points_expire_at
       FROM members WHERE tenant_id = $1 AND id = $2::bigint`,
    [tx.tenantId, memberId],
  );
  if (!rows[0]) throw notFound('Member');
  return rows[0];
}

export interface LedgerItem {
  id: string;
  kind: 'points' | 'tier_points' | 'stored_value';
  delta: number;
  balanceAfter: number;
  reason: string;
  cause: string;
  refType: string;
  refId: string | null;
  principalDelta: number | null;
  bonusDelta: number | null;
  ruleVersion: number;
  actorName: string;
  createdAt: string;
}

/** A member's ledger, newest first. */
export async function listLedger(tx: LoyaltyTx, memberId: string, q: { kind?: string; limit: number; cursor?: string }): Promise<Page<LedgerItem>> {
  await requireMember(tx, memberId);
  const before = decodeCursor(q.cursor);
  const rows = await tx.query(
    'loyalty_ledger_page',
    // (qualified: a bare `id` in ORDER BY would sort by the text output column)
    `SELECT l.id::text, l.kind, l.delta, l.balance_after, l.principal_delta, l.bonus_delta, l.cause, l.reason, l.ref_type, l.ref_id::text,
            l.rule_version, l.actor_name, l.created_at
       FROM loyalty_ledger l
      WHERE l.tenant_id = $1 AND l.member_id = $2::bigint AND ($3::text IS NULL OR l.kind = $3) AND ($4::bigint IS NULL OR l.id < $4)
      ORDER BY l.id DESC LIMIT $5`,
    [tx.tenantId, memberId, q.kind ?? null, before, q.limit + 1],
  );
  const items = rows.slice(0, q.limit).map((r) => ({
    id: r.id,
    kind: r.kind,
    delta: Number(r.delta),
    balanceAfter: Number(r.balance_after),
    reason: r.reason ?? r.cause,
    cause: r.cause,
    refType: r.ref_type,
    refId: r.ref_id,
    principalDelta: r.principal_delta === null ? null : Number(r.principal_delta),
    bonusDelta: r.bonus_delta === null ? null : Number(r.bonus_delta),
    ruleVersion: r.rule_version,
    actorName: r.actor_name,
    createdAt: iso(r.created_at)!,
  }));
  return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!.id) : null };
}

export interface TransactionItem {
  id: string;
  memberId: string;
  storeId: string | null;
  amountFen: number;
  discountFen: number;
  payableFen: number;
  pointsEarned: number;
  tierPointsEarned: number;
  pointsPaid: number;
  storedValuePaidFen: number;
  refundedFen: number;
  tierCode: string | null;
  ruleVersion: number;
  actorName: string;
  occurredAt: string;
  createdAt: string;
  /** who bought: name masked (张*) for callers without members.pii */
  memberName: string | null;
  cardNo: string;
}

/** The member of the purchase `x`, for its name and card number. */
const TX_MEMBER = 'JOIN members m ON m.tenant_id = x.tenant_id AND m.id = x.member_id';

const TX_COLUMNS = `x.id::text, x.member_id::text, x.store_id::text, x.amount_fen, x.discount_fen, x.payable_fen, x.points_earned, x.tier_points_earned,
  x.points_paid, x.sv_principal_paid_fen + x.sv_bonus_paid_fen AS sv_paid, x.tier_code, x.rule_version, x.actor_name, x.occurred_at, x.created_at,
  m.name AS member_name, m.card_no,
  coalesce((SELECT r.refunded_fen_total FROM loyalty_refunds r WHERE r.tenant_id = x.tenant_id AND r.transaction_id = x.id ORDER BY r.id DESC LIMIT 1), 0) AS refunded`;

function transactionItem(r: Record<string, any>, pii: boolean): TransactionItem {
  return {
    id: r.id,
    memberId: r.member_id,
    storeId: r.store_id,
    amountFen: Number(r.amount_fen),
    discountFen: Number(r.discount_fen),
    payableFen: Number(r.payable_fen),
    pointsEarned: Number(r.points_earned),
    tierPointsEarned: Number(r.tier_points_earned),
    pointsPaid: Number(r.points_paid),
    storedValuePaidFen: Number(r.sv_paid),
    refundedFen: Number(r.refunded),
    tierCode: r.tier_code,
    ruleVersion: r.rule_version,
    actorName: r.actor_name,
    occurredAt: iso(r.occurred_at)!,
    createdAt: iso(r.created_at)!,
    memberName: pii ? r.member_name : maskName(r.member_name),
    cardNo: r.card_no,
  };
}

/** Purchases at stores inside `scope` only (an org path; null: all of them). */
const IN_SCOPE = (scopeParam: string) => `(${scopeParam}::text IS NULL OR EXISTS (SELECT 1 FROM org_nodes n
        WHERE n.tenant_id = x.tenant_id AND n.id = x.store_id AND n.path LIKE ${scopeParam}))`;

export interface TransactionQuery {
  memberId?: string;
  storeId?: string;
  /** occurred at or after */
  from?: Date | null;
  /** occurred before */
  to?: Date | null;
  limit: number;
  cursor?: string;
  scope?: string | null;
  /** the caller holds members.pii (names unmasked) */
  pii: boolean;
}

/**
 * Purchases, newest first (keyset on id), of one member or of the whole tenant, optionally at
 * one store and within [from, to) of their occurrence time.
 */
export async function listTransactions(tx: LoyaltyTx, q: TransactionQuery): Promise<Page<TransactionItem>> {
  if (q.memberId) await requireMember(tx, q.memberId);
  const before = decodeCursor(q.cursor);
  const rows = await tx.query(
    'loyalty_tx_page_v2',
    `SELECT ${TX_COLUMNS} FROM loyalty_transactions x ${TX_MEMBER}
      WHERE x.tenant_id = $1 AND ($2::bigint IS NULL OR x.member_id = $2) AND ($3::bigint IS NULL OR x.id < $3) AND ${IN_SCOPE('$5')}
        AND ($6::bigint IS NULL OR x.store_id = $6) AND ($7::timestamptz IS NULL OR x.occurred_at >= $7) AND ($8::timestamptz IS NULL OR x.occurred_at < $8)
      ORDER BY x.id DESC LIMIT $4`,
    [tx.tenantId, q.memberId ?? null, before, q.limit + 1, scopePattern(q.scope ?? null), q.storeId ?? null, q.from?.toISOString() ?? null, q.to?.toISOString() ?? null],
  );
  const items = rows.slice(0, q.limit).map((r) => transactionItem(r, q.pii));
  return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!.id) : null };
}

export interface TransactionDetail extends TransactionItem {
  items: unknown[];
  tenders: unknown[];
  detail: Record<string, unknown>;
  refunds: { id: string; amountFen: number; pointsReversed: number; tierPointsReversed: number; pointsReturned: number; storedValueReturnedFen: number; reason: string | null; actorName: string; createdAt: string }[];
}

export async function getTransaction(tx: LoyaltyTx, id: string, scope: string | null, pii: boolean): Promise<TransactionDetail> {
  const rows = await tx.query(
    'loyalty_tx_detail_v2',
    `SELECT ${TX_COLUMNS}, x.items, x.tenders, x.detail FROM loyalty_transactions x ${TX_MEMBER} WHERE x.tenant_id = $1 AND x.id = $2::bigint AND ${IN_SCOPE('$3')}`,
    [tx.tenantId, id, scopePattern(scope)],
  );
  const r = rows[0];
  if (!r) throw notFound('Transaction');
  const refunds = await tx.query(
    'loyalty_tx_refunds',
    `SELECT r.id::text, r.amount_fen, r.points_reversed - r.points_shortfall AS points_reversed,
            r.tier_points_reversed - r.tier_points_shortfall AS tier_points_reversed, r.points_returned,
            r.sv_principal_returned_fen + r.sv_bonus_returned_fen AS sv, r.reason, r.actor_name, r.created_at
       FROM loyalty_refunds r WHERE r.tenant_id = $1 AND r.transaction_id = $2::bigint ORDER BY r.id`,
    [tx.tenantId, id],
  );
  return {
    ...transactionItem(r, pii),
    items: r.items,
    tenders: r.tenders,
    detail: r.detail,
    refunds: refunds.map((f) => ({
      id: f.id,
      amountFen: Number(f.amount_fen),
      pointsReversed: Number(f.points_reversed),
      tierPointsReversed: Number(f.tier_points_reversed),
      pointsReturned: Number(f.points_returned),
      storedValueReturnedFen: Number(f.sv),
      reason: f.reason,
      actorName: f.actor_name,
      createdAt: iso(f.created_at)!,
    })),
  };
}

export interface TierChangeItem {
  id: string;
  memberId: string;
  from: TierRef | null;
  to: TierRef | null;
  direction: 'up' | 'down' | 'same';
  cause: string;
  reason: string | null;
  refType: string | null;
  refId: string | null;
  actorName: string;
  createdAt: string;
}

/**
 * Tier changes, newest first (a member's, or the tenant's); with `afterId`, oldest first from
 * there instead — the feed care messages consume.
 */
export async function listTierChanges(tx: LoyaltyTx, q: { memberId?: string; limit: number; cursor?: string; afterId?: string }): Promise<Page<TierChangeItem>> {
  if (q.memberId) await requireMember(tx, q.memberId);
  const tiers = (await currentConfig(tx)).tiers;
  const before = decodeCursor(q.cursor);
  const ascending = q.afterId !== undefined;
  const rows = await tx.query(
    ascending ? 'loyalty_tier_changes_feed' : 'loyalty_tier_changes_page',
    `SELECT c.id::text, c.member_id::text, c.from_code, c.to_code, c.direction, c.cause, c.reason, c.ref_type, c.ref_id::text, c.actor_name, c.created_at
       FROM loyalty_tier_changes c
      WHERE c.tenant_id = $1 AND ($2::bigint IS NULL OR c.member_id = $2) AND ${ascending ? 'c.id > $3::bigint' : '($3::bigint IS NULL OR c.id < $3)'}
      ORDER BY c.id ${ascending ? 'ASC' : 'DESC'} LIMIT $4`,
    [tx.tenantId, q.memberId ?? null, ascending ? q.afterId : before, q.limit + 1],
  );
  const items = rows.slice(0, q.limit).map((r) => ({
    id: r.id,
    memberId: r.member_id,
    from: tierRef(tiers, r.from_code),
    to: tierRef(tiers, r.to_code),
    direction: r.direction,
    cause: r.cause,
    reason: r.reason,
    refType: r.ref_type,
    refId: r.ref_id,
    actorName: r.actor_name,
    createdAt: iso(r.created_at)!,
  }));
  return { items, nextCursor: !ascending && rows.length > q.limit ? encodeCursor(items[items.length - 1]!.id) : null };
}

export interface ExpiringItem {
  memberId: string;
  cardNo: string;
  name: string | null;
  points: number;
  /** points that will lapse within the window: expiring lots plus the period-end lapse */
  expiringPoints: number;
  /** the first moment some of them lapse */
  expiresAt: string;
}

/**
 * Members about to lose reward points within `withinDays`: lots expiring, and the share that
 * lapses at period end under the carry-over rule when the period ends within the window.
 */
export async function listExpiring(tx: LoyaltyTx, q: { withinDays: number; limit: number; cursor?: string }, now = new Date()): Promise<Page<ExpiringItem>> {
  const cfg = await currentConfig(tx);
  const tz = await tenantTimezone(tx);
  const horizon = new Date(now.getTime() + q.withinDays * 86_400_000);
  const period = currentPeriod(now, tz, cfg.rules.period);
  const periodEnd = period && period.endsAt <= horizon && carryOverLapse(100, cfg.rules.period.carryOver) > 0 ? period.endsAt : null;
  const carry = cfg.rules.period.carryOver;
  const keepPct = carry.mode === 'all' ? 100 : carry.mode === 'none' ? 0 : carry.percent;
  const after = decodeCursor(q.cursor);
  const rows = await tx.query(
    'loyalty_expiring_page',
    `SELECT * FROM (
       SELECT m.id::text, m.card_no, m.name, m.points, coalesce(l.expiring, 0) AS lots, l.first_expiry,
              CASE WHEN $4::timestamptz IS NULL THEN 0
                   ELSE (m.points - coalesce(l.expiring, 0)) - floor((m.points - coalesce(l.expiring, 0)) * $5::numeric / 100) END AS lapse
         FROM members m
         LEFT JOIN LATERAL (
           SELECT sum(remaining) AS expiring, min(expires_at) AS first_expiry FROM loyalty_point_lots
            WHERE tenant_id = m.tenant_id AND member_id = m.id AND remaining > 0 AND expires_at <= $3
         ) l ON true
        WHERE m.tenant_id = $1 AND m.points > 0 AND ($2::bigint IS NULL OR m.id > $2)
          AND (m.points_expire_at <= $3 OR $4::timestamptz IS NOT NULL)
     ) c
     WHERE c.lots + c.lapse > 0
     ORDER BY c.id::bigint LIMIT $6`,
    [tx.tenantId, after, horizon, periodEnd, keepPct, q.limit + 1],
  );
  const items = rows.slice(0, q.limit).map((r) => ({
    memberId: r.id,
    cardNo: r.card_no,
    name: r.name,
    points: Number(r.points),
    expiringPoints: Number(r.lots) + Number(r.lapse),
    expiresAt: iso(r.first_expiry ?? periodEnd)!,
  }));
  return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!.memberId) : null };
}

export interface LoyaltySummary {
  memberId: string;
  points: number;
  tierPoints: number;
  storedValueFen: number;
  storedPrincipalFen: number;
  storedBonusFen: number;
  tier: TierRef | null;
  tierFloor: TierRef | null;
  nextTier: (TierRef & { threshold: number; tierPointsNeeded: number }) | null;
  period: { start: string; end: string } | null;
  /** the next lots to expire, earliest first (at most 5 dates) */
  expiring: { expiresAt: string; points: number }[];
}

/** What the member page and the SMS 666 reply show. */
export async function loyaltySummaryOf(tx: LoyaltyTx, memberId: string, now = new Date()): Promise<LoyaltySummary> {
  const r = await requireMember(tx, memberId);
  const cfg = await currentConfig(tx);
  const tz = await tenantTimezone(tx);
  const lots = await tx.query(
    'loyalty_summary_lots',
    `SELECT expires_at, sum(remaining)::text AS points FROM loyalty_point_lots
      WHERE tenant_id = $1 AND member_id = $2::bigint AND remaining > 0 AND expires_at IS NOT NULL AND expires_at > $3
      GROUP BY expires_at ORDER BY expires_at LIMIT 5`,
    [tx.tenantId, memberId, now],
  );
  const tierPoints = Number(r.tier_points);
  const idx = cfg.tiers.findIndex((t) => t.code === r.tier_code);
  const next: Tier | undefined = cfg.tiers.slice(idx + 1).find((t) => t.threshold > tierPoints);
  const period = currentPeriod(now, tz, cfg.rules.period);
  return {
    memberId: r.id,
    points: Number(r.points),
    tierPoints,
    storedValueFen: Number(r.stored_value_fen),
    storedPrincipalFen: Number(r.stored_principal_fen),
    storedBonusFen: Number(r.stored_bonus_fen),
    tier: tierRef(cfg.tiers, r.tier_code),
    tierFloor: tierRef(cfg.tiers, r.tier_floor_code),
    nextTier: next ? { code: next.code, name: next.name, threshold: next.threshold, tierPointsNeeded: next.threshold - tierPoints } : null,
    period: period ? { start: formatDate(period.start), end: period.endsAt.toISOString() } : null,
    expiring: lots.map((l) => ({ expiresAt: iso(l.expires_at)!, points: Number(l.points) })),
  };
}

/** Tier names by code, for showing `tier: {code, name}` on a member. */
export async function tierNamesOf(tx: LoyaltyTx): Promise<Record<string, string>> {
  const cfg = await currentConfig(tx);
  return Object.fromEntries(cfg.tiers.map((t) => [t.code, t.name]));
}

/** The tier a member of this tenant starts with (a tier with threshold 0, if there is one). */
export async function startingTierOf(tx: LoyaltyTx): Promise<string | null> {
  const cfg = await currentConfig(tx);
  return cfg.tiers[0] && cfg.tiers[0].threshold <= 0 ? cfg.tiers[0].code : null;
}

export interface Mismatch {
  memberId: string;
  check: 'points' | 'tier_points' | 'stored_value' | 'stored_principal' | 'stored_bonus' | 'lots' | 'balance_chain' | 'unknown_tier' | 'period_spend';
  balance: number | string | null;
  expected: number | string | null;
}

export interface ReconcileReport {
  ok: boolean;
  members: number;
  ledgerEntries: number;
  mismatches: Mismatch[];
  /** more mismatches than listed */
  truncated: boolean;
}

/**
 * Checks every member balance against its ledger: points, tier points, stored value and its
 * principal/bonus split equal the sums of their entries; reward points equal the remaining lots;
 * every entry's balance_after follows from the one before; tiers exist; the period's spend equals
 * the payable amounts less refunds of the member's purchases of that period.
 */
export async function reconcileWith(tx: LoyaltyTx, limit = 1000): Promise<ReconcileReport> {
  const t = tx.tenantId;
  const counts = await tx.query(
    null,
    `SELECT (SELECT count(*) FROM members WHERE tenant_id = $1)::int AS members, (SELECT count(*) FROM loyalty_ledger WHERE tenant_id = $1)::int AS entries`,
    [t],
  );
  const rows = await tx.query(
    null,
    `WITH l AS (
       SELECT member_id,
              coalesce(sum(delta) FILTER (WHERE kind = 'points'), 0) AS points,
              coalesce(sum(delta) FILTER (WHERE kind = 'tier_points'), 0) AS tier_points,
              coalesce(sum(delta) FILTER (WHERE kind = 'stored_value'), 0) AS sv,
              coalesce(sum(principal_delta), 0) AS principal,
              coalesce(sum(bonus_delta), 0) AS bonus
         FROM loyalty_ledger WHERE tenant_id = $1 GROUP BY member_id
     ), lots AS (
       SELECT member_id, sum(remaining) AS remaining FROM loyalty_point_lots WHERE tenant_id = $1 AND remaining > 0 GROUP BY member_id
     ), chain AS (
       SELECT DISTINCT member_id FROM (
         SELECT member_id, balance_after - delta <> coalesce(lag(balance_after) OVER (PARTITION BY member_id, kind ORDER BY id), 0) AS broken
           FROM loyalty_ledger WHERE tenant_id = $1
       ) c WHERE broken
     ), spend AS (
       SELECT x.member_id, x.period_start, sum(x.payable_fen - coalesce(r.refunded, 0)) AS spend
         FROM loyalty_transactions x
         LEFT JOIN LATERAL (SELECT max(refunded_fen_total) AS refunded FROM loyalty_refunds r
                             WHERE r.tenant_id = x.tenant_id AND r.transaction_id = x.id) r ON true
        WHERE x.tenant_id = $1
        GROUP BY x.member_id, x.period_start
     ), b AS (
       SELECT m.id, m.points, m.tier_points, m.stored_value_fen, m.stored_principal_fen, m.stored_bonus_fen, m.tier_code,
              coalesce(l.points, 0) AS l_points, coalesce(l.tier_points, 0) AS l_tier_points, coalesce(l.sv, 0) AS l_sv,
              coalesce(l.principal, 0) AS l_principal, coalesce(l.bonus, 0) AS l_bonus, coalesce(lots.remaining, 0) AS l_lots,
              chain.member_id IS NOT NULL AS broken, m.period_spend_fen, coalesce(spend.spend, 0) AS l_spend
         FROM members m
         LEFT JOIN l ON l.member_id = m.id
         LEFT JOIN lots ON lots.member_id = m.id
         LEFT JOIN chain ON chain.member_id = m.id
         LEFT JOIN spend ON spend.member_id = m.id AND spend.period_start IS NOT DISTINCT FROM m.tier_period_start
        WHERE m.tenant_id = $1
     )
     SELECT id::text, v.chk, v.balance, v.expected
       FROM b, LATERAL (VALUES
         ('points', points::text, l_points::text, points <> l_points),
         ('tier_points', tier_points::text, l_tier_points::text, tier_points <> l_tier_points),
         ('stored_value', stored_value_fen::text, l_sv::text, stored_value_fen <> l_sv),
         ('stored_principal', stored_principal_fen::text, l_principal::text, stored_principal_fen <> l_principal),
         ('stored_bonus', stored_bonus_fen::text, l_bonus::text, stored_bonus_fen <> l_bonus),
         ('lots', points::text, l_lots::text, points <> l_lots),
         ('balance_chain', NULL, NULL, broken),
         ('unknown_tier', tier_code, NULL, tier_code IS NOT NULL AND NOT (tier_code = ANY($2::text[]))),
         ('period_spend', period_spend_fen::text, l_spend::text, period_spend_fen <> l_spend)
       ) AS v(chk, balance, expected, bad)
      WHERE v.bad
      ORDER BY id::bigint, v.chk
      LIMIT $3`,
    [t, (await currentConfig(tx)).tiers.map((x) => x.code), limit + 1],
  );
  const num = (v: string | null) => (v === null ? null : /^-?\d+$/.test(v) ? Number(v) : v);
  const mismatches = rows.slice(0, limit).map((r) => ({ memberId: r.id, check: r.chk, balance: num(r.balance), expected: num(r.expected) }));
  return { ok: rows.length === 0, members: counts[0]!.members, ledgerEntries: counts[0]!.entries, mismatches, truncated: rows.length > limit };
}

// ------------------------------------------------------------ for other capabilities (drizzle tx)

/** Reconciliation inside the caller's tenant transaction (e.g. `withTenant(db, id, tx => reconcile(tx, id))`). */
export const reconcile = (tx: Tx, tenantId: string, limit?: number) => reconcileWith(fromDrizzle(tx, tenantId), limit);

/** Tier names by code, e.g. to show `tier: {code, name}` on members. */
export const tierNames = (tx: Tx, tenantId: string) => tierNamesOf(fromDrizzle(tx, tenantId));

/** The tier a new member starts with (null unless the lowest tier's threshold is 0). */
export const startingTier = (tx: Tx, tenantId: string) => startingTierOf(fromDrizzle(tx, tenantId));

/** Points, tier and stored value of a member (the SMS `666` reply, the member page). */
export const loyaltySummary = (tx: Tx, tenantId: string, memberId: string, now?: Date) => loyaltySummaryOf(fromDrizzle(tx, tenantId), memberId, now);

/** Members about to lose reward points (reminder messages). */
export const membersAboutToLosePoints = (tx: Tx, tenantId: string, q: { withinDays: number; limit: number; cursor?: string }, now?: Date) =>
  listExpiring(fromDrizzle(tx, tenantId), q, now);

/** Tier changes after `afterId`, oldest first: the feed that care messages follow. */
export const tierChangesSince = (tx: Tx, tenantId: string, afterId: string, limit = 100) =>
  listTierChanges(fromDrizzle(tx, tenantId), { afterId, limit }).then((p) => p.items);
