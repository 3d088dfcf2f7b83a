/**
 * Calendar arithmetic in the tenant's timezone: local dates, local midnights, points-plan periods
 * (积分计划 periods), lot expiry dates and carry-over at period end. Pure: every function takes
 * the instant and the timezone it needs.
 */

/** A calendar date in some timezone; months 1–12. */
export interface LocalDate {
  y: number;
  m: number;
  d: number;
}

export type PeriodKind = 'none' | 'year' | 'half_year' | 'quarter' | 'month';

export interface PeriodRule {
  kind: PeriodKind;
  /** first month of the (fiscal) year, 1–12; periods are aligned to it */
  startMonth: number;
}

export type ExpiryRule =
  | { mode: 'none' }
  /** each lot lasts `months` calendar months, through the end of that local day */
  | { mode: 'rolling'; months: number }
  /** each lot lasts until the end of the `years`-th (fiscal) year after the one it was earned in
   * (0 = end of the same year); e.g. 当年积分次年年底清零 is years: 1 */
  | { mode: 'year_end'; years: number };

export type CarryOverRule = { mode: 'all' } | { mode: 'none' } | { mode: 'percent'; percent: number };

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Whether `tz` is an IANA timezone this runtime knows. */
export function isTimezone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

interface WallClock extends LocalDate {
  hh: number;
  mi: number;
  ss: number;
}

function wallClock(instant: Date, tz: string): WallClock {
  const parts = formatter(tz).formatToParts(instant);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return { y: get('year'), m: get('month'), d: get('day'), hh: get('hour'), mi: get('minute'), ss: get('second') };
}

const BUCKET_MS = 15 * 60_000;
const offsetCache = new Map<string, number>();

/**
 * The timezone's offset at `t`, cached per 15-minute bucket: Intl formatting costs ~25 µs and a
 * purchase needs several local dates. A bucket is cached only when its start and end agree, so a
 * bucket with a transition inside is always computed exactly.
 */
function cachedOffset(t: number, tz: string): number {
  const bucket = Math.floor(t / BUCKET_MS);
  const key = `${tz}|${bucket}`;
  const hit = offsetCache.get(key);
  if (hit !== undefined) return hit;
  const start = offsetAt(bucket * BUCKET_MS, tz);
  if (offsetAt((bucket + 1) * BUCKET_MS - 1000, tz) !== start) return offsetAt(t, tz);
  if (offsetCache.size > 10_000) offsetCache.clear();
  offsetCache.set(key, start);
  return start;
}

/** @example localDate(new Date('2026-12-31T16:30:00Z'), 'Asia/Shanghai') → { y: 2027, m: 1, d: 1 } */
export function localDate(instant: Date, tz: string): LocalDate {
  const t = instant.getTime();
  const local = new Date(Math.floor(t / 1000) * 1000 + cachedOffset(t, tz));
  return { y: local.getUTCFullYear(), m: local.getUTCMonth() + 1, d: local.getUTCDate() };
}

/** Offset of the timezone at `instant` in ms (local wall time minus UTC). */
function offsetAt(instant: number, tz: string): number {
  const w = wallClock(new Date(instant), tz);
  const asUtc = Date.UTC(w.y, w.m - 1, w.d, w.hh, w.mi, w.ss);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

export function compareDates(a: LocalDate, b: LocalDate): number {
  return a.y !== b.y ? a.y - b.y : a.m !== b.m ? a.m - b.m : a.d - b.d;
}

const midnightCache = new Map<string, number>();

/**
 * The first instant of a local date: local midnight, or the end of a DST gap when midnight does
 * not exist that day.
 * @example startOfLocalDay({ y: 2027, m: 1, d: 1 }, 'Asia/Shanghai').toISOString() === '2026-12-31T16:00:00.000Z'
 */
export function startOfLocalDay(date: LocalDate, tz: string): Date {
  const key = `${tz}|${date.y}-${date.m}-${date.d}`;
  const cached = midnightCache.get(key);
  if (cached !== undefined) return new Date(cached);
  const guess = Date.UTC(date.y, date.m - 1, date.d);
  let t = guess - offsetAt(guess, tz);
  t = guess - offsetAt(t, tz);
  const w = wallClock(new Date(t), tz);
  if (!(compareDates(w, date) === 0 && w.hh === 0 && w.mi === 0 && w.ss === 0)) {
    // Midnight fell into a DST gap (or an odd historic offset): search for the first instant
    // whose local date is `date`. Offsets stay within ±15 h of UTC.
    let lo = guess - 15 * 3_600_000;
    let hi = guess + 15 * 3_600_000;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (compareDates(localDate(new Date(mid), tz), date) >= 0) hi = mid;
      else lo = mid;
    }
    t = hi;
  }
  if (midnightCache.size > 10_000) midnightCache.clear();
  midnightCache.set(key, t);
  return new Date(t);
}

/** @example addMonths({ y: 2026, m: 1, d: 31 }, 1) → { y: 2026, m: 2, d: 28 } (clamped) */
export function addMonths(date: LocalDate, months: number): LocalDate {
  const index = date.y * 12 + (date.m - 1) + months;
  const y = Math.floor(index / 12);
  const m = (index % 12) + 1;
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { y, m, d: Math.min(date.d, last) };
}

export function addDays(date: LocalDate, days: number): LocalDate {
  const t = new Date(Date.UTC(date.y, date.m - 1, date.d + days));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

/** ISO weekday, 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: LocalDate): number {
  const w = new Date(Date.UTC(date.y, date.m - 1, date.d)).getUTCDay();
  return w === 0 ? 7 : w;
}

export function formatDate(date: LocalDate): string {
  return `${String(date.y).padStart(4, '0')}-${String(date.m).padStart(2, '0')}-${String(date.d).padStart(2, '0')}`;
}

export function parseDate(text: string): LocalDate | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const date = { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) };
  const check = addDays(date, 0);
  return compareDates(check, date) === 0 ? date : null;
}

const PERIOD_MONTHS: Record<Exclude<PeriodKind, 'none'>, number> = { year: 12, half_year: 6, quarter: 3, month: 1 };

/**
 * First local date of the period containing `date`, or null when there are no periods.
 * @example periodStartOf({ y: 2026, m: 5, d: 9 }, { kind: 'year', startMonth: 4 }) → { y: 2026, m: 4, d: 1 }
 */
export function periodStartOf(date: LocalDate, period: PeriodRule): LocalDate | null {
  if (period.kind === 'none') return null;
  const len = PERIOD_MONTHS[period.kind];
  const monthIndex = date.y * 12 + (date.m - 1);
  const anchor = period.startMonth - 1;
  const offset = (((monthIndex - anchor) % len) + len) % len;
  const start = monthIndex - offset;
  return { y: Math.floor(start / 12), m: (start % 12) + 1, d: 1 };
}

/** First local date of the period after the one starting at `start`. */
export function nextPeriodStart(start: LocalDate, period: PeriodRule): LocalDate {
  if (period.kind === 'none') throw new Error('no periods');
  return addMonths(start, PERIOD_MONTHS[period.kind]);
}

/** The period containing `instant` in `tz`: its local first day and the instants it spans. */
export function currentPeriod(instant: Date, tz: string, period: PeriodRule): { start: LocalDate; startsAt: Date; endsAt: Date } | null {
  if (period.kind === 'none') return null;
  const start = periodStartOf(localDate(instant, tz), period);
  if (!start) return null;
  return { start, startsAt: startOfLocalDay(start, tz), endsAt: startOfLocalDay(nextPeriodStart(start, period), tz) };
}

/**
 * When a lot of points earned at `earnedAt` expires (the first instant it is no longer
 * spendable), or null if it never does.
 * @example lotExpiry(new Date('2026-03-10T04:00:00Z'), 'Asia/Shanghai', { mode: 'rolling', months: 12 }, …)
 *   → 2027-03-11 00:00 Shanghai (valid through 2027-03-10)
 */
export function lotExpiry(earnedAt: Date, tz: string, expiry: ExpiryRule, startMonth = 1): Date | null {
  if (expiry.mode === 'none') return null;
  const earned = localDate(earnedAt, tz);
  if (expiry.mode === 'rolling') return startOfLocalDay(addDays(addMonths(earned, expiry.months), 1), tz);
  const yearStart = periodStartOf(earned, { kind: 'year', startMonth })!;
  return startOfLocalDay(addMonths(yearStart, 12 * (expiry.years + 1)), tz);
}

/**
 * Reward points that lapse at period end under the carry-over rule (the rest carries over).
 * @example carryOverLapse(999, { mode: 'percent', percent: 50 }) === 500 (499 carried, rounded down)
 */
export function carryOverLapse(points: number, rule: CarryOverRule): number {
  if (points <= 0) return 0;
  if (rule.mode === 'all') return 0;
  if (rule.mode === 'none') return points;
  const carried = Math.floor((points * rule.percent) / 100);
  return points - carried;
}
