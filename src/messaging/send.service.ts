/**
 * Sending: compose, check opt-out and quiet hours, debit the credit and queue for the
 * dispatcher — all inside the caller's tenant-bound transaction, in two statements (the
 * tenant's sending context, then one statement that debits, logs, writes the ledger and the
 * outbox row and notifies the dispatcher at commit).
 */
import { sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import type { Tx } from '../platform/db/with-tenant.js';
import { badRequest } from '../platform/http/problem.js';
import { composeSms, DEFAULT_OPT_OUT_HINT, type SmsKind } from './compose.rules.js';
import { tenantPort } from './config.js';
import { gatewayAddress, parseRecipient } from './phone.js';
import { DEFAULT_QUIET_HOURS, releaseTime, type QuietHours } from './schedule.rules.js';

export interface SendSmsInput {
  tenantId: string;
  /** Recipient in any common form ('13800138000', '+86 138-0013-8000'). */
  to: string;
  /** The body; the signature (and for marketing the opt-out hint) are added here. */
  text: string;
  kind: SmsKind;
  memberId?: string | null;
  campaignId?: string | null;
  /** Digits appended to the tenant port so replies are matched to this message. */
  subCode?: string | null;
  /** Inbox thread the message answers (shown in the thread). */
  threadId?: string | null;
  /** Field path for 400s about the text (default body.text). */
  textPath?: string;
  /** The tenant's sending context when the caller already has it (batches). */
  context?: SmsContext;
}

export interface SendSmsResult {
  id: string;
  status: 'queued' | 'failed' | 'suppressed';
  failReason: string | null;
  segments: number;
  costFen: number;
  /** When the dispatcher may submit it (later than now in quiet hours). */
  dueAt: string | null;
  /** Waiting for the end of quiet hours. */
  held: boolean;
  from: string;
  to: string;
  text: string;
  kind: SmsKind;
  subCode: string;
  createdAt: string;
}

export interface SmsContext {
  name: string;
  priceFen: number;
  timezone: string;
  extension: string;
  quiet: QuietHours;
  optOutHint: string;
}

/** The tenant's sending context (name for the signature, price, timezone, quiet hours, hint). */
export async function smsContext(tx: Tx | Querier, tenantId: string): Promise<SmsContext> {
  const q = typeof tx === 'function' ? tx : querier(tx);
  const rows = await q<{
    name: string;
    sms_price_fen: number;
    timezone: string;
    sms_extension: string;
    quiet_start: string | null;
    quiet_end: string | null;
    opt_out_hint: string | null;
  }>('sms_context', CONTEXT_SQL, [tenantId]);
  const r = rows[0];
  if (!r) throw new Error(`tenant ${tenantId} not found`);
  return {
    name: r.name,
    priceFen: Number(r.sms_price_fen),
    timezone: r.timezone,
    extension: r.sms_extension,
    quiet: r.quiet_start && r.quiet_end ? { start: r.quiet_start, end: r.quiet_end } : DEFAULT_QUIET_HOURS,
    optOutHint: r.opt_out_hint ?? DEFAULT_OPT_OUT_HINT,
  };
}

/** Runs one statement, by name (a prepared statement on the connection when there is one). */
export type Querier = <R extends Record<string, unknown>>(name: string, text: string, values: unknown[]) => Promise<R[]>;

/** A querier on a pg client (named prepared statements: parsed and planned once per connection). */
export function clientQuerier(client: pg.PoolClient | pg.Client): Querier {
  return async <R extends Record<string, unknown>>(name: string, text: string, values: unknown[]) =>
    (await client.query<R>({ name, text, values })).rows;
}

/** A querier on a drizzle transaction: its pg client when reachable, else drizzle's execute. */
export function querier(tx: Tx): Querier {
  const client = (tx as unknown as { session?: { client?: unknown } }).session?.client;
  if (client && typeof (client as pg.PoolClient).query === 'function' && !(client instanceof pg.Pool)) return clientQuerier(client as pg.PoolClient);
  return async <R extends Record<string, unknown>>(_name: string, text: string, values: unknown[]) => {
    const parts = text.split(/\$(\d+)/);
    const chunks: SQL[] = parts.map((part, i) => (i % 2 === 0 ? sql.raw(part) : sql`${sql.param(values[Number(part) - 1])}`));
    return (await tx.execute(sql.join(chunks, sql.raw('')))).rows as R[];
  };
}

const CONTEXT_SQL = `SELECT t.name, t.sms_price_fen, t.timezone, t.sms_extension, s.quiet_start, s.quiet_end, s.opt_out_hint
  FROM tenants t LEFT JOIN sms_settings s ON s.tenant_id = t.id WHERE t.id = $1`;

const OPTED_OUT_BY_ID_SQL = `SELECT sms_opt_out AS opted_out FROM members WHERE tenant_id = $1 AND id = $2::bigint`;
const OPTED_OUT_BY_PHONE_SQL = `SELECT bool_or(sms_opt_out) AS opted_out FROM members WHERE tenant_id = $1 AND phone = $2`;

const SUPPRESSED_SQL = `INSERT INTO sms_outbound (tenant_id, kind, status, fail_reason, sender, recipient, body, encoding, segments, cost_fen,
                          sub_code, campaign_id, member_id, thread_id, final_at)
  VALUES ($1, $2, 'suppressed', 'opted_out', $3, $4, $5, $6, $7, 0, $8, $9::bigint, $10::bigint, $11::bigint, now())
  RETURNING id::text, created_at`;

/** Debit if the credit covers it, log the message (queued, or failed/no_credit), the ledger row,
 * the outbox row, and a notification the dispatchers receive at commit (once per transaction). */
const QUEUE_SQL = `WITH debit AS (
  UPDATE tenants SET credit_fen = credit_fen - $2::bigint WHERE id = $1 AND credit_fen >= $2::bigint RETURNING credit_fen
), msg AS (
  INSERT INTO sms_outbound (tenant_id, kind, status, fail_reason, sender, recipient, body, encoding, segments, cost_fen,
                            sub_code, campaign_id, member_id, thread_id, next_attempt_at, final_at)
  SELECT $1, $3, CASE WHEN d.credit_fen IS NULL THEN 'failed' ELSE 'queued' END, CASE WHEN d.credit_fen IS NULL THEN 'no_credit' END,
         $4, $5, $6, $7, $8::int, CASE WHEN d.credit_fen IS NULL THEN 0 ELSE $2::bigint END,
         $9, $10::bigint, $11::bigint, $12::bigint, CASE WHEN $15::boolean THEN $13::timestamptz END,
         CASE WHEN d.credit_fen IS NULL THEN now() END
    FROM (SELECT 1) one LEFT JOIN debit d ON true
  RETURNING id, status, created_at
), ledger AS (
  INSERT INTO sms_credit_ledger (tenant_id, delta_fen, balance_after_fen, reason, ref_type, ref_id)
  SELECT $1, -$2::bigint, d.credit_fen, 'sms_send', 'sms_message', m.id::text FROM debit d, msg m WHERE $2::bigint > 0
), box AS (
  INSERT INTO sms_outbox (message_id, tenant_id, state, due_at, sender, recipient, body, segments, cost_fen)
  SELECT m.id, $1, 'queued', $13::timestamptz, $4, $14, $6, $8::int, $2::bigint FROM msg m WHERE m.status = 'queued'
)
SELECT m.id::text AS id, m.status, m.created_at,
       CASE WHEN m.status = 'queued' AND NOT $15::boolean AND current_setting('app.sms_notified', true) IS DISTINCT FROM '1'
            THEN (SELECT set_config('app.sms_notified', '1', true) FROM (SELECT pg_notify('sms_outbox', '')) n) END AS notified
  FROM msg m`;

/**
 * Queues one SMS in the caller's transaction (bound to `input.tenantId`).
 * - marketing to an opted-out member → logged `suppressed` (failReason `opted_out`), not billed;
 * - credit short → logged `failed` (failReason `no_credit`), not submitted, credit unchanged;
 * - otherwise credit − segments × price, a ledger row, the outbox row; marketing in quiet hours
 *   waits (dueAt = end of quiet hours in the tenant's timezone).
 * Bad input (phone, empty or over-long text, sub-code) → 400 before anything is written.
 */
export async function sendSms(tx: Tx | Querier, input: SendSmsInput, now = new Date()): Promise<SendSmsResult> {
  const q = typeof tx === 'function' ? tx : querier(tx);
  const to = parseRecipient(input.to);
  const subCode = input.subCode ?? '';
  if (!/^[0-9]{0,6}$/.test(subCode)) throw badRequest('subCode must be up to 6 digits', [{ path: 'body.subCode', message: 'must be up to 6 digits' }]);
  const ctx = input.context ?? (await smsContext(q, input.tenantId));
  const composed = composeSms({ tenantName: ctx.name, kind: input.kind, body: input.text, optOutHint: ctx.optOutHint });
  const textPath = input.textPath ?? 'body.text';
  if (!composed.ok) {
    const message = composed.reason === 'empty' ? 'must not be empty' : `is too long (${composed.length} characters with signature; at most 500)`;
    throw badRequest(`text ${message}`, [{ path: textPath, message }]);
  }
  const { text, segments, encoding } = composed.value;
  const from = tenantPort(ctx.extension) + subCode;
  const base = {
    tenantId: input.tenantId,
    kind: input.kind,
    from,
    to,
    text,
    encoding,
    segments,
    subCode,
    campaignId: input.campaignId ?? null,
    memberId: input.memberId ?? null,
    threadId: input.threadId ?? null,
  };

  if (input.kind === 'marketing') {
    const rows = await q<{ opted_out: boolean | null }>(
      input.memberId ? 'sms_opted_out_by_id' : 'sms_opted_out_by_phone',
      input.memberId ? OPTED_OUT_BY_ID_SQL : OPTED_OUT_BY_PHONE_SQL,
      [input.tenantId, input.memberId ?? to],
    );
    if (rows[0]?.opted_out) {
      const ins = await q<{ id: string; created_at: string | Date }>('sms_suppressed', SUPPRESSED_SQL, [
        base.tenantId,
        base.kind,
        from,
        to,
        text,
        encoding,
        segments,
        subCode,
        base.campaignId,
        base.memberId,
        base.threadId,
      ]);
      return {
        id: ins[0]!.id,
        status: 'suppressed',
        failReason: 'opted_out',
        segments,
        costFen: 0,
        dueAt: null,
        held: false,
        from,
        to,
        text,
        kind: input.kind,
        subCode,
        createdAt: new Date(ins[0]!.created_at).toISOString(),
      };
    }
  }

  const due = input.kind === 'marketing' ? releaseTime(now, ctx.timezone, ctx.quiet) : now;
  const held = due.getTime() > now.getTime();
  const cost = segments * ctx.priceFen;
  const rows = await q<{ id: string; status: 'queued' | 'failed'; created_at: string | Date }>('sms_queue', QUEUE_SQL, [
    base.tenantId,
    cost,
    base.kind,
    from,
    to,
    text,
    encoding,
    segments,
    subCode,
    base.campaignId,
    base.memberId,
    base.threadId,
    due.toISOString(),
    gatewayAddress(to),
    held,
  ]);
  const row = rows[0]!;
  const ok = row.status === 'queued';
  return {
    id: row.id,
    status: row.status,
    failReason: ok ? null : 'no_credit',
    segments,
    costFen: ok ? cost : 0,
    dueAt: ok ? due.toISOString() : null,
    held: ok && held,
    from,
    to,
    text,
    kind: input.kind,
    subCode,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
