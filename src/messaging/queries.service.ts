/**
 * The tenant's views of messaging: the message log, the inbox, settings and keywords, sub-codes
 * and reports. Every function takes a tenant-bound transaction.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../platform/db/with-tenant.js';
import { badRequest, conflict, notFound } from '../platform/http/problem.js';
import { audit } from '../platform/tenancy/audit.js';
import type { TenantActor } from '../platform/http/auth.js';
import { DEFAULT_OPT_OUT_HINT, DEFAULT_TEMPLATES, TEMPLATE_KEYS, unknownVariables, type TemplateKey } from './compose.rules.js';
import { isReservedKeyword, normalizeKeyword } from './inbound.rules.js';
import { parseRecipient } from './phone.js';
import { DEFAULT_QUIET_HOURS, isHhMm, publicStatus, type OutboundStatus } from './schedule.rules.js';
import { sendSms, type SendSmsResult } from './send.service.js';

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

// ------------------------------------------------------------------ composite keyset cursors
/** Opaque cursor over (time, id): base64url of "<timestamptz text>|<id>|<direction>". */
function encodeKey(at: string, id: string, tag = ''): string {
  return Buffer.from(`${at}|${id}|${tag}`, 'utf8').toString('base64url');
}
const PG_TS = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,6})?([+-]\d{2})(:?\d{2})?$/;
function isPgTimestamp(at: string): boolean {
  const m = PG_TS.exec(at);
  if (!m) return false;
  return !Number.isNaN(Date.parse(`${m[1]}T${m[2]}${(m[3] ?? '').slice(0, 4)}${m[4]}:${(m[5] ?? '00').replace(':', '')}`));
}
function decodeKey(cursor: string | undefined): { at: string; id: string; tag: string } | null {
  if (!cursor) return null;
  const [at, id, tag = ''] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!at || !id || !isPgTimestamp(at) || !/^\d{1,19}$/.test(id) || !/^(in|out|)$/.test(tag)) {
    throw badRequest('Invalid cursor', [{ path: 'querystring.cursor', message: 'is not a cursor this API issued' }]);
  }
  return { at, id, tag };
}

// ------------------------------------------------------------------ message log
export interface OutboundView {
  id: string;
  direction: 'out';
  from: string;
  to: string;
  text: string;
  kind: 'service' | 'marketing';
  segments: number;
  costFen: number;
  status: Exclude<OutboundStatus, 'submitting'>;
  failReason?: string;
  campaignId?: string;
  memberId?: string;
  threadId?: string;
  subCode?: string;
  attempts: number;
  nextAttemptAt?: string;
  createdAt: string;
  sentAt?: string;
  finalAt?: string;
}

export interface InboundView {
  id: string;
  direction: 'in';
  from: string;
  to: string;
  text: string;
  keyword?: string;
  subCode?: string;
  memberId?: string;
  threadId?: string;
  replyToMessageId?: string;
  campaignId?: string;
  createdAt: string;
}

type Row = Record<string, unknown>;
const opt = <T>(v: T | null | undefined) => (v === null || v === undefined || v === '' ? undefined : v);

function outView(r: Row): OutboundView {
  return {
    id: String(r.id),
    direction: 'out',
    from: String(r.sender),
    to: String(r.recipient),
    text: String(r.body),
    kind: r.kind as 'service' | 'marketing',
    segments: Number(r.segments),
    costFen: Number(r.cost_fen),
    status: publicStatus(r.status as OutboundStatus),
    failReason: opt(r.fail_reason as string | null),
    campaignId: opt(r.campaign_id as string | null),
    memberId: opt(r.member_id as string | null),
    threadId: opt(r.thread_id as string | null),
    subCode: opt(r.sub_code as string),
    attempts: Number(r.attempts),
    nextAttemptAt: opt(iso(r.next_attempt_at as Date | null)),
    createdAt: iso(r.created_at as Date)!,
    sentAt: opt(iso(r.sent_at as Date | null)),
    finalAt: opt(iso(r.final_at as Date | null)),
  };
}

function inView(r: Row): InboundView {
  return {
    id: String(r.id),
    direction: 'in',
    from: String(r.sender),
    to: String(r.destination),
    text: String(r.body),
    keyword: opt(r.keyword as string | null),
    subCode: opt(r.sub_code as string),
    memberId: opt(r.member_id as string | null),
    threadId: opt(r.thread_id as string | null),
    replyToMessageId: opt(r.reply_to_message_id as string | null),
    campaignId: opt(r.campaign_id as string | null),
    createdAt: iso(r.created_at as Date)!,
  };
}

const OUT_COLS = sql.raw(`id::text, sender, recipient, body, kind, segments, cost_fen::text, status, fail_reason, campaign_id::text,
  member_id::text, thread_id::text, sub_code, attempts, next_attempt_at, created_at, sent_at, final_at, created_at::text AS ck`);
const IN_COLS = sql.raw(`id::text, sender, destination, body, keyword, sub_code, member_id::text, thread_id::text,
  reply_to_message_id::text, campaign_id::text, created_at, created_at::text AS ck`);

export interface MessageQuery {
  direction?: 'in' | 'out';
  phone?: string;
  status?: 'queued' | 'sent' | 'delivered' | 'failed' | 'suppressed';
  campaignId?: string;
  memberId?: string;
  limit: number;
  cursor?: string;
}

/** The message log, newest first; without `direction`, both directions interleaved by time. */
export async function listMessages(tx: Tx, tenantId: string, q: MessageQuery) {
  const phone = q.phone ? parseRecipient(q.phone, 'querystring.phone') : null;
  const after = decodeKey(q.cursor);
  const wantOut = q.direction !== 'in';
  const wantIn = q.direction !== 'out' && !q.status && !q.campaignId;
  // keyset: (created_at, direction tag, id) descending; 'out' > 'in' for equal times
  const before = (tag: 'in' | 'out'): SQL | undefined =>
    after
      ? sql`AND (created_at, ${tag}::text, id) < (${after.at}::timestamptz, ${after.tag || tag}::text, ${after.id}::bigint)`
      : undefined;
  const items: { v: OutboundView | InboundView; ck: string }[] = [];
  if (wantOut) {
    const status = q.status === 'queued' ? sql`AND status IN ('queued', 'submitting')` : q.status ? sql`AND status = ${q.status}` : undefined;
    const { rows } = await tx.execute<Row>(sql`
      SELECT ${OUT_COLS} FROM sms_outbound
       WHERE tenant_id = ${tenantId}
         ${phone ? sql`AND recipient = ${phone}` : sql``}
         ${status ?? sql``}
         ${q.campaignId ? sql`AND campaign_id = ${q.campaignId}` : sql``}
         ${q.memberId ? sql`AND member_id = ${q.memberId}` : sql``}
         ${before('out') ?? sql``}
       ORDER BY created_at DESC, id DESC LIMIT ${q.limit + 1}`);
    items.push(...rows.map((r) => ({ v: outView(r), ck: String(r.ck) })));
  }
  if (wantIn) {
    const { rows } = await tx.execute<Row>(sql`
      SELECT ${IN_COLS} FROM sms_inbound
       WHERE tenant_id = ${tenantId}
         ${phone ? sql`AND sender = ${phone}` : sql``}
         ${q.memberId ? sql`AND member_id = ${q.memberId}` : sql``}
         ${before('in') ?? sql``}
       ORDER BY created_at DESC, id DESC LIMIT ${q.limit + 1}`);
    items.push(...rows.map((r) => ({ v: inView(r), ck: String(r.ck) })));
  }
  // same session, same offset: the text form of timestamptz sorts like the value
  items.sort((a, b) => {
    if (a.ck !== b.ck) return a.ck < b.ck ? 1 : -1;
    if (a.v.direction !== b.v.direction) return a.v.direction < b.v.direction ? 1 : -1;
    return BigInt(a.v.id) < BigInt(b.v.id) ? 1 : -1;
  });
  const page = items.slice(0, q.limit);
  const last = page[page.length - 1];
  return { items: page.map((p) => p.v), nextCursor: items.length > q.limit && last ? encodeKey(last.ck, last.v.id, last.v.direction) : null };
}

/** The API view of a message sendSms just queued (no read-back). */
export function sentView(r: SendSmsResult, extra: { campaignId?: string | null; memberId?: string | null; threadId?: string | null } = {}): OutboundView {
  return {
    id: r.id,
    direction: 'out',
    from: r.from,
    to: r.to,
    text: r.text,
    kind: r.kind,
    segments: r.segments,
    costFen: r.costFen,
    status: r.status,
    failReason: opt(r.failReason),
    campaignId: opt(extra.campaignId),
    memberId: opt(extra.memberId),
    threadId: opt(extra.threadId),
    subCode: opt(r.subCode),
    attempts: 0,
    nextAttemptAt: r.held && r.dueAt ? r.dueAt : undefined,
    createdAt: r.createdAt,
  };
}

export async function getOutbound(tx: Tx, tenantId: string, id: string): Promise<OutboundView> {
  const { rows } = await tx.execute<Row>(sql`SELECT ${OUT_COLS} FROM sms_outbound WHERE tenant_id = ${tenantId} AND id = ${id}`);
  if (!rows[0]) throw notFound('Message');
  return outView(rows[0]);
}

// ------------------------------------------------------------------ inbox
export interface ThreadView {
  id: string;
  phone: string;
  memberId?: string;
  lastText: string;
  lastAt: string;
  unread: number;
}

const threadView = (r: Row): ThreadView => ({
  id: String(r.id),
  phone: String(r.phone),
  memberId: opt(r.member_id as string | null),
  lastText: String(r.last_text),
  lastAt: iso(r.last_at as Date)!,
  unread: Number(r.unread),
});

export async function listThreads(tx: Tx, tenantId: string, q: { unread?: boolean; phone?: string; limit: number; cursor?: string }) {
  const after = decodeKey(q.cursor);
  const phone = q.phone ? parseRecipient(q.phone, 'querystring.phone') : null;
  const { rows } = await tx.execute<Row>(sql`
    SELECT id::text, phone, member_id::text, last_text, last_at, unread, last_at::text AS ck FROM sms_threads
     WHERE tenant_id = ${tenantId}
       ${q.unread ? sql`AND unread > 0` : sql``}
       ${phone ? sql`AND phone = ${phone}` : sql``}
       ${after ? sql`AND (last_at, id) < (${after.at}::timestamptz, ${after.id}::bigint)` : sql``}
     ORDER BY last_at DESC, id DESC LIMIT ${q.limit + 1}`);
  const items = rows.slice(0, q.limit).map(threadView);
  const last = rows[q.limit - 1];
  return { items, nextCursor: rows.length > q.limit && last ? encodeKey(String(last.ck), String(last.id)) : null };
}

/** A thread with its messages (oldest first); reading it marks it read. */
export async function openThread(tx: Tx, tenantId: string, id: string) {
  const { rows } = await tx.execute<Row>(sql`
    UPDATE sms_threads SET unread = 0 WHERE tenant_id = ${tenantId} AND id = ${id}
    RETURNING id::text, phone, member_id::text, last_text, last_at, unread`);
  if (!rows[0]) throw notFound('Thread');
  const thread = threadView(rows[0]);
  const { rows: ins } = await tx.execute<Row>(
    sql`SELECT ${IN_COLS} FROM sms_inbound WHERE tenant_id = ${tenantId} AND thread_id = ${id} ORDER BY id DESC LIMIT 500`,
  );
  const { rows: outs } = await tx.execute<Row>(
    sql`SELECT ${OUT_COLS} FROM sms_outbound WHERE tenant_id = ${tenantId} AND thread_id = ${id} ORDER BY id DESC LIMIT 500`,
  );
  const messages = [...ins.map(inView), ...outs.map(outView)].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  return { ...thread, messages };
}

export async function replyToThread(tx: Tx, actor: TenantActor, id: string, text: string) {
  const { rows } = await tx.execute<{ phone: string; member_id: string | null }>(
    sql`SELECT phone, member_id::text FROM sms_threads WHERE tenant_id = ${actor.tenantId} AND id = ${id} FOR UPDATE`,
  );
  const t = rows[0];
  if (!t) throw notFound('Thread');
  const sent = await sendSms(tx, { tenantId: actor.tenantId, to: t.phone, text, kind: 'service', memberId: t.member_id, threadId: id });
  await tx.execute(sql`UPDATE sms_threads SET unread = 0 WHERE tenant_id = ${actor.tenantId} AND id = ${id}`);
  await audit(tx, { tenantId: actor.tenantId, type: actor.type, id: actor.id, name: actor.name, ip: actor.ip }, 'sms.inbox_reply', { type: 'sms_thread', id }, {
    messageId: sent.id,
    status: sent.status,
  });
  return sentView(sent, { memberId: t.member_id, threadId: id });
}

// ------------------------------------------------------------------ settings and keywords
export interface SmsSettingsView {
  quietHours: { start: string; end: string };
  optOutHint: string;
  templates: Record<TemplateKey, string>;
}

export async function getSmsSettings(tx: Tx, tenantId: string): Promise<SmsSettingsView> {
  const { rows } = await tx.execute<{ quiet_start: string; quiet_end: string; opt_out_hint: string; templates: Record<string, string> }>(
    sql`SELECT quiet_start, quiet_end, opt_out_hint, templates FROM sms_settings WHERE tenant_id = ${tenantId}`,
  );
  const r = rows[0];
  return {
    quietHours: r ? { start: r.quiet_start, end: r.quiet_end } : { ...DEFAULT_QUIET_HOURS },
    optOutHint: r ? r.opt_out_hint : DEFAULT_OPT_OUT_HINT,
    templates: { ...DEFAULT_TEMPLATES, ...(r?.templates ?? {}) } as Record<TemplateKey, string>,
  };
}

export interface SmsSettingsPatch {
  quietHours?: { start: string; end: string };
  optOutHint?: string;
  templates?: Partial<Record<TemplateKey, string>>;
}

function checkTemplate(template: string, path: string) {
  const bad = unknownVariables(template);
  if (bad.length) throw badRequest(`unknown template variable ${bad.map((b) => `{${b}}`).join(', ')}`, [{ path, message: `unknown variable {${bad[0]}}` }]);
  if (template.trim() === '') throw badRequest('a template must not be empty', [{ path, message: 'must not be empty' }]);
}

export async function updateSmsSettings(tx: Tx, actor: TenantActor, patch: SmsSettingsPatch): Promise<SmsSettingsView> {
  const current = await getSmsSettings(tx, actor.tenantId);
  if (patch.quietHours) {
    for (const k of ['start', 'end'] as const) {
      if (!isHhMm(patch.quietHours[k])) throw badRequest(`quietHours.${k} must be HH:MM`, [{ path: `body.quietHours.${k}`, message: 'must be HH:MM (00:00–23:59)' }]);
    }
  }
  for (const [k, v] of Object.entries(patch.templates ?? {})) {
    if (!(TEMPLATE_KEYS as string[]).includes(k)) throw badRequest(`unknown template ${k}`, [{ path: `body.templates.${k}`, message: 'unknown field' }]);
    checkTemplate(v!, `body.templates.${k}`);
  }
  const next: SmsSettingsView = {
    quietHours: patch.quietHours ?? current.quietHours,
    optOutHint: patch.optOutHint !== undefined ? patch.optOutHint.trim() : current.optOutHint,
    templates: { ...current.templates, ...patch.templates },
  };
  const overrides = Object.fromEntries(Object.entries(next.templates).filter(([k, v]) => DEFAULT_TEMPLATES[k as TemplateKey] !== v));
  await tx.execute(sql`
    INSERT INTO sms_settings (tenant_id, quiet_start, quiet_end, opt_out_hint, templates, updated_at)
    VALUES (${actor.tenantId}, ${next.quietHours.start}, ${next.quietHours.end}, ${next.optOutHint}, ${JSON.stringify(overrides)}::jsonb, now())
    ON CONFLICT (tenant_id) DO UPDATE SET quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,
      opt_out_hint = excluded.opt_out_hint, templates = excluded.templates, updated_at = now()`);
  await audit(tx, { tenantId: actor.tenantId, type: actor.type, id: actor.id, name: actor.name, ip: actor.ip }, 'sms.settings_update', null, { ...patch });
  return next;
}

export async function listKeywords(tx: Tx, tenantId: string) {
  const { rows } = await tx.execute<{ keyword: string; template: string }>(
    sql`SELECT keyword, template FROM sms_keywords WHERE tenant_id = ${tenantId} ORDER BY keyword`,
  );
  return { items: rows.map((r) => ({ keyword: r.keyword, template: r.template })), nextCursor: null };
}

/** Replaces the tenant's own keywords. Keywords are stored normalised (case, width). */
export async function replaceKeywords(tx: Tx, actor: TenantActor, items: { keyword: string; template: string }[]) {
  const seen = new Set<string>();
  const rows = items.map((it, i) => {
    const k = normalizeKeyword(it.keyword);
    if (!k) throw badRequest('keyword must not be empty', [{ path: `body.items.${i}.keyword`, message: 'must not be empty' }]);
    if (k.length > 20) throw badRequest('keyword too long', [{ path: `body.items.${i}.keyword`, message: 'at most 20 characters' }]);
    if (isReservedKeyword(k)) throw conflict(`"${it.keyword}" is a built-in keyword`, 'reserved_keyword', [{ path: `body.items.${i}.keyword`, message: 'is built in' }]);
    if (seen.has(k)) throw badRequest(`keyword "${it.keyword}" twice`, [{ path: `body.items.${i}.keyword`, message: 'is a duplicate' }]);
    seen.add(k);
    checkTemplate(it.template, `body.items.${i}.template`);
    return { keyword: k, template: it.template };
  });
  await tx.execute(sql`DELETE FROM sms_keywords WHERE tenant_id = ${actor.tenantId}`);
  if (rows.length) {
    await tx.execute(sql`INSERT INTO sms_keywords (tenant_id, keyword, template)
      SELECT ${actor.tenantId}, x.keyword, x.template FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(keyword text, template text)`);
  }
  await audit(tx, { tenantId: actor.tenantId, type: actor.type, id: actor.id, name: actor.name, ip: actor.ip }, 'sms.keywords_update', null, {
    keywords: rows.map((r) => r.keyword),
  });
  return listKeywords(tx, actor.tenantId);
}

// ------------------------------------------------------------------ sub-codes
export interface SubCodeView {
  code: string;
  label: string;
  campaignId?: string;
  createdAt: string;
}

export async function listSubCodes(tx: Tx, tenantId: string) {
  const { rows } = await tx.execute<Row>(
    sql`SELECT code, label, campaign_id::text, created_at FROM sms_sub_codes WHERE tenant_id = ${tenantId} ORDER BY created_at DESC, code`,
  );
  return {
    items: rows.map((r) => ({ code: String(r.code), label: String(r.label), campaignId: opt(r.campaign_id as string | null), createdAt: iso(r.created_at as Date)! })),
    nextCursor: null,
  };
}

/**
 * Registers a sub-code (replies to port + code are matched to it). Without `code`, the
 * smallest free 3-digit code from 100 (then 4 digits) is taken. A taken code → 409.
 */
export async function allocateSubCode(tx: Tx, tenantId: string, input: { code?: string; label?: string; campaignId?: string | null }): Promise<SubCodeView> {
  let code = input.code;
  if (code !== undefined && !/^[0-9]{1,6}$/.test(code)) throw badRequest('code must be 1–6 digits', [{ path: 'body.code', message: 'must be 1–6 digits' }]);
  if (code === undefined) {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(7240700, ${tenantId}::int)`);
    const { rows } = await tx.execute<{ code: string }>(sql`
      SELECT g::text AS code FROM generate_series(100, 9999) g
       WHERE NOT EXISTS (SELECT 1 FROM sms_sub_codes s WHERE s.tenant_id = ${tenantId} AND s.code = g::text)
       ORDER BY g LIMIT 1`);
    if (!rows[0]) throw conflict('No free sub-code left', 'sub_codes_exhausted');
    code = rows[0].code;
  }
  const { rows } = await tx.execute<Row>(sql`
    INSERT INTO sms_sub_codes (tenant_id, code, label, campaign_id) VALUES (${tenantId}, ${code}, ${input.label ?? ''}, ${input.campaignId ?? null})
    ON CONFLICT (tenant_id, code) DO NOTHING RETURNING code, label, campaign_id::text, created_at`);
  if (!rows[0]) throw conflict(`Sub-code ${code} is taken`, 'sub_code_taken', [{ path: 'body.code', message: 'is taken' }]);
  const r = rows[0];
  return { code: String(r.code), label: String(r.label), campaignId: opt(r.campaign_id as string | null), createdAt: iso(r.created_at as Date)! };
}
