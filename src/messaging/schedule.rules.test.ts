import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advanceStatus, DEFAULT_QUIET_HOURS, isQuietAt, releaseTime, retryDelayMs, type OutboundStatus } from './schedule.rules.js';

describe('quiet hours', () => {
  const tz = 'Asia/Shanghai';
  it('holds marketing from 21:00 to 08:00 local time', () => {
    expect(isQuietAt(new Date('2026-03-02T12:59:00Z'), tz, DEFAULT_QUIET_HOURS)).toBe(false); // 20:59
    expect(isQuietAt(new Date('2026-03-02T13:00:00Z'), tz, DEFAULT_QUIET_HOURS)).toBe(true); // 21:00
    expect(isQuietAt(new Date('2026-03-02T23:59:00Z'), tz, DEFAULT_QUIET_HOURS)).toBe(true); // 07:59
    expect(isQuietAt(new Date('2026-03-03T00:00:00Z'), tz, DEFAULT_QUIET_HOURS)).toBe(false); // 08:00
    expect(releaseTime(new Date('2026-03-02T14:30:10Z'), tz, DEFAULT_QUIET_HOURS).toISOString()).toBe('2026-03-03T00:00:00.000Z');
    const day = new Date('2026-03-02T04:00:00Z');
    expect(releaseTime(day, tz, DEFAULT_QUIET_HOURS)).toBe(day);
    expect(isQuietAt(day, tz, { start: '09:00', end: '09:00' })).toBe(false);
    expect(isQuietAt(day, tz, { start: '11:00', end: '13:00' })).toBe(true); // 12:00 local
  });

  it('property: the release time is outside quiet hours, not before now, and within a day', () => {
    const zones = ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe'];
    const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
    fc.assert(
      fc.property(fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }), fc.constantFrom(...zones), hhmm, hhmm, (now, zone, start, end) => {
        const q = { start, end };
        const r = releaseTime(now, zone, q);
        expect(r.getTime()).toBeGreaterThanOrEqual(now.getTime());
        expect(r.getTime() - now.getTime()).toBeLessThanOrEqual(26 * 3600_000);
        expect(isQuietAt(r, zone, q)).toBe(false);
      }),
    );
  });
});

describe('status', () => {
  it('only moves forward', () => {
    expect(advanceStatus('queued', 'sent')).toBe('sent');
    expect(advanceStatus('queued', 'delivered')).toBe('delivered');
    expect(advanceStatus('delivered', 'sent')).toBe('delivered');
    expect(advanceStatus('delivered', 'failed')).toBe('delivered');
    expect(advanceStatus('sent', 'failed')).toBe('failed');
    expect(advanceStatus('submitting', 'sent')).toBe('sent');
  });

  it('property: applying reports in any order ends in a final state when one was reported', () => {
    const all: OutboundStatus[] = ['sent', 'delivered', 'failed'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...all), { minLength: 1, maxLength: 6 }), (reports) => {
        const end = reports.reduce<OutboundStatus>((s, r) => advanceStatus(s, r), 'queued');
        const firstFinal = reports.find((r) => r !== 'sent');
        expect(end).toBe(firstFinal ?? 'sent');
      }),
    );
  });

  it('backs off exponentially up to ten minutes', () => {
    expect(retryDelayMs(1)).toBe(2000);
    expect(retryDelayMs(3)).toBe(8000);
    expect(retryDelayMs(30)).toBe(600_000);
    expect(retryDelayMs(1, 30_000)).toBe(30_000);
  });
});
