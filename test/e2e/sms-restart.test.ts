import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayHandlers, OutboundSms, SmsGateway, SubmitResult } from '../../src/messaging/gateway.js';
import { SandboxGateway } from '../../src/messaging/gateways/sandbox.js';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';
import { client, createTenant, loginAdmin } from '../support/http.js';
import { eventually, startApp, type SmsApp } from '../support/sms.js';

/** A gateway whose submits never complete (the process "dies" while they are outstanding);
 * nothing it is given ever reaches a handset. */
class HangingGateway implements SmsGateway {
  readonly name = 'smpp' as const;
  given: OutboundSms[] = [];
  async start(_h: GatewayHandlers) {}
  submit(sms: OutboundSms): Promise<SubmitResult> {
    this.given.push(sms);
    return new Promise(() => undefined);
  }
  async stop() {}
}

/** A gateway that takes a while to accept each message and records what it accepted. */
class SlowGateway implements SmsGateway {
  readonly name = 'smpp' as const;
  accepted: OutboundSms[] = [];
  async start(_h: GatewayHandlers) {}
  async submit(sms: OutboundSms): Promise<SubmitResult> {
    await new Promise((r) => setTimeout(r, 300));
    this.accepted.push(sms);
    return { gatewayMessageId: `slow-${sms.id}` };
  }
  async stop() {}
}

let database: TestDatabase;
let owner: pg.Client;
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

async function tenantOn(app: SmsApp, slug: string, ext: string) {
  const token = await loginAdmin(app.baseUrl);
  const t = await createTenant(app.baseUrl, token, slug, ext);
  await client(app.baseUrl, token).post(`/api/v1/platform/tenants/${slug}/sms-credit`, { amountFen: 1_000 });
  return t;
}
const states = async (ids: string[]) =>
  (await owner.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM sms_outbox WHERE message_id = ANY($1::bigint[]) GROUP BY 1`, [ids])).rows;

describe('a restart in the middle of sending', () => {
  it('after a crash: messages left submitting are sent exactly once by the next process, none lost', async () => {
    const hanging = new HangingGateway();
    const a = await startApp(database, { smsGateway: hanging, smsDispatcher: { batchSize: 2, loops: 4, stopTimeoutMs: 300 } });
    apps.push(a);
    const t = await tenantOn(a, 'crash-shop', '81');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await t.api.post('/api/v1/sms/send', { to: `1350000${String(i).padStart(4, '0')}`, text: `第${i}条` });
      expect(r.status).toBe(202);
      ids.push(r.body.id);
    }
    // each of the four loops has claimed a batch and handed it to the gateway, which never answers
    await eventually(async () => hanging.given.length >= 4 || null, 'four loops stuck in submit');
    await new Promise((r) => setTimeout(r, 100));
    const stuck = hanging.given.length;
    expect(await states(ids)).toEqual(expect.arrayContaining([{ state: 'submitting', n: stuck }, { state: 'queued', n: 12 - stuck }]));
    // the process goes away without its submits settling
    await a.close();
    // and another one died harder still: its claim, with no heartbeat left
    await owner.query(
      `UPDATE sms_outbox SET state = 'submitting', claimed_by = 'pid-that-died', claimed_at = now() - interval '1 hour'
        WHERE message_id IN (SELECT message_id FROM sms_outbox WHERE state = 'queued' AND message_id = ANY($1::bigint[]) LIMIT 2)`,
      [ids],
    );
    const credit = (await owner.query(`SELECT credit_fen::int FROM tenants WHERE slug = 'crash-shop'`)).rows[0].credit_fen;
    expect(credit).toBe(1_000 - 12 * 5);

    const sandbox = new SandboxGateway({ dlrDelayMs: 10 });
    const b = await startApp(database, { smsGateway: sandbox });
    apps.push(b);
    const api = client(b.baseUrl, await loginAdmin(b.baseUrl));
    const out = await eventually(async () => {
      const r = await api.get('/api/v1/sandbox/sms/outbox?limit=100');
      return r.body.items.length >= 12 ? r.body.items : null;
    }, 'all twelve submitted');
    await new Promise((r) => setTimeout(r, 300));
    const final = (await api.get('/api/v1/sandbox/sms/outbox?limit=100')).body.items;
    expect(final).toHaveLength(12);
    expect(new Set(out.map((i: { messageId: string }) => i.messageId))).toEqual(new Set(ids));
    const st = await owner.query(`SELECT status, count(*)::int AS n FROM sms_outbound WHERE id = ANY($1::bigint[]) GROUP BY 1`, [ids]);
    await eventually(async () => {
      const r = await owner.query(`SELECT count(*)::int AS n FROM sms_outbound WHERE id = ANY($1::bigint[]) AND status = 'delivered'`, [ids]);
      return r.rows[0].n === 12 || null;
    }, `all delivered (${JSON.stringify(st.rows)})`);
    // billed once each, nothing refunded
    expect((await owner.query(`SELECT credit_fen::int FROM tenants WHERE slug = 'crash-shop'`)).rows[0].credit_fen).toBe(1_000 - 12 * 5);
    await b.close();
  });

  it('a graceful stop drains what is in flight: recorded as sent, not resubmitted by the next process', async () => {
    const slow = new SlowGateway();
    const c = await startApp(database, { smsGateway: slow, smsDispatcher: { batchSize: 5, loops: 2 } });
    apps.push(c);
    const t = await tenantOn(c, 'drain-shop', '82');
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await t.api.post('/api/v1/sms/send', { to: `1350001${String(i).padStart(4, '0')}`, text: `drain ${i}` })).body.id);
    await eventually(async () => ((await states(ids)).some((s) => s.state === 'submitting') ? true : null), 'in flight');
    await c.close();
    const after = await states(ids);
    expect(after.filter((s) => s.state === 'submitting')).toEqual([]);
    const sentBefore = slow.accepted.length;
    const sandbox = new SandboxGateway({ dlrDelayMs: 10 });
    const d = await startApp(database, { smsGateway: sandbox });
    apps.push(d);
    await eventually(async () => ((await states(ids)).every((s) => s.state === 'sent') ? true : null), 'all sent', 10_000);
    const viaSandbox = sandbox.list({ limit: 100 }).map((r) => r.messageId);
    const viaSlow = slow.accepted.map((m) => m.id);
    // every message exactly once across both processes
    expect([...viaSlow, ...viaSandbox].sort()).toEqual([...ids].sort());
    expect(viaSlow.length).toBe(sentBefore);
    await d.close();
  });

  it('an inbound message stored but not processed before a crash is processed once after the restart', async () => {
    // as a crash leaves it: staged (the SMSC got its acknowledgement), never processed
    const { rows } = await owner.query(
      `INSERT INTO sms_inbound_staging (gateway, sender, destination, body, received_at) VALUES ('smpp', '13500020001', '106570216081', '888', now())
       RETURNING id::text`,
    );
    const sandbox = new SandboxGateway({ dlrDelayMs: 10 });
    const e = await startApp(database, { smsGateway: sandbox });
    apps.push(e);
    await eventually(async () => sandbox.list({ limit: 10, to: '13500020001' })[0], 'the 888 reply');
    const staged = await owner.query(`SELECT state, tenant_id::text FROM sms_inbound_staging WHERE id = $1`, [rows[0].id]);
    expect(staged.rows[0].state).toBe('done');
    const members = await owner.query(`SELECT count(*)::int AS n FROM members WHERE phone = '+8613500020001'`);
    expect(members.rows[0].n).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(sandbox.list({ limit: 10, to: '13500020001' })).toHaveLength(1);
    await e.close();
  });
});
