/**
 * Delivery reports: found by the gateway's message id in the platform outbox map, then the
 * status moves forward only. Reports are written in batches (whatever arrived within a few
 * milliseconds, one statement per tenant in one transaction); each report's promise resolves
 * once its batch is committed, so a gateway acknowledges a receipt only after it is recorded.
 * Unknown ids are logged and counted, never thrown.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { DeliveryReport } from './gateway.js';
import { advanceStatus, type OutboundStatus } from './schedule.rules.js';

export interface DlrHandlerDeps {
  pool: pg.Pool;
  log: Logger;
  registry?: Registry;
  /** Waits until a just-submitted message's gateway id is recorded (the dispatcher's settled()). */
  settled?: (gatewayMessageId: string) => Promise<void>;
  /** Collect reports this long before writing them (default 2 ms). */
  lingerMs?: number;
  maxBatch?: number;
}

export type DlrOutcome = 'updated' | 'unchanged' | 'unknown';

interface Pending {
  report: DeliveryReport;
  resolve: (o: DlrOutcome) => void;
}

const STATE: Record<DeliveryReport['state'], OutboundStatus> = { accepted: 'sent', delivered: 'delivered', failed: 'failed' };

export function deliveryReportHandler(deps: DlrHandlerDeps) {
  const registers = deps.registry ? [deps.registry] : [];
  const received = new Counter({ name: 'memberdesk_sms_dlr_total', help: 'Delivery reports received, by state', labelNames: ['state'] as const, registers });
  const unknown = new Counter({ name: 'memberdesk_sms_dlr_unknown_total', help: 'Delivery reports for a message id memberdesk does not know', registers });
  const log = deps.log.child({ component: 'sms-dlr' });
  const linger = deps.lingerMs ?? 2;
  const maxBatch = deps.maxBatch ?? 500;
  const queue: Pending[] = [];
  let timer: NodeJS.Timeout | null = null;

  async function lookup(ids: string[]) {
    const { rows } = await deps.pool.query<{ gateway_message_id: string; message_id: string; tenant_id: string }>(
      'SELECT gateway_message_id, message_id::text, tenant_id::text FROM sms_outbox WHERE gateway_message_id = ANY($1::text[])',
      [ids],
    );
    return new Map(rows.map((r) => [r.gateway_message_id, r]));
  }

  async function write(batch: Pending[]): Promise<void> {
    const outcome = new Map<Pending, DlrOutcome>();
    const valid = batch.filter((p) => {
      const id = p.report.gatewayMessageId;
      if (typeof id === 'string' && id !== '' && id.length <= 200 && STATE[p.report.state]) return true;
      outcome.set(p, 'unknown');
      return false;
    });
    const ids = [...new Set(valid.map((p) => p.report.gatewayMessageId))];
    let found = ids.length ? await lookup(ids) : new Map();
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length && deps.settled) {
      // a report may overtake the batch write of its submit result
      await Promise.all(missing.map((id) => deps.settled!(id)));
      const more = await lookup(missing);
      found = new Map([...found, ...more]);
    }
    // per message: the furthest state the reports of this batch reach (forward-only)
    const perMessage = new Map<string, { tenantId: string; state: OutboundStatus; at: Date; detail?: string; reports: Pending[] }>();
    for (const p of valid) {
      const hit = found.get(p.report.gatewayMessageId);
      if (!hit) {
        outcome.set(p, 'unknown');
        continue;
      }
      const at = p.report.at instanceof Date && !Number.isNaN(p.report.at.getTime()) ? p.report.at : new Date();
      const cur = perMessage.get(hit.message_id);
      const state = STATE[p.report.state];
      if (!cur) perMessage.set(hit.message_id, { tenantId: hit.tenant_id, state, at, detail: p.report.detail, reports: [p] });
      else {
        cur.reports.push(p);
        const next = advanceStatus(cur.state, state);
        if (next !== cur.state) Object.assign(cur, { state: next, at, detail: p.report.detail });
      }
    }
    const byTenant = new Map<string, [string, (typeof perMessage extends Map<string, infer V> ? V : never)][]>();
    for (const e of perMessage) {
      const list = byTenant.get(e[1].tenantId) ?? [];
      list.push(e);
      byTenant.set(e[1].tenantId, list);
    }
    const changed = new Set<string>();
    if (byTenant.size) {
      const client = await deps.pool.connect();
      try {
        await client.query('BEGIN');
        for (const [tenantId, list] of byTenant) {
          await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
          const { rows } = await client.query<{ id: string }>(
            `UPDATE sms_outbound m
                SET status = r.state,
                    sent_at = coalesce(m.sent_at, r.at),
                    final_at = CASE WHEN r.state = 'sent' THEN m.final_at ELSE r.at END,
                    fail_reason = CASE WHEN r.state = 'failed' THEN r.reason ELSE m.fail_reason END
               FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::text[]) AS r(id, state, at, reason)
              WHERE m.tenant_id = $1 AND m.id = r.id
                AND ((r.state = 'sent' AND m.status IN ('queued', 'submitting'))
                  OR (r.state <> 'sent' AND m.status IN ('queued', 'submitting', 'sent')))
            RETURNING m.id::text`,
            [
              tenantId,
              list.map(([id]) => id),
              list.map(([, v]) => v.state),
              list.map(([, v]) => v.at),
              list.map(([, v]) => (v.state === 'failed' ? `undelivered${v.detail ? `:${v.detail.slice(0, 100)}` : ''}` : null)),
            ],
          );
          for (const r of rows) changed.add(r.id);
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    }
    for (const [id, v] of perMessage) for (const p of v.reports) outcome.set(p, changed.has(id) ? 'updated' : 'unchanged');
    for (const p of batch) {
      const o = outcome.get(p) ?? 'unchanged';
      if (o === 'unknown') {
        unknown.inc();
        log.warn({ gatewayMessageId: p.report.gatewayMessageId, state: p.report.state, gateway: p.report.gateway }, 'delivery report for an unknown message');
      }
      p.resolve(o);
    }
  }

  function flush() {
    timer = null;
    const batch = queue.splice(0, maxBatch);
    if (queue.length) timer = setTimeout(flush, 0);
    if (batch.length === 0) return;
    write(batch).catch((err: unknown) => {
      log.error({ err, count: batch.length }, 'delivery reports not recorded');
      for (const p of batch) p.resolve('unchanged');
    });
  }

  return function onDeliveryReport(report: DeliveryReport): Promise<DlrOutcome> {
    received.inc({ state: STATE[report?.state] ? report.state : 'invalid' });
    return new Promise<DlrOutcome>((resolve) => {
      queue.push({ report, resolve });
      if (queue.length >= maxBatch) {
        if (timer) clearTimeout(timer);
        flush();
      } else if (!timer) timer = setTimeout(flush, linger);
    });
  };
}
