/**
 * Tier resolution (银卡 → 金卡 → 钻石卡 …). Tiers are an ordered list, lowest first, with strictly
 * rising thresholds in tier points and, optionally, in spend of the current period (a tier is
 * reached on either basis). A member is upgraded as soon as they reach a threshold;
 * downgrades happen only at period end (or when a refund takes back the points of an upgrade
 * earned in the current period, never below the tier secured for the period). Pure.
 */
import type { Tier } from './config.rules.js';

export interface TierState {
  /** the member's tier now */
  code: string | null;
  /** the tier secured for the current period (period-end evaluation or manual override) */
  floor: string | null;
  tierPoints: number;
  /** spend in the current period, fen (payable less refunds) */
  spendFen?: number;
}

/** Position of a tier in the list; -1 for none or a code that no longer exists. */
export function rankOf(tiers: readonly Tier[], code: string | null): number {
  if (code === null) return -1;
  return tiers.findIndex((t) => t.code === code);
}

/** Whether a member with these tier points and period spend reaches a tier. */
export function reaches(t: Tier, tierPoints: number, spendFen = 0): boolean {
  return tierPoints >= t.threshold || (t.spendThresholdFen !== undefined && spendFen >= t.spendThresholdFen);
}

/**
 * The highest tier reached by tier points or by spend in the period.
 * @example resolveTier([{code:'SILVER',threshold:0,…},{code:'GOLD',threshold:1000,…}], 999) === 'SILVER'
 */
export function resolveTier(tiers: readonly Tier[], tierPoints: number, spendFen = 0): string | null {
  let found: string | null = null;
  for (const t of tiers) if (reaches(t, tierPoints, spendFen)) found = t.code;
  return found;
}

function higher(tiers: readonly Tier[], a: string | null, b: string | null): string | null {
  return rankOf(tiers, b) > rankOf(tiers, a) ? b : rankOf(tiers, a) >= 0 ? a : null;
}

/** After tier points went up: upgrade if a higher threshold is reached, never down. */
export function tierAfterEarn(tiers: readonly Tier[], s: TierState): string | null {
  return higher(tiers, s.code, resolveTier(tiers, s.tierPoints, s.spendFen));
}

/**
 * After tier points went down (refund, negative adjustment): re-evaluate, but never below the
 * tier secured for the period and never upwards.
 */
export function tierAfterDecrease(tiers: readonly Tier[], s: TierState): string | null {
  const reevaluated = higher(tiers, s.floor, resolveTier(tiers, s.tierPoints, s.spendFen));
  const current = rankOf(tiers, s.code) >= 0 ? s.code : null;
  return rankOf(tiers, reevaluated) < rankOf(tiers, current) ? reevaluated : current;
}

/**
 * At period end, on the closing period's tier points: the tier held through the next period
 * (which also becomes its floor). Without downgrades a member keeps a higher tier.
 */
export function tierAtPeriodEnd(tiers: readonly Tier[], s: TierState, downgrade: boolean): string | null {
  const earned = resolveTier(tiers, s.tierPoints, s.spendFen);
  return downgrade ? earned : higher(tiers, s.code, earned);
}

export function tierDirection(tiers: readonly Tier[], from: string | null, to: string | null): 'up' | 'down' | 'same' {
  const a = rankOf(tiers, from);
  const b = rankOf(tiers, to);
  return b > a ? 'up' : b < a ? 'down' : 'same';
}

export function tierByCode(tiers: readonly Tier[], code: string | null): Tier | null {
  return code === null ? null : (tiers.find((t) => t.code === code) ?? null);
}

/**
 * After the tier list changed: a member keeps a tier that still exists, gets the highest of it,
 * their floor and what their tier points reach (no downgrade before period end); a removed
 * tier or floor falls away.
 */
export function tierAfterRulesChange(tiers: readonly Tier[], s: TierState): { code: string | null; floor: string | null } {
  const current = rankOf(tiers, s.code) >= 0 ? s.code : null;
  const floor = rankOf(tiers, s.floor) >= 0 ? s.floor : null;
  return { code: higher(tiers, higher(tiers, current, floor), resolveTier(tiers, s.tierPoints, s.spendFen)), floor };
}
