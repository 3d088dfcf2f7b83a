/**
 * Raw, parameterised SQL for the ledger's hot paths. stack-notes.md: drizzle's query building
 * costs about twice raw `pg`, so value-moving requests run named prepared statements on a
 * pooled client inside one tenant-bound transaction, in as few round trips as possible.
 */
import type pg from 'pg';
import { badRequest } from '../platform/http/problem.js';

/** A transaction-bound client: pass it, never the pool, so every statement sees the tenant. */
export interface LoyaltyTx {
  readonly tenantId: string;
  /** the pool the transaction came from: caches are kept per database */
  readonly scope: object;
  /**
   * Runs one statement. `opts.commit`: this is the transaction's last statement; COMMIT travels
   * with it (the caller does nothing after it but return).
   */
  query<R extends pg.QueryResultRow = any>(name: string | null, text: string, values?: unknown[], opts?: { commit?: boolean }): Promise<R[]>;
}

/** Names of the SQL-level prepared statements (PREPARE) each connection holds. */
const prepared = new WeakMap<pg.PoolClient, Set<string>>();

/** A value as an SQL literal (E'' escaping, so it is safe whatever standard_conforming_strings says). */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Buffer.isBuffer(value)) return `E'\\\\x${value.toString('hex')}'`;
  if (value instanceof Date) return quote(value.toISOString());
  if (Array.isArray(value)) return quote(arrayLiteral(value));
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`sqlLiteral: ${value} is not a finite number`);
    return quote(String(value));
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return quote(value);
  return quote(JSON.stringify(value));
}

/** A statement with its $n placeholders replaced by the values as literals (statements built
 * here hold no other `$`). */
export function inlineParams(text: string, values: readonly unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= values.length) throw new Error(`inlineParams: no value for $${n}`);
    return sqlLiteral(values[i]);
  });
}

function quote(text: string): string {
  // PostgreSQL text cannot hold NUL; the extended protocol would refuse it too
  if (text.includes('\0')) throw badRequest('Text must not contain NUL characters');
  const escaped = text.replace(/'/g, "''");
  return text.includes('\\') ? `E'${escaped.replace(/\\/g, '\\\\')}'` : `'${escaped}'`;
}

function arrayLiteral(values: unknown[]): string {
  const items = values.map((v) => {
    if (v === null || v === undefined) return 'NULL';
    if (Array.isArray(v)) return arrayLiteral(v);
    // bytea in an array: the hex form \\x… (its backslash is escaped below like any other)
    const text = Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  });
  return `{${items.join(',')}}`;
}

const RETRYABLE = new Set(['40P01', '40001']); // deadlock, serialization failure

/**
 * Runs `fn` in one transaction bound to `tenantId` (RLS then shows only its rows). BEGIN, the
 * tenant setting and an optional transaction-scoped advisory lock travel with the transaction's
 * first statement, and COMMIT with a statement marked `commit`: a purchase is two round trips
 * (BEGIN … member lock; write … COMMIT). To share a round trip with other statements a named
 * statement runs as SQL-level `EXECUTE name(literals)` of a statement PREPAREd once per
 * connection (so its plan is cached like a protocol-level prepared statement's); unnamed ones
 * run on their own. Deadlocks are retried a few times; everything else rolls back and rethrows.
 */
export async function inLoyaltyTx<T>(
  pool: pg.Pool,
  tenantId: string,
  fn: (tx: LoyaltyTx) => Promise<T>,
  opts: { lockKey?: bigint; lockKeys?: bigint[]; keyedPlans?: boolean } = {},
): Promise<T> {
  if (!/^\d{1,18}$/.test(tenantId)) throw new Error(`inLoyaltyTx: invalid tenant id ${JSON.stringify(tenantId)}`);
  // Literals only (a digit-string tenant id and bigints). Several keys are taken in one order,
  // so two transactions wanting overlapping sets cannot deadlock on them.
  const keys = [...new Set([...(opts.lockKey === undefined ? [] : [opts.lockKey]), ...(opts.lockKeys ?? [])].map((k) => BigInt.asIntN(64, k)))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const lock = keys.map((k) => `, pg_advisory_xact_lock(${k.toString()})`).join('');
  // keyedPlans: the transaction's prepared statements reach every row through a key. Their one
  // generic plan is made at once and without sequential scans, so a plan made while a table was
  // small cannot read all of it once it has grown (seen: a batch write 3× slower within a minute).
  const plans = opts.keyedPlans ? `, set_config('enable_seqscan', 'off', true), set_config('plan_cache_mode', 'force_generic_plan', true)` : '';
  const begin = `BEGIN; SELECT set_config('app.tenant_id', '${tenantId}', true)${plans}${lock}`;
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let released = false;
    let begun = false;
    let committed = false;
    try {
      const tx: LoyaltyTx = {
        tenantId,
        scope: pool,
        async query(name, text, values = [], qopts = {}) {
          if (committed) throw new Error('inLoyaltyTx: a statement after the one that committed');
          const commit = qopts.commit === true;
          if (!name) {
            if (begun && !commit) return (await client.query({ text, values })).rows;
            // BEGIN and/or COMMIT travel with it: one round trip, its values as literals
            const parts = begun ? [] : [begin];
            parts.push(inlineParams(text, values));
            if (commit) parts.push('COMMIT');
            begun = true;
            const res = (await client.query(parts.join('; '))) as unknown as pg.QueryResult | pg.QueryResult[];
            if (commit) committed = true;
            return (Array.isArray(res) ? res[res.length - (commit ? 2 : 1)]! : res).rows;
          }
          if (begun && !commit) return (await client.query({ name, text, values })).rows;
          const sqlName = `x_${name}`;
          let names = prepared.get(client);
          if (!names) prepared.set(client, (names = new Set()));
          if (!names.has(sqlName)) {
            // once per connection; PREPARE is not undone by a rollback
            await client.query(`PREPARE ${sqlName} AS ${text}`);
            names.add(sqlName);
          }
          const parts: string[] = [];
          if (!begun) parts.push(begin);
          parts.push(values.length ? `EXECUTE ${sqlName}(${values.map(sqlLiteral).join(', ')})` : `EXECUTE ${sqlName}`);
          if (commit) parts.push('COMMIT');
          begun = true;
          const res = (await client.query(parts.join('; '))) as unknown as pg.QueryResult | pg.QueryResult[];
          if (commit) committed = true;
          // the EXECUTE's result: the last one, or the one before COMMIT's
          return (Array.isArray(res) ? res[res.length - (commit ? 2 : 1)]! : res).rows;
        },
      };
      const result = await fn(tx);
      if (begun && !committed) await client.query('COMMIT');
      return result;
    } catch (err) {
      if (begun && !committed) {
        try {
          await client.query('ROLLBACK');
        } catch {
          // the connection is broken: do not return it to the pool
          client.release(true);
          released = true;
        }
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
