import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NO_REFUNDS, planCashOut, planRefund, proportionalTotal, splitSpend, topUpBonus, type PurchaseFigures } from './value.rules.js';

describe('top-up bonus', () => {
  it('takes the rule with the highest minimum reached', () => {
    const rules = [
      { minFen: 100_000, bonusFen: 10_000 },
      { minFen: 50_000, bonusFen: 3_000 },
      { minFen: 300_000, bonusFen: 50_000 },
    ];
    expect(topUpBonus(rules, 49_999)).toBe(0);
    expect(topUpBonus(rules, 50_000)).toBe(3_000);
    expect(topUpBonus(rules, 150_000)).toBe(10_000);
    expect(topUpBonus(rules, 1_000_000)).toBe(50_000);
    expect(topUpBonus([], 1_000_000)).toBe(0);
  });
});

describe('stored-value spending', () => {
  it('splits by the spend order', () => {
    expect(splitSpend(300, 1_000, 500, 'proportional')).toEqual({ principal: 200, bonus: 100 });
    expect(splitSpend(300, 1_000, 500, 'principal_first')).toEqual({ principal: 300, bonus: 0 });
    expect(splitSpend(1_200, 1_000, 500, 'principal_first')).toEqual({ principal: 1_000, bonus: 200 });
    expect(splitSpend(300, 1_000, 500, 'bonus_first')).toEqual({ principal: 0, bonus: 300 });
    expect(() => splitSpend(1_501, 1_000, 500, 'proportional')).toThrow();
  });

  it('always adds up and stays inside both balances (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e9 }),
        fc.integer({ min: 0, max: 1e9 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom('proportional' as const, 'principal_first' as const, 'bonus_first' as const),
        (principal, bonus, share, order) => {
          const amount = Math.floor((principal + bonus) * share);
          const s = splitSpend(amount, principal, bonus, order);
          expect(s.principal + s.bonus).toBe(amount);
          expect(s.principal).toBeGreaterThanOrEqual(0);
          expect(s.bonus).toBeGreaterThanOrEqual(0);
          expect(s.principal).toBeLessThanOrEqual(principal);
          expect(s.bonus).toBeLessThanOrEqual(bonus);
        },
      ),
    );
  });
});

describe('refunds', () => {
  const purchase: PurchaseFigures = { payableFen: 10_000, pointsEarned: 101, tierPointsEarned: 100, pointsPaid: 0, svPrincipalPaidFen: 3_000, svBonusPaidFen: 1_000 };

  it('reverses in proportion, stored value principal first', () => {
    const half = planRefund(purchase, NO_REFUNDS, 5_000);
    expect(half).toMatchObject({ pointsReversed: 51, tierPointsReversed: 50, svPrincipalReturned: 2_000, svBonusReturned: 0 });
    const rest = planRefund(purchase, half.totals, 5_000);
    expect(rest).toMatchObject({ pointsReversed: 50, tierPointsReversed: 50, svPrincipalReturned: 1_000, svBonusReturned: 1_000 });
    expect(rest.totals.refundedFen).toBe(10_000);
    expect(proportionalTotal(101, 50, 100)).toBe(51);
    expect(proportionalTotal(101, 100, 100)).toBe(101);
  });

  it('any sequence of partial refunds reverses exactly everything in the end (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          payableFen: fc.integer({ min: 1, max: 1e8 }),
          pointsEarned: fc.integer({ min: 0, max: 1e6 }),
          tierPointsEarned: fc.integer({ min: 0, max: 1e6 }),
          pointsPaid: fc.integer({ min: 0, max: 1e6 }),
          svPrincipalPaidFen: fc.integer({ min: 0, max: 1e7 }),
          svBonusPaidFen: fc.integer({ min: 0, max: 1e7 }),
        }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }),
        (p, cuts) => {
          let totals = NO_REFUNDS;
          const parts: number[] = [];
          for (const c of cuts) {
            const left = p.payableFen - totals.refundedFen;
            const amount = Math.min(left, Math.max(1, Math.floor(left * c)));
            if (amount <= 0) break;
            const plan = planRefund(p, totals, amount);
            for (const v of [plan.pointsReversed, plan.tierPointsReversed, plan.pointsReturned, plan.svPrincipalReturned, plan.svBonusReturned]) expect(v).toBeGreaterThanOrEqual(0);
            parts.push(amount);
            totals = plan.totals;
          }
          const left = p.payableFen - totals.refundedFen;
          if (left > 0) totals = planRefund(p, totals, left).totals;
          expect(totals.refundedFen).toBe(p.payableFen);
          expect(totals.pointsReversed).toBe(p.pointsEarned);
          expect(totals.tierPointsReversed).toBe(p.tierPointsEarned);
          expect(totals.pointsReturned).toBe(p.pointsPaid);
          expect(totals.svPrincipalReturned).toBe(p.svPrincipalPaidFen);
          expect(totals.svBonusReturned).toBe(p.svBonusPaidFen);
        },
      ),
    );
  });
});

describe('cash-out of stored value', () => {
  it('pays principal back and forfeits the bonus in proportion, all of it with the last principal', () => {
    expect(planCashOut(100_000, 10_000, 50_000)).toEqual({ principalFen: 50_000, bonusForfeitedFen: 5_000 });
    expect(planCashOut(100_000, 10_000, 100_000)).toEqual({ principalFen: 100_000, bonusForfeitedFen: 10_000 });
    expect(planCashOut(3, 1, 1)).toEqual({ principalFen: 1, bonusForfeitedFen: 0 }); // 0.33 rounds down
    expect(planCashOut(2, 1, 1)).toEqual({ principalFen: 1, bonusForfeitedFen: 1 }); // 0.5 rounds up
    expect(() => planCashOut(100, 10, 101)).toThrow();
    expect(() => planCashOut(100, 10, 0)).toThrow();
  });

  it('never forfeits more bonus than there is, and cashing out in parts forfeits about as much as at once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e12 }), fc.integer({ min: 0, max: 1e12 }), fc.double({ min: 0, max: 1, noNaN: true }), (principal, bonus, share) => {
        const amount = Math.max(1, Math.min(principal, Math.round(principal * share)));
        const first = planCashOut(principal, bonus, amount);
        expect(first.bonusForfeitedFen).toBeGreaterThanOrEqual(0);
        expect(first.bonusForfeitedFen).toBeLessThanOrEqual(bonus);
        if (amount < principal) {
          const rest = planCashOut(principal - amount, bonus - first.bonusForfeitedFen, principal - amount);
          expect(first.bonusForfeitedFen + rest.bonusForfeitedFen).toBe(bonus);
        }
      }),
    );
  });
});
