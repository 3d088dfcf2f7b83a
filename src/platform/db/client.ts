import pg from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';

/** The role every application query runs as. It owns no table, so row-level security binds it. */
export const APP_ROLE = 'memberdesk_app';

// bigint ids and money columns stay exact: pg returns int8 as a string, which we keep and
// convert deliberately where a JS number is safe (money and points fit in 2^53).
export type Db = NodePgDatabase<Record<string, never>>;

export interface Database {
  /** Pool whose connections run as APP_ROLE (row-level security applies). */
  pool: pg.Pool;
  db: Db;
  /** Connection string of the owner, used for migrations and pg-boss's own schema. */
  ownerUrl: string;
  close(): Promise<void>;
}

export function connectDatabase(url: string, opts: { max?: number } = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 20,
    idleTimeoutMillis: 30_000,
    application_name: 'memberdesk',
    // The role is a startup parameter, so it is in force before any query on the connection.
    options: `-c role=${APP_ROLE}`,
  });
  // An idle client that loses its server (restart, network) must not crash the process.
  pool.on('error', () => undefined);
  const db = drizzle(pool) as Db;
  return {
    pool,
    db,
    ownerUrl: url,
    async close() {
      await pool.end();
    },
  };
}
