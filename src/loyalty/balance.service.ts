/**
 * Movements that are not purchases: redeeming points (for a gift), manual adjustments with a
 * reason, stored-value top-ups with their bonus, manual tier overrides, opening balances.
 * Each is one transaction: member lock, upkeep, ledger batch, one write.
 */
import type pg from 'pg';
import { badRequest, conflict, notFound } from '../platform/http/problem.js';
import { configAt, currentConfig, tenantTimezone } from './config.repo.js';
import type { LoyaltyConfig } from './config.rules.js';
import { inLoyaltyTx, type LoyaltyTx } from './db.js';
import { idempotencyRow, lockMember, type LockedMember } from './lock.repo.js';
import { replayOf, type IdempotencyRequest, type Outcome } from './idempotency.js';
import { LedgerBatch, MEMBER_COLUMNS, memberFromRow, type DocumentInsert, type LedgerActor, type MemberState } from './ledger.repo.js';
import { lotExpiry } from './period.rules.js';
import { requireActive } from './purchase.service.js';
import { rankOf, tierAfterDecrease, tierAfterEarn, tierDirection } from './tiers.rules.js';
import { upkeep } from './upkeep.js';
import { planCashOut, topUpBonus } from './value.rules.js';
import { memberBalances, tierRef, type MemberBalances, type TierRef } from './views.js';

type OperationKind = 'redemption' | 'adjustment' | 'top_up' | 'tier_override' | 'opening_balance';

function operationDoc(kind: OperationKind, id: string, memberId: string, detail: Record<string, unknown>, reason: string | null): DocumentInsert {
  return {
    name: 'operation',
    build: (P, c) => `INSERT INTO loyalty_operations (tenant_id, id, kind, member_id, detail, reason, rule_version, actor_type, actor_id, actor_name, created_at)
      VALUES (${c.t}, ${P.p(id, 'bigint')}, ${P.p(kind, 'text')}, ${P.p(memberId, 'bigint')}, ${P.p(JSON.stringify(detail), 'jsonb')},
              ${P.p(reason, 'text')}, ${c.rv}, ${c.at}, ${c.aid}, ${c.an}, ${c.now})
      RETURNING 1`,
  };
}

async function auditLog(tx: LoyaltyTx, actor: LedgerActor, ip: string | null, action: string, memberId: string, detail: Record<string, unknown>): Promise<void> {
  // The same row platform/tenancy/audit.ts writes, in this transaction.
  await tx.query(
    'loyalty_audit',
    `INSERT INTO audit_log (tenant_id, actor_type, actor_id, actor_name, action, target_type, target_id, detail, ip)
     VALUES ($1, $2, $3, $4, $5, 'member', $6, $7, $8)`,
    [tx.tenantId, actor.type, actor.id, actor.name, action, memberId, JSON.stringify(detail), ip],
  );
}

interface MovementContext {
  tx: LoyaltyTx;
  head: LockedMember;
  m: MemberState;
  cfg: LoyaltyConfig;
  batch: LedgerBatch;
  ref: { type: string; id: string };
}

/** Locks the member, replays a known idempotency key, brings the member up to date, then runs
 * `fn`, remembers its outcome and writes. */
async function movement<T>(
  pool: pg.Pool,
  tenantId: string,
  actor: LedgerActor,
  memberId: string,
  idem: IdempotencyRequest | null,
  now: Date,
  refType: string,
  fn: (ctx: MovementContext) => Promise<{ body: T; doc: DocumentInsert }>,
): Promise<Outcome<T>> {
  return inLoyaltyTx(
    pool,
    tenantId,
    async (tx) => {
      const head = await lockMember(tx, { by: 'id', value: memberId }, idem?.key ?? null);
      if (!head) {
        const replay = replayOf(idem, await idempotencyRow(tx, idem?.key ?? null));
        if (replay) return replay;
        throw notFound('Member');
      }
      const replay = replayOf(idem, head.idem);
      if (replay) return replay;
      const m = head.member;
      const cfg = await configAt(tx, head.version);
      const batch = new LedgerBatch(cfg.version, actor, now);
      await upkeep(tx, batch, m, { cfg, tz: head.timezone, now });
      const { body, doc } = await fn({ tx, head, m, cfg, batch, ref: { type: refType, id: head.docId } });
      batch.touch(m);
      if (idem) batch.remember(idem.key, idem.hash, 201, body);
      await batch.write(tx, doc, { commit: true });
      return { status: 201, body };
    },
    { lockKey: idem?.lockKey },
  );
}

export interface PointsMovementResult {
  id: string;
  kind: 'points' | 'tier_points';
  delta: number;
  reason: string;
  tierChange: { from: TierRef | null; to: TierRef | null } | null;
  member: MemberBalances;
}

/** Redeems points (for a gift, a service …): 409 when the balance is short. */
export async function redeemPoints(pool: pg.Pool, tenantId: string, actor: LedgerActor, memberId: string, input: { points: number; reason: string }, idem: IdempotencyRequest | null, now = new Date()) {
  return movement<PointsMovementResult>(pool, tenantId, actor, memberId, idem, now, 'redemption', async ({ m, cfg, batch, ref, head }) => {
    requireActive(m);
    batch.points(m, -input.points, 'redeem', ref, { reason: input.reason });
    return {
      body: { id: head.docId, kind: 'points', delta: -input.points, reason: input.reason, tierChange: null, member: memberBalances(m, cfg.tiers) },
      doc: operationDoc('redemption', head.docId, m.id, { points: input.points }, input.reason),
    };
  });
}

/**
 * A manual adjustment of reward points or tier points, with a reason (audited). A negative
 * adjustment beyond the balance is a 409. Tier points re-evaluate the tier (up at once; down
 * not below the tier secured for the period).
 */
export async function adjustPoints(
  pool: pg.Pool,
  tenantId: string,
  actor: LedgerActor,
  ip: string | null,
  memberId: string,
  input: { delta: number; reason: string; kind?: 'points' | 'tier_points' },
  idem: IdempotencyRequest | null,
  now = new Date(),
) {
  const kind = input.kind ?? 'points';
  return movement<PointsMovementResult>(pool, tenantId, actor, memberId, idem, now, 'adjustment', async ({ tx, m, cfg, batch, ref, head }) => {
    let tierChange: PointsMovementResult['tierChange'] = null;
    if (kind === 'points') {
      batch.points(m, input.delta, 'adjust', ref, { reason: input.reason, expiresAt: lotExpiry(now, head.timezone, cfg.rules.expiry, cfg.rules.period.startMonth) });
    } else {
      batch.tierPoints(m, input.delta, 'adjust', ref, input.reason);
      const from = m.tierCode;
      const state = { code: m.tierCode, floor: m.tierFloor, tierPoints: m.tierPoints, spendFen: m.periodSpendFen };
      const to = input.delta > 0 ? tierAfterEarn(cfg.tiers, state) : tierAfterDecrease(cfg.tiers, state);
      if (batch.tier(m, to, tierDirection(cfg.tiers, from, to), 'adjustment', ref, input.reason)) tierChange = { from: tierRef(cfg.tiers, from), to: tierRef(cfg.tiers, to) };
    }
    await auditLog(tx, actor, ip, 'loyalty.adjust', m.id, { kind, delta: input.delta, reason: input.reason, operationId: head.docId });
    return {
      body: { id: head.docId, kind, delta: input.delta, reason: input.reason, tierChange, member: memberBalances(m, cfg.tiers) },
      doc: operationDoc('adjustment', head.docId, m.id, { kind, delta: input.delta }, input.reason),
    };
  });
}

export interface TopUpResult {
  id: string;
  amountFen: number;
  bonusFen: number;
  tender: string;
  storedValueFen: number;
  member: MemberBalances;
}

/** Tops up stored value; the bonus from the tenant's top-up rules is kept apart from the principal. */
export async function topUp(pool: pg.Pool, tenantId: string, actor: LedgerActor, memberId: string, input: { amountFen: number; tender: string }, idem: IdempotencyRequest | null, now = new Date()) {
  return movement<TopUpResult>(pool, tenantId, actor, memberId, idem, now, 'top_up', async ({ m, cfg, batch, ref, head }) => {
    requireActive(m);
    const bonusFen = topUpBonus(cfg.rules.storedValue.topUpBonus, input.amountFen);
    batch.storedValue(m, input.amountFen, 0, 'top_up', ref);
    batch.storedValue(m, 0, bonusFen, 'top_up_bonus', ref);
    return {
      body: { id: head.docId, amountFen: input.amountFen, bonusFen, tender: input.tender, storedValueFen: m.principal + m.bonus, member: memberBalances(m, cfg.tiers) },
      doc: operationDoc('top_up', head.docId, m.id, { amountFen: input.amountFen, bonusFen, tender: input.tender }, null),
    };
  });
}

export interface CashOutResult {
  id: string;
  /** principal paid back to the member */
  principalFen: number;
  /** bonus that went with it */
  bonusForfeitedFen: number;
  reason: string;
  storedValueFen: number;
  member: MemberBalances;
}

/**
 * Pays stored value back to the member (loyalty.adjust, audited): principal only, all of it when
 * no amount is given; the bonus is forfeited in proportion (rules first: `planCashOut`). Recorded
 * as an adjustment operation whose detail says `cash_out`; the ledger entry's cause is `cash_out`.
 */
export async function cashOut(
  pool: pg.Pool,
  tenantId: string,
  actor: LedgerActor,
  ip: string | null,
  memberId: string,
  input: { amountFen?: number; reason: string },
  idem: IdempotencyRequest | null,
  now = new Date(),
) {
  return movement<CashOutResult>(pool, tenantId, actor, memberId, idem, now, 'adjustment', async ({ tx, m, cfg, batch, ref, head }) => {
    const amount = input.amountFen ?? m.principal;
    if (m.principal === 0) throw conflict('The member has no stored principal to pay back', 'no_stored_principal');
    if (amount > m.principal) throw conflict(`At most ${m.principal} fen of principal can be paid back`, 'exceeds_stored_principal');
    const plan = planCashOut(m.principal, m.bonus, amount);
    batch.storedValue(m, -plan.principalFen, -plan.bonusForfeitedFen, 'cash_out', ref, input.reason);
    const detail = { kind: 'cash_out', principalFen: plan.principalFen, bonusForfeitedFen: plan.bonusForfeitedFen };
    await auditLog(tx, actor, ip, 'loyalty.cash_out', m.id, { ...detail, reason: input.reason, operationId: head.docId });
    return {
      body: { id: head.docId, ...plan, reason: input.reason, storedValueFen: m.principal + m.bonus, member: memberBalances(m, cfg.tiers) },
      doc: operationDoc('adjustment', head.docId, m.id, detail, input.reason),
    };
  });
}

export interface TierOverrideResult {
  id: string;
  from: TierRef | null;
  to: TierRef | null;
  reason: string;
  member: MemberBalances;
}

/** Sets a member's tier by hand (with a reason, audited); it holds as the floor until the
 * period ends, and later purchases may still upgrade it. */
export async function overrideTier(pool: pg.Pool, tenantId: string, actor: LedgerActor, ip: string | null, memberId: string, input: { code: string | null; reason: string }, idem: IdempotencyRequest | null, now = new Date()) {
  return movement<TierOverrideResult>(pool, tenantId, actor, memberId, idem, now, 'tier_override', async ({ tx, m, cfg, batch, ref, head }) => {
    if (input.code !== null && rankOf(cfg.tiers, input.code) < 0) {
      throw badRequest(`No tier with code ${input.code}`, [{ path: 'body.code', message: 'is not one of the tiers' }]);
    }
    const from = m.tierCode;
    batch.tier(m, input.code, tierDirection(cfg.tiers, from, input.code), 'manual', ref, input.reason);
    m.tierFloor = input.code;
    await auditLog(tx, actor, ip, 'loyalty.tier_override', m.id, { from, to: input.code, reason: input.reason, operationId: head.docId });
    return {
      body: { id: head.docId, from: tierRef(cfg.tiers, from), to: tierRef(cfg.tiers, input.code), reason: input.reason, member: memberBalances(m, cfg.tiers) },
      doc: operationDoc('tier_override', head.docId, m.id, { from, to: input.code }, input.reason),
    };
  });
}

export interface OpeningBalance {
  memberId: string;
  points?: number;
  tierPoints?: number;
  storedPrincipalFen?: number;
  storedBonusFen?: number;
}

/**
 * Opening balances for members brought in from another system (member import): written as
 * ledger entries like any other movement, so balances still equal their ledger. Adds to what
 * the member has. For many members call it in chunks of a few thousand.
 */
export async function recordOpeningBalances(pool: pg.Pool, tenantId: string, actor: LedgerActor, rows: OpeningBalance[], reason = 'opening balance', now = new Date()): Promise<number> {
  if (rows.length === 0) return 0;
  return inLoyaltyTx(pool, tenantId, async (tx) => {
    const ids = [...new Set(rows.map((r) => r.memberId))].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    const locked = await tx.query(
      null,
      `SELECT ${MEMBER_COLUMNS} FROM members m WHERE m.tenant_id = $1 AND m.id = ANY($2::bigint[]) ORDER BY m.id FOR UPDATE`,
      [tenantId, ids],
    );
    const members = new Map(locked.map((r) => [r.m_id as string, memberFromRow(r)]));
    const missing = ids.filter((id) => !members.has(id));
    if (missing.length) throw notFound(`Member ${missing[0]}`);
    const cfg = await currentConfig(tx);
    const tz = await tenantTimezone(tx);
    const batch = new LedgerBatch(cfg.version, actor, now);
    const expiresAt = lotExpiry(now, tz, cfg.rules.expiry, cfg.rules.period.startMonth);
    const ref = { type: 'opening_balance', id: null };
    for (const r of rows) {
      const m = members.get(r.memberId)!;
      await upkeep(tx, batch, m, { cfg, tz, now });
      batch.points(m, r.points ?? 0, 'opening', ref, { reason, expiresAt });
      batch.tierPoints(m, r.tierPoints ?? 0, 'opening', ref, reason);
      batch.storedValue(m, r.storedPrincipalFen ?? 0, r.storedBonusFen ?? 0, 'opening', ref, reason);
      const to = tierAfterEarn(cfg.tiers, { code: m.tierCode, floor: m.tierFloor, tierPoints: m.tierPoints, spendFen: m.periodSpendFen });
      batch.tier(m, to, tierDirection(cfg.tiers, m.tierCode, to), 'opening_balance', null, reason);
      batch.touch(m);
    }
    await batch.write(tx);
    return rows.length;
  });
}
