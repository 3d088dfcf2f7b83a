import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../loyalty/index.js';
import { birthdaysGreeted, checkCareRule, defaultRule, isLeapYear, parseTimeOfDay, sendTimeReached, CARE_KINDS } from './care.rules.js';

describe('birthdaysGreeted', () => {
  it('greets the day itself, or N days ahead (across the year end: the occasion is the birthday year)', () => {
    expect(birthdaysGreeted({ y: 2026, m: 5, d: 20 }, 0)).toEqual({ monthDays: [520], year: 2026 });
    expect(birthdaysGreeted({ y: 2026, m: 12, d: 29 }, 3)).toEqual({ monthDays: [101], year: 2027 });
  });

  it('greets 29 February birthdays on 28 February in years without 29 February, and on the day in leap years', () => {
    expect(birthdaysGreeted({ y: 2027, m: 2, d: 28 }, 0).monthDays.sort()).toEqual([228, 229]);
    expect(birthdaysGreeted({ y: 2028, m: 2, d: 28 }, 0).monthDays).toEqual([228]);
    expect(birthdaysGreeted({ y: 2028, m: 2, d: 29 }, 0).monthDays).toEqual([229]);
    expect(birthdaysGreeted({ y: 2100, m: 2, d: 28 }, 0).monthDays.sort()).toEqual([228, 229]); // 2100 is not a leap year
  });

  it('every birthday is greeted on exactly one day per birthday year, whatever the days before', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 2020, max: 2104 }), (m, d, before, year) => {
        const last = new Date(Date.UTC(2024, m, 0)).getUTCDate(); // a leap year: 29 Feb exists
        fc.pre(d <= last);
        const md = m * 100 + d;
        // walk the days whose greeting could be for `year`
        let hits = 0;
        let day = addDays({ y: year, m: 1, d: 1 }, -before - 1);
        for (let i = 0; i < 368 + before; i++) {
          const g = birthdaysGreeted(day, before);
          if (g.year === year && g.monthDays.includes(md)) hits++;
          day = addDays(day, 1);
        }
        expect(hits).toBe(1);
      }),
    );
  });

  it('isLeapYear', () => {
    expect([2000, 2024, 2028].map(isLeapYear)).toEqual([true, true, true]);
    expect([1900, 2026, 2100].map(isLeapYear)).toEqual([false, false, false]);
  });
});

describe('send time', () => {
  it('parses HH:MM and refuses anything else', () => {
    expect(parseTimeOfDay('00:00')).toBe(0);
    expect(parseTimeOfDay('23:59')).toBe(1439);
    for (const bad of ['24:00', '9:00', '12:60', '12:00:00', 'noon', '']) expect(parseTimeOfDay(bad)).toBeNull();
  });
  it('is reached at and after the minute', () => {
    expect(sendTimeReached(599, '10:00')).toBe(false);
    expect(sendTimeReached(600, '10:00')).toBe(true);
  });
});

describe('checkCareRule', () => {
  const base = { enabled: true, channel: 'sms' as const, template: '亲爱的{name}，生日快乐！', sendTime: '09:30' };

  it('accepts the defaults of every kind', () => {
    for (const kind of CARE_KINDS) {
      const d = defaultRule(kind);
      expect(checkCareRule(kind, { ...d, subject: null }).ok).toBe(true);
    }
  });

  it('fills days / minPoints defaults per kind', () => {
    const r = checkCareRule('inactive', base);
    expect(r.ok && r.value.days).toBe(60);
    const p = checkCareRule('points_change', base);
    expect(p.ok && p.value.minPoints).toBe(1);
  });

  it('refuses unknown variables ({answer} too), bad times, parameters of other kinds, email without subject', () => {
    const paths = (kind: (typeof CARE_KINDS)[number], input: Parameters<typeof checkCareRule>[1]) => {
      const r = checkCareRule(kind, input);
      return r.ok ? [] : r.errors.map((e) => e.path);
    };
    expect(paths('birthday', { ...base, template: '{name} {coupon}' })).toEqual(['body.template']);
    expect(paths('birthday', { ...base, template: '{answer}' })).toEqual(['body.template']);
    expect(paths('birthday', { ...base, sendTime: '25:00' })).toEqual(['body.sendTime']);
    expect(paths('birthday', { ...base, days: 31 })).toEqual(['body.days']);
    expect(paths('inactive', { ...base, days: 0 })).toEqual(['body.days']);
    expect(paths('tier_upgrade', { ...base, days: 3 })).toEqual(['body.days']);
    expect(paths('birthday', { ...base, minPoints: 3 })).toEqual(['body.minPoints']);
    expect(paths('points_change', { ...base, minPoints: 0 })).toEqual(['body.minPoints']);
    expect(paths('birthday', { ...base, channel: 'email' })).toEqual(['body.subject']);
    expect(paths('birthday', { ...base, subject: 'x' })).toEqual(['body.subject']);
    expect(paths('birthday', { ...base, channel: 'email', subject: '{phone}', template: '{name}' })).toEqual(['body.subject']);
    expect(paths('birthday', { ...base, template: 'x'.repeat(501) })).toEqual(['body.template']);
  });
});
