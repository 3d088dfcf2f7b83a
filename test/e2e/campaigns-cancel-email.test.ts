/**
 * Cancelling an email campaign: emails waiting in the outbox (here for a retry, the SMTP server
 * refusing connections) are taken off it and logged failed / cancelled (no cost); pending
 * recipients are cancelled; nothing is sent after.
 */
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePlatformAdmin } from '../../src/platform/tenancy/auth.service.js';
import { packageRoot } from '../../src/platform/paths.js';
import { buildApp } from '../../src/server/app.js';
import { loadConfig } from '../../src/server/config.js';
import { seedMembers } from '../support/campaigns.js';
import { createTenant, loginAdmin } from '../support/http.js';
import { eventually } from '../support/sms.js';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';
import { ADMIN_PASSWORD } from '../support/test-server.js';

let database: TestDatabase;
let owner: pg.Client;
let app: Awaited<ReturnType<typeof buildApp>>;
let baseUrl = '';

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  database = await createTestDatabase();
  owner = new pg.Client({ connectionString: database.url });
  await owner.connect();
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    MEMBERDESK_CONSOLE_DIR: path.join(packageRoot(), 'console/dist'),
    MEMBERDESK_SMTP_HOST: '127.0.0.1',
    MEMBERDESK_SMTP_PORT: String(await closedPort()),
    MEMBERDESK_EMAIL_FROM: 'noreply@memberdesk.test',
  });
  const logger = pino({ level: config.logLevel });
  await ensurePlatformAdmin(database.db, ADMIN_PASSWORD, logger);
  app = await buildApp({
    config,
    database,
    logger,
    // a failed attempt waits a minute: the emails stay queued in the outbox, unclaimed
    emailDispatcher: { pollMs: 50, retryDelay: () => 60_000, heartbeatMs: 500 },
    campaignFanout: { pollingIntervalSeconds: 0.5, batchSize: 2, pauseBetweenBatchesMs: 1_500 },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}, 60_000);
afterAll(async () => {
  await app?.close();
  await owner?.end();
  await database?.drop();
});

describe('cancelling an email campaign', () => {
  it('withdraws the queued emails and cancels the pending recipients', async () => {
    const t = await createTenant(baseUrl, await loginAdmin(baseUrl), 'cancel-mail', '66');
    await seedMembers(owner, t.tenant.id, 6, { prefix: '660', tag: 'promo', email: (i) => `m${i}@example.cn` });
    const r = await t.api.post('/api/v1/campaigns', { name: 'mail', channel: 'email', filter: { all: [{ field: 'tag', op: 'eq', value: 'promo' }] }, template: { subject: 's', body: 'b {name}' }, marketing: true });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const id = r.body.id as string;
    expect((await t.api.post(`/api/v1/campaigns/${id}/send`)).status).toBe(202);
    // the first batch was tried once and waits for its retry
    const outbox = async () =>
      (await owner.query<{ state: string; attempts: number }>(`SELECT state, attempts FROM email_outbox WHERE tenant_id = $1`, [t.tenant.id])).rows;
    await eventually(async () => {
      const rows = await outbox();
      return (rows.length >= 2 && rows.every((x) => x.state === 'queued' && x.attempts >= 1)) || null;
    }, 'first batch waiting for a retry', 20_000);
    const c = await t.api.post(`/api/v1/campaigns/${id}/cancel`);
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    expect(c.body.status).toBe('cancelled');
    const withdrawn = c.body.stats.cancelledMessages as number;
    expect(withdrawn).toBeGreaterThanOrEqual(2);
    expect(c.body.stats).toMatchObject({ recipients: 6, queued: 0, sent: 0, failed: 0, cancelled: 6 });
    expect(await outbox()).toEqual([]);
    await owner.query('BEGIN');
    await owner.query(`SELECT set_config('app.tenant_id', $1, true)`, [t.tenant.id]);
    const msgs = (await owner.query(`SELECT status, fail_reason FROM email_messages WHERE campaign_id = $1`, [id])).rows;
    const rec = (await owner.query(`SELECT status, count(*)::int AS n FROM campaign_recipients WHERE campaign_id = $1 GROUP BY 1`, [id])).rows;
    await owner.query('COMMIT');
    expect(msgs).toHaveLength(withdrawn);
    expect(msgs.every((m) => m.status === 'failed' && m.fail_reason === 'cancelled')).toBe(true);
    expect(rec).toEqual([{ status: 'cancelled', n: 6 }]);
    // the fan-out does not pick it up again
    await new Promise((res) => setTimeout(res, 2_000));
    expect((await t.api.get(`/api/v1/campaigns/${id}`)).body.stats).toMatchObject({ cancelled: 6, cancelledMessages: withdrawn, queued: 0 });
  }, 60_000);
});
