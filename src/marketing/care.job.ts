import type { Logger } from 'pino';
import type { Database } from '../platform/db/client.js';
import type { JobPayload, Scheduled } from '../platform/jobs/queue.js';
import { runCare } from './care.service.js';

/**
 * Every 5 minutes: automated care for every active tenant — each enabled rule whose local send
 * time has passed today sends to the members due (once per member per occasion, see
 * care.service.ts). pg-boss fires a cron once across all processes; a run overlapping another
 * (or a merchant's manual run) sends nothing twice.
 */
export function careJob(database: Pick<Database, 'db'>, log?: Logger): Scheduled<JobPayload> {
  return { name: 'care.run', cron: '*/5 * * * *', data: { platform: true }, handler: () => runCare(database.db, log ? { log } : {}) };
}
