/**
 * Email sending and the tenant's email views. `sendEmail` is the email twin of `sendSms`: it runs
 * inside the caller's tenant-bound transaction and writes the message row and its outbox row in
 * one statement (the dispatcher, email.dispatcher.ts, sends it after commit); marketing to a
 * member who unsubscribed is logged `suppressed` and not queued.
 */
import { isIP } from 'node:net';
import { sql } from 'drizzle-orm';
import type { Tx } from '../platform/db/with-tenant.js';
import { AppError, badRequest, conflict, notFound } from '../platform/http/problem.js';
import { decodeCursor, encodeCursor } from '../platform/http/pagination.js';
import type { TenantActor } from '../platform/http/auth.js';
import { audit } from '../platform/tenancy/audit.js';
import { parseEmailAddress, maskEmail, recordChange, systemActor } from '../members/index.js';
import { yuan, type TemplateValues } from './compose.rules.js';
import { emailDeployment, unsubscribeUrl } from './email.config.js';
import { composeEmail, hasControlChars, isPublicAddress, unknownEmailVariables, unsubscribeToken, verifyUnsubscribeToken, type EmailKind } from './email.rules.js';
import { querier, type Querier } from './send.service.js';
import { publicStatus, type OutboundStatus } from './schedule.rules.js';

export interface SendEmailInput {
  tenantId: string;
  /** The member written to: address, opt-out and template values come from the member. */
  memberId?: string | null;
  /** An address, for service email to someone who is not a member (or another address of one). */
  to?: string | null;
  /** Templates: `{name} {cardNo} {points} {tier} {storedValue} {store} {merchant}`. */
  subject: string;
  body: string;
  kind: EmailKind;
  campaignId?: string | null;
  /** Field paths for 400s (default body.subject, body.body, body.memberId, body.to). */
  paths?: Partial<Record<'subject' | 'body' | 'memberId' | 'to', string>>;
  /** The tenant's sending context when the caller already has it (batches). */
  context?: EmailContext;
}

export interface SendEmailResult {
  id: string;
  status: 'queued' | 'suppressed';
  failReason: string | null;
  kind: EmailKind;
  from: { name: string; address: string };
  replyTo: string | null;
  to: string;
  subject: string;
  text: string;
  memberId: string | null;
  campaignId: string | null;
  createdAt: string;
}

export interface EmailContext {
  tenantName: string;
  from: { name: string; address: string } | null;
  replyTo: string | null;
  smtp: 'tenant' | 'default' | null;
  unsubscribeSecret: string | null;
}

const CONTEXT_SQL = `SELECT t.name, s.from_name, s.from_address, s.reply_to, s.smtp_host, s.unsubscribe_secret
  FROM tenants t LEFT JOIN email_settings s ON s.tenant_id = t.id WHERE t.id = $1`;

/** Who the tenant's email comes from and through which SMTP server: its own (with its own From
 * address), else the deployment's (From = MEMBERDESK_EMAIL_FROM, the tenant's name as display
 * name, its reply-to as Reply-To), else none. */
export async function emailContext(tx: Tx | Querier, tenantId: string): Promise<EmailContext> {
  const q = typeof tx === 'function' ? tx : querier(tx);
  const rows = await q<{ name: string; from_name: string | null; from_address: string | null; reply_to: string | null; smtp_host: string | null; unsubscribe_secret: string | null }>(
    'email_context',
    CONTEXT_SQL,
    [tenantId],
  );
  const r = rows[0];
  if (!r) throw new Error(`tenant ${tenantId} not found`);
  const name = r.from_name ?? r.name;
  const dep = emailDeployment().smtp;
  const own = r.smtp_host !== null && r.from_address !== null;
  return {
    tenantName: r.name,
    from: own ? { name, address: r.from_address! } : dep ? { name, address: dep.from } : null,
    replyTo: r.reply_to,
    smtp: own ? 'tenant' : dep ? 'default' : null,
    unsubscribeSecret: r.unsubscribe_secret,
  };
}

const MEMBER_SQL = `SELECT m.email, m.email_opt_out, m.name, m.card_no, m.points::text, m.stored_value_fen::text, m.tier_code,
       (SELECT tier->>'name' FROM loyalty_settings ls
          JOIN loyalty_rule_versions v ON v.tenant_id = ls.tenant_id AND v.version = ls.version
          CROSS JOIN LATERAL jsonb_array_elements(v.tiers) tier
         WHERE ls.tenant_id = m.tenant_id AND tier->>'code' = m.tier_code LIMIT 1) AS tier_name,
       (SELECT o.name FROM org_nodes o WHERE o.tenant_id = m.tenant_id AND o.id = m.store_id) AS store_name
  FROM members m WHERE m.tenant_id = $1 AND m.id = $2::bigint`;

const SECRET_SQL = `INSERT INTO email_settings (tenant_id) VALUES ($1)
  ON CONFLICT (tenant_id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id RETURNING unsubscribe_secret`;

const SUPPRESSED_SQL = `INSERT INTO email_messages (tenant_id, kind, status, fail_reason, from_name, from_address, reply_to, recipient, subject,
                          body, html, unsubscribe_url, smtp, campaign_id, member_id, final_at)
  VALUES ($1, $2, 'suppressed', 'opted_out', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::bigint, $13::bigint, now())
  RETURNING id::text, created_at`;

/** The message row, its outbox row and a notification the dispatchers get at commit (once per
 * transaction), in one statement. */
const QUEUE_SQL = `WITH msg AS (
  INSERT INTO email_messages (tenant_id, kind, status, from_name, from_address, reply_to, recipient, subject, body, html,
                              unsubscribe_url, smtp, campaign_id, member_id)
  VALUES ($1, $2, 'queued', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::bigint, $13::bigint)
  RETURNING id, created_at
), box AS (
  INSERT INTO email_outbox (message_id, tenant_id, state, due_at) SELECT m.id, $1, 'queued', now() FROM msg m
)
SELECT m.id::text AS id, m.created_at,
       CASE WHEN current_setting('app.email_notified', true) IS DISTINCT FROM '1'
            THEN (SELECT set_config('app.email_notified', '1', true) FROM (SELECT pg_notify('email_outbox', '')) n) END AS notified
  FROM msg m`;

/**
 * Queues one email in the caller's transaction (bound to `input.tenantId`).
 * - to a member (`memberId`): the member's address unless `to` is given; template variables
 *   from the member; marketing to a member who unsubscribed → logged `suppressed`
 *   (failReason `opted_out`), not queued;
 * - marketing needs a member (its unsubscribe link names the member) and gets the footer and
 *   List-Unsubscribe headers;
 * - no SMTP server for the tenant (none of its own, no deployment one) → 409
 *   `email_not_configured`; bad input (address, template, empty or over-long) → 400; unknown
 *   member → 404 — nothing is written in these cases.
 */
export async function sendEmail(tx: Tx | Querier, input: SendEmailInput): Promise<SendEmailResult> {
  const q = typeof tx === 'function' ? tx : querier(tx);
  const path = { subject: 'body.subject', body: 'body.body', memberId: 'body.memberId', to: 'body.to', ...input.paths };
  for (const part of ['subject', 'body'] as const) {
    const unknown = unknownEmailVariables(input[part]);
    if (unknown.length > 0) {
      const message = `uses unknown variable${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `{${u}}`).join(', ')}`;
      throw badRequest(`${part} ${message}`, [{ path: path[part], message }]);
    }
  }
  if (input.kind === 'marketing' && !input.memberId) {
    throw badRequest('A marketing email goes to a member (its unsubscribe link names the member)', [{ path: path.memberId, message: 'is required for marketing email' }]);
  }
  if (!input.memberId && !input.to) throw badRequest('Give memberId or to', [{ path: path.to, message: 'is required without memberId' }]);
  let to: string | null = null;
  if (input.to) {
    const r = parseEmailAddress(input.to);
    if (!r.ok) throw badRequest(`to ${r.reason}`, [{ path: path.to, message: r.reason }]);
    to = r.address;
  }
  const ctx = input.context ?? (await emailContext(q, input.tenantId));
  if (!ctx.from || !ctx.smtp) {
    throw conflict('No SMTP server: set one in the email settings (or the deployment sets MEMBERDESK_SMTP_HOST)', 'email_not_configured');
  }
  const values: TemplateValues = { merchant: ctx.tenantName };
  let optedOut = false;
  if (input.memberId) {
    const [m] = await q<{
      email: string | null;
      email_opt_out: boolean;
      name: string | null;
      card_no: string;
      points: string;
      stored_value_fen: string;
      tier_code: string | null;
      tier_name: string | null;
      store_name: string | null;
    }>('email_member', MEMBER_SQL, [input.tenantId, input.memberId]);
    if (!m) throw new AppError(404, 'not_found', 'Member not found', [{ path: path.memberId, message: 'no such member' }]);
    if (!to) {
      if (!m.email) throw badRequest('The member has no email address', [{ path: path.memberId, message: 'has no email address' }]);
      to = m.email;
    }
    optedOut = m.email_opt_out;
    Object.assign(values, {
      name: m.name ?? '',
      cardNo: m.card_no,
      points: Number(m.points),
      tier: m.tier_name ?? m.tier_code ?? '',
      storedValue: yuan(Number(m.stored_value_fen)),
      store: m.store_name ?? '',
    });
  }
  let link: string | null = null;
  if (input.kind === 'marketing') {
    const secret = ctx.unsubscribeSecret ?? (await q<{ unsubscribe_secret: string }>('email_secret', SECRET_SQL, [input.tenantId]))[0]!.unsubscribe_secret;
    link = unsubscribeUrl(unsubscribeToken(secret, input.tenantId, input.memberId!));
  }
  const composed = composeEmail({ subject: input.subject, body: input.body, kind: input.kind, unsubscribeUrl: link }, values);
  if (!composed.ok) throw badRequest(`${composed.path} ${composed.message}`, [{ path: path[composed.path], message: composed.message }]);
  const { subject, text, html } = composed.value;
  const params = [
    input.tenantId,
    input.kind,
    ctx.from.name,
    ctx.from.address,
    ctx.replyTo,
    to!,
    subject,
    text,
    html,
    link,
    ctx.smtp,
    input.campaignId ?? null,
    input.memberId ?? null,
  ];
  const suppressed = input.kind === 'marketing' && optedOut;
  const [row] = await q<{ id: string; created_at: string | Date }>(suppressed ? 'email_suppressed' : 'email_queue', suppressed ? SUPPRESSED_SQL : QUEUE_SQL, params);
  return {
    id: row!.id,
    status: suppressed ? 'suppressed' : 'queued',
    failReason: suppressed ? 'opted_out' : null,
    kind: input.kind,
    from: ctx.from,
    replyTo: ctx.replyTo,
    to: to!,
    subject,
    text,
    memberId: input.memberId ?? null,
    campaignId: input.campaignId ?? null,
    createdAt: new Date(row!.created_at).toISOString(),
  };
}

// ------------------------------------------------------------------ views
export interface EmailView {
  id: string;
  channel: 'email';
  kind: EmailKind;
  status: Exclude<OutboundStatus, 'submitting' | 'delivered'>;
  failReason?: string;
  from: { name: string; address: string };
  replyTo?: string;
  to: string;
  subject: string;
  text: string;
  memberId?: string;
  campaignId?: string;
  attempts: number;
  nextAttemptAt?: string;
  /** the Message-ID header it was sent with */
  messageId?: string;
  smtpResponse?: string;
  createdAt: string;
  sentAt?: string;
  finalAt?: string;
}

const opt = <T>(v: T | null | undefined) => (v === null || v === undefined || v === '' ? undefined : v);
const iso = (d: Date | string | null | undefined) => (d === null || d === undefined ? undefined : new Date(d).toISOString());

export function sentEmailView(r: SendEmailResult): EmailView {
  return {
    id: r.id,
    channel: 'email',
    kind: r.kind,
    status: r.status,
    failReason: opt(r.failReason),
    from: r.from,
    replyTo: opt(r.replyTo),
    to: r.to,
    subject: r.subject,
    text: r.text,
    memberId: opt(r.memberId),
    campaignId: opt(r.campaignId),
    attempts: 0,
    createdAt: r.createdAt,
  };
}

type Row = Record<string, unknown>;
function emailView(r: Row): EmailView {
  return {
    id: String(r.id),
    channel: 'email',
    kind: r.kind as EmailKind,
    status: publicStatus(r.status as OutboundStatus) as EmailView['status'],
    failReason: opt(r.fail_reason as string | null),
    from: { name: String(r.from_name), address: String(r.from_address) },
    replyTo: opt(r.reply_to as string | null),
    to: String(r.recipient),
    subject: String(r.subject),
    text: String(r.body),
    memberId: opt(r.member_id as string | null),
    campaignId: opt(r.campaign_id as string | null),
    attempts: Number(r.attempts),
    nextAttemptAt: iso(r.next_attempt_at as Date | null),
    messageId: opt(r.smtp_message_id as string | null),
    smtpResponse: opt(r.smtp_response as string | null),
    createdAt: iso(r.created_at as Date)!,
    sentAt: iso(r.sent_at as Date | null),
    finalAt: iso(r.final_at as Date | null),
  };
}

/** Without members.pii the recipient address is masked (as member lists mask it). */
export const maskEmailView = (v: EmailView, pii: boolean): EmailView => (pii ? v : { ...v, to: maskEmail(v.to) });

const COLS = sql.raw(`id::text, kind, status, fail_reason, from_name, from_address, reply_to, recipient, subject, body,
  member_id::text, campaign_id::text, attempts, next_attempt_at, smtp_message_id, smtp_response, created_at, sent_at, final_at`);

export interface EmailQuery {
  status?: 'queued' | 'sent' | 'failed' | 'suppressed';
  memberId?: string;
  campaignId?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

/** The email log, newest first (keyset on the id). */
export async function listEmailMessages(tx: Tx, tenantId: string, q: EmailQuery) {
  const before = decodeCursor(q.cursor);
  let to: string | null = null;
  if (q.to !== undefined) {
    const r = parseEmailAddress(q.to);
    if (!r.ok) throw badRequest(`to ${r.reason}`, [{ path: 'querystring.to', message: r.reason }]);
    to = r.address;
  }
  const status = q.status === 'queued' ? sql`AND status IN ('queued', 'submitting')` : q.status ? sql`AND status = ${q.status}` : sql``;
  const { rows } = await tx.execute<Row>(sql`
    SELECT ${COLS} FROM email_messages
     WHERE tenant_id = ${tenantId} ${status}
       ${q.memberId ? sql`AND member_id = ${q.memberId}` : sql``}
       ${q.campaignId ? sql`AND campaign_id = ${q.campaignId}` : sql``}
       ${to ? sql`AND recipient = ${to}` : sql``}
       ${before ? sql`AND id < ${before}` : sql``}
     ORDER BY id DESC LIMIT ${q.limit + 1}`);
  const items = rows.slice(0, q.limit).map(emailView);
  return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!.id) : null };
}

export async function getEmailMessage(tx: Tx, tenantId: string, id: string): Promise<EmailView> {
  const { rows } = await tx.execute<Row>(sql`SELECT ${COLS} FROM email_messages WHERE tenant_id = ${tenantId} AND id = ${id}`);
  if (!rows[0]) throw notFound('Email message');
  return emailView(rows[0]);
}

// ------------------------------------------------------------------ settings
export interface EmailSettingsView {
  fromName: string | null;
  fromAddress: string | null;
  replyTo: string | null;
  /** The tenant's own SMTP server; null = the deployment's. The password is never shown. */
  smtp: { host: string; port: number; secure: boolean; user: string | null; passwordSet: boolean } | null;
  /** What email goes out as and through which server now (null: email cannot be sent). */
  effective: { from: { name: string; address: string }; replyTo: string | null; smtp: 'tenant' | 'default' } | null;
  defaultSmtpAvailable: boolean;
  updatedAt: string | null;
}

export async function getEmailSettings(tx: Tx, tenantId: string): Promise<EmailSettingsView> {
  const { rows } = await tx.execute<Row>(sql`
    SELECT from_name, from_address, reply_to, smtp_host, smtp_port, smtp_secure, smtp_user, smtp_password IS NOT NULL AS password_set, updated_at
      FROM email_settings WHERE tenant_id = ${tenantId}`);
  const r = rows[0];
  const ctx = await emailContext(tx, tenantId);
  return {
    fromName: (r?.from_name as string | null) ?? null,
    fromAddress: (r?.from_address as string | null) ?? null,
    replyTo: (r?.reply_to as string | null) ?? null,
    smtp: r?.smtp_host
      ? { host: String(r.smtp_host), port: Number(r.smtp_port), secure: Boolean(r.smtp_secure), user: (r.smtp_user as string | null) ?? null, passwordSet: Boolean(r.password_set) }
      : null,
    effective: ctx.from && ctx.smtp ? { from: ctx.from, replyTo: ctx.replyTo, smtp: ctx.smtp } : null,
    defaultSmtpAvailable: emailDeployment().smtp !== null,
    updatedAt: iso(r?.updated_at as Date | undefined) ?? null,
  };
}

export interface EmailSettingsPatch {
  fromName?: string | null;
  fromAddress?: string | null;
  replyTo?: string | null;
  /** null: use the deployment's server. `password` left out keeps the stored one; null clears it. */
  smtp?: { host: string; port: number; secure?: boolean; user?: string | null; password?: string | null } | null;
}

const HOST = /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\[?[0-9A-Fa-f:.]+\]?$/;

function address(raw: string | null | undefined, path: string): string | null | undefined {
  if (raw === undefined || raw === null) return raw;
  const r = parseEmailAddress(raw);
  if (!r.ok) throw badRequest(`${path.split('.').pop()} ${r.reason}`, [{ path, message: r.reason }]);
  return r.address;
}

/** Changes the sender settings (fields left out keep their value). Audited without the password. */
export async function updateEmailSettings(tx: Tx, actor: TenantActor, patch: EmailSettingsPatch): Promise<EmailSettingsView> {
  const fromAddress = address(patch.fromAddress, 'body.fromAddress');
  const replyTo = address(patch.replyTo, 'body.replyTo');
  if (patch.fromName !== undefined && patch.fromName !== null && (hasControlChars(patch.fromName) || patch.fromName.trim() === '')) {
    throw badRequest('fromName must be one line of text', [{ path: 'body.fromName', message: 'must be one line of text, not empty' }]);
  }
  if (patch.smtp) {
    if (!HOST.test(patch.smtp.host)) throw badRequest('smtp.host is not a host name or IP address', [{ path: 'body.smtp.host', message: 'is not a host name or IP address' }]);
    const literal = patch.smtp.host.replace(/^\[(.*)\]$/, '$1');
    const internal = isIP(literal) ? !isPublicAddress(literal) : /^localhost\.?$/i.test(literal);
    if (internal && !emailDeployment().allowPrivateTenantSmtp) {
      throw badRequest('smtp.host must be a server on the internet', [{ path: 'body.smtp.host', message: 'is a loopback, private or link-local address' }]);
    }
    for (const k of ['user', 'password'] as const) {
      const v = patch.smtp[k];
      if (typeof v === 'string' && hasControlChars(v)) throw badRequest(`smtp.${k} must not contain control characters`, [{ path: `body.smtp.${k}`, message: 'must not contain control characters' }]);
    }
  }
  await tx.execute(sql`INSERT INTO email_settings (tenant_id) VALUES (${actor.tenantId}) ON CONFLICT (tenant_id) DO NOTHING`);
  const { rows } = await tx.execute<Row>(sql`SELECT from_address, smtp_host FROM email_settings WHERE tenant_id = ${actor.tenantId} FOR UPDATE`);
  const cur = rows[0]!;
  const nextFrom = fromAddress !== undefined ? fromAddress : (cur.from_address as string | null);
  const nextHost = patch.smtp !== undefined ? (patch.smtp?.host ?? null) : (cur.smtp_host as string | null);
  if (nextHost !== null && nextFrom === null) {
    throw badRequest('An own SMTP server needs a from address', [{ path: 'body.fromAddress', message: 'is required with an own SMTP server' }]);
  }
  const sets = [sql`updated_at = now()`];
  if (patch.fromName !== undefined) sets.push(sql`from_name = ${patch.fromName === null ? null : patch.fromName.trim()}`);
  if (fromAddress !== undefined) sets.push(sql`from_address = ${fromAddress}`);
  if (replyTo !== undefined) sets.push(sql`reply_to = ${replyTo}`);
  if (patch.smtp === null) {
    sets.push(sql`smtp_host = NULL, smtp_port = NULL, smtp_secure = false, smtp_user = NULL, smtp_password = NULL`);
  } else if (patch.smtp) {
    const s = patch.smtp;
    sets.push(sql`smtp_host = ${s.host}, smtp_port = ${s.port}, smtp_secure = ${s.secure ?? s.port === 465}, smtp_user = ${s.user ?? null}`);
    if (s.password !== undefined) sets.push(sql`smtp_password = ${s.password}`);
  }
  await tx.execute(sql`UPDATE email_settings SET ${sql.join(sets, sql`, `)} WHERE tenant_id = ${actor.tenantId}`);
  const detail: Record<string, unknown> = { ...patch };
  if (patch.smtp) detail.smtp = { ...patch.smtp, password: patch.smtp.password === undefined ? undefined : patch.smtp.password === null ? null : '(set)' };
  await audit(tx, { tenantId: actor.tenantId, type: actor.type, id: actor.id, name: actor.name, ip: actor.ip }, 'email.settings_update', null, detail);
  return getEmailSettings(tx, actor.tenantId);
}

// ------------------------------------------------------------------ unsubscribe
/** The member named by a valid unsubscribe token of this tenant stops getting marketing email.
 * Returns false for a token that does not verify. Idempotent. */
export async function unsubscribe(tx: Tx, tenantId: string, token: string): Promise<boolean> {
  const { rows } = await tx.execute<{ unsubscribe_secret: string }>(sql`SELECT unsubscribe_secret FROM email_settings WHERE tenant_id = ${tenantId}`);
  if (!rows[0]) return false;
  const who = verifyUnsubscribeToken(rows[0].unsubscribe_secret, token);
  if (!who || who.tenantId !== tenantId) return false;
  const { rows: changed } = await tx.execute<{ id: string }>(
    sql`UPDATE members SET email_opt_out = true, updated_at = now() WHERE tenant_id = ${tenantId} AND id = ${who.memberId} AND NOT email_opt_out RETURNING id::text`,
  );
  if (changed[0]) {
    await recordChange(tx, systemActor(tenantId, 'Email unsubscribe'), who.memberId, 'email_opt_out', { emailOptOut: false }, { emailOptOut: true }, 'unsubscribe link');
  }
  return true;
}
