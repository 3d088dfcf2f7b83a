/**
 * Campaigns: create (with the estimate), preview, list, read with live stats, send / pause /
 * resume (state changes; the fan-out itself is campaigns.fanout.ts), results against the
 * hold-out group, and the merchant's campaign settings. Everything runs in the caller's tenant
 * transaction (row-level security).
 */
import { sql, type SQL } from 'drizzle-orm';
import { tierNames } from '../loyalty/index.js';
import { emailContext, smsContext } from '../messaging/index.js';
import type { Tx } from '../platform/db/with-tenant.js';
import { AppError, badRequest, conflict, notFound } from '../platform/http/problem.js';
import type { TenantActor } from '../platform/http/auth.js';
import { audit } from '../platform/tenancy/audit.js';
import {
  addToEstimate,
  checkTemplate,
  groupResult,
  lift,
  smsFor,
  templateValues,
  type CampaignTemplate,
  type Channel,
  type Estimate,
  type FrequencyCap,
  type GroupFigures,
  type RecipientRow,
} from './campaigns.rules.js';
import { compileFilter, sampleQuery } from './filter.sql.js';
import { getSegment, parseFilter } from './segments.service.js';
import { renderTemplate, composeEmail } from '../messaging/index.js';

export type CampaignStatus = 'draft' | 'scheduled' | 'sending' | 'paused' | 'done' | 'cancelled';

export interface CampaignView {
  id: string;
  name: string;
  channel: Channel;
  segmentId: string | null;
  filter: unknown;
  template: CampaignTemplate;
  marketing: boolean;
  scheduleAt: string | null;
  holdoutPct: number;
  status: CampaignStatus;
  subCode: string;
  estimate: Estimate;
  approvedBy: string | null;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface CampaignSettings {
  needsApproval: boolean;
  frequencyCap: FrequencyCap;
}

interface Row {
  id: string;
  name: string;
  channel: Channel;
  segment_id: string | null;
  filter: unknown;
  template: CampaignTemplate;
  marketing: boolean;
  schedule_at: Date | null;
  holdout_pct: number;
  status: CampaignStatus;
  sub_code: string;
  estimate: Estimate;
  approved_by: string | null;
  created_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
export const view = (r: Row): CampaignView => ({
  id: r.id,
  name: r.name,
  channel: r.channel,
  segmentId: r.segment_id,
  filter: r.filter,
  template: r.template,
  marketing: r.marketing,
  scheduleAt: iso(r.schedule_at),
  holdoutPct: r.holdout_pct,
  status: r.status,
  subCode: r.sub_code,
  estimate: r.estimate,
  approvedBy: r.approved_by,
  createdBy: r.created_by,
  createdAt: iso(r.created_at)!,
  startedAt: iso(r.started_at),
  finishedAt: iso(r.finished_at),
});

const COLUMNS = sql.raw(`id::text, name, channel, segment_id::text, filter, template, marketing, schedule_at, holdout_pct, status, sub_code,
  estimate, approved_by, created_by, created_at, started_at, finished_at`);

export async function campaignRow(tx: Tx, tenantId: string, id: string, lock = false): Promise<Row> {
  const { rows } = await tx.execute<Row & Record<string, unknown>>(
    sql`SELECT ${COLUMNS} FROM campaigns WHERE tenant_id = ${tenantId}::bigint AND id = ${id}::bigint ${lock ? sql`FOR UPDATE` : sql``}`,
  );
  if (!rows[0]) throw notFound('Campaign');
  return dated(rows[0]);
}

/** Timestamps as Dates (a raw execute may return them as text). */
const toDate = (v: Date | string | null) => (v === null ? null : new Date(v));
function dated(r: Row): Row {
  return { ...r, schedule_at: toDate(r.schedule_at), created_at: toDate(r.created_at)!, started_at: toDate(r.started_at), finished_at: toDate(r.finished_at) };
}

// ------------------------------------------------------------------ settings
export async function getSettings(tx: Tx, tenantId: string): Promise<CampaignSettings> {
  const { rows } = await tx.execute<{ needs_approval: boolean; cap_messages: number; cap_days: number }>(
    sql`SELECT needs_approval, cap_messages, cap_days FROM campaign_settings WHERE tenant_id = ${tenantId}::bigint`,
  );
  const r = rows[0] ?? { needs_approval: false, cap_messages: 4, cap_days: 30 };
  return { needsApproval: r.needs_approval, frequencyCap: { messages: r.cap_messages, days: r.cap_days } };
}

export async function putSettings(tx: Tx, actor: TenantActor, input: { needsApproval?: boolean; frequencyCap?: FrequencyCap }): Promise<CampaignSettings> {
  const cur = await getSettings(tx, actor.tenantId);
  const next: CampaignSettings = { needsApproval: input.needsApproval ?? cur.needsApproval, frequencyCap: input.frequencyCap ?? cur.frequencyCap };
  await tx.execute(sql`
    INSERT INTO campaign_settings (tenant_id, needs_approval, cap_messages, cap_days, updated_by, updated_at)
    VALUES (${actor.tenantId}::bigint, ${next.needsApproval}, ${next.frequencyCap.messages}, ${next.frequencyCap.days}, ${actor.name}, now())
    ON CONFLICT (tenant_id) DO UPDATE SET needs_approval = EXCLUDED.needs_approval, cap_messages = EXCLUDED.cap_messages,
      cap_days = EXCLUDED.cap_days, updated_by = EXCLUDED.updated_by, updated_at = now()`);
  await audit(tx, auditActor(actor), 'campaign.settings', null, { ...next });
  return next;
}

export const auditActor = (a: TenantActor) => ({ tenantId: a.tenantId, type: a.type, id: a.id, name: a.name, ip: a.ip ?? null });

// ------------------------------------------------------------------ members as recipients
/** The member columns a campaign needs, for members picked by `from` (a FROM clause that
 * names `members`), with the marketing messages of the cap window when `cap` is given. */
export function recipientQuery(tenantId: string, from: SQL, capSince: Date | null): SQL {
  const recent = capSince
    ? sql`(SELECT count(*) FROM sms_outbound s WHERE s.tenant_id = members.tenant_id AND s.member_id = members.id AND s.kind = 'marketing'
             AND s.created_at > ${capSince.toISOString()}::timestamptz AND s.status IN ('queued', 'submitting', 'sent', 'delivered'))
        + (SELECT count(*) FROM email_messages e WHERE e.tenant_id = members.tenant_id AND e.member_id = members.id AND e.kind = 'marketing'
             AND e.created_at > ${capSince.toISOString()}::timestamptz AND e.status IN ('queued', 'submitting', 'sent'))`
    : sql`0`;
  return sql`SELECT members.id::text AS id, members.name, members.card_no, members.phone, members.email, members.points::text AS points,
      members.stored_value_fen::text AS stored_value_fen, members.tier_code, o.name AS store_name, members.sms_opt_out, members.email_opt_out,
      (${recent})::int AS recent
    ${from}
    LEFT JOIN org_nodes o ON o.tenant_id = members.tenant_id AND o.id = members.store_id
    WHERE members.tenant_id = ${tenantId}::bigint`;
}

export interface RawRecipient {
  id: string;
  name: string | null;
  card_no: string;
  phone: string;
  email: string | null;
  points: string;
  stored_value_fen: string;
  tier_code: string | null;
  store_name: string | null;
  sms_opt_out: boolean;
  email_opt_out: boolean;
  recent: number;
}

export const toRecipient = (r: RawRecipient, tiers: Record<string, string>): RecipientRow => ({
  id: r.id,
  name: r.name,
  cardNo: r.card_no,
  phone: r.phone,
  email: r.email,
  points: Number(r.points),
  storedValueFen: Number(r.stored_value_fen),
  tier: r.tier_code ? (tiers[r.tier_code] ?? r.tier_code) : null,
  store: r.store_name,
  smsOptOut: r.sms_opt_out,
  emailOptOut: r.email_opt_out,
  recentMarketing: Number(r.recent),
});

export const capSince = (cap: FrequencyCap, now: Date) => (cap.messages > 0 ? new Date(now.getTime() - cap.days * 86_400_000) : null);

async function tenantTimezone(tx: Tx, tenantId: string): Promise<string> {
  const { rows } = await tx.execute<{ timezone: string }>(sql`SELECT timezone FROM tenants WHERE id = ${tenantId}::bigint`);
  return rows[0]?.timezone ?? 'Asia/Shanghai';
}

const PAGE = 5000;

/** The estimate over the filter's members now: every member counted, the skipped ones
 * (opt-out, frequency cap, no address) as suppressed, segments and cost for the rest. */
export async function estimate(tx: Tx, tenantId: string, c: { channel: Channel; marketing: boolean; template: CampaignTemplate; filter: unknown }, now = new Date()): Promise<Estimate> {
  const node = await parseFilter(tx, tenantId, c.filter);
  const cond = compileFilter(node, { now, tz: await tenantTimezone(tx, tenantId) });
  const settings = await getSettings(tx, tenantId);
  const cap = settings.frequencyCap;
  const sms = await smsContext(tx, tenantId);
  const tiers = await tierNames(tx, tenantId);
  const since = c.marketing ? capSince(cap, now) : null;
  let acc: Estimate = { recipients: 0, suppressed: 0, segments: 0, costFen: 0 };
  const tooLong: string[] = [];
  let after = '0';
  for (;;) {
    const { rows } = await tx.execute<RawRecipient & Record<string, unknown>>(
      sql`${recipientQuery(tenantId, sql`FROM members`, since)} AND ${cond} AND members.id > ${after}::bigint ORDER BY members.id LIMIT ${PAGE}`,
    );
    acc = addToEstimate(acc, rows.map((r) => toRecipient(r, tiers)), { channel: c.channel, marketing: c.marketing, cap, template: c.template, sms }, tooLong);
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]!.id;
  }
  if (tooLong.length > 0) {
    throw badRequest(`The message is longer than 500 characters for ${tooLong.length} member(s) (e.g. member ${tooLong[0]})`, [
      { path: 'body.template.text', message: `renders longer than 500 characters (with signature) for ${tooLong.length} member(s)` },
    ]);
  }
  return acc;
}

// ------------------------------------------------------------------ create, list, read
export interface CreateInput {
  name: string;
  channel: Channel;
  segmentId?: string;
  filter?: unknown;
  template: unknown;
  marketing: boolean;
  scheduleAt?: string;
  holdoutPct?: number;
}

export async function createCampaign(tx: Tx, actor: TenantActor, input: CreateInput, now = new Date()): Promise<CampaignView> {
  const name = input.name.trim();
  const errors: { path: string; message: string }[] = [];
  if (!name) errors.push({ path: 'body.name', message: 'must not be blank' });
  if ((input.segmentId === undefined) === (input.filter === undefined)) errors.push({ path: 'body.segmentId', message: 'give exactly one of segmentId and filter' });
  const tpl = checkTemplate(input.channel, input.template);
  if (!tpl.ok) errors.push(...tpl.errors);
  let scheduleAt: Date | null = null;
  if (input.scheduleAt !== undefined) {
    scheduleAt = new Date(input.scheduleAt);
    if (Number.isNaN(scheduleAt.getTime())) errors.push({ path: 'body.scheduleAt', message: 'must be a date-time' });
    else if (scheduleAt.getTime() < now.getTime()) errors.push({ path: 'body.scheduleAt', message: 'is in the past' });
  }
  if (errors.length) throw badRequest(`Invalid campaign: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
  let filter = input.filter;
  if (input.segmentId !== undefined) filter = (await getSegment(tx, actor.tenantId, input.segmentId)).filter;
  const template = (tpl as { ok: true; value: CampaignTemplate }).value;
  const est = await estimate(tx, actor.tenantId, { channel: input.channel, marketing: input.marketing, template, filter }, now);
  const { rows } = await tx.execute<Row & Record<string, unknown>>(sql`
    INSERT INTO campaigns (tenant_id, name, channel, segment_id, filter, template, marketing, schedule_at, holdout_pct, estimate, created_by)
    VALUES (${actor.tenantId}::bigint, ${name}, ${input.channel}, ${input.segmentId ?? null}::bigint, ${JSON.stringify(filter)}::jsonb,
            ${JSON.stringify(template)}::jsonb, ${input.marketing}, ${scheduleAt?.toISOString() ?? null}::timestamptz, ${input.holdoutPct ?? 0},
            ${JSON.stringify(est)}::jsonb, ${actor.name})
    RETURNING ${COLUMNS}`);
  const row = rows[0]!;
  await audit(tx, auditActor(actor), 'campaign.create', { type: 'campaign', id: row.id }, { name, channel: input.channel, estimate: est });
  return view(row);
}

export async function listCampaigns(tx: Tx, tenantId: string): Promise<CampaignView[]> {
  const { rows } = await tx.execute<Row & Record<string, unknown>>(sql`SELECT ${COLUMNS} FROM campaigns WHERE tenant_id = ${tenantId}::bigint ORDER BY id DESC LIMIT 500`);
  return rows.map(view);
}

export interface CampaignStats {
  recipients: number;
  queued: number;
  sent: number;
  delivered: number;
  failed: number;
  suppressed: number;
  replies: number;
  optOuts: number;
  holdout: number;
  suppressedBy: Record<string, number>;
  /** Recipients who get nothing because the campaign was cancelled: never messaged, or their
   * message withdrawn from the outbox (campaigns.cancel.ts). */
  cancelled: number;
  /** Messages withdrawn from the outbox by the cancel (failed / 'cancelled', SMS refunded);
   * not counted in `failed`. */
  cancelledMessages: number;
  /** SMS waiting for the end of quiet hours (queued, due later). */
  heldForQuietHours: number;
}

/** Live figures: the snapshot's rows by status, the messages by status, replies on the
 * campaign's sub-code, and recipients who opted out after being messaged. */
export async function campaignStats(tx: Tx, tenantId: string, c: Row): Promise<CampaignStats> {
  const t = tenantId;
  const { rows: r } = await tx.execute<{ status: string; reason: string | null; n: number }>(sql`
    SELECT status, reason, count(*)::int AS n FROM campaign_recipients WHERE tenant_id = ${t}::bigint AND campaign_id = ${c.id}::bigint GROUP BY 1, 2`);
  const msgTable = c.channel === 'sms' ? sql.raw('sms_outbound') : sql.raw('email_messages');
  const held = c.channel === 'sms' ? sql`count(*) FILTER (WHERE status = 'queued' AND next_attempt_at > now())::int` : sql`0`;
  const { rows: m } = await tx.execute<{ status: string; n: number; held: number; cancelled: number }>(sql`
    SELECT status, count(*)::int AS n, ${held} AS held, count(*) FILTER (WHERE status = 'failed' AND fail_reason = 'cancelled')::int AS cancelled FROM ${msgTable} WHERE tenant_id = ${t}::bigint AND campaign_id = ${c.id}::bigint GROUP BY 1`);
  const optCol = c.channel === 'sms' ? sql.raw('m.sms_opt_out') : sql.raw('m.email_opt_out');
  const { rows: x } = await tx.execute<{ replies: number; opt_outs: number }>(sql`
    SELECT (SELECT count(*)::int FROM sms_inbound i WHERE i.tenant_id = ${t}::bigint AND i.campaign_id = ${c.id}::bigint) AS replies,
           (SELECT count(*)::int FROM campaign_recipients r JOIN members m ON m.tenant_id = r.tenant_id AND m.id = r.member_id
             WHERE r.tenant_id = ${t}::bigint AND r.campaign_id = ${c.id}::bigint AND r.status = 'sent' AND ${optCol}) AS opt_outs`);
  const s: CampaignStats = { recipients: 0, queued: 0, sent: 0, delivered: 0, failed: 0, suppressed: 0, replies: x[0]!.replies, optOuts: x[0]!.opt_outs, holdout: 0, suppressedBy: {}, cancelled: 0, cancelledMessages: 0, heldForQuietHours: 0 };
  for (const g of r) {
    if (g.status === 'holdout') {
      s.holdout += g.n;
      continue;
    }
    s.recipients += g.n;
    if (g.status === 'pending') s.queued += g.n;
    if (g.status === 'suppressed') {
      s.suppressed += g.n;
      s.suppressedBy[g.reason ?? 'other'] = (s.suppressedBy[g.reason ?? 'other'] ?? 0) + g.n;
    }
    if (g.status === 'failed') s.failed += g.n;
    if (g.status === 'cancelled') s.cancelled += g.n;
  }
  for (const g of m) {
    // suppressed messages are the snapshot's suppressed rows (counted above)
    if (g.status === 'queued' || g.status === 'submitting') s.queued += g.n;
    if (g.status === 'sent') s.sent += g.n;
    if (g.status === 'delivered') {
      s.sent += g.n;
      s.delivered += g.n;
    }
    if (g.status === 'failed') {
      s.failed += g.n - g.cancelled;
      s.cancelledMessages += g.cancelled;
    }
    s.heldForQuietHours += Number(g.held);
  }
  return s;
}

/** While a large campaign sends, its live figures are counted at most once per SENDING_STATS_MS
 * and shared by the requests asking meanwhile: at 1,000,000 recipients one count reads a million
 * recipient and message rows, and the console asks every second. Smaller campaigns (cheap to
 * count, and watched closely: pause right after the first batch) and other states count afresh. */
const SENDING_STATS_MS = 2_000;
const LARGE_CAMPAIGN = 20_000;
const sendingStats = new Map<string, { until: number; stats: Promise<CampaignStats> }>();

export async function getCampaign(tx: Tx, tenantId: string, id: string, now = Date.now()): Promise<CampaignView & { stats: CampaignStats }> {
  const row = await campaignRow(tx, tenantId, id);
  if (row.status !== 'sending') return { ...view(row), stats: await campaignStats(tx, tenantId, row) };
  const key = `${tenantId}:${id}`;
  let hit = sendingStats.get(key);
  if (!hit || hit.until <= now) {
    for (const [k, v] of sendingStats) if (v.until <= now) sendingStats.delete(k);
    hit = { until: now + SENDING_STATS_MS, stats: campaignStats(tx, tenantId, row) };
    sendingStats.set(key, hit);
    // a failed count is not shared beyond the requests already waiting for it
    const mine = hit;
    mine.stats.catch(() => sendingStats.get(key) === mine && sendingStats.delete(key));
  }
  const stats = await hit.stats;
  if (stats.recipients < LARGE_CAMPAIGN && sendingStats.get(key) === hit) sendingStats.delete(key);
  return { ...view(row), stats };
}

// ------------------------------------------------------------------ preview
export async function previewCampaign(tx: Tx, tenantId: string, id: string, memberId?: string) {
  const c = await campaignRow(tx, tenantId, id);
  return previewFor(tx, tenantId, c, 'campaign.filter', memberId);
}

export interface DraftPreviewInput {
  channel: 'sms' | 'email';
  segmentId?: string;
  filter?: unknown;
  template: unknown;
  marketing: boolean;
  memberId?: string;
}

/** The message a sample member (or `memberId`) would get from a campaign not saved yet: the
 * console's create form previews while the template is typed. Nothing is stored. */
export async function previewDraft(tx: Tx, tenantId: string, input: DraftPreviewInput) {
  const errors: { path: string; message: string }[] = [];
  if ((input.segmentId === undefined) === (input.filter === undefined)) errors.push({ path: 'body.segmentId', message: 'give exactly one of segmentId and filter' });
  const tpl = checkTemplate(input.channel, input.template);
  if (!tpl.ok) errors.push(...tpl.errors);
  if (errors.length) throw badRequest(`Invalid preview: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
  const filter = input.segmentId !== undefined ? (await getSegment(tx, tenantId, input.segmentId)).filter : input.filter;
  const template = (tpl as { ok: true; value: CampaignTemplate }).value;
  return previewFor(tx, tenantId, { channel: input.channel, filter, template, marketing: input.marketing }, input.segmentId !== undefined ? 'segment.filter' : 'body.filter', input.memberId);
}

async function previewFor(
  tx: Tx,
  tenantId: string,
  c: { channel: 'sms' | 'email'; filter: unknown; template: CampaignTemplate; marketing: boolean },
  filterPath: string,
  memberId?: string,
) {
  let mid = memberId ?? null;
  if (mid === null) {
    const node = await parseFilter(tx, tenantId, c.filter, filterPath);
    const cond = compileFilter(node, { now: new Date(), tz: await tenantTimezone(tx, tenantId) });
    const { rows } = await tx.execute<{ id: string }>(sampleQuery(tenantId, cond, 1));
    mid = rows[0]?.id ?? null;
  }
  let member: RecipientRow | null = null;
  if (mid !== null) {
    const { rows } = await tx.execute<RawRecipient & Record<string, unknown>>(sql`${recipientQuery(tenantId, sql`FROM members`, null)} AND members.id = ${mid}::bigint`);
    if (!rows[0]) throw notFound('Member');
    member = toRecipient(rows[0], await tierNames(tx, tenantId));
  }
  const blank: RecipientRow = { id: '', name: null, cardNo: '', phone: '', email: null, points: 0, storedValueFen: 0, tier: null, store: null, smsOptOut: false, emailOptOut: false, recentMarketing: 0 };
  if (c.channel === 'sms' && 'text' in c.template) {
    const ctx = await smsContext(tx, tenantId);
    const { composed } = smsFor(c.template.text, member ?? blank, ctx, c.marketing);
    if (!composed.ok) return { memberId: mid, text: null, characters: composed.length, segments: 0, encoding: null, tooLong: true };
    const v = composed.value;
    return { memberId: mid, text: v.text, characters: v.text.length, segments: v.segments, encoding: v.encoding, tooLong: false };
  }
  const t = c.template as { subject: string; body: string };
  const ectx = await emailContext(tx, tenantId);
  const values = templateValues(member ?? blank, ectx.tenantName);
  const draft = composeEmail({ subject: t.subject, body: t.body, kind: 'service' }, values);
  const body = renderTemplate(t.body, values);
  return { memberId: mid, subject: draft.ok ? draft.value.subject : renderTemplate(t.subject, values), text: body, characters: body.length, segments: 0, encoding: null, tooLong: false };
}

// ------------------------------------------------------------------ send, pause, resume
/** Moves a draft to scheduled or sending after the approval and credit checks. The caller
 * enqueues the fan-out job after the commit. */
export async function sendCampaign(tx: Tx, actor: TenantActor, id: string, now = new Date()): Promise<{ campaign: CampaignView; startAfter: Date | null }> {
  const c = await campaignRow(tx, actor.tenantId, id, true);
  if (c.status !== 'draft') throw conflict(`The campaign is ${c.status}; only a draft can be sent`, 'campaign_not_draft');
  const settings = await getSettings(tx, actor.tenantId);
  if (settings.needsApproval && !actor.permissions.has('campaigns.approve')) {
    throw new AppError(403, 'approval_required', 'This merchant requires approval: a user with campaigns.approve must send the campaign');
  }
  if (c.channel === 'email') {
    const ectx = await emailContext(tx, actor.tenantId);
    if (!ectx.from || !ectx.smtp) throw conflict('No SMTP server: set one in the email settings first', 'email_not_configured');
  }
  const est = await estimate(tx, actor.tenantId, { channel: c.channel, marketing: c.marketing, template: c.template, filter: c.filter }, now);
  if (c.channel === 'sms') {
    const { rows } = await tx.execute<{ credit_fen: string }>(sql`SELECT credit_fen::text FROM tenants WHERE id = ${actor.tenantId}::bigint`);
    const credit = Number(rows[0]!.credit_fen);
    if (credit < est.costFen) {
      throw conflict(`Not enough SMS credit: the campaign costs ${est.costFen} fen, the credit is ${credit} fen`, 'insufficient_credit');
    }
    if (!c.sub_code) {
      const code = await allocateCampaignSubCode(tx, actor.tenantId, c.id, c.name);
      c.sub_code = code;
    }
  }
  const later = c.schedule_at && c.schedule_at.getTime() > now.getTime() ? c.schedule_at : null;
  const status: CampaignStatus = later ? 'scheduled' : 'sending';
  const approvedBy = settings.needsApproval ? actor.name : null;
  const { rows } = await tx.execute<Row & Record<string, unknown>>(sql`
    UPDATE campaigns SET status = ${status}, estimate = ${JSON.stringify(est)}::jsonb, sub_code = ${c.sub_code}, approved_by = ${approvedBy}, updated_at = now()
     WHERE tenant_id = ${actor.tenantId}::bigint AND id = ${id}::bigint RETURNING ${COLUMNS}`);
  await audit(tx, auditActor(actor), 'campaign.send', { type: 'campaign', id }, { status, estimate: est, approvedBy });
  return { campaign: view(rows[0]!), startAfter: later };
}

async function allocateCampaignSubCode(tx: Tx, tenantId: string, campaignId: string, name: string): Promise<string> {
  const { allocateSubCode } = await import('../messaging/index.js');
  const sc = await allocateSubCode(tx, tenantId, { label: `campaign ${campaignId}: ${name}`.slice(0, 100), campaignId });
  return sc.code;
}

export async function pauseCampaign(tx: Tx, actor: TenantActor, id: string): Promise<CampaignView> {
  const c = await campaignRow(tx, actor.tenantId, id, true);
  if (c.status !== 'sending' && c.status !== 'scheduled') throw conflict(`The campaign is ${c.status}; only a sending or scheduled campaign can be paused`, 'campaign_not_sending');
  const { rows } = await tx.execute<Row & Record<string, unknown>>(sql`
    UPDATE campaigns SET status = 'paused', updated_at = now() WHERE tenant_id = ${actor.tenantId}::bigint AND id = ${id}::bigint RETURNING ${COLUMNS}`);
  await audit(tx, auditActor(actor), 'campaign.pause', { type: 'campaign', id }, {});
  return view(rows[0]!);
}

/** Paused → sending (or scheduled when its time has not come). A campaign already sending is
 * accepted too (its job is enqueued again: harmless, the snapshot decides who is left). */
export async function resumeCampaign(tx: Tx, actor: TenantActor, id: string, now = new Date()): Promise<{ campaign: CampaignView; startAfter: Date | null }> {
  const c = await campaignRow(tx, actor.tenantId, id, true);
  if (c.status !== 'paused' && c.status !== 'sending') throw conflict(`The campaign is ${c.status}; only a paused campaign can be resumed`, 'campaign_not_paused');
  const settings = await getSettings(tx, actor.tenantId);
  if (settings.needsApproval && !actor.permissions.has('campaigns.approve')) {
    throw new AppError(403, 'approval_required', 'This merchant requires approval: a user with campaigns.approve must resume the campaign');
  }
  const later = !c.started_at && c.schedule_at && c.schedule_at.getTime() > now.getTime() ? c.schedule_at : null;
  const { rows } = await tx.execute<Row & Record<string, unknown>>(sql`
    UPDATE campaigns SET status = ${later ? 'scheduled' : 'sending'}, updated_at = now() WHERE tenant_id = ${actor.tenantId}::bigint AND id = ${id}::bigint RETURNING ${COLUMNS}`);
  await audit(tx, auditActor(actor), 'campaign.resume', { type: 'campaign', id }, {});
  return { campaign: view(rows[0]!), startAfter: later };
}

// ------------------------------------------------------------------ results
/** Purchases and revenue in the `days` days after the campaign started: its messaged
 * recipients against the hold-out group, with per-member figures so the groups compare.
 * Revenue is the payable amount of purchases (refunds not deducted). */
export async function campaignResults(tx: Tx, tenantId: string, id: string, days: number) {
  const c = await campaignRow(tx, tenantId, id);
  if (!c.started_at) throw conflict('The campaign has not been sent yet', 'campaign_not_sent');
  const from = c.started_at;
  const to = new Date(from.getTime() + days * 86_400_000);
  const { rows } = await tx.execute<{ status: string; members: number; purchasers: number; purchases: number; revenue: string }>(sql`
    SELECT r.status, count(DISTINCT r.member_id)::int AS members, count(DISTINCT p.member_id)::int AS purchasers,
           count(p.id)::int AS purchases, coalesce(sum(p.payable_fen), 0)::text AS revenue
      FROM campaign_recipients r
      LEFT JOIN loyalty_transactions p ON p.tenant_id = r.tenant_id AND p.member_id = r.member_id
                                      AND p.occurred_at >= ${from.toISOString()}::timestamptz AND p.occurred_at < ${to.toISOString()}::timestamptz
     WHERE r.tenant_id = ${tenantId}::bigint AND r.campaign_id = ${id}::bigint AND r.status IN ('sent', 'holdout')
     GROUP BY r.status`);
  const g = (status: string): GroupFigures => {
    const r = rows.find((x) => x.status === status);
    return r ? { members: r.members, purchasers: r.purchasers, purchases: r.purchases, revenueFen: Number(r.revenue) } : { members: 0, purchasers: 0, purchases: 0, revenueFen: 0 };
  };
  const recipients = groupResult(g('sent'));
  const holdout = groupResult(g('holdout'));
  return { id, days, from: from.toISOString(), to: to.toISOString(), recipients, holdout, lift: lift(recipients, holdout) };
}

/** Puts a campaign back (the route could not enqueue its run). */
export const setStatusSql = (tenantId: string, id: string, status: CampaignStatus) =>
  sql`UPDATE campaigns SET status = ${status}, updated_at = now() WHERE tenant_id = ${tenantId}::bigint AND id = ${id}::bigint`;
