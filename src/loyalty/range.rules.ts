/**
 * Date filters of lists (`from`, `to`): an ISO 8601 date-time with an offset (`Z` or `±hh:mm`)
 * is that instant; a plain date (`YYYY-MM-DD`) is a day in the tenant's timezone — `from` is the
 * start of the day, `to` includes the whole day. The range is half-open: `from <= t < to`, and must not be empty.
 */
import type { FieldError } from '../platform/http/problem.js';
import { addDays, parseDate, startOfLocalDay } from './period.rules.js';

const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/i;

export type Bound = { kind: 'instant'; at: Date } | { kind: 'date'; text: string };

/** Parses one bound without the timezone (a plain date stays a date); null when it is not valid. */
export function parseBound(text: string): Bound | null {
  if (parseDate(text)) return { kind: 'date', text };
  const m = DATE_TIME.exec(text);
  if (!m || !parseDate(m[1]!)) return null;
  if (Number(m[2]) > 23 || Number(m[3]) > 59 || Number(m[4] ?? 0) > 59) return null;
  if (m[6] !== undefined && (Number(m[6]) > 18 || Number(m[7]) > 59)) return null;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? null : { kind: 'instant', at };
}

/** The instant a bound stands for: a date's first instant, or (for `to`) the next day's first instant. */
export function boundInstant(bound: Bound, tz: string, edge: 'from' | 'to'): Date {
  if (bound.kind === 'instant') return bound.at;
  const date = parseDate(bound.text)!;
  return startOfLocalDay(edge === 'to' ? addDays(date, 1) : date, tz);
}

export interface InstantRange {
  from: Date | null;
  to: Date | null;
}

/**
 * Checks `from` and `to` of a query (errors name `querystring.from` / `querystring.to`); `tz` is
 * asked for only when a plain date needs it.
 * @example await instantRange({ from: '2026-03-01', to: '2026-03-01' }, async () => 'Asia/Shanghai')
 *   → { from: 2026-02-28T16:00:00Z, to: 2026-03-01T16:00:00Z }
 */
export async function instantRange(q: { from?: string; to?: string }, tz: () => Promise<string>): Promise<InstantRange | FieldError[]> {
  const errors: FieldError[] = [];
  const bounds: Partial<Record<'from' | 'to', Bound>> = {};
  for (const edge of ['from', 'to'] as const) {
    const text = q[edge];
    if (text === undefined) continue;
    const bound = parseBound(text);
    if (bound) bounds[edge] = bound;
    else errors.push({ path: `querystring.${edge}`, message: 'must be an ISO 8601 date-time with an offset (2026-03-01T08:00:00+08:00) or a date (2026-03-01)' });
  }
  if (errors.length) return errors;
  const zone = bounds.from?.kind === 'date' || bounds.to?.kind === 'date' ? await tz() : 'UTC';
  const from = bounds.from ? boundInstant(bounds.from, zone, 'from') : null;
  const to = bounds.to ? boundInstant(bounds.to, zone, 'to') : null;
  if (from && to && from.getTime() >= to.getTime()) return [{ path: 'querystring.to', message: 'must be after from' }];
  return { from, to };
}
