/**
 * The campaign fan-out: a pg-boss job per campaign run ('campaigns.fanout', {tenantId,
 * campaignId}).
 *
 * 1. Snapshot (one transaction): every member the filter matches now gets a campaign_recipients
 *    row — a random holdoutPct of them 'holdout' (never sent), the rest 'pending' — and the
 *    campaign's started_at. The primary key (tenant, campaign, member) makes a second snapshot
 *    impossible; a crash before the commit leaves no snapshot at all.
 * 2. Batches (one transaction each): check the campaign is still 'sending' (a pause stops here,
 *    between batches), claim up to `batchSize` pending rows (FOR UPDATE SKIP LOCKED, so runs side
 *    by side never take the same ones), skip frequency-capped members, queue the others' SMS in
 *    one batch (sendSmsBatch) or their emails one by one, in the same transaction, and mark each
 *    row sent | suppressed | failed with the message id. A crash rolls the whole batch back: its messages were never queued, its
 *    rows are still pending — so every recipient gets exactly one message.
 * 3. No pending row left → 'done'.
 *
 * A graceful stop ends the run between batches and fails the job, so pg-boss retries it (in
 * this process's successor, or another process); a run also ends after `runMs` and enqueues its
 * continuation, so no job stays active long (a crashed run's job is retried after it expires).
 */
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import { sql } from 'drizzle-orm';
import { tierNames } from '../loyalty/index.js';
import { emailContext, sendEmail, sendSmsBatch, smsContext, type BatchSmsItem } from '../messaging/index.js';
import type { Database } from '../platform/db/client.js';
import { withTenant, type Tx } from '../platform/db/with-tenant.js';
import { AppError } from '../platform/http/problem.js';
import { renderTemplate } from '../messaging/index.js';
import { skipReason, templateValues } from './campaigns.rules.js';
import { campaignRow, capSince, getSettings, recipientQuery, toRecipient, type RawRecipient } from './campaigns.service.js';
import { compileFilter } from './filter.sql.js';
import { parseFilter } from './segments.service.js';

export const FANOUT_QUEUE = 'campaigns.fanout';

export interface FanoutOptions {
  /** Recipients per transaction. */
  batchSize: number;
  /** A run ends (and enqueues its continuation) after this long. */
  runMs: number;
  /** Work on jobs in this process (MEMBERDESK_JOBS). */
  work: boolean;
  pollingIntervalSeconds: number;
  /** Wait this long between batches (spreads a campaign's load; 0 = none). */
  pauseBetweenBatchesMs: number;
  /** A run's job counts as dead (its process crashed) after this long; pg-boss then retries it. */
  expireSeconds: number;
  /** How often this process runs pg-boss maintenance (which expires dead jobs). */
  maintenanceSeconds: number;
}

export interface CampaignRuntime {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Enqueues a run of the campaign (after `startAfter` when given). */
  enqueue(tenantId: string, campaignId: string, startAfter?: Date | null): Promise<void>;
  /** Runs a campaign in this process until it is done, paused or `runMs` passes (tests, bench). */
  run(tenantId: string, campaignId: string): Promise<RunOutcome>;
}

export type RunOutcome = 'done' | 'paused' | 'not_sending' | 'stopped' | 'continued' | 'busy';

type Payload = { tenantId: string; campaignId: string };

export function createCampaignRuntime(deps: { database: Database; log: Logger; options?: Partial<FanoutOptions> }): CampaignRuntime {
  const { database, log } = deps;
  const opts: FanoutOptions = { batchSize: 500, runMs: 60_000, work: true, pollingIntervalSeconds: 1, pauseBetweenBatchesMs: 0, expireSeconds: 180, maintenanceSeconds: 60, ...deps.options };
  let boss: PgBoss | null = null;
  let stopping = false;
  // wakes the pauses between batches when the runtime stops
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    wake = resolve;
  });

  async function enqueue(tenantId: string, campaignId: string, startAfter?: Date | null) {
    if (!boss) throw new Error('campaign runtime not started');
    await boss.send(FANOUT_QUEUE, { tenantId, campaignId } satisfies Payload, {
      ...(startAfter ? { startAfter } : {}),
      retryLimit: 1000,
      retryDelay: 1,
      expireInSeconds: Math.max(opts.expireSeconds, 1),
    });
  }

  async function run(tenantId: string, campaignId: string): Promise<RunOutcome> {
    const began = Date.now();
    const snap = await withTenant(database.db, tenantId, (tx) => snapshot(tx, tenantId, campaignId));
    if (snap !== 'ok') return snap;
    // keyset: each claim starts after the last member this run claimed (see sendBatch)
    let after: string | null = null;
    for (;;) {
      if (stopping) return 'stopped';
      const { outcome: r, last } = await withTenant(database.db, tenantId, (tx) => sendBatch(tx, tenantId, campaignId, opts.batchSize, after));
      if (r === 'done' || r === 'paused' || r === 'not_sending' || r === 'busy') return r;
      after = last;
      if (Date.now() - began > opts.runMs) return 'continued';
      if (opts.pauseBetweenBatchesMs > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([stopped, new Promise((r) => (timer = setTimeout(r, opts.pauseBetweenBatchesMs)))]);
        clearTimeout(timer);
      }
    }
  }

  return {
    enqueue,
    run,
    async start() {
      boss = new PgBoss({ connectionString: database.ownerUrl, schema: 'pgboss', max: 2, application_name: 'memberdesk-campaigns', supervise: opts.work, schedule: false, maintenanceIntervalSeconds: opts.maintenanceSeconds });
      boss.on('error', (err) => {
        if (stopping && (err as { code?: string }).code === '57P01') return;
        log.error({ err }, 'campaigns: pg-boss error');
      });
      await boss.start();
      await boss.createQueue(FANOUT_QUEUE);
      if (!opts.work) return;
      await boss.work<Payload>(FANOUT_QUEUE, { batchSize: 1, pollingIntervalSeconds: opts.pollingIntervalSeconds }, async (jobs) => {
        for (const job of jobs) {
          const { tenantId, campaignId } = job.data;
          let outcome: RunOutcome;
          try {
            outcome = await run(tenantId, campaignId);
          } catch (err) {
            if (!(err instanceof AppError)) throw err; // transient (database): pg-boss retries
            // the campaign itself cannot go on (e.g. its filter names an attribute deleted
            // since): pause it, so it is not retried every second; resume after fixing it
            log.error({ err, campaignId, tenantId }, 'campaign paused: it cannot be sent as it is');
            await withTenant(database.db, tenantId, (tx) =>
              tx.execute(sql`UPDATE campaigns SET status = 'paused', updated_at = now() WHERE tenant_id = ${tenantId}::bigint AND id = ${campaignId}::bigint AND status IN ('sending', 'scheduled')`),
            );
            continue;
          }
          log.info({ campaignId, tenantId, outcome }, 'campaign run');
          if (outcome === 'continued') await enqueue(tenantId, campaignId);
          // interrupted by a graceful stop: fail the job so pg-boss retries it elsewhere or later
          if (outcome === 'stopped') throw new Error('campaign run interrupted by shutdown; retried');
        }
      });
    },
    async stop() {
      stopping = true;
      wake();
      await boss?.stop({ graceful: true, wait: true, timeout: 20_000 });
      boss = null;
    },
  };
}

/** Takes the snapshot if there is none yet. */
async function snapshot(tx: Tx, tenantId: string, campaignId: string): Promise<'ok' | 'not_sending'> {
  const { rows } = await tx.execute<{ status: string; started: boolean; filter: unknown; holdout_pct: number }>(sql`
    SELECT status, started_at IS NOT NULL AS started, filter, holdout_pct FROM campaigns
     WHERE tenant_id = ${tenantId}::bigint AND id = ${campaignId}::bigint FOR UPDATE`);
  const c = rows[0];
  if (!c) return 'not_sending';
  if (c.status === 'scheduled') {
    // its time has come (the job was enqueued to start then)
    await tx.execute(sql`UPDATE campaigns SET status = 'sending', updated_at = now() WHERE tenant_id = ${tenantId}::bigint AND id = ${campaignId}::bigint AND schedule_at <= now()`);
    const { rows: s } = await tx.execute<{ status: string }>(sql`SELECT status FROM campaigns WHERE tenant_id = ${tenantId}::bigint AND id = ${campaignId}::bigint`);
    if (s[0]!.status !== 'sending') return 'not_sending';
  } else if (c.status !== 'sending') return 'not_sending';
  if (c.started) return 'ok';
  const now = new Date();
  const node = await parseFilter(tx, tenantId, c.filter, 'campaign.filter');
  const { rows: tz } = await tx.execute<{ timezone: string }>(sql`SELECT timezone FROM tenants WHERE id = ${tenantId}::bigint`);
  const cond = compileFilter(node, { now, tz: tz[0]?.timezone ?? 'Asia/Shanghai' });
  // a random hold-out of exactly holdoutSize(n, pct) = floor(n × pct / 100 + 0.5) members (campaigns.rules.ts)
  await tx.execute(sql`
    INSERT INTO campaign_recipients (tenant_id, campaign_id, member_id, status)
    SELECT ${tenantId}::bigint, ${campaignId}::bigint, s.id, CASE WHEN s.rn <= floor(s.n * ${c.holdout_pct}::numeric / 100 + 0.5) THEN 'holdout' ELSE 'pending' END
      FROM (SELECT members.id, row_number() OVER (ORDER BY random()) AS rn, count(*) OVER () AS n
              FROM members WHERE members.tenant_id = ${tenantId}::bigint AND ${cond}) s
    ON CONFLICT DO NOTHING`);
  await tx.execute(sql`UPDATE campaigns SET started_at = now(), updated_at = now() WHERE tenant_id = ${tenantId}::bigint AND id = ${campaignId}::bigint`);
  return 'ok';
}

type BatchOutcome = 'more' | 'done' | 'paused' | 'not_sending' | 'busy';

/**
 * One batch. `after`: the last member id this run claimed. Claimed rows leave the pending index
 * only when vacuumed, so a claim from the start walks every row sent so far: at 1,000,000
 * recipients the fan-out slowed to ~400/s. Claims go on after the last one instead; when none is
 * left there (rows skipped while another run held them, or rolled back), one claim from the
 * start sweeps up the rest.
 */
async function sendBatch(tx: Tx, tenantId: string, campaignId: string, batchSize: number, after: string | null): Promise<{ outcome: BatchOutcome; last: string | null }> {
  const outcome = (o: BatchOutcome, last: string | null = null) => ({ outcome: o, last });
  // FOR SHARE: a pause (UPDATE) waits for this batch to commit, then the next batch sees it
  const { rows: st } = await tx.execute<{ status: string }>(
    sql`SELECT status FROM campaigns WHERE tenant_id = ${tenantId}::bigint AND id = ${campaignId}::bigint FOR SHARE`,
  );
  const status = st[0]?.status;
  if (status === 'paused') return outcome('paused');
  if (status !== 'sending') return outcome('not_sending');
  const c = await campaignRow(tx, tenantId, campaignId);
  const settings = await getSettings(tx, tenantId);
  const now = new Date();
  const since = c.marketing ? capSince(settings.frequencyCap, now) : null;
  // the output is named `mid`: `SELECT member_id::text … ORDER BY member_id` sorted by the text
  // output column, so every claim sorted all pending rows instead of walking the index
  const { rows: claimed } = await tx.execute<{ mid: string }>(sql`
    SELECT member_id::text AS mid FROM campaign_recipients
     WHERE tenant_id = ${tenantId}::bigint AND campaign_id = ${campaignId}::bigint AND status = 'pending'
       ${after === null ? sql`` : sql`AND member_id > ${after}::bigint`}
     ORDER BY member_id LIMIT ${batchSize} FOR UPDATE SKIP LOCKED`);
  if (claimed.length === 0 && after !== null) return outcome('more'); // sweep from the start
  if (claimed.length === 0) {
    const { rows: left } = await tx.execute(
      sql`SELECT 1 FROM campaign_recipients WHERE tenant_id = ${tenantId}::bigint AND campaign_id = ${campaignId}::bigint AND status = 'pending' LIMIT 1`,
    );
    if (left.length > 0) return outcome('busy'); // another run holds them
    await tx.execute(sql`UPDATE campaigns SET status = 'done', finished_at = now(), updated_at = now()
                          WHERE tenant_id = ${tenantId}::bigint AND id = ${campaignId}::bigint AND status = 'sending'`);
    return outcome('done');
  }
  const claimedIds = claimed.map((r) => r.mid);
  const from = sql`FROM unnest(${sql.param(claimedIds)}::bigint[]) AS b(member_id) JOIN members ON members.tenant_id = ${tenantId}::bigint AND members.id = b.member_id`;
  const { rows } = await tx.execute<RawRecipient & Record<string, unknown>>(recipientQuery(tenantId, from, since));
  const tiers = await tierNames(tx, tenantId);
  const kind = c.marketing ? 'marketing' : 'service';
  const ids: string[] = [];
  const statuses: string[] = [];
  const reasons: (string | null)[] = [];
  const messages: (string | null)[] = [];
  const mark = (id: string, s: string, reason: string | null, msg: string | null) => {
    ids.push(id);
    statuses.push(s);
    reasons.push(reason);
    messages.push(msg);
  };
  if (c.channel === 'sms' && 'text' in c.template) {
    const context = await smsContext(tx, tenantId);
    const out: BatchSmsItem[] = [];
    for (const raw of rows) {
      const m = toRecipient(raw, tiers);
      const skip = skipReason('sms', c.marketing, settings.frequencyCap, m);
      // opt-out is left to the send, which logs the suppressed message for the campaign
      if (skip && skip !== 'opted_out') {
        mark(m.id, 'suppressed', skip, null);
        continue;
      }
      out.push({ to: m.phone, text: renderTemplate(c.template.text, templateValues(m, context.name)), kind, memberId: m.id, campaignId, subCode: c.sub_code });
    }
    const sent = await sendSmsBatch(tx, tenantId, context, out, now);
    sent.forEach((r, i) => {
      const id = out[i]!.memberId;
      if (r.ok) {
        if (r.status === 'queued') mark(id, 'sent', null, r.id);
        else mark(id, 'suppressed', r.failReason ?? 'opted_out', r.id);
      } else {
        if (!(r.error instanceof AppError)) throw r.error;
        mark(id, 'failed', r.error.code === 'bad_request' ? 'invalid_message' : r.error.code, null);
      }
    });
  } else {
    const t = c.template as { subject: string; body: string };
    const context = await emailContext(tx, tenantId);
    for (const raw of rows) {
      const m = toRecipient(raw, tiers);
      const skip = skipReason('email', c.marketing, settings.frequencyCap, m);
      if (skip && skip !== 'opted_out') {
        mark(m.id, 'suppressed', skip, null);
        continue;
      }
      try {
        const r = await sendEmail(tx, { tenantId, memberId: m.id, subject: t.subject, body: t.body, kind, campaignId, context });
        if (r.status === 'queued') mark(m.id, 'sent', null, r.id);
        else mark(m.id, 'suppressed', r.failReason ?? 'opted_out', r.id);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        mark(m.id, 'failed', err.code === 'bad_request' ? 'invalid_message' : err.code, null);
      }
    }
  }
  // a member gone since the snapshot (none is deleted today, but never loop on one)
  const seen = new Set(rows.map((r) => r.id));
  for (const id of claimedIds) if (!seen.has(id)) mark(id, 'failed', 'member_gone', null);
  await tx.execute(sql`
    UPDATE campaign_recipients r SET status = u.status, reason = u.reason, message_id = u.msg::bigint, done_at = now()
      FROM unnest(${sql.param(ids)}::bigint[], ${sql.param(statuses)}::text[], ${sql.param(reasons)}::text[], ${sql.param(messages)}::text[]) AS u(member_id, status, reason, msg)
     WHERE r.tenant_id = ${tenantId}::bigint AND r.campaign_id = ${campaignId}::bigint AND r.member_id = u.member_id AND r.status = 'pending'`);
  return outcome('more', claimedIds[claimedIds.length - 1]!);
}
