/**
 * A campaign survives the server going away in the middle of its fan-out, and a batch that
 * fails half-way: every recipient gets exactly one message (one sms_outbound row, one submit
 * to the sandbox SMSC), none is lost. Real PostgreSQL, real pg-boss, the sandbox gateway shared
 * by the processes like one SMSC.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxGateway } from '../../src/messaging/gateways/sandbox.js';
import { client, createTenant, loginAdmin } from '../support/http.js';
import { eventually, type SmsApp } from '../support/sms.js';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';
import { seedMembers, startCampaignApp } from '../support/campaigns.js';

let database: TestDatabase;
let owner: pg.Client;
const gateway = new SandboxGateway({ dlrDelayMs: 5 });
const apps: SmsApp[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  owner = new pg.Client({ connectionString: database.url });
  await owner.connect();
});
afterAll(async () => {
  for (const a of apps) await a.close().catch(() => undefined);
  await owner?.end();
  await database?.drop();
});

const TAG = { all: [{ field: 'tag', op: 'eq', value: 'promo' }] };

async function setUp(a: SmsApp, slug: string, ext: string, prefix: string, n: number) {
  const token = await loginAdmin(a.baseUrl);
  const t = await createTenant(a.baseUrl, token, slug, ext);
  expect((await client(a.baseUrl, token).post(`/api/v1/platform/tenants/${slug}/sms-credit`, { amountFen: 100_000 })).status).toBe(200);
  await t.api.put('/api/v1/sms/settings', { quietHours: { start: '00:00', end: '00:00' } });
  await seedMembers(owner, t.tenant.id, n, { prefix, tag: 'promo' });
  const c = await t.api.post('/api/v1/campaigns', { name: slug, channel: 'sms', filter: TAG, template: '{name}，周末见', marketing: true });
  expect(c.status, JSON.stringify(c.body)).toBe(201);
  return { ...t, campaignId: c.body.id as string };
}

const recipientStates = async (campaignId: string) =>
  Object.fromEntries((await owner.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM campaign_recipients WHERE campaign_id = $1 GROUP BY 1`, [campaignId])).rows.map((r) => [r.status, r.n]));

/** Exactly one message per member in the log, and one submit per phone at the SMSC. */
async function exactlyOnce(tenantId: string, campaignId: string, n: number) {
  const per = (
    await owner.query<{ n: number; members: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT member_id)::int AS members FROM sms_outbound WHERE tenant_id = $1 AND campaign_id = $2`,
      [tenantId, campaignId],
    )
  ).rows[0];
  expect(per).toEqual({ n, members: n });
  await eventually(
    async () => (await owner.query(`SELECT 1 FROM sms_outbound WHERE campaign_id = $1 AND status IN ('queued', 'submitting')`, [campaignId])).rowCount === 0 || null,
    'all dispatched',
    30_000,
  );
  const senders = (await owner.query<{ sender: string }>(`SELECT DISTINCT sender FROM sms_outbound WHERE campaign_id = $1`, [campaignId])).rows;
  expect(senders).toHaveLength(1); // the tenant's port + the campaign's sub-code
  const submitted = gateway.list({ limit: 20_000 }).filter((r) => r.from === senders[0]!.sender);
  expect(submitted).toHaveLength(n);
  expect(new Set(submitted.map((r) => r.to)).size).toBe(n);
}

describe('restart in the middle of a campaign', () => {
  it('the server stops mid-send (graceful), another starts: exactly one message per recipient', async () => {
    const a = await startCampaignApp(database, { smsGateway: gateway, campaignFanout: { batchSize: 10, pauseBetweenBatchesMs: 100 } });
    apps.push(a);
    const t = await setUp(a, 'restart-a', '81', '810', 200);
    const s = await t.api.post(`/api/v1/campaigns/${t.campaignId}/send`);
    expect(s.status).toBe(202);
    await eventually(async () => ((await recipientStates(t.campaignId)).sent ?? 0) >= 30 || null, 'three batches sent', 20_000);
    await a.close();
    const atStop = await recipientStates(t.campaignId);
    expect(atStop.pending).toBeGreaterThan(0);
    expect((await owner.query(`SELECT status FROM campaigns WHERE id = $1`, [t.campaignId])).rows[0].status).toBe('sending');

    const b = await startCampaignApp(database, { smsGateway: gateway, campaignFanout: { batchSize: 50 } });
    apps.push(b);
    await eventually(async () => (await owner.query(`SELECT status FROM campaigns WHERE id = $1`, [t.campaignId])).rows[0].status === 'done' || null, 'done after restart', 30_000);
    expect(await recipientStates(t.campaignId)).toEqual({ sent: 200 });
    await exactlyOnce(t.tenant.id, t.campaignId, 200);
    await b.close();
  }, 90_000);

  it('a process that stops working mid-campaign (hung or crashed, its job still active) is taken over once its job expires', async () => {
    // A sends one batch, then hangs (an hour between batches) with its pg-boss job active and no
    // transaction open — like a process that died; its job expires after 2 s
    const a = await startCampaignApp(database, { smsGateway: gateway, campaignFanout: { batchSize: 10, pauseBetweenBatchesMs: 3_600_000, expireSeconds: 2 } });
    apps.push(a);
    const t = await setUp(a, 'restart-c', '83', '830', 120);
    const s = await t.api.post(`/api/v1/campaigns/${t.campaignId}/send`);
    expect(s.status).toBe(202);
    await eventually(async () => ((await recipientStates(t.campaignId)).sent ?? 0) >= 10 || null, 'first batch', 20_000);
    expect(await recipientStates(t.campaignId)).toEqual({ sent: 10, pending: 110 });
    // B runs pg-boss maintenance every second: the expired job is retried there
    const b = await startCampaignApp(database, { smsGateway: gateway, campaignFanout: { batchSize: 25, maintenanceSeconds: 1 } });
    apps.push(b);
    await eventually(async () => (await owner.query(`SELECT status FROM campaigns WHERE id = $1`, [t.campaignId])).rows[0].status === 'done' || null, 'done by B', 60_000);
    expect(await recipientStates(t.campaignId)).toEqual({ sent: 120 });
    await exactlyOnce(t.tenant.id, t.campaignId, 120);
    // A comes back to its senses only to stop: it sends nothing more
    await a.close();
    await b.close();
    await exactlyOnce(t.tenant.id, t.campaignId, 120);
  }, 90_000);

  it('a batch that fails after queuing its messages is rolled back and retried: none twice, none lost', async () => {
    // the third batch's final write fails (like a crash or a lost connection before COMMIT):
    // its sendSms calls already wrote their messages and outbox rows in the transaction
    await owner.query(`CREATE SEQUENCE campaign_crash_seq`);
    await owner.query(`GRANT USAGE ON SEQUENCE campaign_crash_seq TO memberdesk_app`);
    await owner.query(`CREATE FUNCTION campaign_crash() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF nextval('campaign_crash_seq') = 3 THEN RAISE EXCEPTION 'simulated crash in the third batch'; END IF; RETURN NULL; END $$`);
    await owner.query(`CREATE TRIGGER campaign_crash AFTER UPDATE ON campaign_recipients FOR EACH STATEMENT EXECUTE FUNCTION campaign_crash()`);
    try {
      const a = await startCampaignApp(database, { smsGateway: gateway, campaignFanout: { batchSize: 20 } });
      apps.push(a);
      const t = await setUp(a, 'restart-b', '82', '820', 150);
      const s = await t.api.post(`/api/v1/campaigns/${t.campaignId}/send`);
      expect(s.status).toBe(202);
      await eventually(async () => (await owner.query(`SELECT status FROM campaigns WHERE id = $1`, [t.campaignId])).rows[0].status === 'done' || null, 'done after the retry', 30_000);
      expect(Number((await owner.query(`SELECT last_value FROM campaign_crash_seq`)).rows[0].last_value)).toBeGreaterThan(3);
      expect(await recipientStates(t.campaignId)).toEqual({ sent: 150 });
      await exactlyOnce(t.tenant.id, t.campaignId, 150);
      // the rolled-back batch debited nothing: the credit paid exactly the messages sent
      const spent = (await owner.query(`SELECT sum(cost_fen)::int AS c FROM sms_outbound WHERE campaign_id = $1`, [t.campaignId])).rows[0].c;
      const credit = Number((await owner.query(`SELECT credit_fen FROM tenants WHERE id = $1`, [t.tenant.id])).rows[0].credit_fen);
      expect(credit).toBe(100_000 - spent);
      await a.close();
    } finally {
      await owner.query(`DROP TRIGGER campaign_crash ON campaign_recipients`);
      await owner.query(`DROP FUNCTION campaign_crash()`);
      await owner.query(`DROP SEQUENCE campaign_crash_seq`);
    }
  }, 90_000);
});
