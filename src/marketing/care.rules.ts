/**
 * Automated care (自动客户关怀), the pure part: rule kinds and their parameters, checking a rule
 * a merchant saves, when a rule is due, which birthdays a day greets.
 *
 * Kinds and what an occasion is (each fires once per member per occasion):
 * - `birthday` — on the birthday, or `days` (0–30) days before, in the merchant's timezone.
 *   Occasion: the year of the birthday greeted. A 29 February birthday is greeted on 28 February
 *   in a year without 29 February (never twice, never skipped).
 * - `inactive` — no purchase for `days` (1–3650) local days: the last purchase's local date is
 *   `days` or more days before today; a member who never bought counts from joining. Occasion:
 *   the instant of the last purchase (or `joined`), so a member who comes back and lapses again
 *   is reminded again, once per lapse.
 * - `tier_upgrade` — a loyalty_tier_changes row with direction `up`. Occasion: its id. Not for
 *   opening balances (members brought over from another system) nor a change of the tier rules
 *   (re-evaluating every member would congratulate thousands at once for nothing they did).
 * - `points_change` — a points ledger entry with |delta| ≥ `minPoints` (default 1), opening
 *   balances excepted. Occasion: the ledger entry id (one notice per entry: a purchase that both
 *   earns and pays points gives two).
 * - `points_expiring` — reward points of a lot expire within `days` (1–365) local days (by the
 *   end of local day today + days). Occasion: the local date the earliest such lot expires.
 * Event kinds (tier_upgrade, points_change) greet only events from after the rule was switched on.
 *
 * Marketing or service (decides opt-out and, for SMS, quiet hours and the opt-out hint):
 * - birthday and inactive are MARKETING: unsolicited messages whose purpose is to bring the
 *   member in (a greeting with an offer, a come-back reminder). Members who opted out of the
 *   channel (sms_opt_out / email_opt_out) are not selected and get nothing; SMS carry the
 *   opt-out hint and wait out quiet hours; email carries the unsubscribe link.
 * - tier_upgrade, points_change and points_expiring are SERVICE: each tells the member about a
 *   change to their own account (a new tier and its benefits, a balance movement, points they
 *   are about to lose) — information they are owed even after opting out of promotions, as the
 *   666 balance reply is. They ignore marketing opt-out and quiet hours.
 *
 * Send time: a rule runs on a run at or after its local send time of day. Day kinds
 * (birthday, inactive, points_expiring) are computed for the local date of the run, once that
 * day (a day the job never ran after the send time is not made up). Event kinds send events
 * that happened since, on every run from the send time to local midnight (events of the night
 * wait for the send time).
 */
import { EMAIL_TEMPLATE_VARIABLES, TEMPLATE_VARIABLES, unknownEmailVariables } from '../messaging/index.js';
import type { FieldError } from '../platform/http/problem.js';
import { addDays, type LocalDate } from '../loyalty/index.js';

export const CARE_KINDS = ['birthday', 'inactive', 'tier_upgrade', 'points_change', 'points_expiring'] as const;
export type CareKind = (typeof CARE_KINDS)[number];
export const CARE_CHANNELS = ['sms', 'email'] as const;
export type CareChannel = (typeof CARE_CHANNELS)[number];

export const isCareKind = (k: string): k is CareKind => (CARE_KINDS as readonly string[]).includes(k);

/** Marketing (opt-out respected, quiet hours) or service, per kind: see the header. */
export const CARE_MESSAGE_KIND: Record<CareKind, 'marketing' | 'service'> = {
  birthday: 'marketing',
  inactive: 'marketing',
  tier_upgrade: 'service',
  points_change: 'service',
  points_expiring: 'service',
};

export const DAY_KINDS: readonly CareKind[] = ['birthday', 'inactive', 'points_expiring'];
export const isDayKind = (k: CareKind) => DAY_KINDS.includes(k);

/** Variables of SMS care templates: the SMS template variables except `{answer}` (lottery). */
export const CARE_SMS_VARIABLES = TEMPLATE_VARIABLES.filter((v) => v !== 'answer');
export const CARE_EMAIL_VARIABLES = EMAIL_TEMPLATE_VARIABLES;

/** `days` per kind: allowed range and default (null: the kind takes no `days`). */
export const DAYS_RANGE: Record<CareKind, { min: number; max: number; default: number } | null> = {
  birthday: { min: 0, max: 30, default: 0 },
  inactive: { min: 1, max: 3650, default: 60 },
  tier_upgrade: null,
  points_change: null,
  points_expiring: { min: 1, max: 365, default: 7 },
};

export const MAX_SMS_TEMPLATE = 500;
export const MAX_EMAIL_BODY = 20_000;
export const MAX_EMAIL_SUBJECT = 200;

export interface CareRuleInput {
  enabled: boolean;
  channel: CareChannel;
  subject?: string | null;
  template: string;
  sendTime: string;
  days?: number | null;
  minPoints?: number | null;
}

export interface CareRuleValue {
  enabled: boolean;
  channel: CareChannel;
  subject: string | null;
  template: string;
  /** HH:MM */
  sendTime: string;
  days: number | null;
  minPoints: number | null;
}

const DEFAULT_TEMPLATES: Record<CareKind, string> = {
  birthday: '亲爱的{name}，{merchant}祝您生日快乐！',
  inactive: '亲爱的{name}，好久不见，{merchant}期待您再次光临！',
  tier_upgrade: '恭喜{name}升级为{tier}会员！',
  points_change: '您的积分有变动，当前积分{points}。',
  points_expiring: '您有积分即将过期，当前积分{points}，请尽快使用。',
};

/** What a kind looks like before the merchant saves it (off). */
export function defaultRule(kind: CareKind): CareRuleValue {
  return {
    enabled: false,
    channel: 'sms',
    subject: null,
    template: DEFAULT_TEMPLATES[kind],
    sendTime: '10:00',
    days: DAYS_RANGE[kind]?.default ?? null,
    minPoints: kind === 'points_change' ? 1 : null,
  };
}

const TIME = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;

/** Minutes after local midnight of `HH:MM` (null when it is not a valid time of day). */
export function parseTimeOfDay(text: string): number | null {
  const m = TIME.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

function unknownSmsVariables(template: string): string[] {
  const bad: string[] = [];
  for (const m of template.matchAll(/\{([^{}]*)\}/g)) {
    const name = m[1]!.trim();
    if (!(CARE_SMS_VARIABLES as readonly string[]).includes(name) && !bad.includes(name)) bad.push(name);
  }
  return bad;
}

const unknownMessage = (u: string[]) => `uses unknown variable${u.length > 1 ? 's' : ''} ${u.map((v) => `{${v}}`).join(', ')}`;

/** Checks a rule the merchant saves; every problem with its body path. */
export function checkCareRule(kind: CareKind, input: CareRuleInput): { ok: true; value: CareRuleValue } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const template = input.template.trim();
  if (parseTimeOfDay(input.sendTime) === null) errors.push({ path: 'body.sendTime', message: 'must be a time of day HH:MM (00:00–23:59)' });
  if (template === '') errors.push({ path: 'body.template', message: 'must not be empty' });
  let subject: string | null = null;
  if (input.channel === 'sms') {
    if (input.subject !== undefined && input.subject !== null) errors.push({ path: 'body.subject', message: 'is only for the email channel' });
    if (template.length > MAX_SMS_TEMPLATE) errors.push({ path: 'body.template', message: `is too long (at most ${MAX_SMS_TEMPLATE} characters)` });
    const u = unknownSmsVariables(template);
    if (u.length) errors.push({ path: 'body.template', message: `${unknownMessage(u)}; known: ${CARE_SMS_VARIABLES.map((v) => `{${v}}`).join(' ')}` });
  } else {
    subject = (input.subject ?? '').trim();
    if (subject === '') errors.push({ path: 'body.subject', message: 'is required for the email channel' });
    if (subject.length > MAX_EMAIL_SUBJECT) errors.push({ path: 'body.subject', message: `is too long (at most ${MAX_EMAIL_SUBJECT} characters)` });
    if (template.length > MAX_EMAIL_BODY) errors.push({ path: 'body.template', message: `is too long (at most ${MAX_EMAIL_BODY} characters)` });
    const us = unknownEmailVariables(subject);
    if (us.length) errors.push({ path: 'body.subject', message: unknownMessage(us) });
    const ut = unknownEmailVariables(template);
    if (ut.length) errors.push({ path: 'body.template', message: `${unknownMessage(ut)}; known: ${CARE_EMAIL_VARIABLES.map((v) => `{${v}}`).join(' ')}` });
  }
  const range = DAYS_RANGE[kind];
  let days: number | null = null;
  if (range === null) {
    if (input.days !== undefined && input.days !== null) errors.push({ path: 'body.days', message: `is not a parameter of ${kind}` });
  } else {
    days = input.days ?? range.default;
    if (!Number.isInteger(days) || days < range.min || days > range.max) errors.push({ path: 'body.days', message: `must be an integer from ${range.min} to ${range.max}` });
  }
  let minPoints: number | null = null;
  if (kind === 'points_change') {
    minPoints = input.minPoints ?? 1;
    if (!Number.isSafeInteger(minPoints) || minPoints < 1) errors.push({ path: 'body.minPoints', message: 'must be a positive integer' });
  } else if (input.minPoints !== undefined && input.minPoints !== null) {
    errors.push({ path: 'body.minPoints', message: `is not a parameter of ${kind}` });
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { enabled: input.enabled, channel: input.channel, subject, template, sendTime: input.sendTime, days, minPoints } };
}

/** Has the local time of day (minutes after midnight) reached the rule's send time? */
export const sendTimeReached = (localMinutes: number, sendTime: string) => localMinutes >= (parseTimeOfDay(sendTime) ?? 0);

export const isLeapYear = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/**
 * The birthdays greeted on local date `today` with a rule `daysBefore` days ahead: birthdays on
 * today + daysBefore (as MMDD numbers, the form of care_month_day in SQL), and the year greeted
 * (the occasion). On 28 February of a year without 29 February, 29 February birthdays are
 * greeted too.
 */
export function birthdaysGreeted(today: LocalDate, daysBefore: number): { monthDays: number[]; year: number } {
  const t = addDays(today, daysBefore);
  const monthDays = [t.m * 100 + t.d];
  if (t.m === 2 && t.d === 28 && !isLeapYear(t.y)) monthDays.push(229);
  return { monthDays, year: t.y };
}

/** Money in fen as yuan text: 12345 → "123.45". */
export function yuanText(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** A stored E.164 phone as members read it: +86 numbers without the country code. */
export const phoneText = (e164: string) => (e164.startsWith('+86') ? e164.slice(3) : e164);
