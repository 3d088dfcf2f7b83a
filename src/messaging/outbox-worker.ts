/**
 * What the outbox dispatchers share (SMS in dispatcher.ts, email in email.dispatcher.ts): a row
 * in the channel's registry table with a heartbeat, LISTEN for new work, loops that run batches
 * and sleep when there is none, recovery of rows left `submitting` by a claimer whose heartbeat
 * is gone, and a graceful stop that lets in-flight batches finish (bounded) before leaving the
 * registry. Subclasses claim, deliver and record (`runBatch`) and prune their own tables.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';

export interface OutboxWorkerOptions {
  pool: pg.Pool;
  log: Logger;
  instanceId?: string;
  /** Batches in flight at once (each loop claims, delivers, records). */
  loops: number;
  /** Poll interval when idle; a NOTIFY on the outbox channel wakes the loops earlier. */
  pollMs?: number;
  /** A claimer whose heartbeat is older than this is considered dead. */
  orphanAfterMs?: number;
  heartbeatMs?: number;
  /** How long stop() waits for in-flight batches before leaving them to recovery. */
  stopTimeoutMs?: number;
}

/** The channel's tables (platform tables: fixed names, never user input) and its name in logs. */
export interface OutboxTables {
  outbox: 'sms_outbox' | 'email_outbox';
  registry: 'sms_dispatchers' | 'email_dispatchers';
  /** 'SMS', 'email' */
  what: string;
}

export abstract class OutboxWorker {
  readonly instanceId: string;
  protected readonly pool: pg.Pool;
  protected readonly log: Logger;
  protected running = false;
  private readonly loops: number;
  private readonly pollMs: number;
  private readonly orphanAfterMs: number;
  private readonly heartbeatMs: number;
  private readonly stopTimeoutMs: number;
  private loopPromises: Promise<void>[] = [];
  private wakers: (() => void)[] = [];
  private listener: pg.PoolClient | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private prunedAt = 0;

  protected constructor(
    private readonly tables: OutboxTables,
    opts: OutboxWorkerOptions,
    private readonly recovered: Counter,
  ) {
    this.pool = opts.pool;
    this.log = opts.log;
    this.instanceId = opts.instanceId ?? `${process.pid}-${randomUUID()}`;
    this.loops = opts.loops;
    this.pollMs = opts.pollMs ?? 1000;
    this.orphanAfterMs = opts.orphanAfterMs ?? 30_000;
    this.heartbeatMs = opts.heartbeatMs ?? 5_000;
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 15_000;
  }

  /** One batch: claim, deliver, record. Returns the number claimed (0: nothing due). */
  abstract runBatch(): Promise<number>;

  /** Deletes what the channel keeps no longer (run about hourly from the heartbeat). */
  protected abstract prune(): Promise<void>;

  /** Runs after the loops have stopped, before the registry row goes (e.g. close connections). */
  protected async afterLoops(): Promise<void> {}

  async start(): Promise<void> {
    const { outbox, registry } = this.tables;
    await this.pool.query(`INSERT INTO ${registry} (instance_id) VALUES ($1) ON CONFLICT (instance_id) DO UPDATE SET heartbeat_at = now()`, [this.instanceId]);
    await this.recoverOrphans();
    this.running = true;
    try {
      this.listener = await this.pool.connect();
      this.listener.on('notification', () => this.wake());
      this.listener.on('error', (err) => {
        if (this.running) this.log.warn({ err }, 'LISTEN connection lost; polling only');
      });
      await this.listener.query(`LISTEN ${outbox}`);
    } catch (err) {
      this.log.warn({ err }, 'could not LISTEN; polling only');
    }
    this.heartbeat = setInterval(() => void this.beat(), this.heartbeatMs);
    this.heartbeat.unref();
    for (let i = 0; i < this.loops; i++) this.loopPromises.push(this.loop());
  }

  /** Wakes idle loops (new messages were queued in this process). */
  wake(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.all(this.loopPromises).then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), this.stopTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!finished) {
      this.log.warn(
        { instanceId: this.instanceId },
        `${this.tables.what} deliveries still outstanding at shutdown; their messages stay "submitting" and are delivered again by the next dispatcher`,
      );
    }
    await this.afterLoops();
    if (this.listener) {
      this.listener.removeAllListeners('notification');
      await this.listener.query(`UNLISTEN ${this.tables.outbox}`).catch(() => undefined);
      this.listener.release();
      this.listener = null;
    }
    // Leaving the registry: whatever this instance still holds is an orphan from now on.
    await this.pool.query(`DELETE FROM ${this.tables.registry} WHERE instance_id = $1`, [this.instanceId]).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    try {
      await this.pool.query(`UPDATE ${this.tables.registry} SET heartbeat_at = now() WHERE instance_id = $1`, [this.instanceId]);
      await this.recoverOrphans();
      if (Date.now() - this.prunedAt > 3600_000) {
        this.prunedAt = Date.now();
        await this.prune();
      }
    } catch (err) {
      if (this.running) this.log.warn({ err }, 'dispatcher heartbeat failed');
    }
  }

  /** Rows `submitting` under a claimer that is gone (no heartbeat row, or a stale one). */
  async recoverOrphans(): Promise<number> {
    const { outbox, registry, what } = this.tables;
    const { rows } = await this.pool.query<{ message_id: string; claimed_by: string }>(
      `UPDATE ${outbox} o SET state = 'queued', claimed_by = NULL, due_at = now(), updated_at = now()
        WHERE o.state = 'submitting' AND o.claimed_by IS DISTINCT FROM $1
          AND NOT EXISTS (SELECT 1 FROM ${registry} d
                           WHERE d.instance_id = o.claimed_by AND d.heartbeat_at > now() - make_interval(secs => $2))
        RETURNING o.message_id::text, o.claimed_by`,
      [this.instanceId, this.orphanAfterMs / 1000],
    );
    if (rows.length > 0) {
      this.recovered.inc(rows.length);
      this.log.warn({ count: rows.length, from: [...new Set(rows.map((r) => r.claimed_by))] }, `queued again ${what} left "submitting" by a dispatcher that is gone`);
      await this.pool.query(`DELETE FROM ${registry} WHERE heartbeat_at < now() - make_interval(secs => $1)`, [this.orphanAfterMs / 1000]);
      this.wake();
    }
    return rows.length;
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, this.pollMs);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakers.push(done);
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const n = await this.runBatch();
        if (n === 0 && this.running) await this.idle();
      } catch (err) {
        if (!this.running) break;
        this.log.error({ err }, 'dispatcher batch failed');
        await this.idle();
      }
    }
  }
}
