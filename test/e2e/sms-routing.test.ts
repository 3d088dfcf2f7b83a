import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, login, loginAdmin, type Client } from '../support/http.js';
import { eventually, smsTenant, startSmsServer, type SmsTenant } from '../support/sms.js';

let srv: Awaited<ReturnType<typeof startSmsServer>>;
let admin: Client;
let short: SmsTenant; // extension 5
let long: SmsTenant; // extension 56 (set directly: the API refuses ports that prefix each other)
let owner: pg.Client;
const SERVICE = '1065702160';

beforeAll(async () => {
  srv = await startSmsServer();
  admin = client(srv.baseUrl, await loginAdmin(srv.baseUrl));
  short = await smsTenant(srv.baseUrl, 'route-short', '5', 1_000);
  long = await smsTenant(srv.baseUrl, 'route-long', '7', 1_000);
  owner = new pg.Client({ connectionString: srv.database.url });
  await owner.connect();
  await owner.query(`UPDATE tenants SET sms_extension = '56' WHERE id = $1`, [long.id]);
  long.port = SERVICE + '56';
});
afterAll(async () => {
  await owner?.end();
  await srv?.close();
});

const mo = (from: string, to: string, text: string) => admin.post('/api/v1/sandbox/sms/inbound', { from, to, text });
const inboundOf = (t: SmsTenant, phone: string) =>
  eventually(async () => (await t.api.get(`/api/v1/messages?direction=in&phone=${phone}`)).body.items[0], `inbound from ${phone}`);

describe('routing by the longest port prefix', () => {
  it('sends each message to the merchant whose port is the longest prefix; the rest is the sub-code', async () => {
    expect((await mo('13600000001', SERVICE + '569', '你好')).status).toBe(202);
    expect((await mo('13600000002', SERVICE + '578', '你好')).status).toBe(202);
    expect(await inboundOf(long, '13600000001')).toMatchObject({ to: SERVICE + '569', subCode: '9' });
    expect(await inboundOf(short, '13600000002')).toMatchObject({ to: SERVICE + '578', subCode: '78' });
    expect((await short.api.get('/api/v1/messages?direction=in&phone=13600000001')).body.items).toHaveLength(0);
    expect((await long.api.get('/api/v1/messages?direction=in&phone=13600000002')).body.items).toHaveLength(0);
  });

  it('matches a reply to the sub-code that sent it (replies report)', async () => {
    const code = await short.api.post('/api/v1/sms/sub-codes', { label: '周末活动' });
    expect(code.status).toBe(201);
    expect(code.body.code).toBe('100');
    expect((await short.api.post('/api/v1/sms/sub-codes', { code: '100' })).status).toBe(409);
    const sent = await short.api.post('/api/v1/sms/send', { to: '13600000003', text: '周末来店有礼，回复1预约', subCode: '100' });
    expect(sent.body.from).toBe(SERVICE + '5100');
    const outbox = await eventually(async () => (await admin.get('/api/v1/sandbox/sms/outbox?to=13600000003')).body.items[0], 'submitted');
    expect(outbox.from).toBe(SERVICE + '5100');
    await mo('13600000003', SERVICE + '5100', '1');
    const reply = await inboundOf(short, '13600000003');
    expect(reply).toMatchObject({ subCode: '100', replyToMessageId: sent.body.id });
    const report = await short.api.get('/api/v1/sms/reports/replies');
    expect(report.body.items).toContainEqual(expect.objectContaining({ subCode: '100', label: '周末活动', sent: 1, replies: 1, phones: 1 }));
    const kw = await short.api.get('/api/v1/sms/reports/keywords');
    expect(kw.body.items.find((i: { keyword: string }) => i.keyword === 'feedback').messages).toBeGreaterThanOrEqual(1);
  });

  it('keeps and counts an inbound message no port matches, and a malformed one', async () => {
    const metric = async (outcome: string) => {
      const text = await (await fetch(`${srv.baseUrl}/metrics`)).text();
      return Number(new RegExp(`^memberdesk_sms_inbound_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    };
    const before = await metric('unrouted');
    expect((await mo('13600000004', SERVICE + '999', '888')).status).toBe(202);
    expect((await mo('13600000004', '10690000', '888')).status).toBe(202);
    expect((await mo('not-a-phone', SERVICE + '5', '888')).status).toBe(202);
    const listed = await eventually(async () => {
      const r = await admin.get('/api/v1/platform/sms/unrouted');
      return r.body.items.length >= 3 ? r.body.items : null;
    }, 'unrouted listed');
    expect(listed.map((i: { to: string; state: string }) => `${i.to} ${i.state}`)).toEqual([
      `${SERVICE}5 malformed`,
      '10690000 unrouted',
      `${SERVICE}999 unrouted`,
    ]);
    expect(await metric('unrouted')).toBe(before + 2);
    expect(await metric('malformed')).toBeGreaterThanOrEqual(1);
    // nobody joined
    for (const t of [short, long]) expect((await t.api.get('/api/v1/members?phone=13600000004')).body.items).toHaveLength(0);
    expect((await short.api.get('/api/v1/platform/sms/unrouted')).status).toBe(403);
  });
});

describe('cross-tenant isolation', () => {
  it("another tenant's thread or message is a 404, and its outbox is not shown", async () => {
    await mo('13600000005', short.port, '请问有停车位吗');
    const thread = await eventually(async () => (await short.api.get('/api/v1/inbox')).body.items.find((t: { phone: string }) => t.phone === '+8613600000005'), 'thread');
    const sent = await short.api.post('/api/v1/sms/send', { to: '13600000005', text: '有的' });
    expect((await long.api.get(`/api/v1/inbox/${thread.id}`)).status).toBe(404);
    expect((await long.api.post(`/api/v1/inbox/${thread.id}/reply`, { text: 'hi' })).status).toBe(404);
    expect((await long.api.get(`/api/v1/messages/${sent.body.id}`)).status).toBe(404);
    expect((await long.api.get('/api/v1/inbox')).body.items.some((t: { id: string }) => t.id === thread.id)).toBe(false);
    // after the 404s the thread is still unread for its owner
    expect((await short.api.get('/api/v1/inbox')).body.items.find((t: { id: string }) => t.id === thread.id).unread).toBe(1);
    await eventually(async () => (await admin.get('/api/v1/sandbox/sms/outbox?to=13600000005')).body.items[0], 'submitted');
    expect((await long.api.get('/api/v1/sandbox/sms/outbox?to=13600000005')).body.items).toHaveLength(0);
    expect((await short.api.get('/api/v1/sandbox/sms/outbox?to=13600000005')).body.items).toHaveLength(1);
  });
});

describe('personal data', () => {
  it('an operator without members.pii sees phone numbers masked in the message log and the inbox', async () => {
    const roles = (await short.api.get('/api/v1/roles')).body.items;
    const clerkRole = roles.find((r: { code: string }) => r.code === 'clerk');
    const hq = (await short.api.get('/api/v1/org/nodes')).body.items[0];
    const op = await short.api.post('/api/v1/operators', { username: 'clerk1', password: 'clerk-password-1', name: '小王', roleId: clerkRole.id, orgNodeId: hq.id });
    expect(op.status).toBe(201);
    const clerk = client(srv.baseUrl, await login(srv.baseUrl, 'clerk1', 'clerk-password-1', 'route-short'));
    await mo('13600000006', short.port, '有发票吗');
    await eventually(async () => (await short.api.get('/api/v1/inbox?phone=13600000006')).body.items[0], 'thread');
    const threads = (await clerk.get('/api/v1/inbox?phone=13600000006')).body.items;
    expect(threads[0].phone).toBe('136****0006');
    const log = (await clerk.get('/api/v1/messages?phone=13600000006')).body.items;
    expect(log[0].from).toBe('136****0006');
    expect((await short.api.get('/api/v1/messages?phone=13600000006')).body.items[0].from).toBe('+8613600000006');
  });
});
