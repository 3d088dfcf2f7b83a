import pino from 'pino';
import { startEmbeddedPostgres } from '../platform/db/embedded.js';
import { migrate } from '../platform/db/migrate.js';
import { loadConfig } from './config.js';

/** `npm run migrate`: apply pending migrations to DATABASE_URL, or to the embedded cluster. */
const config = loadConfig();
const log = pino({ level: config.logLevel });
const embedded = config.databaseUrl ? null : await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, database: 'memberdesk', log });
try {
  const applied = await migrate(config.databaseUrl ?? embedded!.url, log);
  log.info({ applied }, applied.length ? 'migrations applied' : 'database is up to date');
} finally {
  await embedded?.stop();
}
