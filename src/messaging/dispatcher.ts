/**
 * The dispatcher: claims due messages from the platform outbox in batches
 * (FOR UPDATE SKIP LOCKED), submits each batch through the gateway concurrently (the gateway
 * applies its window and rate), and records the batch's results in one transaction.
 *
 * Never twice: a claim moves rows to `submitting` with this instance's id in the same statement
 * that selects them, so no other claimer sees them; results are written only for rows still
 * claimed by this instance (fencing). Graceful stop: no new claims, in-flight submits settle
 * (bounded), their results are written. Crash: see README.md ("After a crash") — rows left
 * `submitting` by an instance whose heartbeat is gone are queued again and resubmitted with the
 * same message id.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { PermanentGatewayError, TransientGatewayError, type SmsGateway, type SubmitResult } from './gateway.js';
import { OutboxWorker } from './outbox-worker.js';
import { MAX_ATTEMPTS, retryDelayMs } from './schedule.rules.js';

export interface DispatcherOptions {
  pool: pg.Pool;
  gateway: SmsGateway;
  log: Logger;
  registry?: Registry;
  instanceId?: string;
  /** Messages per claim (and per result write). */
  batchSize?: number;
  /** Batches in flight at once (each loop claims, submits, records). */
  loops?: number;
  /** Poll interval when idle; a NOTIFY sms_outbox wakes the loops earlier. */
  pollMs?: number;
  /** A claimer whose heartbeat is older than this is considered dead. */
  orphanAfterMs?: number;
  heartbeatMs?: number;
  /** How long stop() waits for in-flight submits before leaving them to recovery. */
  stopTimeoutMs?: number;
}

interface Claimed {
  message_id: string;
  tenant_id: string;
  sender: string;
  recipient: string;
  body: string;
  segments: number;
  attempts: number;
}

type Outcome =
  | { id: string; kind: 'sent'; gatewayMessageId: string }
  | { id: string; kind: 'retry'; dueAt: Date; error: string }
  | { id: string; kind: 'failed'; reason: string };

export class Dispatcher extends OutboxWorker {
  private readonly gateway: SmsGateway;
  private readonly batchSize: number;
  /** gateway message id → settles when its result row is committed (delivery reports wait on it). */
  private readonly unflushed = new Map<string, Promise<void>>();
  private readonly metrics: { submitted: Counter; failed: Counter; retried: Counter; recovered: Counter };

  constructor(opts: DispatcherOptions) {
    const registers = opts.registry ? [opts.registry] : [];
    const metrics = {
      submitted: new Counter({ name: 'memberdesk_sms_submitted_total', help: 'SMS accepted by the gateway', registers }),
      failed: new Counter({ name: 'memberdesk_sms_submit_failed_total', help: 'SMS refused for good by the gateway (refunded)', registers }),
      retried: new Counter({ name: 'memberdesk_sms_submit_retried_total', help: 'SMS submits that failed transiently and were queued again', registers }),
      recovered: new Counter({
        name: 'memberdesk_sms_recovered_total',
        help: 'SMS left submitting by a dispatcher that died, queued again',
        registers,
      }),
    };
    super(
      { outbox: 'sms_outbox', registry: 'sms_dispatchers', what: 'SMS' },
      { ...opts, log: opts.log.child({ component: 'sms-dispatcher' }), loops: opts.loops ?? 4 },
      metrics.recovered,
    );
    this.metrics = metrics;
    this.gateway = opts.gateway;
    this.batchSize = opts.batchSize ?? 200;
  }

  /** Resolves once the result of a submit that returned `gatewayMessageId` is committed (or at once). */
  async settled(gatewayMessageId: string): Promise<void> {
    await this.unflushed.get(gatewayMessageId);
  }

  protected async prune(): Promise<void> {
    // outbox rows are the delivery-report map: kept a week; processed inbound staging a month
    await this.pool.query(`DELETE FROM sms_outbox WHERE state IN ('sent', 'failed') AND updated_at < now() - interval '7 days'`);
    await this.pool.query(`DELETE FROM sms_inbound_staging WHERE state = 'done' AND processed_at < now() - interval '30 days'`);
  }

  /** One batch: claim, submit concurrently, record. Returns the number claimed. */
  async runBatch(): Promise<number> {
    const { rows } = await this.pool.query<Claimed>({
      name: 'sms_claim',
      text: `UPDATE sms_outbox o
          SET state = 'submitting', claimed_by = $1, claimed_at = now(), attempts = o.attempts + 1, updated_at = now()
        WHERE o.message_id IN (SELECT message_id FROM sms_outbox
                                WHERE state = 'queued' AND due_at <= now()
                                ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING o.message_id::text, o.tenant_id::text, o.sender, o.recipient, o.body, o.segments, o.attempts`,
      values: [this.instanceId, this.batchSize],
    });
    if (rows.length === 0) return 0;
    let release!: () => void;
    const flushed = new Promise<void>((r) => {
      release = r;
    });
    const pendingIds: string[] = [];
    const outcomes = await Promise.all(
      rows.map(async (m): Promise<Outcome> => {
        try {
          const res: SubmitResult = await this.gateway.submit({
            id: m.message_id,
            from: m.sender,
            to: m.recipient,
            text: m.body,
            segments: m.segments,
            wantReport: true,
          });
          this.unflushed.set(res.gatewayMessageId, flushed);
          pendingIds.push(res.gatewayMessageId);
          return { id: m.message_id, kind: 'sent', gatewayMessageId: res.gatewayMessageId };
        } catch (err) {
          if (err instanceof TransientGatewayError && m.attempts < MAX_ATTEMPTS) {
            return { id: m.message_id, kind: 'retry', dueAt: new Date(Date.now() + retryDelayMs(m.attempts, err.retryAfterMs)), error: err.message };
          }
          const reason =
            err instanceof PermanentGatewayError
              ? `rejected${err.code ? `:${err.code}` : ''}`
              : err instanceof TransientGatewayError
                ? 'gateway_unavailable'
                : 'gateway_error';
          if (!(err instanceof PermanentGatewayError) && !(err instanceof TransientGatewayError)) {
            this.log.error({ err, messageId: m.message_id }, 'gateway submit threw an unexpected error; message failed and refunded');
          }
          return { id: m.message_id, kind: 'failed', reason };
        }
      }),
    );
    try {
      // the messages went out: their results must be written, so a database hiccup is retried
      for (let attempt = 1; ; attempt++) {
        try {
          await this.record(outcomes);
          break;
        } catch (err) {
          if (attempt >= 5) throw err;
          this.log.warn({ err, attempt }, 'recording SMS submit results failed; retrying');
          await new Promise((r) => setTimeout(r, 200 * attempt));
        }
      }
    } finally {
      release();
      for (const id of pendingIds) this.unflushed.delete(id);
    }
    return rows.length;
  }

  /** Writes one batch's results: outbox rows (fenced to this claimer), the tenants' message
   * rows (forward-only), and refunds of permanent failures — one transaction. */
  private async record(outcomes: Outcome[]): Promise<void> {
    const ids: string[] = [];
    const states: string[] = [];
    const gw: (string | null)[] = [];
    const due: (string | null)[] = [];
    const reasons: (string | null)[] = [];
    for (const o of outcomes) {
      ids.push(o.id);
      states.push(o.kind === 'sent' ? 'sent' : o.kind === 'retry' ? 'queued' : 'failed');
      gw.push(o.kind === 'sent' ? o.gatewayMessageId : null);
      due.push(o.kind === 'retry' ? o.dueAt.toISOString() : null);
      reasons.push(o.kind === 'failed' ? o.reason : o.kind === 'retry' ? o.error : null);
    }
    let sent = 0;
    let retried = 0;
    let failed = 0;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ message_id: string; tenant_id: string; state: string; cost_fen: string; attempts: number; gw: string | null; due: string | null; reason: string | null }>({
        name: 'sms_record_outbox',
        text: `UPDATE sms_outbox o
            SET state = r.state, gateway_message_id = r.gw, due_at = coalesce(r.due, o.due_at),
                claimed_by = CASE WHEN r.state = 'queued' THEN NULL ELSE o.claimed_by END, updated_at = now()
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::text[]) AS r(id, state, gw, due, reason)
          WHERE o.message_id = r.id AND o.state = 'submitting' AND o.claimed_by = $6
        RETURNING o.message_id::text, o.tenant_id::text, o.state, o.cost_fen::text, o.attempts, r.gw, r.due::text, r.reason`,
        values: [ids, states, gw, due, reasons, this.instanceId],
      });
      const byTenant = new Map<string, typeof rows>();
      for (const r of rows) {
        const list = byTenant.get(r.tenant_id) ?? [];
        list.push(r);
        byTenant.set(r.tenant_id, list);
      }
      for (const [tenantId, list] of byTenant) {
        await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
        await client.query({
          name: 'sms_record_outbound',
          text: `UPDATE sms_outbound m
              SET status = CASE
                    WHEN r.state = 'sent' AND m.status IN ('queued', 'submitting') THEN 'sent'
                    WHEN r.state = 'failed' AND m.status IN ('queued', 'submitting', 'sent') THEN 'failed'
                    ELSE m.status END,
                  fail_reason = CASE WHEN r.state = 'failed' AND m.status IN ('queued', 'submitting', 'sent') THEN r.reason ELSE m.fail_reason END,
                  gateway_message_id = coalesce(r.gw, m.gateway_message_id),
                  sent_at = CASE WHEN r.state = 'sent' THEN coalesce(m.sent_at, now()) ELSE m.sent_at END,
                  final_at = CASE WHEN r.state = 'failed' THEN coalesce(m.final_at, now()) ELSE m.final_at END,
                  next_attempt_at = r.due, attempts = r.attempts,
                  refunded = m.refunded OR r.state = 'failed'
             FROM unnest($2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::int[]) AS r(id, state, gw, due, reason, attempts)
            WHERE m.tenant_id = $1 AND m.id = r.id`,
          values: [tenantId, list.map((r) => r.message_id), list.map((r) => r.state), list.map((r) => r.gw), list.map((r) => r.due), list.map((r) => r.reason), list.map((r) => r.attempts)],
        });
        const refunds = list.filter((r) => r.state === 'failed' && Number(r.cost_fen) > 0);
        if (refunds.length > 0) {
          const total = refunds.reduce((s, r) => s + Number(r.cost_fen), 0);
          const { rows: t } = await client.query<{ credit_fen: string }>(
            'UPDATE tenants SET credit_fen = credit_fen + $2 WHERE id = $1 RETURNING credit_fen::text',
            [tenantId, total],
          );
          // running balance after each refund, ending at the tenant's new balance
          let balance = Number(t[0]!.credit_fen) - total;
          const after = refunds.map((r) => (balance += Number(r.cost_fen)));
          await client.query(
            `INSERT INTO sms_credit_ledger (tenant_id, delta_fen, balance_after_fen, reason, ref_type, ref_id)
             SELECT $1, r.delta, r.after, 'sms_refund', 'sms_message', r.id
               FROM unnest($2::bigint[], $3::bigint[], $4::text[]) AS r(delta, after, id)`,
            [tenantId, refunds.map((r) => r.cost_fen), after, refunds.map((r) => r.message_id)],
          );
        }
        for (const r of list) {
          if (r.state === 'sent') sent++;
          else if (r.state === 'queued') retried++;
          else failed++;
        }
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    this.metrics.submitted.inc(sent);
    this.metrics.retried.inc(retried);
    this.metrics.failed.inc(failed);
    if (failed > 0) this.log.warn({ failed }, 'SMS refused by the gateway; refunded');
  }
}
