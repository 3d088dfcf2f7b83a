/**
 * Automated care: the merchant's rules, the log of care messages, and the run that finds due
 * members with set-based SQL (in batches, keyset-ordered) and sends to them.
 *
 * Once per member per occasion: a batch's transaction takes a transaction-scoped advisory lock
 * on (tenant, rule) — so two workers never interleave on one rule — selects candidates that have
 * no care_sends row for their occasion, inserts the care_sends rows (unique key (tenant_id,
 * rule_id, member_id, occasion), ON CONFLICT DO NOTHING), queues the messages with
 * sendSms / sendEmail in the same transaction, and records their ids. A crash before the commit
 * leaves neither the rows nor the messages; after it both exist and the occasion never comes back.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../platform/db/client.js';
import { withTenant, type Tx } from '../platform/db/with-tenant.js';
import { AppError, badRequest, notFound } from '../platform/http/problem.js';
import { decodeCursor, encodeCursor, type Page } from '../platform/http/pagination.js';
import type { TenantActor } from '../platform/http/auth.js';
import { audit } from '../platform/tenancy/audit.js';
import { maskName, maskPhone } from '../members/index.js';
import { emailContext, renderTemplate, sendEmail, sendSms, smsContext, type EmailContext, type SmsContext } from '../messaging/index.js';
import { addDays, localDate, startOfLocalDay, type LocalDate } from '../loyalty/index.js';
import {
  birthdaysGreeted,
  CARE_KINDS,
  CARE_MESSAGE_KIND,
  checkCareRule,
  defaultRule,
  isDayKind,
  phoneText,
  sendTimeReached,
  yuanText,
  type CareChannel,
  type CareKind,
  type CareRuleInput,
} from './care.rules.js';

// ------------------------------------------------------------------ rules
export interface CareRuleView {
  id: string | null;
  kind: CareKind;
  enabled: boolean;
  channel: CareChannel;
  subject: string | null;
  template: string;
  sendTime: string;
  days: number | null;
  minPoints: number | null;
  messageKind: 'marketing' | 'service';
  updatedBy: string | null;
  updatedAt: string | null;
}

interface RuleRow {
  id: string;
  kind: CareKind;
  enabled: boolean;
  channel: CareChannel;
  subject: string | null;
  template: string;
  send_time: string;
  days: number | null;
  min_points: string | null;
  enabled_at: string | Date | null;
  event_cursor: string;
  done_on: string | null;
  updated_by: string;
  updated_at: string | Date;
  [k: string]: unknown;
}

const RULE_COLUMNS = `id::text, kind, enabled, channel, subject, template, to_char(send_time, 'HH24:MI') AS send_time, days,
  min_points::text, enabled_at, event_cursor::text, to_char(done_on, 'YYYY-MM-DD') AS done_on, updated_by, updated_at`;

const ruleView = (r: RuleRow): CareRuleView => ({
  id: r.id,
  kind: r.kind,
  enabled: r.enabled,
  channel: r.channel,
  subject: r.subject,
  template: r.template,
  sendTime: r.send_time,
  days: r.days,
  minPoints: r.min_points === null ? null : Number(r.min_points),
  messageKind: CARE_MESSAGE_KIND[r.kind],
  updatedBy: r.updated_by,
  updatedAt: new Date(r.updated_at).toISOString(),
});

async function ruleRows(tx: Tx, tenantId: string): Promise<RuleRow[]> {
  const r = await tx.execute(sql`SELECT ${sql.raw(RULE_COLUMNS)} FROM care_rules WHERE tenant_id = ${tenantId} ORDER BY id`);
  return r.rows as RuleRow[];
}

/** All five kinds, in CARE_KINDS order; a kind never saved shows its (switched off) default. */
export async function listRules(tx: Tx, tenantId: string): Promise<CareRuleView[]> {
  const rows = new Map((await ruleRows(tx, tenantId)).map((r) => [r.kind, r]));
  return CARE_KINDS.map((kind) => {
    const r = rows.get(kind);
    if (r) return ruleView(r);
    return { id: null, kind, ...defaultRule(kind), messageKind: CARE_MESSAGE_KIND[kind], updatedBy: null, updatedAt: null };
  });
}

/** The table whose ids an event kind follows. */
const EVENT_TABLE: Partial<Record<CareKind, string>> = { tier_upgrade: 'loyalty_tier_changes', points_change: 'loyalty_ledger' };

/** Saves the rule of a kind (replacing what was there). Switching it on starts event kinds at
 * the events from now on. */
export async function putRule(tx: Tx, actor: TenantActor, kind: CareKind, input: CareRuleInput): Promise<CareRuleView> {
  const checked = checkCareRule(kind, input);
  if (!checked.ok) throw badRequest(checked.errors.map((e) => `${e.path} ${e.message}`).join('; '), checked.errors);
  const v = checked.value;
  const table = EVENT_TABLE[kind];
  const cursorSql = table ? sql.raw(`(SELECT coalesce(max(id), 0) FROM ${table} WHERE tenant_id = ${Number(actor.tenantId)})`) : sql`0`;
  const res = await tx.execute(sql`
    INSERT INTO care_rules AS r (tenant_id, kind, enabled, channel, subject, template, send_time, days, min_points, enabled_at, event_cursor, updated_by)
    VALUES (${actor.tenantId}, ${kind}, ${v.enabled}, ${v.channel}, ${v.subject}, ${v.template}, ${v.sendTime}::time, ${v.days}, ${v.minPoints},
            CASE WHEN ${v.enabled}::boolean THEN now() END, ${cursorSql}, ${actor.name})
    ON CONFLICT (tenant_id, kind) DO UPDATE SET
      enabled = EXCLUDED.enabled, channel = EXCLUDED.channel, subject = EXCLUDED.subject, template = EXCLUDED.template,
      send_time = EXCLUDED.send_time, days = EXCLUDED.days, min_points = EXCLUDED.min_points,
      enabled_at = CASE WHEN EXCLUDED.enabled AND NOT r.enabled THEN now() WHEN EXCLUDED.enabled THEN r.enabled_at END,
      event_cursor = CASE WHEN EXCLUDED.enabled AND NOT r.enabled THEN EXCLUDED.event_cursor ELSE r.event_cursor END,
      done_on = CASE WHEN EXCLUDED.days IS DISTINCT FROM r.days OR EXCLUDED.send_time <> r.send_time THEN NULL ELSE r.done_on END,
      updated_by = EXCLUDED.updated_by, updated_at = now()
    RETURNING ${sql.raw(RULE_COLUMNS)}`);
  const row = res.rows[0] as RuleRow;
  await audit(tx, actor, 'care_rule.update', { type: 'care_rule', id: row.id }, { kind, ...v });
  return ruleView(row);
}

// ------------------------------------------------------------------ the log
export interface CareSendView {
  id: string;
  ruleId: string;
  kind: CareKind;
  channel: CareChannel;
  memberId: string;
  memberName: string | null;
  phone: string;
  occasion: string;
  messageId: string | null;
  status: string;
  failReason: string | null;
  sentAt: string;
}

export interface CareSendQuery {
  kind?: CareKind;
  memberId?: string;
  limit: number;
  cursor?: string;
}

/** Care messages, newest first (keyset on id). Names and phones masked without members.pii. */
export async function listSends(tx: Tx, actor: TenantActor, q: CareSendQuery): Promise<Page<CareSendView>> {
  const before = decodeCursor(q.cursor);
  const conds = [sql`s.tenant_id = ${actor.tenantId}`];
  if (before) conds.push(sql`s.id < ${before}::bigint`);
  if (q.kind) conds.push(sql`s.kind = ${q.kind}`);
  if (q.memberId) conds.push(sql`s.member_id = ${q.memberId}::bigint`);
  const res = await tx.execute(sql`
    SELECT s.id::text, s.rule_id::text, s.kind, s.channel, s.member_id::text, m.name, m.phone, s.occasion, s.message_id::text,
           s.status, s.fail_reason, s.sent_at
      FROM care_sends s JOIN members m ON m.tenant_id = s.tenant_id AND m.id = s.member_id
     WHERE ${sql.join(conds, sql` AND `)}
     ORDER BY s.id DESC LIMIT ${q.limit + 1}`);
  const pii = actor.permissions.has('members.pii');
  const rows = res.rows as Record<string, string | null>[];
  const items = rows.slice(0, q.limit).map(
    (r): CareSendView => ({
      id: r.id!,
      ruleId: r.rule_id!,
      kind: r.kind as CareKind,
      channel: r.channel as CareChannel,
      memberId: r.member_id!,
      memberName: r.name == null ? null : pii ? r.name : maskName(r.name),
      phone: pii ? r.phone! : maskPhone(r.phone!),
      occasion: r.occasion!,
      messageId: r.message_id ?? null,
      status: r.status!,
      failReason: r.fail_reason ?? null,
      sentAt: new Date(r.sent_at as unknown as string).toISOString(),
    }),
  );
  return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!.id) : null };
}

// ------------------------------------------------------------------ the run
export interface RunOptions {
  now?: Date;
  /** members (or events) per transaction (default 500) */
  batchSize?: number;
  /** a merchant's manual run: ignores the send time of day and the day's done mark */
  manual?: boolean;
  /** only this kind */
  kind?: CareKind;
}

export interface RuleRunResult {
  kind: CareKind;
  ruleId: string;
  /** not run (or stopped): 'before_send_time' | 'done_today' | 'email_not_configured' | 'no_credit' */
  skipped?: string;
  queued: number;
  suppressed: number;
  failed: number;
}

interface Candidate {
  k: string;
  member_id: string;
  occasion: string;
  phone: string;
  name: string | null;
  card_no: string;
  points: string;
  stored_value_fen: string;
  tier_code: string | null;
  store_name: string | null;
  [key: string]: unknown;
}

const MEMBER_COLS = sql`m.id::text AS member_id, m.phone, m.name, m.card_no, m.points::text, m.stored_value_fen::text, m.tier_code,
  (SELECT o.name FROM org_nodes o WHERE o.tenant_id = m.tenant_id AND o.id = m.store_id) AS store_name`;

interface RunCtx {
  tenantId: string;
  tz: string;
  now: Date;
  today: LocalDate;
  rule: RuleRow;
  batch: number;
}

/** Member conditions every kind shares: active; reachable on the channel; marketing kinds skip
 * members who opted out of the channel. */
function eligible(rule: RuleRow) {
  const parts = [sql`m.status = 'active'`];
  if (rule.channel === 'email') parts.push(sql`m.email IS NOT NULL`);
  if (CARE_MESSAGE_KIND[rule.kind] === 'marketing') parts.push(rule.channel === 'email' ? sql`NOT m.email_opt_out` : sql`NOT m.sms_opt_out`);
  return sql.join(parts, sql` AND `);
}

const notSent = (c: RunCtx, occasion: ReturnType<typeof sql>) =>
  sql`NOT EXISTS (SELECT 1 FROM care_sends s WHERE s.tenant_id = ${c.tenantId} AND s.rule_id = ${c.rule.id}::bigint AND s.member_id = m.id AND s.occasion = ${occasion})`;

/** One batch of due candidates after keyset position `after` (member id, or event id). */
function candidateQuery(c: RunCtx, after: string) {
  const t = c.tenantId;
  const rule = c.rule;
  const n = c.batch;
  switch (rule.kind) {
    case 'birthday': {
      const g = birthdaysGreeted(c.today, rule.days ?? 0);
      const occ = sql`${String(g.year)}::text`;
      return sql`SELECT m.id::text AS k, ${occ} AS occasion, ${MEMBER_COLS} FROM members m
        WHERE m.tenant_id = ${t} AND m.birthday IS NOT NULL AND care_month_day(m.birthday) = ANY(${sql.param(g.monthDays)}::int[])
          AND m.id > ${after}::bigint AND ${eligible(rule)} AND ${notSent(c, occ)}
        ORDER BY m.id LIMIT ${n}`;
    }
    case 'inactive': {
      // inactive for N days: no purchase since the start of local day today − N + 1
      const cutoff = startOfLocalDay(addDays(c.today, -(rule.days ?? 1) + 1), c.tz).toISOString();
      const occ = sql`coalesce('purchase:' || to_char(lp.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'joined')`;
      return sql`SELECT m.id::text AS k, ${occ} AS occasion, ${MEMBER_COLS} FROM members m
        LEFT JOIN LATERAL (SELECT t.occurred_at FROM loyalty_transactions t WHERE t.tenant_id = m.tenant_id AND t.member_id = m.id
                            ORDER BY t.occurred_at DESC LIMIT 1) lp ON true
        WHERE m.tenant_id = ${t} AND m.created_at < ${cutoff}::timestamptz AND m.id > ${after}::bigint AND ${eligible(rule)}
          AND (lp.occurred_at IS NULL OR lp.occurred_at < ${cutoff}::timestamptz) AND ${notSent(c, occ)}
        ORDER BY m.id LIMIT ${n}`;
    }
    case 'points_expiring': {
      // lots expiring before the end of local day today + N
      const horizon = startOfLocalDay(addDays(c.today, (rule.days ?? 1) + 1), c.tz).toISOString();
      const occ = sql`to_char(lot.exp AT TIME ZONE ${c.tz}, 'YYYY-MM-DD')`;
      return sql`SELECT m.id::text AS k, ${occ} AS occasion, ${MEMBER_COLS} FROM members m
        CROSS JOIN LATERAL (SELECT min(l.expires_at) AS exp FROM loyalty_point_lots l
                             WHERE l.tenant_id = m.tenant_id AND l.member_id = m.id AND l.remaining > 0 AND l.expires_at > ${c.now.toISOString()}::timestamptz) lot
        WHERE m.tenant_id = ${t} AND m.points_expire_at < ${horizon}::timestamptz AND m.points > 0 AND m.id > ${after}::bigint
          AND lot.exp < ${horizon}::timestamptz AND ${eligible(rule)} AND ${notSent(c, occ)}
        ORDER BY m.id LIMIT ${n}`;
    }
    case 'tier_upgrade': {
      const occ = sql`e.id::text`;
      return sql`SELECT e.id::text AS k, ${occ} AS occasion, ${MEMBER_COLS} FROM loyalty_tier_changes e
        JOIN members m ON m.tenant_id = e.tenant_id AND m.id = e.member_id
        WHERE e.tenant_id = ${t} AND e.id > ${after}::bigint AND e.direction = 'up' AND e.cause NOT IN ('opening_balance', 'rules_change') AND e.created_at >= ${rule.enabled_at}::timestamptz
          AND ${eligible(rule)} AND ${notSent(c, occ)}
        ORDER BY e.id LIMIT ${n}`;
    }
    case 'points_change': {
      const occ = sql`e.id::text`;
      return sql`SELECT e.id::text AS k, ${occ} AS occasion, ${MEMBER_COLS} FROM loyalty_ledger e
        JOIN members m ON m.tenant_id = e.tenant_id AND m.id = e.member_id
        WHERE e.tenant_id = ${t} AND e.id > ${after}::bigint AND e.kind = 'points' AND e.cause <> 'opening' AND abs(e.delta) >= ${rule.min_points ?? '1'}::bigint
          AND e.created_at >= ${rule.enabled_at}::timestamptz AND ${eligible(rule)} AND ${notSent(c, occ)}
        ORDER BY e.id LIMIT ${n}`;
    }
  }
}

const TIERS_SQL = sql`SELECT tier->>'code' AS code, tier->>'name' AS name FROM loyalty_settings ls
  JOIN loyalty_rule_versions v ON v.tenant_id = ls.tenant_id AND v.version = ls.version
  CROSS JOIN LATERAL jsonb_array_elements(v.tiers) tier WHERE ls.tenant_id = app_tenant_id()`;

interface Sent {
  careId: string;
  messageId: string | null;
  status: string;
  failReason: string | null;
}

/** Sends one batch in the caller's transaction; returns how the messages went. */
async function sendBatch(tx: Tx, c: RunCtx, rows: Candidate[], tiers: Map<string, string>, ctx: { sms?: SmsContext; email?: EmailContext }) {
  const rule = c.rule;
  const ins = await tx.execute(sql`
    INSERT INTO care_sends (tenant_id, rule_id, member_id, occasion, kind, channel, status)
    SELECT ${c.tenantId}, ${rule.id}::bigint, u.member_id, u.occasion, ${rule.kind}, ${rule.channel}, 'queued'
      FROM unnest(${sql.param(rows.map((r) => r.member_id))}::bigint[], ${sql.param(rows.map((r) => r.occasion))}::text[]) AS u(member_id, occasion)
    ON CONFLICT (tenant_id, rule_id, member_id, occasion) DO NOTHING
    RETURNING id::text, member_id::text, occasion`);
  const claimed = new Map((ins.rows as { id: string; member_id: string; occasion: string }[]).map((r) => [`${r.member_id}|${r.occasion}`, r.id]));
  const kind = CARE_MESSAGE_KIND[rule.kind];
  const out: Sent[] = [];
  const unspent: string[] = [];
  let noCredit = false;
  for (const m of rows) {
    const careId = claimed.get(`${m.member_id}|${m.occasion}`);
    if (!careId) continue; // another run greeted this occasion already
    claimed.delete(`${m.member_id}|${m.occasion}`);
    try {
      if (rule.channel === 'sms') {
        const text = renderTemplate(rule.template, {
          name: m.name ?? '',
          cardNo: m.card_no,
          points: Number(m.points),
          tier: m.tier_code ? (tiers.get(m.tier_code) ?? m.tier_code) : '',
          storedValue: yuanText(Number(m.stored_value_fen)),
          store: m.store_name ?? '',
          phone: phoneText(m.phone),
          merchant: ctx.sms!.name,
        });
        const r = await sendSms(tx, { tenantId: c.tenantId, to: m.phone, text, kind, memberId: m.member_id, context: ctx.sms, textPath: 'rule.template' }, c.now);
        if (r.status === 'failed' && r.failReason === 'no_credit') {
          // Out of credit: this occasion and the rest of the batch stay unspent (their care_sends
          // rows go), so they are greeted once the merchant tops up; the messaging log keeps the
          // failed message. The rule stops for this run.
          unspent.push(careId, ...claimed.values());
          noCredit = true;
          break;
        }
        out.push({ careId, messageId: r.id, status: r.status, failReason: r.failReason });
      } else {
        const r = await sendEmail(tx, { tenantId: c.tenantId, memberId: m.member_id, subject: rule.subject ?? '', body: rule.template, kind, context: ctx.email });
        out.push({ careId, messageId: r.id, status: r.status, failReason: r.failReason });
      }
    } catch (err) {
      // refused before anything was written (e.g. the rendered text is too long): recorded as
      // failed, so the occasion is not retried on every run
      if (!(err instanceof AppError)) throw err;
      out.push({ careId, messageId: null, status: 'failed', failReason: err.message.slice(0, 500) });
    }
  }
  if (out.length) {
    await tx.execute(sql`
      UPDATE care_sends s SET message_id = u.mid, status = u.st, fail_reason = u.fr
        FROM unnest(${sql.param(out.map((o) => o.careId))}::bigint[], ${sql.param(out.map((o) => o.messageId))}::bigint[],
                    ${sql.param(out.map((o) => o.status))}::text[], ${sql.param(out.map((o) => o.failReason))}::text[]) AS u(id, mid, st, fr)
       WHERE s.tenant_id = ${c.tenantId} AND s.id = u.id`);
  }
  if (unspent.length) await tx.execute(sql`DELETE FROM care_sends WHERE tenant_id = ${c.tenantId} AND id = ANY(${sql.param(unspent)}::bigint[])`);
  return { out, noCredit };
}

/** Runs the tenant's enabled rules that are due at `now`. */
export async function runTenantCare(db: Db, tenantId: string, opts: RunOptions = {}): Promise<RuleRunResult[]> {
  const now = opts.now ?? new Date();
  const batch = opts.batchSize ?? 500;
  const setup = await withTenant(db, tenantId, async (tx) => {
    const rules = (await ruleRows(tx, tenantId)).filter((r) => r.enabled && (!opts.kind || r.kind === opts.kind));
    if (rules.length === 0) return null;
    const tz = ((await tx.execute(sql`SELECT timezone FROM tenants WHERE id = ${tenantId}`)).rows[0] as { timezone: string }).timezone;
    const tiers = new Map(((await tx.execute(TIERS_SQL)).rows as { code: string; name: string }[]).map((r) => [r.code, r.name]));
    const sms = rules.some((r) => r.channel === 'sms') ? await smsContext(tx, tenantId) : undefined;
    const email = rules.some((r) => r.channel === 'email') ? await emailContext(tx, tenantId) : undefined;
    return { rules, tz, tiers, sms, email };
  });
  if (!setup) return [];
  const { tz, tiers } = setup;
  const today = localDate(now, tz);
  const midnight = startOfLocalDay(today, tz);
  const localMinutes = Math.floor((now.getTime() - midnight.getTime()) / 60_000);
  const todayText = `${today.y}-${String(today.m).padStart(2, '0')}-${String(today.d).padStart(2, '0')}`;
  const results: RuleRunResult[] = [];

  for (const rule of setup.rules) {
    const res: RuleRunResult = { kind: rule.kind, ruleId: rule.id, queued: 0, suppressed: 0, failed: 0 };
    results.push(res);
    const day = isDayKind(rule.kind);
    if (!opts.manual && !sendTimeReached(localMinutes, rule.send_time)) {
      res.skipped = 'before_send_time';
      continue;
    }
    if (!opts.manual && day && rule.done_on === todayText) {
      res.skipped = 'done_today';
      continue;
    }
    if (rule.channel === 'email' && !setup.email?.smtp) {
      res.skipped = 'email_not_configured';
      continue;
    }
    const c: RunCtx = { tenantId, tz, now, today, rule, batch };
    let after = day ? '0' : rule.event_cursor;
    for (;;) {
      const n = await withTenant(db, tenantId, async (tx) => {
        await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`memberdesk.care:${tenantId}:${rule.id}`}, 0))`);
        const rows = (await tx.execute(candidateQuery(c, after))).rows as Candidate[];
        if (rows.length === 0) return 0;
        after = rows[rows.length - 1]!.k;
        const { out: sent, noCredit } = await sendBatch(tx, c, rows, tiers, setup);
        if (noCredit) res.skipped = 'no_credit';
        for (const s of sent) {
          if (s.status === 'queued') res.queued++;
          else if (s.status === 'suppressed') res.suppressed++;
          else res.failed++;
        }
        return rows.length;
      });
      if (n < batch || res.skipped) break;
    }
    if (res.skipped) continue; // out of credit: not done, the cursor stays
    await withTenant(db, tenantId, async (tx) => {
      if (day) {
        if (!opts.manual) await tx.execute(sql`UPDATE care_rules SET done_on = ${todayText}::date WHERE tenant_id = ${tenantId} AND id = ${rule.id}::bigint`);
        return;
      }
      // Event kinds: every event after the cursor was looked at; move the cursor past those older
      // than an hour (younger ones are looked at again, in case an older id commits late).
      const table = EVENT_TABLE[rule.kind]!;
      await tx.execute(sql`UPDATE care_rules r SET event_cursor = greatest(r.event_cursor, coalesce(
          (SELECT max(e.id) FROM ${sql.raw(table)} e WHERE e.tenant_id = r.tenant_id AND e.id > r.event_cursor
              AND e.created_at < ${new Date(now.getTime() - 3_600_000).toISOString()}::timestamptz), 0))
        WHERE r.tenant_id = ${tenantId} AND r.id = ${rule.id}::bigint`);
    });
  }
  return results;
}

/** The scheduled run: every active tenant (a tenant's failure is logged and the others go on). */
export async function runCare(
  db: Db,
  opts: Omit<RunOptions, 'manual' | 'kind'> & { log?: { error(obj: unknown, msg: string): void } } = {},
): Promise<{ tenants: number; queued: number; failedTenants: number }> {
  const res = await db.execute(sql`SELECT t.id::text FROM tenants t WHERE t.status = 'active' ORDER BY t.id`);
  let queued = 0;
  let failedTenants = 0;
  for (const { id } of res.rows as { id: string }[]) {
    try {
      for (const r of await runTenantCare(db, id, opts)) queued += r.queued;
    } catch (err) {
      failedTenants++;
      opts.log?.error({ err, tenantId: id }, 'care run failed for a tenant');
    }
  }
  return { tenants: res.rows.length, queued, failedTenants };
}

/** The merchant's manual run (now, whatever the send time). */
export async function runNow(db: Db, actor: TenantActor, kind: CareKind | undefined, now = new Date()): Promise<RuleRunResult[]> {
  if (kind) {
    const exists = await withTenant(db, actor.tenantId, async (tx) => (await ruleRows(tx, actor.tenantId)).some((r) => r.kind === kind && r.enabled));
    if (!exists) throw notFound('Enabled care rule');
  }
  return runTenantCare(db, actor.tenantId, { now, manual: true, ...(kind ? { kind } : {}) });
}
