import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDate, localDate } from './period.rules.js';
import { instantRange, parseBound } from './range.rules.js';

const ZONES = ['Asia/Shanghai', 'America/New_York', 'America/Santiago', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'UTC'];
const tz = (zone: string) => async () => zone;

describe('parseBound', () => {
  it('takes date-times with an offset and plain dates', () => {
    expect(parseBound('2026-03-01T08:00:00+08:00')).toEqual({ kind: 'instant', at: new Date('2026-03-01T00:00:00Z') });
    expect(parseBound('2026-03-01T08:00Z')).toEqual({ kind: 'instant', at: new Date('2026-03-01T08:00:00Z') });
    expect(parseBound('2026-03-01T08:00:00.123456Z')).toEqual({ kind: 'instant', at: new Date('2026-03-01T08:00:00.123Z') });
    expect(parseBound('2026-03-01')).toEqual({ kind: 'date', text: '2026-03-01' });
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'yesterday', '2026-02-30', '2026-02-30T00:00:00Z', '2026-03-01T24:00:00Z', '2026-03-01T08:00:00', '2026-03-01T08:60:00Z', '1709280000', '2026-3-1', '2026-03-01T08:00:00+25:00'])
      expect(parseBound(bad), bad).toBeNull();
  });
});

describe('instantRange', () => {
  it('reads plain dates as whole days in the tenant timezone', async () => {
    expect(await instantRange({ from: '2026-03-01', to: '2026-03-01' }, tz('Asia/Shanghai'))).toEqual({
      from: new Date('2026-02-28T16:00:00Z'),
      to: new Date('2026-03-01T16:00:00Z'),
    });
    expect(await instantRange({}, tz('UTC'))).toEqual({ from: null, to: null });
  });

  it('asks for the timezone only when a date needs it', async () => {
    let asked = 0;
    const r = await instantRange({ from: '2026-03-01T00:00:00Z' }, async () => (asked++, 'UTC'));
    expect(r).toEqual({ from: new Date('2026-03-01T00:00:00Z'), to: null });
    expect(asked).toBe(0);
  });

  it('names the bad field, and a `to` before `from`', async () => {
    expect(await instantRange({ from: 'x', to: '2026-01-01' }, tz('UTC'))).toEqual([expect.objectContaining({ path: 'querystring.from' })]);
    expect(await instantRange({ from: '2026-03-02', to: '2026-03-01' }, tz('UTC'))).toEqual([expect.objectContaining({ path: 'querystring.to' })]);
  });

  it('a day range holds every instant of that local day (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.date({ min: new Date('1990-01-01'), max: new Date('2090-01-01'), noInvalidDate: true }), fc.constantFrom(...ZONES), async (at, zone) => {
        const day = formatDate(localDate(at, zone));
        const r = await instantRange({ from: day, to: day }, tz(zone));
        if (Array.isArray(r)) throw new Error('refused');
        expect(r.from!.getTime()).toBeLessThanOrEqual(at.getTime());
        expect(at.getTime()).toBeLessThan(r.to!.getTime());
        expect(formatDate(localDate(r.from!, zone))).toBe(day);
        expect(formatDate(localDate(new Date(r.to!.getTime() - 1000), zone))).toBe(day);
      }),
    );
  });
});
