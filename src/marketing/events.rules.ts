/**
 * Member events (活动管理), pure rules: the invitation / confirmation templates and their
 * variables, the checks of an event's times, and whether a sign-up is open.
 *
 * Templates: `{name} {cardNo} {merchant} {event} {place} {startsAt}` (startsAt in the
 * merchant's timezone, `YYYY-MM-DD HH:MM`); anything else in braces is a 400 at its path.
 * Rendering is one pass: a value that itself contains `{…}` (a member named `{event}`) is
 * never expanded again.
 */
import type { FieldError } from '../platform/http/problem.js';

export const EVENT_VARIABLES = ['name', 'cardNo', 'merchant', 'event', 'place', 'startsAt'] as const;
export type EventVariable = (typeof EVENT_VARIABLES)[number];
export type EventValues = Partial<Record<EventVariable, string | null | undefined>>;

export const DEFAULT_CONFIRMATION = '{name}您好，您已报名“{event}”，时间{startsAt}，地点{place}。';
export const FULL_REPLY = '抱歉，“{event}”名额已满。';
export const CLOSED_REPLY = '抱歉，“{event}”报名已截止。';

const VARIABLE = /\{([^{}]*)\}/g;

export function unknownEventVariables(template: string): string[] {
  const bad: string[] = [];
  for (const m of template.matchAll(VARIABLE)) {
    const v = m[1]!.trim();
    if (!(EVENT_VARIABLES as readonly string[]).includes(v) && !bad.includes(v)) bad.push(v);
  }
  return bad;
}

export function renderEventTemplate(template: string, values: EventValues): string {
  return template.replace(VARIABLE, (whole, raw: string) => {
    const v = raw.trim();
    if (!(EVENT_VARIABLES as readonly string[]).includes(v)) return whole;
    const x = values[v as EventVariable];
    return x === null || x === undefined ? '' : String(x);
  });
}

/** `YYYY-MM-DD HH:MM` of an instant in a timezone. */
export function localDateTime(at: Date, tz: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const p = (t: string) => parts.find((x) => x.type === t)?.value ?? '';
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}`;
}

export interface EventTimes {
  startsAt: Date;
  endsAt: Date;
  signupDeadline: Date | null;
}

/** The errors of an event's times and templates (empty when it is valid). */
export function checkEvent(e: EventTimes & { invitation: string; confirmation: string | null }): FieldError[] {
  const errors: FieldError[] = [];
  if (e.endsAt.getTime() < e.startsAt.getTime()) errors.push({ path: 'body.endsAt', message: 'must not be before startsAt' });
  if (e.signupDeadline && e.signupDeadline.getTime() > e.endsAt.getTime()) errors.push({ path: 'body.signupDeadline', message: 'must not be after endsAt' });
  for (const [path, t] of [['body.invitation', e.invitation], ['body.confirmation', e.confirmation]] as const) {
    if (t === null) continue;
    const bad = unknownEventVariables(t);
    if (bad.length) errors.push({ path, message: `unknown variables: ${bad.map((b) => `{${b}}`).join(', ')} (allowed: ${EVENT_VARIABLES.map((v) => `{${v}}`).join(' ')})` });
  }
  return errors;
}

export type SignupCheck = 'open' | 'closed' | 'full';

/** Whether one more member may sign up: before the deadline (or the end when there is none)
 * and below the capacity (null = no limit). */
export function signupState(e: EventTimes & { capacity: number | null }, taken: number, now: Date): SignupCheck {
  const until = e.signupDeadline ?? e.endsAt;
  if (now.getTime() > until.getTime()) return 'closed';
  if (e.capacity !== null && taken >= e.capacity) return 'full';
  return 'open';
}
