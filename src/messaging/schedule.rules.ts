/**
 * When and in which state (pure): quiet hours in the tenant's timezone, the forward-only
 * delivery status, and retry back-off.
 */

export interface QuietHours {
  /** 'HH:MM' local time the quiet period starts (inclusive). */
  start: string;
  /** 'HH:MM' local time it ends (exclusive). Equal to start: no quiet hours. */
  end: string;
}

export const DEFAULT_QUIET_HOURS: QuietHours = { start: '21:00', end: '08:00' };

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function isHhMm(s: string): boolean {
  return HHMM.test(s);
}

function minutesOf(hhmm: string): number {
  const m = HHMM.exec(hhmm);
  if (!m) throw new Error(`not a HH:MM time: ${hhmm}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(tz, f);
  }
  return f;
}

/** Seconds since local midnight of `at` in `tz`. */
export function localSecondOfDay(at: Date, tz: string): number {
  let h = 0;
  let m = 0;
  let s = 0;
  for (const p of formatter(tz).formatToParts(at)) {
    if (p.type === 'hour') h = Number(p.value);
    else if (p.type === 'minute') m = Number(p.value);
    else if (p.type === 'second') s = Number(p.value);
  }
  return h * 3600 + m * 60 + s;
}

/** Whether local minute-of-day `minute` lies in the quiet period. */
export function inQuietMinute(minute: number, q: QuietHours): boolean {
  const start = minutesOf(q.start);
  const end = minutesOf(q.end);
  if (start === end) return false;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

export function isQuietAt(at: Date, tz: string, q: QuietHours): boolean {
  return inQuietMinute(Math.floor(localSecondOfDay(at, tz) / 60), q);
}

/**
 * When a marketing message may go out: `now` outside quiet hours, otherwise the instant the
 * quiet period ends (local `end`, in the tenant's timezone; a DST jump is followed).
 */
export function releaseTime(now: Date, tz: string, q: QuietHours): Date {
  if (!isQuietAt(now, tz, q)) return now;
  const endSec = minutesOf(q.end) * 60;
  const nowSec = localSecondOfDay(now, tz);
  const wait = (endSec - nowSec + 86400) % 86400;
  let candidate = new Date(now.getTime() + wait * 1000);
  // across a DST change the local clock moved: correct by the difference (once or twice)
  for (let i = 0; i < 2; i++) {
    const diff = endSec - localSecondOfDay(candidate, tz);
    if (diff === 0 || Math.abs(diff) > 3 * 3600) break;
    candidate = new Date(candidate.getTime() + diff * 1000);
  }
  // never hand back a time still inside the quiet period (e.g. a local time skipped by DST)
  while (isQuietAt(candidate, tz, q)) candidate = new Date(candidate.getTime() + 60_000);
  return candidate;
}

/** Outbound statuses. `submitting` is internal (shown as `queued`): claimed by a dispatcher. */
export type OutboundStatus = 'queued' | 'submitting' | 'sent' | 'delivered' | 'failed' | 'suppressed';

const RANK: Record<OutboundStatus, number> = { queued: 0, submitting: 0, sent: 1, delivered: 2, failed: 2, suppressed: 2 };

/** Status only moves forward: queued → sent → delivered | failed. A report that would move it
 * back (an "accepted" after "delivered") or sideways between final states is ignored. */
export function advanceStatus(current: OutboundStatus, next: OutboundStatus): OutboundStatus {
  return RANK[next] > RANK[current] ? next : current;
}

export const isFinalStatus = (s: OutboundStatus) => RANK[s] === 2;

/** The status the API shows. */
export const publicStatus = (s: OutboundStatus): Exclude<OutboundStatus, 'submitting'> => (s === 'submitting' ? 'queued' : s);

/** Retry delay after the n-th failed attempt (1-based): 2 s, 4 s, 8 s, … capped at 10 minutes,
 * or what the gateway asked for when longer. */
export function retryDelayMs(attempt: number, retryAfterMs?: number): number {
  const exp = Math.min(600_000, 2000 * 2 ** Math.max(0, attempt - 1));
  return Math.max(exp, retryAfterMs ?? 0);
}

/** Attempts before a transient error becomes a permanent failure (refunded). */
export const MAX_ATTEMPTS = 8;
