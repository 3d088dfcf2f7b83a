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

/** A message as it will be written, before anything is: recipient and sub-code checked, text
 * composed (signature, opt-out hint), port, cost and release time (quiet hours for marketing).
 * Bad input → 400. */
function prepareSms(ctx: SmsContext, m: { to: string; text: string; kind: SmsKind; subCode?: string | null }, now: Date, textPath = 'body.text') {
  const to = parseRecipient(m.to);
  const subCode = m.subCode ?? '';
  if (!/^[0-9]{0,6}$/.test(subCode)) throw badRequest('subCode must be up to 6 digits', [{ path: 'body.subCode', message: 'must be up to 6 digits' }]);
  const composed = composeSms({ tenantName: ctx.name, kind: m.kind, body: m.text, optOutHint: ctx.optOutHint });
  if (!composed.ok) {
    const message = composed.reason === 'empty' ? 'must not be empty' : `is too long (${composed.length} characters with signature; at most 500)`;
    throw badRequest(`text ${message}`, [{ path: textPath, message }]);
  }
  const { text, segments, encoding } = composed.value;
  const due = m.kind === 'marketing' ? releaseTime(now, ctx.timezone, ctx.quiet) : now;
  return { to, subCode, text, segments, encoding, from: tenantPort(ctx.extension) + subCode, cost: segments * ctx.priceFen, due, held: due.getTime() > now.getTime() };
}

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
  const ctx = input.context ?? (await smsContext(q, input.tenantId));
  const { to, subCode, text, segments, encoding, from, cost, due, held } = prepareSms(ctx, input, now, input.textPath);
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

/** One message of a batch to members (a campaign's batch): like `SendSmsInput`, with a member. */
export interface BatchSmsItem {
  to: string;
  text: string;
  kind: SmsKind;
  memberId: string;
  campaignId?: string | null;
  subCode?: string | null;
}

export type BatchSmsResult = { ok: true; id: string; status: 'queued' | 'failed' | 'suppressed'; failReason: string | null } | { ok: false; error: unknown };

const OPTED_OUT_MANY_SQL = `SELECT id::text FROM members WHERE tenant_id = $1 AND id = ANY($2::bigint[]) AND sms_opt_out`;

const SUPPRESSED_MANY_SQL = `INSERT INTO sms_outbound (tenant_id, kind, status, fail_reason, sender, recipient, body, encoding, segments, cost_fen,
                          sub_code, campaign_id, member_id, final_at)
  SELECT $1, u.kind, 'suppressed', 'opted_out', u.sender, u.recipient, u.body, u.encoding, u.segments, 0, u.sub_code, u.campaign_id, u.member_id, now()
    FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::bigint[], $10::bigint[])
      AS u(kind, sender, recipient, body, encoding, segments, sub_code, campaign_id, member_id)
  RETURNING id::text, member_id::text`;

/** QUEUE_SQL for many messages: the batch's cost is debited at once (or nothing is written), and
 * each message gets its ledger row (running balance in batch order) and its outbox row. */
const QUEUE_MANY_SQL = `WITH debit AS (
  UPDATE tenants SET credit_fen = credit_fen - $2::bigint WHERE id = $1 AND credit_fen >= $2::bigint RETURNING credit_fen
), u AS (
  SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::bigint[], $10::text[], $11::bigint[], $12::bigint[],
                       $13::timestamptz[], $14::text[], $15::boolean[])
    WITH ORDINALITY AS u(kind, sender, recipient, body, encoding, segments, cost, sub_code, campaign_id, member_id, due_at, address, held, ord)
), msg AS (
  INSERT INTO sms_outbound (tenant_id, kind, status, sender, recipient, body, encoding, segments, cost_fen, sub_code, campaign_id, member_id, next_attempt_at)
  SELECT $1, u.kind, 'queued', u.sender, u.recipient, u.body, u.encoding, u.segments, u.cost, u.sub_code, u.campaign_id, u.member_id,
         CASE WHEN u.held THEN u.due_at END
    FROM u WHERE EXISTS (SELECT 1 FROM debit)
  RETURNING id, member_id
), joined AS (
  SELECT m.id, u.*, (SELECT credit_fen FROM debit) + $2::bigint - sum(u.cost) OVER (ORDER BY u.ord) AS balance_after
    FROM msg m JOIN u ON u.member_id = m.member_id
), ledger AS (
  INSERT INTO sms_credit_ledger (tenant_id, delta_fen, balance_after_fen, reason, ref_type, ref_id)
  SELECT $1, -j.cost, j.balance_after, 'sms_send', 'sms_message', j.id::text FROM joined j WHERE j.cost > 0
), box AS (
  INSERT INTO sms_outbox (message_id, tenant_id, state, due_at, sender, recipient, body, segments, cost_fen)
  SELECT j.id, $1, 'queued', j.due_at, j.sender, j.address, j.body, j.segments, j.cost FROM joined j
), note AS (
  SELECT CASE WHEN bool_or(NOT u.held) AND current_setting('app.sms_notified', true) IS DISTINCT FROM '1'
              THEN (SELECT set_config('app.sms_notified', '1', true) FROM (SELECT pg_notify('sms_outbox', '')) n) END AS notified
    FROM u WHERE EXISTS (SELECT 1 FROM debit)
)
SELECT j.id::text AS id, j.member_id::text AS member_id FROM joined j CROSS JOIN note`;

/**
 * Queues many messages to distinct members in the caller's transaction, with exactly the
 * outcomes `sendSms` would give each in order, in three statements instead of two per message
 * (a campaign batch of 500 was 1,000 round trips). When the credit does not cover the whole
 * batch, the messages go one by one through `sendSms`, so the credit runs out where it would.
 */
export async function sendSmsBatch(tx: Tx, tenantId: string, ctx: SmsContext, items: BatchSmsItem[], now = new Date()): Promise<BatchSmsResult[]> {
  const q = querier(tx);
  const results: BatchSmsResult[] = new Array(items.length);
  if (new Set(items.map((i) => i.memberId)).size !== items.length) throw new Error('sendSmsBatch: one message per member');
  const prepared: ({ i: number; kind: SmsKind } & ReturnType<typeof prepareSms>)[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    try {
      prepared.push({ i, kind: item.kind, ...prepareSms(ctx, item, now) });
    } catch (error) {
      results[i] = { ok: false, error };
    }
  }
  const marketing = prepared.filter((p) => p.kind === 'marketing').map((p) => items[p.i]!.memberId);
  const optedOut = new Set(marketing.length ? (await q<{ id: string }>('sms_opted_out_many', OPTED_OUT_MANY_SQL, [tenantId, marketing])).map((r) => r.id) : []);
  const suppressed = prepared.filter((p) => p.kind === 'marketing' && optedOut.has(items[p.i]!.memberId));
  const queued = prepared.filter((p) => !(p.kind === 'marketing' && optedOut.has(items[p.i]!.memberId)));
  const col = <T>(list: typeof prepared, f: (p: (typeof prepared)[number], item: BatchSmsItem) => T) => list.map((p) => f(p, items[p.i]!));

  if (suppressed.length > 0) {
    const rows = await q<{ id: string; member_id: string }>('sms_suppressed_many', SUPPRESSED_MANY_SQL, [
      tenantId, col(suppressed, (p) => p.kind), col(suppressed, (p) => p.from), col(suppressed, (p) => p.to), col(suppressed, (p) => p.text),
      col(suppressed, (p) => p.encoding), col(suppressed, (p) => p.segments), col(suppressed, (p) => p.subCode),
      col(suppressed, (_, it) => it.campaignId ?? null), col(suppressed, (_, it) => it.memberId),
    ]);
    const byMember = new Map(rows.map((r) => [r.member_id, r.id]));
    for (const p of suppressed) results[p.i] = { ok: true, id: byMember.get(items[p.i]!.memberId)!, status: 'suppressed', failReason: 'opted_out' };
  }

  if (queued.length > 0) {
    const total = queued.reduce((s, p) => s + p.cost, 0);
    const rows = await q<{ id: string; member_id: string }>('sms_queue_many', QUEUE_MANY_SQL, [
      tenantId, total, col(queued, (p) => p.kind), col(queued, (p) => p.from), col(queued, (p) => p.to), col(queued, (p) => p.text),
      col(queued, (p) => p.encoding), col(queued, (p) => p.segments), col(queued, (p) => p.cost), col(queued, (p) => p.subCode),
      col(queued, (_, it) => it.campaignId ?? null), col(queued, (_, it) => it.memberId), col(queued, (p) => p.due.toISOString()),
      col(queued, (p) => gatewayAddress(p.to)), col(queued, (p) => p.held),
    ]);
    if (rows.length === queued.length) {
      const byMember = new Map(rows.map((r) => [r.member_id, r.id]));
      for (const p of queued) results[p.i] = { ok: true, id: byMember.get(items[p.i]!.memberId)!, status: 'queued', failReason: null };
    } else {
      // the credit does not cover the batch (nothing was written): one by one, in order
      for (const p of queued) {
        const it = items[p.i]!;
        const r = await sendSms(tx, { tenantId, to: it.to, text: it.text, kind: it.kind, memberId: it.memberId, campaignId: it.campaignId, subCode: it.subCode, context: ctx }, now);
        results[p.i] = { ok: true, id: r.id, status: r.status, failReason: r.failReason };
      }
    }
  }
  return results;
}
