/**
 * Bringing a locked member up to date before anything else moves: reward-point lots that have
 * expired are taken out, and periods that have ended are closed (carry-over of reward points,
 * tier points reset, tier evaluated for the next period). The hourly job does the same for
 * every member who needs it; doing it here too means a purchase never spends expired points or
 * counts last year's tier points, whether or not the job has run yet. Both paths write the same
 * entries, once: an expired lot has nothing left, a closed period is recorded on the member.
 */
import type { LoyaltyConfig } from './config.rules.js';
import type { LoyaltyTx } from './db.js';
import type { LedgerBatch, MemberState } from './ledger.repo.js';
import { carryOverLapse, currentPeriod, formatDate, nextPeriodStart, parseDate } from './period.rules.js';
import { tierAtPeriodEnd, tierDirection } from './tiers.rules.js';

export interface UpkeepContext {
  cfg: LoyaltyConfig;
  tz: string;
  now: Date;
  /** the maintenance run doing this, if it is one (ledger entries refer to it) */
  runId?: string;
}

export interface DueLots {
  /** points in lots expired at `now` */
  due: number;
  /** earliest expiry among the lots still valid after `now` */
  next: Date | null;
}

/** Expired and next-expiring points of some members, read after their rows are locked. */
export async function dueLots(tx: LoyaltyTx, memberIds: string[], now: Date): Promise<Map<string, DueLots>> {
  const out = new Map<string, DueLots>();
  if (memberIds.length === 0) return out;
  const rows = await tx.query<{ member_id: string; due: string; next: Date | null }>(
    'loyalty_due_lots',
    `SELECT member_id::text, coalesce(sum(remaining) FILTER (WHERE expires_at <= $3), 0)::text AS due,
            min(expires_at) FILTER (WHERE expires_at > $3) AS next
       FROM loyalty_point_lots
      WHERE tenant_id = $1 AND member_id = ANY($2::bigint[]) AND remaining > 0
      GROUP BY member_id`,
    [tx.tenantId, memberIds, now],
  );
  for (const r of rows) out.set(r.member_id, { due: Number(r.due), next: r.next });
  return out;
}

export const needsExpiry = (m: MemberState, now: Date) => m.pointsExpireAt !== null && m.pointsExpireAt <= now;

/** Applies expiry (with the lots already read) and period closing to one member. */
export function applyUpkeep(batch: LedgerBatch, m: MemberState, ctx: UpkeepContext, due: DueLots | undefined): void {
  if (needsExpiry(m, ctx.now)) {
    const d = due ?? { due: 0, next: null };
    // The oldest-expiring lots are exactly the expired ones, so the normal consumption order
    // takes precisely them.
    batch.points(m, -Math.min(d.due, m.points), 'expiry', { type: 'expiry', id: ctx.runId ?? null });
    m.pointsExpireAt = m.points > 0 ? d.next : null;
    batch.touch(m);
  }
  const period = currentPeriod(ctx.now, ctx.tz, ctx.cfg.rules.period);
  if (!period) return;
  const current = formatDate(period.start);
  if (m.periodStart === null) {
    m.periodStart = current;
    return;
  }
  // Close every period that ended since the member's last movement (bounded: after a few empty
  // closes nothing changes any more).
  let closes = 0;
  while (m.periodStart < current) {
    const start = parseDate(m.periodStart)!;
    const next = formatDate(nextPeriodStart(start, ctx.cfg.rules.period));
    if (closes < 24) closePeriod(batch, m, ctx, m.periodStart);
    closes++;
    m.periodStart = next > current || closes >= 24 ? current : next;
    batch.touch(m);
  }
}

function closePeriod(batch: LedgerBatch, m: MemberState, ctx: UpkeepContext, periodStart: string): void {
  const ref = { type: 'period_close', id: ctx.runId ?? null };
  const reason = `period from ${periodStart} ended`;
  const { rules, tiers } = ctx.cfg;
  batch.points(m, -carryOverLapse(m.points, rules.period.carryOver), 'carry_over', ref, { reason });
  const to = tierAtPeriodEnd(tiers, { code: m.tierCode, floor: m.tierFloor, tierPoints: m.tierPoints, spendFen: m.periodSpendFen }, rules.period.downgrade);
  batch.tierPoints(m, -m.tierPoints, 'period_reset', ref, reason);
  m.periodSpendFen = 0;
  batch.tier(m, to, tierDirection(tiers, m.tierCode, to), 'period_end', ref, reason);
  m.tierFloor = to;
}

/** Single-member form: reads the due lots only when the member has some. */
export async function upkeep(tx: LoyaltyTx, batch: LedgerBatch, m: MemberState, ctx: UpkeepContext): Promise<void> {
  const due = needsExpiry(m, ctx.now) ? (await dueLots(tx, [m.id], ctx.now)).get(m.id) : undefined;
  applyUpkeep(batch, m, ctx, due);
}

/** Batch form for many locked members (maintenance, rule changes): one lots query for all. */
export async function upkeepMany(tx: LoyaltyTx, batch: LedgerBatch, members: MemberState[], ctx: UpkeepContext): Promise<void> {
  const due = await dueLots(
    tx,
    members.filter((m) => needsExpiry(m, ctx.now)).map((m) => m.id),
    ctx.now,
  );
  for (const m of members) applyUpkeep(batch, m, ctx, due.get(m.id));
}
