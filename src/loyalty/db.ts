/**
 * Raw, parameterised SQL for the ledger's hot paths. stack-notes.md: drizzle's query building
 * costs about twice raw `pg`, so value-moving requests run named prepared statements on a
 * pooled client inside one tenant-bound transaction, in as few round trips as possible.
 */
import type pg from 'pg';

/** A transaction-bound client: pass it, never the pool, so every statement sees the tenant. */
export interface LoyaltyTx {
  readonly tenantId: string;
  /** the pool the transaction came from: caches are kept per database */
  readonly scope: object;
  query<R extends pg.QueryResultRow = any>(name: string | null, text: string, values?: unknown[]): Promise<R[]>;
}

const RETRYABLE = new Set(['40P01', '40001']); // deadlock, serialization failure

/**
 * Runs `fn` in one transaction bound to `tenantId` (RLS then shows only its rows). BEGIN, the
 * tenant setting and an optional transaction-scoped advisory lock travel in one round trip.
 * Deadlocks are retried a few times; everything else rolls back and rethrows.
 */
export async function inLoyaltyTx<T>(pool: pg.Pool, tenantId: string, fn: (tx: LoyaltyTx) => Promise<T>, opts: { lockKey?: bigint } = {}): Promise<T> {
  if (!/^\d{1,18}$/.test(tenantId)) throw new Error(`inLoyaltyTx: invalid tenant id ${JSON.stringify(tenantId)}`);
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let released = false;
    try {
      // Literals only (a digit-string tenant id and a bigint): the simple protocol may carry
      // several statements in one round trip.
      const lock = opts.lockKey === undefined ? '' : `, pg_advisory_xact_lock(${BigInt.asIntN(64, opts.lockKey).toString()})`;
      await client.query(`BEGIN; SELECT set_config('app.tenant_id', '${tenantId}', true)${lock}`);
      const tx: LoyaltyTx = {
        tenantId,
        scope: pool,
        async query(name, text, values) {
          const res = await client.query(name ? { name, text, values } : { text, values });
          return res.rows;
        },
      };
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        // the connection is broken: do not return it to the pool
        client.release(true);
        released = true;
      }
      const code = (err as { code?: string }).code;
      if (code && RETRYABLE.has(code) && attempt < 4) continue;
      throw err;
    } finally {
      if (!released) client.release();
    }
  }
}

/** A pg error code, if the error is one. */
export function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
