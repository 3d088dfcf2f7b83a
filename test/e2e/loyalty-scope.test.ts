/**
 * Store scope of purchases: an operator attached to a store or a region records purchases only
 * at stores inside their data scope (403 outside it, 400 for no such node), a store operator's
 * purchases default to their store, and they see and refund only purchases of their stores.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createTenant, login, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let owner: Client;
let storeClerk: Client;
let regionManager: Client;
let db: pg.Client;
const nodes: Record<string, string> = {};
let memberId: string;
let seq = 0;
const idem = () => ({ 'idempotency-key': `s-${++seq}-${Date.now()}` });
const buy = (c: Client, storeId?: string) => c.post('/api/v1/transactions', { member: { id: memberId }, amountFen: 1_000, ...(storeId ? { storeId } : {}) }, idem());

beforeAll(async () => {
  server = await startTestServer();
  const shop = await createTenant(server.baseUrl, await loginAdmin(server.baseUrl), 'scope-shop', '84');
  owner = shop.api;
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  const hq = (await owner.get('/api/v1/org/nodes')).body.items[0].id;
  const node = async (name: string, parentId: string, kind: 'region' | 'store') => {
    const res = await owner.post('/api/v1/org/nodes', { parentId, kind, name });
    expect(res.status).toBe(201);
    return (nodes[name] = res.body.id);
  };
  const east = await node('east', hq, 'region');
  await node('s1', east, 'store');
  await node('s2', east, 'store');
  const west = await node('west', hq, 'region');
  await node('s3', west, 'store');
  const roles = (await owner.get('/api/v1/roles')).body.items;
  const role = (code: string) => roles.find((r: any) => r.code === code).id;
  expect((await owner.post('/api/v1/operators', { username: 'clerk1', password: 'clerk-password-1', name: '店员', roleId: role('clerk'), orgNodeId: nodes.s1 })).status).toBe(201);
  expect((await owner.post('/api/v1/operators', { username: 'east', password: 'east-password-1', name: '区域经理', roleId: role('manager'), orgNodeId: east })).status).toBe(201);
  storeClerk = client(server.baseUrl, await login(server.baseUrl, 'clerk1', 'clerk-password-1', 'scope-shop'));
  regionManager = client(server.baseUrl, await login(server.baseUrl, 'east', 'east-password-1', 'scope-shop'));
  memberId = (await owner.post('/api/v1/members', { phone: '13300133001' })).body.id;
});
afterAll(async () => {
  await db?.end();
  await server?.close();
});

const count = async () => (await db.query('SELECT count(*)::int AS n FROM loyalty_transactions WHERE member_id = $1', [memberId])).rows[0].n;

describe('recording purchases', () => {
  it('a store operator records at their store (by default) and nowhere else', async () => {
    const own = await buy(storeClerk);
    expect(own.status).toBe(201);
    expect(own.body.storeId).toBe(nodes.s1);
    expect((await buy(storeClerk, nodes.s1)).status).toBe(201);
    const before = await count();
    for (const other of [nodes.s2, nodes.s3, nodes.east]) {
      const res = await buy(storeClerk, other);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await buy(storeClerk, '999999')).status).toBe(400);
    expect(await count()).toBe(before);
  });

  it('a region operator names a store of the region', async () => {
    const none = await buy(regionManager);
    expect(none.status).toBe(400);
    expect(none.body.errors[0].path).toBe('body.storeId');
    expect((await buy(regionManager, nodes.s2)).status).toBe(201);
    expect((await buy(regionManager, nodes.s3)).status).toBe(403);
  });

  it('the whole merchant may name any store, or none', async () => {
    expect((await buy(owner, nodes.s3)).body.storeId).toBe(nodes.s3);
    expect((await buy(owner)).body.storeId).toBeNull();
  });
});

describe('seeing and refunding purchases', () => {
  it('lists, shows and refunds only purchases of stores in scope', async () => {
    const all = (await owner.get('/api/v1/transactions?limit=100')).body.items;
    expect(all).toHaveLength(5);
    const storesOf = (items: any[]) => items.map((x) => x.storeId).sort();
    expect(storesOf((await storeClerk.get('/api/v1/transactions?limit=100')).body.items)).toEqual([nodes.s1, nodes.s1]);
    expect(storesOf((await regionManager.get(`/api/v1/transactions?limit=100&memberId=${memberId}`)).body.items)).toEqual([nodes.s1, nodes.s1, nodes.s2].sort());

    const west = all.find((x: any) => x.storeId === nodes.s3);
    const east2 = all.find((x: any) => x.storeId === nodes.s2);
    expect((await regionManager.get(`/api/v1/transactions/${west.id}`)).status).toBe(404);
    expect((await regionManager.get(`/api/v1/transactions/${east2.id}`)).status).toBe(200);
    expect((await regionManager.post(`/api/v1/transactions/${west.id}/refund`, {}, idem())).status).toBe(404);
    expect((await regionManager.post(`/api/v1/transactions/${east2.id}/refund`, {}, idem())).status).toBe(201);
    const noStore = all.find((x: any) => x.storeId === null);
    expect((await storeClerk.get(`/api/v1/transactions/${noStore.id}`)).status).toBe(404);
    expect((await owner.get(`/api/v1/transactions/${west.id}`)).status).toBe(200);
  });
});
