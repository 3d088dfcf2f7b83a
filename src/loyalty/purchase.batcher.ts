/**
 * Purchases arriving together go to the database together. Requests from one actor of one
 * tenant queue here; up to `maxInFlight` batches of that queue run at once, and each takes
 * everything waiting (up to `maxBatch`). A lone request runs at once, alone; under load the
 * queue fills while a batch runs, so batches grow with the load by themselves and nothing
 * waits on a timer. `recordPurchases` guarantees each purchase the outcome it would have had alone.
 */
import type pg from 'pg';
import type { IdempotencyRequest, Outcome } from './idempotency.js';
import { narrowScope, type LedgerActor } from './ledger.repo.js';
import { recordPurchase, recordPurchases, type PurchaseInput, type PurchaseResult } from './purchase.service.js';

interface Waiting {
  input: PurchaseInput;
  idem: IdempotencyRequest | null;
  resolve: (o: Outcome<PurchaseResult>) => void;
  reject: (err: unknown) => void;
}

interface Queue {
  tenantId: string;
  actor: LedgerActor;
  waiting: Waiting[];
  inFlight: number;
}

export class PurchaseBatcher {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly pool: pg.Pool,
    // One batch at a time per queue measured best (bench/loyalty.bench.ts, 32 clients): two let
    // Node and PostgreSQL overlap but halve the batches, and the per-batch costs then won.
    private readonly opts: { maxInFlight: number; maxBatch: number } = { maxInFlight: 1, maxBatch: 64 },
  ) {}

  record(tenantId: string, actor: LedgerActor, input: PurchaseInput, idem: IdempotencyRequest | null): Promise<Outcome<PurchaseResult>> {
    // An operator scoped to part of the org tree has the store checked per purchase: alone.
    if (narrowScope(actor) !== null) return recordPurchase(this.pool, tenantId, actor, input, idem);
    const key = JSON.stringify([tenantId, actor.type, actor.id, actor.name]);
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = { tenantId, actor, waiting: [], inFlight: 0 }));
    const queue = q;
    return new Promise((resolve, reject) => {
      queue.waiting.push({ input, idem, resolve, reject });
      this.pump(key, queue);
    });
  }

  private pump(key: string, q: Queue): void {
    while (q.inFlight < this.opts.maxInFlight && q.waiting.length > 0) {
      const jobs = q.waiting.splice(0, this.opts.maxBatch);
      q.inFlight += 1;
      void this.run(q, jobs).finally(() => {
        q.inFlight -= 1;
        if (q.waiting.length > 0) this.pump(key, q);
        else if (q.inFlight === 0) this.queues.delete(key);
      });
    }
  }

  private async run(q: Queue, jobs: Waiting[]): Promise<void> {
    if (jobs.length === 1) {
      const [job] = jobs as [Waiting];
      await recordPurchase(this.pool, q.tenantId, q.actor, job.input, job.idem).then(job.resolve, job.reject);
      return;
    }
    try {
      const results = await recordPurchases(this.pool, q.tenantId, q.actor, jobs);
      results.forEach((r, i) => (r.ok ? jobs[i]!.resolve(r.outcome) : jobs[i]!.reject(r.error)));
    } catch (err) {
      for (const job of jobs) job.reject(err);
    }
  }
}
