/**
 * Cancelling a campaign and deleting a draft, against real PostgreSQL: an SMS campaign to 150
 * members is cancelled mid-way (fan-out slowed, the gateway holding submits after the first
 * ones) — pending recipients cancelled, messages still queued taken off the outbox and refunded
 * exactly, claimed ones left to the dispatcher, nothing sent after; resume / pause / cancel
 * again → 409; drafts deleted (204, then 404), anything else 409; another merchant → 404.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayHandlers, OutboundSms, SmsGateway, SubmitResult } from '../../src/messaging/gateway.js';
import { client, createTenant, loginAdmin } from '../support/http.js';
import { eventually, type SmsApp } from '../support/sms.js';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';
import { seedMembers, startCampaignApp } from '../support/campaigns.js';

/** Accepts the first `allow` messages, then holds every submit until `open()`. */
class GatedGateway implements SmsGateway {
  readonly name = 'smpp' as const;
  accepted: OutboundSms[] = [];
  held = 0;
  private release!: () => void;
  private gate = new Promise<void>((r) => (this.release = r));
  constructor(private readonly allow: number) {}
  async start(_h: GatewayHandlers) {}
  async submit(sms: OutboundSms): Promise<SubmitResult> {
    if (this.accepted.length + this.held >= this.allow) {
      this.held++;
      await this.gate;
    }
    this.accepted.push(sms);
    return { gatewayMessageId: `gate-${sms.id}` };
  }
  open() {
    this.release();
  }
  async stop() {
    this.release();
  }
}

let database: TestDatabase;
let owner: pg.Client;
let app: SmsApp;
let adminToken: string;
const gateway = new GatedGateway(15);

beforeAll(async () => {
  database = await createTestDatabase();
  owner = new pg.Client({ connectionString: database.url });
  await owner.connect();
  app = await startCampaignApp(database, {
    smsGateway: gateway,
    smsDispatcher: { batchSize: 5, loops: 1 },
    campaignFanout: { batchSize: 20, pauseBetweenBatchesMs: 300 },
  });
  adminToken = await loginAdmin(app.baseUrl);
}, 60_000);
afterAll(async () => {
  gateway.open();
  await app?.close();
  await owner?.end();
  await database?.drop();
});

async function merchant(slug: string, ext: string, creditFen: number) {
  const t = await createTenant(app.baseUrl, adminToken, slug, ext);
  expect((await client(app.baseUrl, adminToken).post(`/api/v1/platform/tenants/${slug}/sms-credit`, { amountFen: creditFen })).status).toBe(200);
  expect((await t.api.put('/api/v1/sms/settings', { quietHours: { start: '00:00', end: '00:00' } })).status).toBe(200);
  return t;
}
const credit = async (tenantId: string) => Number((await owner.query(`SELECT credit_fen FROM tenants WHERE id = $1`, [tenantId])).rows[0].credit_fen);
const asTenant = async <T extends pg.QueryResultRow>(tenantId: string, text: string, values: unknown[] = []) => {
  await owner.query('BEGIN');
  await owner.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
  try {
    return (await owner.query<T>(text, values)).rows;
  } finally {
    await owner.query('COMMIT');
  }
};
const TAG = { all: [{ field: 'tag', op: 'eq', value: 'promo' }] };

describe('cancelling an SMS campaign mid-way', () => {
  let a: Awaited<ReturnType<typeof merchant>>;
  let id: string;
  let before: number;
  let cancelled: { status: string; finishedAt: string | null; stats: { cancelled: number; cancelledMessages: number } };

  beforeAll(async () => {
    a = await merchant('cancel-a', '61', 100_000);
    await seedMembers(owner, a.tenant.id, 150, { prefix: '610', tag: 'promo' });
  }, 30_000);

  it('stops the fan-out, cancels pending recipients, withdraws queued messages', async () => {
    const r = await a.api.post('/api/v1/campaigns', { name: '周末', channel: 'sms', filter: TAG, template: '{name}，周末双倍积分', marketing: true });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    id = r.body.id;
    before = await credit(a.tenant.id);
    expect((await a.api.post(`/api/v1/campaigns/${id}/send`)).status).toBe(202);
    const progressed = async () =>
      (await asTenant<{ n: number }>(a.tenant.id, `SELECT count(*)::int AS n FROM campaign_recipients WHERE campaign_id = $1 AND status <> 'pending'`, [id]))[0]!.n;
    // two batches queued and the dispatcher holding a claimed batch at the gateway
    await eventually(async () => ((await progressed()) >= 40 && gateway.held > 0) || null, 'mid-way', 30_000);
    const c = await a.api.post(`/api/v1/campaigns/${id}/cancel`);
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    cancelled = c.body;
    expect(c.body.status).toBe('cancelled');
    expect(c.body.finishedAt).toBeTruthy();
    expect(c.body.stats.recipients).toBe(150);
    expect(c.body.stats.cancelled).toBeGreaterThan(0);
    expect(c.body.stats.cancelledMessages).toBeGreaterThan(0);
    expect(c.body.stats.failed).toBe(0);
    // nothing pending; only claimed (submitting) messages are still on their way
    const rec = await asTenant<{ status: string; reason: string | null; n: number }>(
      a.tenant.id,
      `SELECT status, reason, count(*)::int AS n FROM campaign_recipients WHERE campaign_id = $1 GROUP BY 1, 2`,
      [id],
    );
    expect(rec.find((x) => x.status === 'pending')).toBeUndefined();
    const notSent = rec.find((x) => x.status === 'cancelled' && x.reason === null)?.n ?? 0;
    const withdrawn = rec.find((x) => x.status === 'cancelled' && x.reason === 'withdrawn')?.n ?? 0;
    expect(notSent).toBeGreaterThan(0);
    expect(withdrawn).toBe(c.body.stats.cancelledMessages);
    expect(notSent + withdrawn).toBe(c.body.stats.cancelled);
    const msgs = await asTenant<{ status: string; fail_reason: string | null; refunded: boolean; n: number }>(
      a.tenant.id,
      `SELECT status, fail_reason, refunded, count(*)::int AS n FROM sms_outbound WHERE campaign_id = $1 GROUP BY 1, 2, 3`,
      [id],
    );
    expect(msgs.find((m) => m.status === 'failed' && m.fail_reason === 'cancelled' && m.refunded)?.n).toBe(withdrawn);
    expect(msgs.filter((m) => m.status === 'failed' && !m.refunded)).toEqual([]);
    // the claimed batch was not touched: its outbox rows are still submitting
    const claimed = await owner.query(
      `SELECT count(*)::int AS n FROM sms_outbox o JOIN sms_outbound m ON m.tenant_id = o.tenant_id AND m.id = o.message_id WHERE m.campaign_id = $1 AND o.state = 'submitting'`,
      [id],
    );
    expect(claimed.rows[0].n).toBe(gateway.held);
    const audit = await asTenant<{ detail: Record<string, number> }>(a.tenant.id, `SELECT detail FROM audit_log WHERE action = 'campaign.cancel' AND target_id = $1`, [id]);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.detail).toMatchObject({ recipientsCancelled: notSent + withdrawn, messagesWithdrawn: withdrawn });
    expect(audit[0]!.detail.refundedFen).toBeGreaterThan(0);
  }, 60_000);

  it('sends nothing more: the fan-out stops, the held batch goes out, the rest is refunded exactly', async () => {
    const count = async () => (await asTenant<{ n: number }>(a.tenant.id, `SELECT count(*)::int AS n FROM sms_outbound WHERE campaign_id = $1`, [id]))[0]!.n;
    const atCancel = await count();
    // a run of the fan-out on the cancelled campaign does nothing
    expect(await app.app.campaigns.run(a.tenant.id, id)).toBe('not_sending');
    gateway.open();
    await eventually(
      async () => (await asTenant<{ n: number }>(a.tenant.id, `SELECT count(*)::int AS n FROM sms_outbound WHERE campaign_id = $1 AND status IN ('queued', 'submitting')`, [id]))[0]!.n === 0 || null,
      'claimed batch submitted',
      20_000,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await count()).toBe(atCancel);
    const g = (await a.api.get(`/api/v1/campaigns/${id}`)).body;
    expect(g.status).toBe('cancelled');
    expect(g.stats).toMatchObject({ queued: 0, failed: 0, cancelled: cancelled.stats.cancelled, cancelledMessages: cancelled.stats.cancelledMessages });
    expect(g.stats.sent).toBe(gateway.accepted.filter((m) => m.from.endsWith(g.subCode)).length);
    expect(g.stats.sent + g.stats.cancelled).toBe(150);
    // credit after = before − cost of the messages actually submitted
    const out = await asTenant<{ cost: string }>(a.tenant.id, `SELECT coalesce(sum(cost_fen), 0)::text AS cost FROM sms_outbound WHERE campaign_id = $1 AND status IN ('sent', 'delivered')`, [id]);
    expect(Number(out[0]!.cost)).toBeGreaterThan(0);
    expect(await credit(a.tenant.id)).toBe(before - Number(out[0]!.cost));
    // the ledger adds up to the credit, each row's balance the running sum
    const ledger = await asTenant<{ delta_fen: string; balance_after_fen: string; reason: string }>(
      a.tenant.id,
      `SELECT delta_fen::text, balance_after_fen::text, reason FROM sms_credit_ledger ORDER BY id`,
    );
    let running = 0;
    for (const l of ledger) {
      running += Number(l.delta_fen);
      expect(Number(l.balance_after_fen)).toBe(running);
    }
    expect(running).toBe(await credit(a.tenant.id));
    expect(ledger.filter((l) => l.reason === 'sms_refund')).toHaveLength(cancelled.stats.cancelledMessages);
  }, 60_000);

  it('cannot be resumed, paused or cancelled again; nor deleted', async () => {
    for (const action of ['resume', 'pause', 'cancel', 'send']) {
      const r = await a.api.post(`/api/v1/campaigns/${id}/${action}`);
      expect(r.status, action).toBe(409);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
    }
    const d = await a.api.del(`/api/v1/campaigns/${id}`);
    expect(d.status).toBe(409);
    expect(d.body.type).toContain('campaign_not_draft');
    expect((await a.api.get(`/api/v1/campaigns/${id}`)).body.status).toBe('cancelled');
  });

  it('keeps another merchant out', async () => {
    const b = await merchant('cancel-b', '62', 1_000);
    expect((await b.api.post(`/api/v1/campaigns/${id}/cancel`)).status).toBe(404);
    expect((await b.api.del(`/api/v1/campaigns/${id}`)).status).toBe(404);
    const draft = await a.api.post('/api/v1/campaigns', { name: 'draft of a', channel: 'sms', filter: TAG, template: 'hi', marketing: true });
    expect((await b.api.del(`/api/v1/campaigns/${draft.body.id}`)).status).toBe(404);
    expect((await a.api.get(`/api/v1/campaigns/${draft.body.id}`)).status).toBe(200);
  });
});

describe('drafts and the other states', () => {
  it('deletes a draft (204, then 404), with its sub-code; a draft cannot be cancelled', async () => {
    const m = await merchant('cancel-d', '63', 1_000);
    await seedMembers(owner, m.tenant.id, 3, { prefix: '630', tag: 'promo' });
    const r = await m.api.post('/api/v1/campaigns', { name: 'd', channel: 'sms', filter: TAG, template: 'hi', marketing: true });
    expect(r.status).toBe(201);
    const c = await m.api.post(`/api/v1/campaigns/${r.body.id}/cancel`);
    expect(c.status).toBe(409);
    expect(c.body.detail).toContain('delete it instead');
    expect(c.body.type).toContain('campaign_is_draft');
    // a draft put back after a failed enqueue keeps the sub-code it got: deleted with it
    await asTenant(m.tenant.id, `INSERT INTO sms_sub_codes (tenant_id, code, label, campaign_id) VALUES ($1, '4321', 'campaign', $2)`, [m.tenant.id, r.body.id]);
    const d = await m.api.del(`/api/v1/campaigns/${r.body.id}`);
    expect(d.status).toBe(204);
    expect((await m.api.get(`/api/v1/campaigns/${r.body.id}`)).status).toBe(404);
    expect((await m.api.del(`/api/v1/campaigns/${r.body.id}`)).status).toBe(404);
    expect((await m.api.get('/api/v1/campaigns')).body.items).toEqual([]);
    expect(await asTenant(m.tenant.id, `SELECT code FROM sms_sub_codes WHERE campaign_id = $1`, [r.body.id])).toEqual([]);
    const audit = await asTenant<{ n: number }>(m.tenant.id, `SELECT count(*)::int AS n FROM audit_log WHERE action = 'campaign.delete' AND target_id = $1`, [r.body.id]);
    expect(audit[0]!.n).toBe(1);
  });

  it('cancels a scheduled campaign before it starts; its run then does nothing', async () => {
    const m = await merchant('cancel-s', '64', 1_000);
    await seedMembers(owner, m.tenant.id, 3, { prefix: '640', tag: 'promo' });
    const r = await m.api.post('/api/v1/campaigns', { name: 's', channel: 'sms', filter: TAG, template: 'later', marketing: true, scheduleAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await m.api.post(`/api/v1/campaigns/${r.body.id}/send`)).body.status).toBe('scheduled');
    const c = await m.api.post(`/api/v1/campaigns/${r.body.id}/cancel`);
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ status: 'cancelled', stats: { recipients: 0, cancelled: 0, cancelledMessages: 0 } });
    expect(await app.app.campaigns.run(m.tenant.id, r.body.id)).toBe('not_sending');
    expect((await m.api.get(`/api/v1/campaigns/${r.body.id}`)).body.stats.recipients).toBe(0);
    expect(await credit(m.tenant.id)).toBe(1_000);
  });

  it('refuses a done campaign (409), bad ids and unknown fields (400)', async () => {
    const m = await merchant('cancel-x', '65', 1_000);
    await seedMembers(owner, m.tenant.id, 2, { prefix: '650', tag: 'promo' });
    gateway.open();
    const r = await m.api.post('/api/v1/campaigns', { name: 'x', channel: 'sms', filter: TAG, template: 'x', marketing: true });
    expect((await m.api.post(`/api/v1/campaigns/${r.body.id}/send`)).status).toBe(202);
    await eventually(async () => (await m.api.get(`/api/v1/campaigns/${r.body.id}`)).body.status === 'done' || null, 'done', 30_000);
    const c = await m.api.post(`/api/v1/campaigns/${r.body.id}/cancel`);
    expect(c.status).toBe(409);
    expect(c.body.type).toContain('campaign_not_cancellable');
    expect((await m.api.del(`/api/v1/campaigns/${r.body.id}`)).status).toBe(409);
    expect((await m.api.post('/api/v1/campaigns/abc/cancel')).status).toBe(400);
    expect((await m.api.del('/api/v1/campaigns/abc')).status).toBe(400);
    const u = await m.api.post(`/api/v1/campaigns/${r.body.id}/cancel`, { force: true });
    expect(u.status).toBe(400);
    expect(u.headers.get('content-type')).toContain('application/problem+json');
    expect((await m.api.post('/api/v1/campaigns/999999/cancel')).status).toBe(404);
    expect((await m.api.del('/api/v1/campaigns/999999')).status).toBe(404);
  });
});
