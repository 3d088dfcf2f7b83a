import type pg from 'pg';
import type { JobPayload, Scheduled } from '../platform/jobs/queue.js';
import { runMaintenance } from './maintenance.service.js';

/**
 * Hourly: expire reward-point lots and close points-plan periods for every tenant whose local
 * date passed a boundary. Idempotent, so an overlapping or repeated run changes nothing.
 */
export function loyaltyMaintenanceJob(pool: pg.Pool): Scheduled<JobPayload> {
  return { name: 'loyalty.expiry', cron: '5 * * * *', data: { platform: true }, handler: () => runMaintenance(pool) };
}
