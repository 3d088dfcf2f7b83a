/**
 * Inbound (MO) messages. `handle` stores the message durably in the platform staging table and
 * resolves — the gateway acknowledges to its peer only then — and processing follows in the
 * same process by a worker that takes the pending messages in batches: route to the tenant by
 * port, act on the keyword, file it, reply — one transaction per tenant per batch, which marks
 * the staging rows done, so a message is processed exactly once. Rows left pending (a crash, a
 * failed transaction) are simply found by the next batch.
 */
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Db } from '../platform/db/client.js';
import { withTenant, type Tx } from '../platform/db/with-tenant.js';
import { loyaltySummary } from '../loyalty/index.js';
import { enterBySms } from '../marketing/lottery.service.js';
import { signUpBySms } from '../marketing/events.service.js';
import { joinBySms, joinBySmsBatch, systemActor, recordChange, type SmsJoinResult } from '../members/index.js';
import { DEFAULT_TEMPLATES, renderTemplate, yuan, type TemplateKey, type TemplateValues } from './compose.rules.js';
import { smsServiceNumber } from './config.js';
import type { InboundSms } from './gateway.js';
import { candidateExtensions, classifyInbound, keywordOf, normalizeKeyword, routeDestination, type Intent } from './inbound.rules.js';
import { senderE164 } from './phone.js';
import { smsInbound } from './schema.js';
import { sendSms, smsContext, type SmsContext } from './send.service.js';

export interface InboundDeps {
  db: Db;
  pool: pg.Pool;
  log: Logger;
  registry?: Registry;
  /** Staged messages per batch (one transaction per tenant per batch). */
  batchSize?: number;
  /** Poll interval when idle (a new message wakes the worker at once). */
  pollMs?: number;
}

export type InboundOutcome = 'processed' | 'duplicate' | 'unrouted' | 'malformed';

const MAX_TEXT = 2000;

type StagedRow = { id: string; sender: string; destination: string; body: string; received_at: Date; state: string };

export function inboundProcessor(deps: InboundDeps) {
  const log = deps.log.child({ component: 'sms-inbound' });
  const registers = deps.registry ? [deps.registry] : [];
  const received = new Counter({ name: 'memberdesk_sms_inbound_total', help: 'Inbound SMS by outcome', labelNames: ['outcome'] as const, registers });
  const errors = new Counter({ name: 'memberdesk_sms_inbound_errors_total', help: 'Inbound SMS whose processing failed (retried)', registers });
  const batchSize = deps.batchSize ?? 200;
  const pollMs = deps.pollMs ?? 1000;
  let running = false;
  let loop: Promise<void> | null = null;
  let wakers: (() => void)[] = [];
  let kicked = false;
  let idleWaiters: (() => void)[] = [];

  function wake() {
    kicked = true;
    const w = wakers;
    wakers = [];
    for (const f of w) f();
  }

  /** Store (durable before the gateway acknowledges), then let the worker process it. */
  async function handle(sms: InboundSms): Promise<string> {
    const id = await stage(sms);
    if (id.state === 'pending') wake();
    return id.id;
  }

  async function stage(sms: InboundSms): Promise<{ id: string; state: string }> {
    const from = typeof sms.from === 'string' ? sms.from.slice(0, 40) : '';
    const to = typeof sms.to === 'string' ? sms.to.slice(0, 40) : '';
    const text = typeof sms.text === 'string' ? sms.text.slice(0, MAX_TEXT) : '';
    const receivedAt = sms.receivedAt instanceof Date && !Number.isNaN(sms.receivedAt.getTime()) ? sms.receivedAt : new Date();
    const malformed = !senderE164(from) || !/^\d{1,21}$/.test(to) || typeof sms.text !== 'string';
    const { rows } = await deps.pool.query<{ id: string; state: string }>(
      `INSERT INTO sms_inbound_staging (gateway, sender, destination, body, raw, received_at, state, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id::text, state`,
      [
        String(sms.gateway ?? 'unknown').slice(0, 40),
        from,
        to,
        text,
        sms.raw ? JSON.stringify(sms.raw) : null,
        receivedAt,
        malformed ? 'malformed' : 'pending',
        malformed ? 'sender is not a mobile number or destination is not digits' : null,
      ],
    );
    if (malformed) {
      received.inc({ outcome: 'malformed' });
      log.warn({ stagingId: rows[0]!.id, from, to, gateway: sms.gateway }, 'malformed inbound SMS kept in staging');
    }
    return rows[0]!;
  }

  /** Tenants whose ports could own these destinations (one query per batch). */
  async function routeAll(rows: StagedRow[]): Promise<Map<string, { tenantId: string; subCode: string } | null>> {
    const service = smsServiceNumber();
    const candidates = [...new Set(rows.flatMap((r) => candidateExtensions(r.destination, service)))];
    const tenants = candidates.length
      ? (
          await deps.pool.query<{ id: string; sms_extension: string }>(
            `SELECT id::text, sms_extension FROM tenants WHERE sms_extension = ANY($1::text[]) AND status = 'active'`,
            [candidates],
          )
        ).rows
      : [];
    const exts = tenants.map((t) => t.sms_extension);
    const out = new Map<string, { tenantId: string; subCode: string } | null>();
    for (const r of rows) {
      const route = routeDestination(r.destination, service, exts);
      out.set(r.id, route ? { tenantId: tenants.find((t) => t.sms_extension === route.extension)!.id, subCode: route.subCode } : null);
    }
    return out;
  }

  /** One tenant's messages in one transaction: claimed (SKIP LOCKED), acted on, marked done. */
  async function processGroup(tenantId: string, items: { row: StagedRow; subCode: string }[]): Promise<number> {
    return withTenant(deps.db, tenantId, async (tx) => {
      const ids = items.map((i) => i.row.id);
      const { rows: claimed } = await tx.execute<{ id: string }>(sql`
        UPDATE sms_inbound_staging SET state = 'done', tenant_id = ${tenantId}, processed_at = now(), attempts = attempts + 1
         WHERE id IN (SELECT id FROM sms_inbound_staging
                       WHERE id IN (SELECT (jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))::bigint) AND state = 'pending'
                       FOR UPDATE SKIP LOCKED)
        RETURNING id::text`);
      const mine = new Set(claimed.map((c) => c.id));
      if (mine.size === 0) return 0;
      const cache = await tenantCache(tx, tenantId);
      const todo = items.filter((i) => mine.has(i.row.id));
      const records: InboundRecord[] = [];
      const isJoin = (i: { row: StagedRow }) => classifyInbound(i.row.body).kind === 'join';
      for (let k = 0; k < todo.length; ) {
        // a run of consecutive 888s joins with one set of statements (in order, so an earlier
        // message of the batch still sees the phone as not yet a member)
        let end = k;
        while (end < todo.length && isJoin(todo[end]!)) end++;
        const run = end > k ? todo.slice(k, end) : [todo[k]!];
        const joins = end > k ? await joinBySmsBatch(tx, tenantId, run.map((i) => senderE164(i.row.sender)!)) : null;
        for (const [j, { row, subCode }] of run.entries()) {
          await actOn(
            tx,
            cache,
            {
              tenantId,
              stagingId: row.id,
              phone: senderE164(row.sender)!,
              destination: row.destination,
              subCode,
              text: row.body,
              receivedAt: new Date(row.received_at),
            },
            records,
            joins?.[j],
          );
        }
        k += run.length;
      }
      if (records.length > 0) await tx.insert(smsInbound).values(records);
      return mine.size;
    });
  }

  /** Processes one staged message on its own (after its batch failed). */
  async function processStaged(stagingId: string): Promise<InboundOutcome> {
    const { rows } = await deps.pool.query<StagedRow>(
      'SELECT id::text, sender, destination, body, received_at, state FROM sms_inbound_staging WHERE id = $1',
      [stagingId],
    );
    const st = rows[0];
    if (!st || st.state !== 'pending') return 'duplicate';
    const route = (await routeAll([st])).get(st.id);
    if (!route) return markUnrouted([st]).then(() => 'unrouted' as const);
    const n = await processGroup(route.tenantId, [{ row: st, subCode: route.subCode }]);
    if (n === 0) return 'duplicate';
    received.inc({ outcome: 'processed' });
    return 'processed';
  }

  async function markUnrouted(rows: StagedRow[]) {
    if (rows.length === 0) return;
    await deps.pool.query(
      `UPDATE sms_inbound_staging SET state = 'unrouted', processed_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[]) AND state = 'pending'`,
      [rows.map((r) => r.id)],
    );
    received.inc({ outcome: 'unrouted' }, rows.length);
    for (const r of rows) log.warn({ stagingId: r.id, destination: r.destination }, 'inbound SMS to a destination no merchant port matches; kept in staging');
  }

  /**
   * One batch: the oldest pending messages, routed with one query, each tenant's share in one
   * transaction (tenants in parallel). A transaction that fails is retried message by message,
   * so one bad message cannot hold back the others; a message that keeps failing stays pending
   * (attempts counted, error kept) and is skipped after 10 attempts. Returns how many were
   * settled (processed or unrouted).
   */
  async function runBatch(): Promise<number> {
    const { rows } = await deps.pool.query<StagedRow>(
      `SELECT id::text, sender, destination, body, received_at, state FROM sms_inbound_staging
        WHERE state = 'pending' AND attempts < 10 ORDER BY id LIMIT $1`,
      [batchSize],
    );
    if (rows.length === 0) return 0;
    const routes = await routeAll(rows);
    const unrouted = rows.filter((r) => !routes.get(r.id));
    await markUnrouted(unrouted);
    let done = unrouted.length;
    const groups = new Map<string, { row: StagedRow; subCode: string }[]>();
    for (const r of rows) {
      const route = routes.get(r.id);
      if (!route) continue;
      const g = groups.get(route.tenantId) ?? [];
      g.push({ row: r, subCode: route.subCode });
      groups.set(route.tenantId, g);
    }
    await Promise.all(
      [...groups].map(async ([tenantId, items]) => {
        try {
          const n = await processGroup(tenantId, items);
          received.inc({ outcome: 'processed' }, n);
          done += n;
        } catch (err) {
          log.warn({ err, tenantId, count: items.length }, 'inbound batch failed; processing its messages one by one');
          for (const { row } of items) {
            try {
              const o = await processStaged(row.id);
              if (o === 'processed' || o === 'unrouted') done++;
            } catch (e) {
              errors.inc();
              log.error({ err: e, stagingId: row.id }, 'inbound SMS processing failed; it stays pending and is retried');
              await deps.pool
                .query(`UPDATE sms_inbound_staging SET attempts = attempts + 1, error = $2 WHERE id = $1 AND state = 'pending'`, [
                  row.id,
                  String((e as Error)?.message ?? e).slice(0, 500),
                ])
                .catch(() => undefined);
            }
          }
        }
      }),
    );
    // rows another process holds (or that keep failing) do not count: the worker then waits
    return done;
  }

  async function work() {
    while (running) {
      kicked = false;
      let n = 0;
      try {
        n = await runBatch();
      } catch (err) {
        if (running) log.error({ err }, 'inbound batch failed');
      }
      if (n === 0) {
        const w = idleWaiters;
        idleWaiters = [];
        for (const f of w) f();
        if (!kicked && running) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(done, pollMs);
            function done() {
              clearTimeout(t);
              resolve();
            }
            wakers.push(done);
          });
        }
      }
    }
  }

  function start() {
    if (running) return;
    running = true;
    loop = work();
  }

  async function stop(timeoutMs = 10_000) {
    running = false;
    wake();
    let t: NodeJS.Timeout | undefined;
    await Promise.race([loop, new Promise((r) => (t = setTimeout(r, timeoutMs)))]);
    clearTimeout(t);
  }

  /** Resolves when the worker has found nothing pending (tests). */
  function idle(): Promise<void> {
    return new Promise((resolve) => {
      idleWaiters.push(resolve);
      wake();
    });
  }

  return { handle, stage, processStaged, runBatch, start, stop, idle };
}

export type InboundProcessor = ReturnType<typeof inboundProcessor>;

type InboundRecord = typeof smsInbound.$inferInsert;

interface MoContext {
  tenantId: string;
  stagingId: string;
  phone: string;
  destination: string;
  subCode: string;
  text: string;
  receivedAt: Date;
}

type MemberRow = {
  id: string;
  name: string | null;
  card_no: string;
  sms_opt_out: boolean;
};

/** What every message of a batch needs about its tenant, read once. */
interface TenantCache {
  merchant: string;
  templates: Record<TemplateKey, string>;
  sms: SmsContext;
}

async function tenantCache(tx: Tx, tenantId: string): Promise<TenantCache> {
  const smsCtx = await smsContext(tx, tenantId);
  const { rows } = await tx.execute<{ templates: Record<string, string> }>(sql`SELECT templates FROM sms_settings WHERE tenant_id = ${tenantId}`);
  return { merchant: smsCtx.name, templates: { ...DEFAULT_TEMPLATES, ...(rows[0]?.templates ?? {}) } as Record<TemplateKey, string>, sms: smsCtx };
}

async function memberByPhone(tx: Tx, tenantId: string, phone: string): Promise<MemberRow | null> {
  const { rows } = await tx.execute<MemberRow>(
    sql`SELECT id::text, name, card_no, sms_opt_out FROM members WHERE tenant_id = ${tenantId} AND phone = ${phone} AND status <> 'cancelled' LIMIT 1`,
  );
  return rows[0] ?? null;
}

/** The keyword's action (an 888's join may have been done already, with its batch), the inbox
 * thread and the reply; the inbound record goes to `records` (the batch inserts them with one
 * statement). */
async function actOn(tx: Tx, cache: TenantCache, mo: MoContext, records: InboundRecord[], joined?: SmsJoinResult): Promise<void> {
  const { tenantId, phone } = mo;
  let intent: Intent = classifyInbound(mo.text);
  let customTemplate: string | null = null;
  if (intent.kind === 'feedback') {
    const n = normalizeKeyword(mo.text);
    const { rows } = await tx.execute<{ template: string }>(sql`SELECT template FROM sms_keywords WHERE tenant_id = ${tenantId} AND keyword = ${n}`);
    if (rows[0]) {
      intent = { kind: 'custom', keyword: n };
      customTemplate = rows[0].template;
    }
  }
  const { merchant, templates } = cache;
  // 888 looks the member up itself
  let member = intent.kind === 'join' ? null : await memberByPhone(tx, tenantId, phone);
  const vars: TemplateValues = { merchant, phone };
  const memberVars = (m: MemberRow | null) => {
    if (m) Object.assign(vars, { name: m.name ?? '', cardNo: m.card_no });
  };
  memberVars(member);

  let reply: string | null = null;
  // a reply rendered already (the lottery's: a member's answer in it is never expanded again)
  let renderedReply: string | null = null;
  let lotteryEntered = false;
  let eventSignup = false;
  switch (intent.kind) {
    case 'join': {
      const r = joined ?? (await joinBySms(tx, tenantId, phone));
      if (r.status === 'applicant') reply = templates.joinApplicant;
      else {
        if (r.member) {
          member = { id: r.member.id, name: r.member.name ?? null, card_no: r.cardNo ?? r.member.cardNo, sms_opt_out: r.member.smsOptOut };
          memberVars(member);
        }
        if (r.cardNo) vars.cardNo = r.cardNo;
        reply = r.status === 'existing' ? templates.joinExisting : templates.join;
      }
      break;
    }
    case 'points': {
      if (!member) {
        reply = templates.notMember;
        break;
      }
      const s = await loyaltySummary(tx, tenantId, member.id);
      Object.assign(vars, { points: s.points, tier: s.tier?.name ?? '无', storedValue: yuan(s.storedValueFen) });
      reply = templates.points;
      break;
    }
    case 'optout': {
      if (member && !member.sms_opt_out) {
        await tx.execute(sql`UPDATE members SET sms_opt_out = true WHERE tenant_id = ${tenantId} AND id = ${member.id}`);
        await recordChange(tx, systemActor(tenantId, 'SMS TD'), member.id, 'sms_opt_out', { smsOptOut: false }, { smsOptOut: true }, `SMS "${mo.text.trim()}"`);
      }
      reply = templates.optOut;
      break;
    }
    case 'lottery': {
      // the merchant's lottery records and acknowledges it; without any lottery it is feedback
      vars.answer = intent.answer;
      const entry = await enterBySms(tx, {
        tenantId,
        phone,
        memberId: member?.id ?? null,
        answer: intent.answer,
        receivedAt: mo.receivedAt,
        stagingId: mo.stagingId,
        merchant,
        memberName: member?.name ?? null,
        cardNo: member?.card_no ?? null,
      });
      if (entry) {
        lotteryEntered = true;
        renderedReply = entry.reply;
      }
      break;
    }
    case 'custom':
      reply = customTemplate;
      break;
    case 'feedback':
      // a reply to an event's sub-code signs the member up and is confirmed (events.service.ts)
      if (mo.subCode) {
        const signup = await signUpBySms(tx, {
          tenantId,
          subCode: mo.subCode,
          member: member ? { id: member.id, name: member.name, cardNo: member.card_no } : null,
          merchant,
          receivedAt: mo.receivedAt,
        });
        if (signup) {
          eventSignup = true;
          renderedReply = signup.reply;
        }
      }
      break;
  }

  // a reply to a sub-code is matched to the latest message sent from it to this phone
  let replyTo: string | null = null;
  let campaignId: string | null = null;
  if (mo.subCode) {
    const { rows } = await tx.execute<{ id: string; campaign_id: string | null }>(sql`
      SELECT id::text, campaign_id::text FROM sms_outbound
       WHERE tenant_id = ${tenantId} AND recipient = ${phone} AND sub_code = ${mo.subCode}
       ORDER BY id DESC LIMIT 1`);
    replyTo = rows[0]?.id ?? null;
    campaignId = rows[0]?.campaign_id ?? null;
    if (!campaignId) {
      const { rows: sc } = await tx.execute<{ campaign_id: string | null }>(
        sql`SELECT campaign_id::text FROM sms_sub_codes WHERE tenant_id = ${tenantId} AND code = ${mo.subCode}`,
      );
      campaignId = sc[0]?.campaign_id ?? null;
    }
  }

  let threadId: string | null = null;
  if ((intent.kind === 'feedback' && !eventSignup) || (intent.kind === 'lottery' && !lotteryEntered)) {
    const { rows } = await tx.execute<{ id: string }>(sql`
      INSERT INTO sms_threads (tenant_id, phone, member_id, last_text, last_at, unread)
      VALUES (${tenantId}, ${phone}, ${member?.id ?? null}, ${mo.text}, ${mo.receivedAt}, 1)
      ON CONFLICT (tenant_id, phone) DO UPDATE
        SET last_text = excluded.last_text, last_at = greatest(sms_threads.last_at, excluded.last_at),
            unread = sms_threads.unread + 1, member_id = coalesce(excluded.member_id, sms_threads.member_id)
      RETURNING id::text`);
    threadId = rows[0]!.id;
  }

  records.push({
    tenantId,
    stagingId: mo.stagingId,
    sender: phone,
    destination: mo.destination,
    subCode: mo.subCode,
    body: mo.text,
    keyword: eventSignup ? 'event' : keywordOf(intent),
    threadId,
    memberId: member?.id ?? null,
    replyToMessageId: replyTo,
    campaignId,
    receivedAt: mo.receivedAt,
  });

  if (reply || renderedReply) {
    const text = renderedReply ?? renderTemplate(reply!, vars);
    if (text.trim()) {
      await sendSms(tx, { tenantId, to: phone, text, kind: 'service', memberId: member?.id ?? null, textPath: 'template', context: cache.sms }).catch((err: unknown) => {
        // a template that renders too long must not lose the inbound message
        if ((err as { status?: number }).status === 400) return null;
        throw err;
      });
    }
  }
}
