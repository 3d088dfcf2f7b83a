import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, withDefaults, type LoyaltyRules, type LoyaltyRulesInput } from './config.rules.js';
import { checkTenders, dateMultiplierFor, divRound, earnFor, pointsForFen, tierDiscount, validateItems, type Item } from './earn.rules.js';

const rules = (input: LoyaltyRulesInput = {}): LoyaltyRules => withDefaults(input);
const WED = { y: 2026, m: 11, d: 25 }; // a Wednesday

function earn(r: LoyaltyRules, amountFen: number, opts: { items?: Item[]; discountPct?: number; tier?: string | null; date?: { y: number; m: number; d: number }; pointsTenderFen?: number } = {}) {
  const items = opts.items ?? [];
  const d = tierDiscount(amountFen, items, opts.discountPct ?? 0, r.discount.stackOnPromotion);
  return {
    ...earnFor(r, {
      amountFen,
      discountFen: d.discountFen,
      discountBaseFen: d.baseFen,
      items,
      tierCode: opts.tier ?? null,
      date: opts.date ?? WED,
      pointsTenderFen: opts.pointsTenderFen ?? 0,
      stackOnPromotion: r.discount.stackOnPromotion,
    }),
    discountFen: d.discountFen,
  };
}

describe('tier discount', () => {
  it('rounds half up on the amount', () => {
    expect(tierDiscount(10_001, [], 5, false).discountFen).toBe(500); // 500.05
    expect(tierDiscount(10_010, [], 5, false).discountFen).toBe(501); // 500.5
    expect(tierDiscount(999, [], 12.5, false).discountFen).toBe(125); // 124.875
    expect(tierDiscount(100, [], 0, false).discountFen).toBe(0);
    expect(tierDiscount(100, [], 100, false).discountFen).toBe(100);
  });

  it('leaves promotion lines out unless 折上折 is allowed', () => {
    const items: Item[] = [
      { sku: 'tea', quantity: 1, unitPriceFen: 6_000, promo: true },
      { sku: 'cake', quantity: 2, unitPriceFen: 2_000 },
    ];
    expect(tierDiscount(10_000, items, 10, false)).toEqual({ discountFen: 400, baseFen: 4_000 });
    expect(tierDiscount(10_000, items, 10, true)).toEqual({ discountFen: 1_000, baseFen: 10_000 });
  });

  it('never exceeds the amount (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e10 }), fc.integer({ min: 0, max: 10_000 }), (amount, pct100) => {
        const d = tierDiscount(amount, [], pct100 / 100, false).discountFen;
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(amount);
        expect(Math.abs(d - (amount * pct100) / 10_000)).toBeLessThanOrEqual(0.5);
      }),
    );
  });
});

describe('earning', () => {
  it('gives 1 point and 1 tier point per whole yuan payable by default', () => {
    expect(earn(DEFAULT_RULES, 12_345)).toMatchObject({ points: 123, tierPoints: 123 });
    expect(earn(DEFAULT_RULES, 99)).toMatchObject({ points: 0, tierPoints: 0 });
    // earned on the payable amount: 10% off 10 000 fen → 90 yuan
    expect(earn(DEFAULT_RULES, 10_000, { discountPct: 10 })).toMatchObject({ points: 90, discountFen: 1_000 });
  });

  it('applies the rounding rule once, on the total', () => {
    expect(earn(rules({ earn: { rounding: 'half_up' } }), 12_350).points).toBe(124);
    expect(earn(rules({ earn: { rounding: 'ceil' } }), 12_301).points).toBe(124);
    expect(earn(rules({ earn: { rounding: 'floor', pointsPerYuan: 1.5 } }), 1_000).points).toBe(15);
    expect(earn(rules({ earn: { rounding: 'floor', pointsPerYuan: 0.33 } }), 1_000).points).toBe(3);
  });

  it('uses the rate of the member’s tier', () => {
    const r = rules({ earn: { pointsPerYuanByTier: { GOLD: 2 } } });
    expect(earn(r, 10_000, { tier: 'GOLD' }).points).toBe(200);
    expect(earn(r, 10_000, { tier: 'SILVER' }).points).toBe(100);
    expect(earn(r, 10_000, { tier: 'GOLD' }).tierPoints).toBe(100);
  });

  it('multiplies by category, per line, the rest at 1', () => {
    const r = rules({ earn: { categoryMultipliers: { drinks: 2 } } });
    const items: Item[] = [
      { sku: 'latte', category: 'drinks', quantity: 2, unitPriceFen: 2_500 },
      { sku: 'bagel', category: 'food', quantity: 1, unitPriceFen: 3_000 },
    ];
    // 50 yuan of drinks ×2 + 30 food + 20 uncategorised = 150
    expect(earn(r, 10_000, { items })).toMatchObject({ points: 150, tierPoints: 100 });
    expect(earn(rules({ earn: { categoryMultipliers: { drinks: 2 }, tierPointsUseMultipliers: true } }), 10_000, { items }).tierPoints).toBe(150);
  });

  it('shares the discount across discountable lines only', () => {
    const r = rules({ earn: { categoryMultipliers: { drinks: 2 } } });
    const items: Item[] = [
      { sku: 'latte', category: 'drinks', quantity: 1, unitPriceFen: 5_000 },
      { sku: 'promo', category: 'food', quantity: 1, unitPriceFen: 5_000, promo: true },
    ];
    // 20% off the 50 yuan latte only → latte pays 40 (×2 = 80) + promo 50 = 130
    expect(earn(r, 10_000, { items, discountPct: 20 })).toMatchObject({ discountFen: 1_000, points: 130, tierPoints: 90 });
  });

  it('multiplies on matching dates (the largest window wins)', () => {
    const r = rules({
      earn: {
        dateMultipliers: [
          { name: 'Wednesday', weekdays: [3], multiplier: 2 },
          { name: 'Double 11', from: '2026-11-11', to: '2026-11-11', multiplier: 3 },
          { name: 'Month 25th', monthDays: [25], multiplier: 1.5 },
        ],
      },
    });
    expect(dateMultiplierFor(r, WED)).toBe(2);
    expect(dateMultiplierFor(r, { y: 2026, m: 11, d: 11 })).toBe(3);
    expect(dateMultiplierFor(r, { y: 2026, m: 11, d: 26 })).toBe(1);
    expect(earn(r, 10_000).points).toBe(200);
    expect(earn(r, 10_000).tierPoints).toBe(100);
  });

  it('earns nothing below the minimum spend', () => {
    const r = rules({ earn: { minSpendFen: 5_000 } });
    expect(earn(r, 4_999)).toMatchObject({ points: 0, tierPoints: 0, detail: { belowMinSpend: true } });
    expect(earn(r, 5_000)).toMatchObject({ points: 50, tierPoints: 50 });
  });

  it('can leave out the part paid with points', () => {
    const r = rules({ earn: { earnOnPointsTender: false } });
    expect(earn(r, 10_000, { pointsTenderFen: 4_000 }).points).toBe(60);
    expect(earn(DEFAULT_RULES, 10_000, { pointsTenderFen: 4_000 }).points).toBe(100);
  });

  it('without multipliers, items do not change the result (property)', () => {
    const item = fc.record({ sku: fc.constant('x'), category: fc.constantFrom('a', 'b'), quantity: fc.integer({ min: 1, max: 5 }), unitPriceFen: fc.integer({ min: 0, max: 50_000 }), promo: fc.boolean() });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 5_000 }), fc.boolean(), (items, extra, pct100, stack) => {
        const amount = items.reduce((s, i) => s + i.quantity * i.unitPriceFen, 0) + extra + 1;
        const r = rules({ discount: { stackOnPromotion: stack } });
        const withItems = earn(r, amount, { items, discountPct: pct100 / 100 });
        const without = earnFor(r, { amountFen: amount, discountFen: withItems.discountFen, discountBaseFen: amount, items: [], tierCode: null, date: WED, pointsTenderFen: 0, stackOnPromotion: true });
        expect(withItems.points).toBe(without.points);
        expect(withItems.points).toBe(Math.floor((amount - withItems.discountFen) / 100));
      }),
    );
  });

  it('multipliers of at least 1 never lower the points, and more payable never earns less (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 100, max: 1000 }), (amount, more, mult100) => {
        const r = rules({ earn: { dateMultipliers: [{ multiplier: mult100 / 100 }], rounding: 'half_up' } });
        expect(earn(r, amount).points).toBeGreaterThanOrEqual(earn(DEFAULT_RULES, amount).points);
        expect(earn(r, amount + more).points).toBeGreaterThanOrEqual(earn(r, amount).points);
      }),
    );
  });
});

describe('tenders and items', () => {
  it('sums balance tenders and checks they add up to the payable amount', () => {
    const ok = checkTenders(
      [
        { type: 'cash', amountFen: 500 },
        { type: 'stored_value', amountFen: 300 },
        { type: 'points', amountFen: 200 },
      ],
      1_000,
      DEFAULT_RULES,
    );
    expect(ok.errors).toEqual([]);
    expect(ok.totals).toEqual({ storedValueFen: 300, pointsFen: 200, points: 200 });
    expect(checkTenders([{ type: 'cash', amountFen: 999 }], 1_000, DEFAULT_RULES).errors).toHaveLength(1);
    expect(checkTenders(undefined, 1_000, DEFAULT_RULES).errors).toEqual([]);
    const capped = rules({ redemption: { maxPaymentPct: 50 } });
    expect(checkTenders([{ type: 'points', amountFen: 600 }, { type: 'cash', amountFen: 400 }], 1_000, capped).errors[0]!.message).toMatch(/at most 500/);
  });

  it('converts points at the redemption rate, rounding the points up', () => {
    expect(pointsForFen(150, 100)).toBe(150);
    expect(pointsForFen(150, 50)).toBe(75);
    expect(pointsForFen(151, 50)).toBe(76);
    expect(pointsForFen(1, 1000)).toBe(10);
  });

  it('refuses items adding up to more than the amount', () => {
    expect(validateItems(100, [{ sku: 'a', quantity: 2, unitPriceFen: 50 }])).toEqual([]);
    expect(validateItems(99, [{ sku: 'a', quantity: 2, unitPriceFen: 50 }])).toHaveLength(1);
  });

  it('divides with each rounding rule', () => {
    expect(divRound(7n, 2n, 'floor')).toBe(3n);
    expect(divRound(7n, 2n, 'half_up')).toBe(4n);
    expect(divRound(5n, 4n, 'half_up')).toBe(1n);
    expect(divRound(5n, 4n, 'ceil')).toBe(2n);
    expect(divRound(8n, 4n, 'ceil')).toBe(2n);
  });
});
