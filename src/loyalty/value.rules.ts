/**
 * Stored value (储值) and refunds: top-up bonuses (预存奖励), how a stored-value payment splits
 * between principal and bonus, and what a full or partial refund reverses. Pure.
 */
import type { LoyaltyRules, SpendOrder } from './config.rules.js';

/**
 * The bonus of a top-up: the rule with the highest `minFen` not above the amount.
 * @example topUpBonus([{ minFen: 100_000, bonusFen: 10_000 }], 150_000) === 10_000
 */
export function topUpBonus(rules: LoyaltyRules['storedValue']['topUpBonus'], amountFen: number): number {
  let best: { minFen: number; bonusFen: number } | null = null;
  for (const r of rules) if (r.minFen <= amountFen && (!best || r.minFen > best.minFen)) best = r;
  return best?.bonusFen ?? 0;
}

/**
 * A cash-out of stored value (the member takes money back): only principal is paid out, and the
 * bonus that came with it is forfeited in proportion (half up; all of it with the last of the
 * principal), so a member cannot top up, take the money back and keep the bonus.
 * @example planCashOut(100_000, 10_000, 50_000) → { principalFen: 50_000, bonusForfeitedFen: 5_000 }
 */
export function planCashOut(principal: number, bonus: number, amountFen: number): { principalFen: number; bonusForfeitedFen: number } {
  if (!Number.isInteger(amountFen) || amountFen <= 0 || amountFen > principal) throw new Error('planCashOut: amount outside 1…principal');
  if (amountFen === principal) return { principalFen: amountFen, bonusForfeitedFen: bonus };
  // exact integer arithmetic: bonus × amount can exceed 2^53
  const forfeit = (BigInt(bonus) * BigInt(amountFen) * 2n + BigInt(principal)) / (2n * BigInt(principal));
  return { principalFen: amountFen, bonusForfeitedFen: Math.min(bonus, Number(forfeit)) };
}

/**
 * Splits a stored-value payment between the principal and bonus balances.
 * `proportional` takes from each in proportion to its balance (bonus rounded half up).
 * @example splitSpend(300, 1000, 500, 'proportional') → { principal: 200, bonus: 100 }
 */
export function splitSpend(amountFen: number, principal: number, bonus: number, order: SpendOrder): { principal: number; bonus: number } {
  if (amountFen > principal + bonus) throw new Error('splitSpend: amount exceeds the balance');
  let fromBonus: number;
  if (order === 'principal_first') fromBonus = Math.max(0, amountFen - principal);
  else if (order === 'bonus_first') fromBonus = Math.min(bonus, amountFen);
  else {
    const total = principal + bonus;
    fromBonus = total === 0 ? 0 : Math.floor((amountFen * bonus * 2 + total) / (2 * total));
    // keep both parts inside their balances
    fromBonus = Math.min(bonus, Math.max(fromBonus, amountFen - principal));
  }
  return { principal: amountFen - fromBonus, bonus: fromBonus };
}

/**
 * The cumulative share `part / whole` of `total`, rounded half up; the last refund (part ===
 * whole) gives exactly `total`, so a sequence of partial refunds never drifts.
 * @example proportionalTotal(101, 50, 100) === 51 (50.5 half up)
 */
export function proportionalTotal(total: number, part: number, whole: number): number {
  if (whole <= 0 || part >= whole) return total;
  return Math.floor((total * part * 2 + whole) / (2 * whole));
}

export interface PurchaseFigures {
  payableFen: number;
  pointsEarned: number;
  tierPointsEarned: number;
  pointsPaid: number;
  svPrincipalPaidFen: number;
  svBonusPaidFen: number;
}

export interface RefundTotals {
  refundedFen: number;
  pointsReversed: number;
  tierPointsReversed: number;
  pointsReturned: number;
  svPrincipalReturned: number;
  svBonusReturned: number;
  /** refunds so far (a purchase with nothing payable can be refunded once) */
  count: number;
}

export const NO_REFUNDS: RefundTotals = { refundedFen: 0, pointsReversed: 0, tierPointsReversed: 0, pointsReturned: 0, svPrincipalReturned: 0, svBonusReturned: 0, count: 0 };

export interface RefundPlan {
  amountFen: number;
  /** earned points to take back (before capping at the balance) */
  pointsReversed: number;
  tierPointsReversed: number;
  /** points paid with that go back to the member */
  pointsReturned: number;
  svPrincipalReturned: number;
  svBonusReturned: number;
  totals: RefundTotals;
}

/**
 * What refunding `amountFen` more of a purchase reverses, in proportion to the refunded share
 * of the payable amount. Stored value goes back principal first (up to the principal the
 * purchase took), then bonus.
 */
export function planRefund(p: PurchaseFigures, prev: RefundTotals, amountFen: number): RefundPlan {
  const refunded = prev.refundedFen + amountFen;
  const share = (total: number, before: number) => proportionalTotal(total, refunded, p.payableFen) - before;
  const pointsReversed = share(p.pointsEarned, prev.pointsReversed);
  const tierPointsReversed = share(p.tierPointsEarned, prev.tierPointsReversed);
  const pointsReturned = share(p.pointsPaid, prev.pointsReturned);
  const svReturned = share(p.svPrincipalPaidFen + p.svBonusPaidFen, prev.svPrincipalReturned + prev.svBonusReturned);
  const svPrincipalReturned = Math.min(svReturned, p.svPrincipalPaidFen - prev.svPrincipalReturned);
  const svBonusReturned = svReturned - svPrincipalReturned;
  return {
    amountFen,
    pointsReversed,
    tierPointsReversed,
    pointsReturned,
    svPrincipalReturned,
    svBonusReturned,
    totals: {
      refundedFen: refunded,
      pointsReversed: prev.pointsReversed + pointsReversed,
      tierPointsReversed: prev.tierPointsReversed + tierPointsReversed,
      pointsReturned: prev.pointsReturned + pointsReturned,
      svPrincipalReturned: prev.svPrincipalReturned + svPrincipalReturned,
      svBonusReturned: prev.svBonusReturned + svBonusReturned,
      count: prev.count + 1,
    },
  };
}
