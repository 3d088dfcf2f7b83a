/**
 * A tenant's loyalty rules and tiers: their shape, the defaults a new tenant starts with
 * (api.md "Loyalty settings"), and the checks a PUT must pass. Pure.
 */
import type { FieldError } from '../platform/http/problem.js';
import { compareDates, parseDate, type CarryOverRule, type ExpiryRule, type PeriodKind } from './period.rules.js';

export interface Tier {
  code: string;
  name: string;
  /** tier points of the current period (lifetime when there are no periods) */
  threshold: number;
  /** optional second basis: spend (payable fen, less refunds) in the current period; the tier is
   * reached when EITHER threshold is */
  spendThresholdFen?: number;
  /** percent off, 0–100, up to two decimals */
  discountPct: number;
}

export interface DateMultiplier {
  name?: string;
  /** local dates, inclusive; either may be omitted */
  from?: string;
  to?: string;
  /** ISO weekdays 1 = Monday … 7 = Sunday; omitted = every day */
  weekdays?: number[];
  /** days of the month 1–31; omitted = every day */
  monthDays?: number[];
  multiplier: number;
}

export type Rounding = 'floor' | 'half_up' | 'ceil';
export type SpendOrder = 'proportional' | 'principal_first' | 'bonus_first';

export interface LoyaltyRules {
  earn: {
    /** reward points per yuan payable (up to two decimals) */
    pointsPerYuan: number;
    /** per-tier override of pointsPerYuan, by tier code */
    pointsPerYuanByTier: Record<string, number>;
    tierPointsPerYuan: number;
    /** whether category and date multipliers also apply to tier points */
    tierPointsUseMultipliers: boolean;
    /** by item category, e.g. { drinks: 2 } */
    categoryMultipliers: Record<string, number>;
    /** double-points days and the like; when several match, the largest applies */
    dateMultipliers: DateMultiplier[];
    /** below this payable amount nothing is earned */
    minSpendFen: number;
    rounding: Rounding;
    /** whether the part paid with points earns points too */
    earnOnPointsTender: boolean;
  };
  discount: {
    /** 折上折: whether the tier discount also applies to items already on promotion */
    stackOnPromotion: boolean;
  };
  redemption: {
    /** points worth one yuan when paying with points (default 100) */
    pointsPerYuan: number;
    /** at most this percentage of the payable amount may be paid with points */
    maxPaymentPct: number;
  };
  expiry: ExpiryRule;
  period: {
    kind: PeriodKind;
    startMonth: number;
    /** what happens to remaining reward points at period end */
    carryOver: CarryOverRule;
    /** whether tiers are re-evaluated downwards at period end */
    downgrade: boolean;
  };
  storedValue: {
    /** "top up 1,000 get 100": the rule with the highest minFen not above the amount applies */
    topUpBonus: { minFen: number; bonusFen: number }[];
    /** which balance pays first when paying with stored value */
    spendOrder: SpendOrder;
  };
}

export interface LoyaltyConfig {
  version: number;
  rules: LoyaltyRules;
  tiers: Tier[];
}

/** What a new tenant starts with: 1 point and 1 tier point per whole yuan, no expiry, no tiers,
 * no top-up bonus, 100 points = 1 yuan. */
export const DEFAULT_RULES: LoyaltyRules = Object.freeze({
  earn: {
    pointsPerYuan: 1,
    pointsPerYuanByTier: {},
    tierPointsPerYuan: 1,
    tierPointsUseMultipliers: false,
    categoryMultipliers: {},
    dateMultipliers: [],
    minSpendFen: 0,
    rounding: 'floor',
    earnOnPointsTender: true,
  },
  discount: { stackOnPromotion: false },
  redemption: { pointsPerYuan: 100, maxPaymentPct: 100 },
  expiry: { mode: 'none' },
  period: { kind: 'none', startMonth: 1, carryOver: { mode: 'all' }, downgrade: true },
  storedValue: { topUpBonus: [], spendOrder: 'proportional' },
}) as LoyaltyRules;

export const DEFAULT_CONFIG: LoyaltyConfig = { version: 0, rules: DEFAULT_RULES, tiers: [] };

type DeepPartial<T> = T extends (infer U)[] ? U[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
export type LoyaltyRulesInput = DeepPartial<LoyaltyRules>;

/** Fills what a PUT left out with the defaults (a PUT replaces the whole rule set). */
export function withDefaults(input: LoyaltyRulesInput): LoyaltyRules {
  const d = DEFAULT_RULES;
  return {
    earn: { ...d.earn, ...(input.earn ?? {}) } as LoyaltyRules['earn'],
    discount: { ...d.discount, ...(input.discount ?? {}) },
    redemption: { ...d.redemption, ...(input.redemption ?? {}) },
    expiry: (input.expiry as ExpiryRule | undefined) ?? d.expiry,
    period: { ...d.period, ...(input.period ?? {}) } as LoyaltyRules['period'],
    storedValue: { ...d.storedValue, ...(input.storedValue ?? {}) } as LoyaltyRules['storedValue'],
  };
}

/** A number with at most two decimals, as an exact integer count of hundredths. */
export function hundredths(value: number): number | null {
  const scaled = Math.round(value * 100);
  return Math.abs(scaled - value * 100) < 1e-6 ? scaled : null;
}

/** Checks a rule set beyond its JSON schema; an empty list means it may be saved. */
export function validateRules(rules: LoyaltyRules): FieldError[] {
  const errors: FieldError[] = [];
  const twoDecimals = (path: string, v: number) => {
    if (hundredths(v) === null) errors.push({ path, message: 'must have at most two decimals' });
  };
  twoDecimals('body.earn.pointsPerYuan', rules.earn.pointsPerYuan);
  twoDecimals('body.earn.tierPointsPerYuan', rules.earn.tierPointsPerYuan);
  for (const [k, v] of Object.entries(rules.earn.pointsPerYuanByTier)) twoDecimals(`body.earn.pointsPerYuanByTier.${k}`, v);
  for (const [k, v] of Object.entries(rules.earn.categoryMultipliers)) twoDecimals(`body.earn.categoryMultipliers.${k}`, v);
  rules.earn.dateMultipliers.forEach((w, i) => {
    const path = `body.earn.dateMultipliers.${i}`;
    twoDecimals(`${path}.multiplier`, w.multiplier);
    const from = w.from === undefined ? null : parseDate(w.from);
    const to = w.to === undefined ? null : parseDate(w.to);
    if (w.from !== undefined && !from) errors.push({ path: `${path}.from`, message: 'is not a date (YYYY-MM-DD)' });
    if (w.to !== undefined && !to) errors.push({ path: `${path}.to`, message: 'is not a date (YYYY-MM-DD)' });
    if (from && to && compareDates(from, to) > 0) errors.push({ path: `${path}.to`, message: 'is before from' });
  });
  const mins = rules.storedValue.topUpBonus.map((r) => r.minFen);
  if (new Set(mins).size !== mins.length) errors.push({ path: 'body.storedValue.topUpBonus', message: 'has two rules with the same minFen' });
  return errors;
}

/** Checks an ordered tier list: unique codes, thresholds strictly rising, sane discounts. */
export function validateTiers(tiers: Tier[]): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  tiers.forEach((t, i) => {
    if (seen.has(t.code)) errors.push({ path: `body.${i}.code`, message: 'is used twice' });
    seen.add(t.code);
    if (i > 0 && t.threshold <= tiers[i - 1]!.threshold) errors.push({ path: `body.${i}.threshold`, message: 'must be higher than the previous tier' });
    if (t.spendThresholdFen !== undefined) {
      const lower = tiers.slice(0, i).filter((x) => x.spendThresholdFen !== undefined).at(-1);
      if (lower && t.spendThresholdFen <= lower.spendThresholdFen!) errors.push({ path: `body.${i}.spendThresholdFen`, message: 'must be higher than that of a lower tier' });
    }
    if (hundredths(t.discountPct) === null) errors.push({ path: `body.${i}.discountPct`, message: 'must have at most two decimals' });
  });
  return errors;
}
