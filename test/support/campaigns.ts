import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { buildApp, type AppDeps } from '../../src/server/app.js';
import { loadConfig } from '../../src/server/config.js';
import { ensurePlatformAdmin } from '../../src/platform/tenancy/auth.service.js';
import { packageRoot } from '../../src/platform/paths.js';
import type { TestDatabase } from './test-db.js';
import { ADMIN_PASSWORD } from './test-server.js';
import type { SmsApp } from './sms.js';

/** The real app over `database` with the SMS gateway and campaign fan-out settings of the test. */
export async function startCampaignApp(database: TestDatabase, opts: Pick<AppDeps, 'smsGateway' | 'smsDispatcher' | 'campaignFanout'> = {}): Promise<SmsApp> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', MEMBERDESK_CONSOLE_DIR: path.join(packageRoot(), 'console/dist') });
  const logger = pino({ level: config.logLevel });
  await ensurePlatformAdmin(database.db, ADMIN_PASSWORD, logger);
  const app = await buildApp({ config, database, logger, campaignFanout: { pollingIntervalSeconds: 0.5, ...opts.campaignFanout }, ...opts });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { baseUrl: `http://127.0.0.1:${port}`, app, close: () => app.close() };
}

/** Inserts `n` members straight into the tenant's table (as the owner, bound to the tenant):
 * phones 139 + prefix + index, names `name(i)`, tag `tag`. Returns their ids in order. */
export async function seedMembers(
  owner: pg.Client,
  tenantId: string,
  n: number,
  opts: { prefix: string; tag: string; name?: (i: number) => string | null; optOut?: (i: number) => boolean; email?: (i: number) => string | null },
): Promise<string[]> {
  const ids: string[] = [];
  await owner.query('BEGIN');
  await owner.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
  for (let i = 0; i < n; i++) {
    const { rows } = await owner.query<{ id: string }>(
      `INSERT INTO members (tenant_id, card_no, phone, name, tags, sms_opt_out, email, source) VALUES ($1, $2, $3, $4, $5, $6, $7, 'import') RETURNING id::text`,
      [tenantId, `C${opts.prefix}${String(i).padStart(5, '0')}`, `+86139${opts.prefix}${String(i).padStart(5, '0')}`, opts.name ? opts.name(i) : `M${i}`, [opts.tag], opts.optOut?.(i) ?? false, opts.email?.(i) ?? null],
    );
    ids.push(rows[0]!.id);
  }
  await owner.query('COMMIT');
  return ids;
}
