/**
 * The tenant-scoped SMS simulator: `POST /api/v1/sms/sandbox/inbound {from, text, subCode?}` lets a
 * merchant's operator (sms.send) text their OWN port (+ sub-code) from a simulated phone. The
 * destination comes from the caller's tenant, so another merchant's port is out of reach; the
 * route exists only with the sandbox gateway (404 otherwise). The platform route stays platform-only.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmsGateway } from '../../src/messaging/gateway.js';
import { client, login, loginAdmin, type Client } from '../support/http.js';
import { eventually, smsTenant, startApp, startSmsServer, type SmsTenant } from '../support/sms.js';

let srv: Awaited<ReturnType<typeof startSmsServer>>;
let admin: Client;
let a: SmsTenant; // extension 5
let b: SmsTenant; // extension 7
let clerk: Client;
let owner: pg.Client;

beforeAll(async () => {
  srv = await startSmsServer();
  admin = client(srv.baseUrl, await loginAdmin(srv.baseUrl));
  a = await smsTenant(srv.baseUrl, 'sim-a', '5', 1_000);
  b = await smsTenant(srv.baseUrl, 'sim-b', '7', 1_000);
  const roles = (await a.api.get('/api/v1/roles')).body.items;
  const hq = (await a.api.get('/api/v1/org/nodes')).body.items[0].id;
  expect((await a.api.post('/api/v1/operators', { username: 'clerk', password: 'clerk-password-1', name: '店员', roleId: roles.find((r: any) => r.code === 'clerk').id, orgNodeId: hq })).status).toBe(201);
  clerk = client(srv.baseUrl, await login(srv.baseUrl, 'clerk', 'clerk-password-1', 'sim-a'));
  owner = new pg.Client({ connectionString: srv.database.url });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
  await srv?.close();
});

const sim = (c: Client, body: Record<string, unknown>) => c.post('/api/v1/sms/sandbox/inbound', body);
const inbound = (t: SmsTenant, phone: string) => t.api.get(`/api/v1/messages?direction=in&phone=${phone}`);
const stagedTo = async (phone: string) => (await owner.query('SELECT destination FROM sms_inbound_staging WHERE sender = $1 ORDER BY id', [phone])).rows.map((r) => r.destination);

describe('an operator texts their own port', () => {
  it('888 from a new phone joins the member at the caller’s merchant and the reply comes from its port', async () => {
    const res = await sim(a.api, { from: '13600000001', text: '888' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'accepted', to: a.port });
    const msg = await eventually(async () => (await inbound(a, '13600000001')).body.items[0], 'inbound at A');
    expect(msg).toMatchObject({ to: a.port, keyword: '888' });
    const reply = await eventually(async () => (await a.api.get('/api/v1/sandbox/sms/outbox?to=13600000001')).body.items[0], 'the 888 reply');
    expect(reply.from).toBe(a.port);
    expect((await a.api.get('/api/v1/members/lookup?key=13600000001')).status).toBe(200);
    expect((await inbound(b, '13600000001')).body.items).toHaveLength(0);
    expect((await b.api.get('/api/v1/members/lookup?key=13600000001')).status).toBe(404);
  });

  it('a sub-code is appended to the own port, never reaching another merchant', async () => {
    const res = await sim(a.api, { from: '13600000002', text: '你好', subCode: '100' });
    expect(res.status).toBe(202);
    expect(res.body.to).toBe(`${a.port}100`);
    expect(await eventually(async () => (await inbound(a, '13600000002')).body.items[0], 'inbound with sub-code')).toMatchObject({ to: `${a.port}100`, subCode: '100' });
    // B's extension as a sub-code still lands at A (ports never prefix each other)
    expect((await sim(a.api, { from: '13600000003', text: '找B', subCode: '7' })).status).toBe(202);
    expect(await eventually(async () => (await inbound(a, '13600000003')).body.items[0], 'inbound at A')).toMatchObject({ subCode: '7' });
    expect((await inbound(b, '13600000003')).body.items).toHaveLength(0);
    expect(await stagedTo('13600000003')).toEqual([`${a.port}7`]);
  });

  it('the destination cannot be named: `to` is an unknown field', async () => {
    const res = await sim(a.api, { from: '13600000004', text: '888', to: b.port });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await stagedTo('13600000004')).toEqual([]);
  });

  it('bad values are 400; without sms.send 403; the platform administrator uses the platform route', async () => {
    for (const body of [{ from: 'hello', text: '888' }, { from: '13600000005', text: '888', subCode: 'ab' }, { from: '13600000005', text: '888', subCode: '1234567' }, { from: '13600000005' }]) {
      const res = await sim(a.api, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await sim(clerk, { from: '13600000005', text: '888' })).status).toBe(403);
    expect((await sim(admin, { from: '13600000005', text: '888' })).status).toBe(403);
    expect((await a.api.post('/api/v1/sandbox/sms/inbound', { from: '13600000005', to: a.port, text: '888' })).status).toBe(403);
    expect((await client(srv.baseUrl).post('/api/v1/sms/sandbox/inbound', { from: '13600000005', text: '888' })).status).toBe(401);
    expect(await stagedTo('13600000005')).toEqual([]);
  });
});

/** A gateway that is not the sandbox (nothing is sent in this test). */
const otherGateway: SmsGateway = {
  name: 'smpp',
  async start() {},
  async submit() {
    throw new Error('nothing is sent in this test');
  },
  async stop() {},
};

describe('with another gateway', () => {
  it('the simulator routes are 404', async () => {
    const other = await startApp(srv.database, { smsGateway: otherGateway });
    try {
      const token = await login(other.baseUrl, 'owner', 'owner-password-1', 'sim-a');
      const res = await client(other.baseUrl, token).post('/api/v1/sms/sandbox/inbound', { from: '13600000006', text: '888' });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const adminToken = await loginAdmin(other.baseUrl);
      expect((await client(other.baseUrl, adminToken).post('/api/v1/sandbox/sms/inbound', { from: '13600000006', to: a.port, text: '888' })).status).toBe(404);
      expect(await stagedTo('13600000006')).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
