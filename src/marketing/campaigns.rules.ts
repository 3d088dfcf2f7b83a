/**
 * Campaign rules (pure): templates and their variables, the values a member gives them, the
 * estimate over a segment's members, the hold-out size, the frequency cap, and the results
 * comparison. I/O lives in campaigns.service.ts and campaigns.fanout.ts.
 */
import { composeSms, renderTemplate } from '../messaging/index.js';

type TemplateValues = Parameters<typeof renderTemplate>[1];

/** Variables a campaign template may use (api.md: name, cardNo, points, tier, storedValue,
 * store; plus the merchant's name). */
export const CAMPAIGN_VARIABLES = ['name', 'cardNo', 'points', 'tier', 'storedValue', 'store', 'merchant'] as const;

export type Channel = 'sms' | 'email';
export type CampaignTemplate = { text: string } | { subject: string; body: string };

export interface FieldProblem {
  path: string;
  message: string;
}

const VARIABLE = /\{([^{}]*)\}/g;

export function unknownCampaignVariables(template: string): string[] {
  const bad: string[] = [];
  for (const m of template.matchAll(VARIABLE)) {
    const name = m[1]!.trim();
    if (!(CAMPAIGN_VARIABLES as readonly string[]).includes(name) && !bad.includes(name)) bad.push(name);
  }
  return bad;
}

/** Checks a template for the channel: its shape, emptiness, length and variables. */
export function checkTemplate(channel: Channel, template: unknown, path = 'body.template'): { ok: true; value: CampaignTemplate } | { ok: false; errors: FieldProblem[] } {
  const errors: FieldProblem[] = [];
  const field = (obj: Record<string, unknown>, key: string, max: number): string | null => {
    const v = obj[key];
    if (typeof v !== 'string') {
      errors.push({ path: `${path}.${key}`, message: 'must be a string' });
      return null;
    }
    if (v.trim() === '') errors.push({ path: `${path}.${key}`, message: 'must not be empty' });
    else if (v.length > max) errors.push({ path: `${path}.${key}`, message: `is too long (${v.length} characters; at most ${max})` });
    const unknown = unknownCampaignVariables(v);
    if (unknown.length) errors.push({ path: `${path}.${key}`, message: `uses unknown variable${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `{${u}}`).join(', ')}` });
    return v;
  };
  if (channel === 'sms') {
    const obj = typeof template === 'string' ? { text: template } : template;
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return { ok: false, errors: [{ path, message: 'must be the SMS text or {text}' }] };
    const extra = Object.keys(obj).filter((k) => k !== 'text');
    if (extra.length) return { ok: false, errors: extra.map((k) => ({ path: `${path}.${k}`, message: 'is not allowed for an SMS campaign' })) };
    const text = field(obj as Record<string, unknown>, 'text', 500);
    return errors.length || text === null ? { ok: false, errors } : { ok: true, value: { text } };
  }
  if (!template || typeof template !== 'object' || Array.isArray(template)) return { ok: false, errors: [{ path, message: 'must be {subject, body} for an email campaign' }] };
  const extra = Object.keys(template).filter((k) => k !== 'subject' && k !== 'body');
  if (extra.length) return { ok: false, errors: extra.map((k) => ({ path: `${path}.${k}`, message: 'is not allowed for an email campaign' })) };
  const subject = field(template as Record<string, unknown>, 'subject', 200);
  const body = field(template as Record<string, unknown>, 'body', 100_000);
  return errors.length || subject === null || body === null ? { ok: false, errors } : { ok: true, value: { subject, body } };
}

/** Money in fen as yuan text: 12345 → "123.45". */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** One member as the campaign sees it (a row of campaigns.service's member query). */
export interface RecipientRow {
  id: string;
  name: string | null;
  cardNo: string;
  phone: string;
  email: string | null;
  points: number;
  storedValueFen: number;
  tier: string | null;
  store: string | null;
  smsOptOut: boolean;
  emailOptOut: boolean;
  /** Marketing messages (both channels) this member got in the cap window. */
  recentMarketing: number;
}

export function templateValues(m: Pick<RecipientRow, 'name' | 'cardNo' | 'points' | 'storedValueFen' | 'tier' | 'store'>, merchant: string): TemplateValues {
  return { name: m.name ?? '', cardNo: m.cardNo, points: m.points, tier: m.tier ?? '', storedValue: yuan(m.storedValueFen), store: m.store ?? '', merchant };
}

export interface SmsCtx {
  name: string;
  priceFen: number;
  optOutHint: string;
}

export interface FrequencyCap {
  messages: number; // 0 = no cap
  days: number;
}

export type SkipReason = 'opted_out' | 'frequency_cap' | 'no_address';

/** Why a member will not be messaged (before credit), or null. Only marketing is capped and
 * suppressed on opt-out; email needs an address. */
export function skipReason(channel: Channel, marketing: boolean, cap: FrequencyCap, m: RecipientRow): SkipReason | null {
  if (channel === 'email' && !m.email) return 'no_address';
  if (marketing && (channel === 'sms' ? m.smsOptOut : m.emailOptOut)) return 'opted_out';
  if (marketing && cap.messages > 0 && m.recentMarketing >= cap.messages) return 'frequency_cap';
  return null;
}

/** The SMS a member gets: rendered, signed (and hinted for marketing); null when too long. */
export function smsFor(template: string, m: RecipientRow, ctx: SmsCtx, marketing: boolean) {
  const body = renderTemplate(template, templateValues(m, ctx.name));
  const composed = composeSms({ tenantName: ctx.name, kind: marketing ? 'marketing' : 'service', body, optOutHint: ctx.optOutHint });
  return { body, composed };
}

export interface Estimate {
  recipients: number;
  suppressed: number;
  segments: number;
  costFen: number;
}

/** Folds one page of members into an estimate (recipients: all; suppressed: skipped; segments
 * and cost: the rest). `tooLong` collects members whose message would exceed the cap. */
export function addToEstimate(acc: Estimate, rows: RecipientRow[], opts: { channel: Channel; marketing: boolean; cap: FrequencyCap; template: CampaignTemplate; sms: SmsCtx }, tooLong: string[]): Estimate {
  let { recipients, suppressed, segments, costFen } = acc;
  for (const m of rows) {
    recipients++;
    if (skipReason(opts.channel, opts.marketing, opts.cap, m)) {
      suppressed++;
      continue;
    }
    if (opts.channel === 'sms' && 'text' in opts.template) {
      const { composed } = smsFor(opts.template.text, m, opts.sms, opts.marketing);
      if (!composed.ok) {
        tooLong.push(m.id);
        continue;
      }
      segments += composed.value.segments;
      costFen += composed.value.segments * opts.sms.priceFen;
    }
  }
  return { recipients, suppressed, segments, costFen };
}

/** How many of `n` members a hold-out of `pct` percent sets aside (rounded half up). */
export function holdoutSize(n: number, pct: number): number {
  return Math.floor((n * pct) / 100 + 0.5);
}

export interface GroupFigures {
  members: number;
  purchasers: number;
  purchases: number;
  revenueFen: number;
}

export interface GroupResult extends GroupFigures {
  /** per member of the group, so groups of different sizes compare */
  conversionRate: number;
  purchasesPerMember: number;
  revenuePerMemberFen: number;
}

const ratio = (a: number, b: number, digits = 4) => (b === 0 ? 0 : Math.round((a / b) * 10 ** digits) / 10 ** digits);

export function groupResult(g: GroupFigures): GroupResult {
  return {
    ...g,
    conversionRate: ratio(g.purchasers, g.members),
    purchasesPerMember: ratio(g.purchases, g.members),
    revenuePerMemberFen: ratio(g.revenueFen, g.members, 2),
  };
}

/** Recipients against the hold-out: the difference of per-member revenue (null without a
 * hold-out group to compare with). */
export function lift(recipients: GroupResult, holdout: GroupResult): { revenuePerMemberFen: number; conversionRate: number } | null {
  if (holdout.members === 0) return null;
  return {
    revenuePerMemberFen: Math.round((recipients.revenuePerMemberFen - holdout.revenuePerMemberFen) * 100) / 100,
    conversionRate: Math.round((recipients.conversionRate - holdout.conversionRate) * 10_000) / 10_000,
  };
}
