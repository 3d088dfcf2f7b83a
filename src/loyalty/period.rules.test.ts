import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  carryOverLapse,
  compareDates,
  currentPeriod,
  formatDate,
  isoWeekday,
  localDate,
  lotExpiry,
  nextPeriodStart,
  parseDate,
  periodStartOf,
  startOfLocalDay,
  type PeriodKind,
} from './period.rules.js';

const ZONES = ['Asia/Shanghai', 'America/New_York', 'Europe/London', 'America/Santiago', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Asia/Kathmandu', 'America/Havana', 'UTC'];

describe('local dates and midnights', () => {
  it('reads the local date of an instant', () => {
    expect(localDate(new Date('2026-12-31T16:30:00Z'), 'Asia/Shanghai')).toEqual({ y: 2027, m: 1, d: 1 });
    expect(localDate(new Date('2026-12-31T16:30:00Z'), 'America/New_York')).toEqual({ y: 2026, m: 12, d: 31 });
  });

  it('finds local midnight, also on DST days', () => {
    expect(startOfLocalDay({ y: 2027, m: 1, d: 1 }, 'Asia/Shanghai').toISOString()).toBe('2026-12-31T16:00:00.000Z');
    expect(startOfLocalDay({ y: 2026, m: 3, d: 8 }, 'America/New_York').toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(startOfLocalDay({ y: 2026, m: 3, d: 9 }, 'America/New_York').toISOString()).toBe('2026-03-09T04:00:00.000Z');
    // Havana skips from 00:00 to 01:00 in March: the day starts at 01:00 local (05:00Z)
    const havana = startOfLocalDay({ y: 2026, m: 3, d: 8 }, 'America/Havana');
    expect(formatDate(localDate(havana, 'America/Havana'))).toBe('2026-03-08');
    expect(formatDate(localDate(new Date(havana.getTime() - 1000), 'America/Havana'))).toBe('2026-03-07');
  });

  it('midnight is the first instant of the local day, in any zone (property)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01'), max: new Date('2060-01-01'), noInvalidDate: true }), fc.constantFrom(...ZONES), (t, tz) => {
        const day = localDate(t, tz);
        const start = startOfLocalDay(day, tz);
        expect(start.getTime()).toBeLessThanOrEqual(t.getTime());
        expect(compareDates(localDate(start, tz), day)).toBe(0);
        expect(compareDates(localDate(new Date(start.getTime() - 1000), tz), day)).toBeLessThan(0);
        expect(startOfLocalDay(addDays(day, 1), tz).getTime()).toBeGreaterThan(t.getTime());
      }),
      { numRuns: 300 },
    );
  });

  it('the cached local date agrees with Intl at every instant (property)', () => {
    const exact = (t: Date, tz: string) => {
      const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(t);
      const get = (k: string) => Number(parts.find((p) => p.type === k)?.value);
      return { y: get('year'), m: get('month'), d: get('day') };
    };
    fc.assert(
      fc.property(fc.date({ min: new Date('1990-01-01'), max: new Date('2060-01-01'), noInvalidDate: true }), fc.constantFrom(...ZONES), (t, tz) => {
        expect(localDate(t, tz)).toEqual(exact(t, tz));
      }),
      { numRuns: 500 },
    );
    // around a DST switch, minute by minute
    for (let t = Date.parse('2026-03-08T06:30:00Z'); t < Date.parse('2026-03-08T08:30:00Z'); t += 60_000) {
      expect(localDate(new Date(t), 'America/New_York')).toEqual(exact(new Date(t), 'America/New_York'));
    }
  });

  it('does calendar arithmetic', () => {
    expect(addMonths({ y: 2026, m: 1, d: 31 }, 1)).toEqual({ y: 2026, m: 2, d: 28 });
    expect(addMonths({ y: 2024, m: 1, d: 31 }, 1)).toEqual({ y: 2024, m: 2, d: 29 });
    expect(addMonths({ y: 2026, m: 11, d: 5 }, 14)).toEqual({ y: 2028, m: 1, d: 5 });
    expect(addMonths({ y: 2026, m: 3, d: 5 }, -3)).toEqual({ y: 2025, m: 12, d: 5 });
    expect(addDays({ y: 2026, m: 12, d: 31 }, 1)).toEqual({ y: 2027, m: 1, d: 1 });
    expect(isoWeekday({ y: 2026, m: 11, d: 22 })).toBe(7);
    expect(parseDate('2026-02-30')).toBeNull();
    expect(parseDate('2026-02-28')).toEqual({ y: 2026, m: 2, d: 28 });
  });
});

describe('points-plan periods', () => {
  it('aligns periods to the start month', () => {
    expect(periodStartOf({ y: 2026, m: 5, d: 9 }, { kind: 'year', startMonth: 1 })).toEqual({ y: 2026, m: 1, d: 1 });
    expect(periodStartOf({ y: 2026, m: 5, d: 9 }, { kind: 'year', startMonth: 4 })).toEqual({ y: 2026, m: 4, d: 1 });
    expect(periodStartOf({ y: 2026, m: 2, d: 9 }, { kind: 'year', startMonth: 4 })).toEqual({ y: 2025, m: 4, d: 1 });
    expect(periodStartOf({ y: 2026, m: 8, d: 9 }, { kind: 'quarter', startMonth: 1 })).toEqual({ y: 2026, m: 7, d: 1 });
    expect(periodStartOf({ y: 2026, m: 8, d: 9 }, { kind: 'half_year', startMonth: 1 })).toEqual({ y: 2026, m: 7, d: 1 });
    expect(periodStartOf({ y: 2026, m: 8, d: 9 }, { kind: 'month', startMonth: 1 })).toEqual({ y: 2026, m: 8, d: 1 });
    expect(periodStartOf({ y: 2026, m: 8, d: 9 }, { kind: 'none', startMonth: 1 })).toBeNull();
  });

  it('a date lies in its period and before the next (property)', () => {
    fc.assert(
      fc.property(
        fc.record({ y: fc.integer({ min: 1990, max: 2100 }), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 28 }) }),
        fc.constantFrom<PeriodKind>('year', 'half_year', 'quarter', 'month'),
        fc.integer({ min: 1, max: 12 }),
        (date, kind, startMonth) => {
          const p = { kind, startMonth };
          const start = periodStartOf(date, p)!;
          expect(compareDates(start, date)).toBeLessThanOrEqual(0);
          expect(compareDates(date, nextPeriodStart(start, p))).toBeLessThan(0);
          expect(start.d).toBe(1);
          expect(periodStartOf(start, p)).toEqual(start);
        },
      ),
    );
  });

  it('gives the period of an instant in the tenant timezone', () => {
    // 2026-12-31 17:00 UTC is already 2027 in Shanghai
    const p = currentPeriod(new Date('2026-12-31T17:00:00Z'), 'Asia/Shanghai', { kind: 'year', startMonth: 1 })!;
    expect(formatDate(p.start)).toBe('2027-01-01');
    expect(p.startsAt.toISOString()).toBe('2026-12-31T16:00:00.000Z');
    expect(p.endsAt.toISOString()).toBe('2027-12-31T16:00:00.000Z');
  });
});

describe('lot expiry and carry-over', () => {
  it('expires rolling lots at the end of the local day N months later', () => {
    const at = lotExpiry(new Date('2026-03-10T04:00:00Z'), 'Asia/Shanghai', { mode: 'rolling', months: 12 });
    expect(at!.toISOString()).toBe('2027-03-10T16:00:00.000Z'); // 2027-03-11 00:00 Shanghai
    expect(lotExpiry(new Date(), 'Asia/Shanghai', { mode: 'none' })).toBeNull();
  });

  it('expires year-end lots at the end of the Nth year after', () => {
    expect(lotExpiry(new Date('2026-03-10T04:00:00Z'), 'Asia/Shanghai', { mode: 'year_end', years: 1 })!.toISOString()).toBe('2027-12-31T16:00:00.000Z');
    expect(lotExpiry(new Date('2026-03-10T04:00:00Z'), 'Asia/Shanghai', { mode: 'year_end', years: 0 })!.toISOString()).toBe('2026-12-31T16:00:00.000Z');
    // fiscal year from April: earned in March 2026 belongs to FY starting 2025-04
    expect(lotExpiry(new Date('2026-03-10T04:00:00Z'), 'Asia/Shanghai', { mode: 'year_end', years: 0 }, 4)!.toISOString()).toBe('2026-03-31T16:00:00.000Z');
  });

  it('lapses what the carry-over rule does not keep', () => {
    expect(carryOverLapse(999, { mode: 'all' })).toBe(0);
    expect(carryOverLapse(999, { mode: 'none' })).toBe(999);
    expect(carryOverLapse(999, { mode: 'percent', percent: 50 })).toBe(500);
    expect(carryOverLapse(0, { mode: 'none' })).toBe(0);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), fc.integer({ min: 0, max: 100 }), (points, percent) => {
        const lapse = carryOverLapse(points, { mode: 'percent', percent });
        expect(lapse).toBeGreaterThanOrEqual(0);
        expect(lapse).toBeLessThanOrEqual(points);
        expect(points - lapse).toBe(Math.floor((points * percent) / 100));
      }),
    );
  });
});
