import type { Logger } from 'pino';
import { connectDatabase, type Database } from '../platform/db/client.js';
import { DataDirInUseError, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../platform/db/embedded.js';
import { migrate } from '../platform/db/migrate.js';
import type { Config } from '../server/config.js';

export class CliError extends Error {}

/**
 * The database the server would use: DATABASE_URL, or the embedded PostgreSQL in the data
 * folder. The embedded cluster can only be run by one process: while the server holds the
 * folder, the CLI says so instead of waiting or corrupting anything.
 */
export async function openDatabase(config: Readonly<Config>, log: Logger): Promise<{ database: Database; close(): Promise<void> }> {
  let embedded: EmbeddedPostgresHandle | null = null;
  let url = config.databaseUrl;
  if (!url) {
    try {
      embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, database: 'memberdesk', log });
    } catch (err) {
      if (err instanceof DataDirInUseError && /in use by another memberdesk process/.test(err.message)) {
        throw new CliError(
          `${err.message}\nThe server is running on this data folder: import through the running server instead ` +
            `(the console's import page, or POST /api/v1/members/imports), or stop the server and run this command again.`,
        );
      }
      throw err;
    }
    url = embedded.url;
  }
  try {
    await migrate(url, log);
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  const database = connectDatabase(url, { max: 6 });
  return {
    database,
    async close() {
      await database.close();
      await embedded?.stop();
    },
  };
}

export async function findTenant(database: Database, slug: string): Promise<{ tenantId: string; scopePath: string }> {
  const t = await database.pool.query<{ id: string; status: string }>(`select id::text, status from tenants where slug = $1`, [slug]);
  const row = t.rows[0];
  if (!row) throw new CliError(`No merchant with the slug "${slug}"`);
  const client = await database.pool.connect();
  try {
    await client.query('begin');
    await client.query(`select set_config('app.tenant_id', $1, true)`, [row.id]);
    const hq = await client.query<{ path: string }>(`select path from org_nodes where tenant_id = $1 and parent_id is null`, [row.id]);
    await client.query('commit');
    return { tenantId: row.id, scopePath: hq.rows[0]?.path ?? '/' };
  } finally {
    client.release();
  }
}
