import PgBoss from 'pg-boss';
import type { Logger } from 'pino';

/** Every job payload names its tenant (or says it is platform-wide), so a worker can never run
 * tenant work without knowing whose it is. */
export type JobPayload = { tenantId: string } | { platform: true };

export interface Scheduled<T extends JobPayload> {
  name: string;
  cron: string;
  data: T;
  handler: (data: T) => Promise<unknown>;
}

export interface JobRunner {
  boss: PgBoss;
  stop(): Promise<void>;
}

/** Starts pg-boss 10 on the same database (its own schema `pgboss`), registers the scheduled
 * jobs and their workers. pg-boss keeps locks in the database, so any number of server
 * processes may run workers side by side; a cron fires once across all of them. */
export async function startJobs(opts: { url: string; log: Logger; scheduled: Scheduled<JobPayload>[] }): Promise<JobRunner> {
  const boss = new PgBoss({ connectionString: opts.url, schema: 'pgboss', max: 4, application_name: 'memberdesk-jobs' });
  let stopping = false;
  boss.on('error', (err) => {
    // While we stop, the database may close pg-boss's connections first (57P01): expected.
    if (stopping && (err as { code?: string }).code === '57P01') opts.log.debug({ err }, 'pg-boss connection closed during shutdown');
    else opts.log.error({ err }, 'pg-boss error');
  });
  await boss.start();
  for (const job of opts.scheduled) {
    await boss.createQueue(job.name);
    await boss.schedule(job.name, job.cron, job.data);
    await boss.work(job.name, { pollingIntervalSeconds: 5 }, async (jobs) => {
      for (const j of jobs) {
        const result = await job.handler(j.data as JobPayload);
        opts.log.info({ job: job.name, id: j.id, result }, 'job done');
      }
    });
  }
  return {
    boss,
    async stop() {
      stopping = true;
      // graceful: let running handlers finish; then close pg-boss's pool
      await boss.stop({ graceful: true, wait: true, timeout: 20_000 });
    },
  };
}
