import pino from 'pino';
import { connectDatabase } from '../platform/db/client.js';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../platform/db/embedded.js';
import { migrate } from '../platform/db/migrate.js';
import { startJobs, type JobRunner } from '../platform/jobs/queue.js';
import { ensurePlatformAdmin, purgeExpiredSessions } from '../platform/tenancy/auth.service.js';
import { loyaltyMaintenanceJob } from '../loyalty/index.js';
import { careJob } from '../marketing/care.job.js';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

async function main() {
  const config = loadConfig();
  const log = pino({ level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie'] });
  const started = Date.now();

  let embedded: EmbeddedPostgresHandle | null = null;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, avoidPort: config.port, database: 'memberdesk', log });
    url = embedded.url;
    log.info({ dataDir: config.dataDir, port: embedded.port }, 'embedded PostgreSQL is running');
  }

  const database = connectDatabase(url);
  let jobs: JobRunner | null = null;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: draining HTTP, stopping jobs, closing the database');
    const force = setTimeout(() => {
      log.error('shutdown took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    try {
      await app?.close();
      if (app && !(await app.drained(15_000))) log.warn('some requests were still running after 15 s');
      await jobs?.stop();
      await database.close();
      await embedded?.stop();
    } catch (err) {
      log.error({ err }, 'error during shutdown');
    }
    log.info('bye');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  let app: Awaited<ReturnType<typeof buildApp>> | null = null;
  try {
    await migrate(database.ownerUrl, log);
    await ensurePlatformAdmin(database.db, config.adminPassword, log);
    app = await buildApp({ config, database, logger: log });
    await app.listen({ port: config.port, host: config.host });
    if (config.jobs) {
      jobs = await startJobs({
        url,
        log,
        scheduled: [
          { name: 'sessions.purge', cron: '*/10 * * * *', data: { platform: true }, handler: () => purgeExpiredSessions(database.db) },
          loyaltyMaintenanceJob(database.pool),
          careJob(database, log),
        ],
      });
    }
  } catch (err) {
    log.error({ err }, 'memberdesk failed to start');
    await app?.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    process.exit(1);
  }
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  log.info({ ms: Date.now() - started }, `memberdesk is ready: console http://${shown}:${config.port}/  API docs http://${shown}:${config.port}/api/docs`);
}

main().catch((err) => {
  // Configuration and data-folder problems are the user's to fix: say so plainly.
  console.error(`memberdesk could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
