import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateTiers, type Tier } from './config.rules.js';
import { rankOf, resolveTier, tierAfterDecrease, tierAfterEarn, tierAfterRulesChange, tierAtPeriodEnd, tierDirection } from './tiers.rules.js';

const TIERS: Tier[] = [
  { code: 'SILVER', name: '银卡', threshold: 0, discountPct: 0 },
  { code: 'GOLD', name: '金卡', threshold: 1_000, discountPct: 5 },
  { code: 'DIAMOND', name: '钻石卡', threshold: 5_000, discountPct: 10 },
  { code: 'VIP', name: '贵宾卡', threshold: 20_000, discountPct: 15 },
];
const codes = [null, 'SILVER', 'GOLD', 'DIAMOND', 'VIP', 'GONE'];
const state = fc.record({ code: fc.constantFrom(...codes), floor: fc.constantFrom(...codes), tierPoints: fc.integer({ min: 0, max: 30_000 }) });

describe('tiers', () => {
  it('resolves the highest threshold reached', () => {
    expect(resolveTier(TIERS, 0)).toBe('SILVER');
    expect(resolveTier(TIERS, 999)).toBe('SILVER');
    expect(resolveTier(TIERS, 1_000)).toBe('GOLD');
    expect(resolveTier(TIERS, 25_000)).toBe('VIP');
    expect(resolveTier(TIERS.slice(1), 10)).toBeNull();
    expect(resolveTier([], 10)).toBeNull();
  });

  it('upgrades on earning, never downgrades', () => {
    expect(tierAfterEarn(TIERS, { code: 'SILVER', floor: null, tierPoints: 1_200 })).toBe('GOLD');
    expect(tierAfterEarn(TIERS, { code: 'VIP', floor: null, tierPoints: 1_200 })).toBe('VIP');
    fc.assert(
      fc.property(state, (s) => {
        const to = tierAfterEarn(TIERS, s);
        expect(rankOf(TIERS, to)).toBeGreaterThanOrEqual(rankOf(TIERS, s.code));
        expect(rankOf(TIERS, to)).toBeGreaterThanOrEqual(rankOf(TIERS, resolveTier(TIERS, s.tierPoints)));
      }),
    );
  });

  it('re-evaluates on a decrease: never up, never below the floor or what the points reach', () => {
    expect(tierAfterDecrease(TIERS, { code: 'DIAMOND', floor: 'GOLD', tierPoints: 100 })).toBe('GOLD');
    expect(tierAfterDecrease(TIERS, { code: 'DIAMOND', floor: null, tierPoints: 1_500 })).toBe('GOLD');
    expect(tierAfterDecrease(TIERS, { code: 'SILVER', floor: null, tierPoints: 9_000 })).toBe('SILVER');
    fc.assert(
      fc.property(state, (s) => {
        const to = tierAfterDecrease(TIERS, s);
        const current = rankOf(TIERS, s.code);
        expect(rankOf(TIERS, to)).toBeLessThanOrEqual(Math.max(current, -1));
        const lowest = Math.min(current, Math.max(rankOf(TIERS, s.floor), rankOf(TIERS, resolveTier(TIERS, s.tierPoints))));
        expect(rankOf(TIERS, to)).toBeGreaterThanOrEqual(lowest);
      }),
    );
  });

  it('evaluates at period end on the closing period’s tier points', () => {
    expect(tierAtPeriodEnd(TIERS, { code: 'DIAMOND', floor: null, tierPoints: 1_200 }, true)).toBe('GOLD');
    expect(tierAtPeriodEnd(TIERS, { code: 'DIAMOND', floor: null, tierPoints: 1_200 }, false)).toBe('DIAMOND');
    expect(tierAtPeriodEnd(TIERS, { code: 'GOLD', floor: null, tierPoints: 6_000 }, true)).toBe('DIAMOND');
  });

  it('after a tier list change keeps tiers that exist, drops removed ones, upgrades (property)', () => {
    expect(tierAfterRulesChange(TIERS, { code: 'GONE', floor: 'GONE', tierPoints: 1_500 })).toEqual({ code: 'GOLD', floor: null });
    expect(tierAfterRulesChange(TIERS, { code: 'VIP', floor: null, tierPoints: 0 })).toEqual({ code: 'VIP', floor: null });
    fc.assert(
      fc.property(state, (s) => {
        const r = tierAfterRulesChange(TIERS, s);
        expect(r.code === null || rankOf(TIERS, r.code) >= 0).toBe(true);
        expect(rankOf(TIERS, r.code)).toBeGreaterThanOrEqual(rankOf(TIERS, s.code));
      }),
    );
  });

  it('names directions and validates lists', () => {
    expect(tierDirection(TIERS, 'SILVER', 'GOLD')).toBe('up');
    expect(tierDirection(TIERS, 'GOLD', null)).toBe('down');
    expect(tierDirection(TIERS, 'GOLD', 'GOLD')).toBe('same');
    expect(validateTiers(TIERS)).toEqual([]);
    expect(validateTiers([TIERS[1]!, TIERS[0]!]).map((e) => e.path)).toEqual(['body.1.threshold']);
    expect(validateTiers([TIERS[0]!, { ...TIERS[0]!, threshold: 5 }]).map((e) => e.path)).toEqual(['body.1.code']);
    expect(validateTiers([{ ...TIERS[0]!, discountPct: 5.555 }]).map((e) => e.path)).toEqual(['body.0.discountPct']);
  });
});

describe('tiers by spend in the period', () => {
  // GOLD and VIP can also be reached by spend; DIAMOND only by tier points
  const BY_SPEND: Tier[] = [TIERS[0]!, { ...TIERS[1]!, spendThresholdFen: 50_000 }, TIERS[2]!, { ...TIERS[3]!, spendThresholdFen: 300_000 }];

  it('reaches a tier on either basis, and never by spend where the tier has no spend threshold', () => {
    expect(resolveTier(BY_SPEND, 10, 49_999)).toBe('SILVER');
    expect(resolveTier(BY_SPEND, 10, 50_000)).toBe('GOLD');
    expect(resolveTier(BY_SPEND, 10, 299_999)).toBe('GOLD');
    expect(resolveTier(BY_SPEND, 6_000, 60_000)).toBe('DIAMOND');
    expect(resolveTier(BY_SPEND, 10, 300_000)).toBe('VIP');
    expect(resolveTier(TIERS, 10, 10_000_000)).toBe('SILVER');
    expect(tierAfterEarn(BY_SPEND, { code: 'SILVER', floor: null, tierPoints: 10, spendFen: 50_000 })).toBe('GOLD');
    expect(tierAfterDecrease(BY_SPEND, { code: 'GOLD', floor: 'SILVER', tierPoints: 10, spendFen: 40_000 })).toBe('SILVER');
    expect(tierAtPeriodEnd(BY_SPEND, { code: 'VIP', floor: null, tierPoints: 0, spendFen: 80_000 }, true)).toBe('GOLD');
    expect(tierAfterRulesChange(BY_SPEND, { code: 'SILVER', floor: null, tierPoints: 0, spendFen: 400_000 })).toEqual({ code: 'VIP', floor: null });
  });

  it('spend never lowers the tier points’ tier, and more spend never reaches a lower tier', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30_000 }), fc.integer({ min: 0, max: 500_000 }), fc.integer({ min: 0, max: 500_000 }), (points, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(rankOf(BY_SPEND, resolveTier(BY_SPEND, points, lo))).toBeGreaterThanOrEqual(rankOf(BY_SPEND, resolveTier(BY_SPEND, points, 0)));
        expect(rankOf(BY_SPEND, resolveTier(BY_SPEND, points, hi))).toBeGreaterThanOrEqual(rankOf(BY_SPEND, resolveTier(BY_SPEND, points, lo)));
      }),
    );
  });

  it('wants spend thresholds rising among the tiers that have one', () => {
    expect(validateTiers(BY_SPEND)).toEqual([]);
    expect(validateTiers([TIERS[0]!, { ...TIERS[1]!, spendThresholdFen: 50_000 }, TIERS[2]!, { ...TIERS[3]!, spendThresholdFen: 50_000 }]).map((e) => e.path)).toEqual([
      'body.3.spendThresholdFen',
    ]);
  });
});
