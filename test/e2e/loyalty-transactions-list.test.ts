/**
 * The purchase list's filters (store, from/to as date-times or as days in the tenant's timezone)
 * with keyset pagination, bad values → 400 problem+json, and who bought each purchase: the
 * member's card number and name, masked for callers without members.pii.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createTenant, login, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let owner: Client;
let clerk: Client;
let storeClerk: Client;
const stores: Record<string, string> = {};
const members: Record<string, { id: string; cardNo: string }> = {};
const tx: Record<string, string> = {};
let seq = 0;

beforeAll(async () => {
  server = await startTestServer();
  const shop = await createTenant(server.baseUrl, await loginAdmin(server.baseUrl), 'txlist-shop', '86');
  expect(shop.tenant.timezone).toBe('Asia/Shanghai');
  owner = shop.api;
  const hq = (await owner.get('/api/v1/org/nodes')).body.items[0].id;
  for (const name of ['s1', 's2']) stores[name] = (await owner.post('/api/v1/org/nodes', { parentId: hq, kind: 'store', name })).body.id;
  const roles = (await owner.get('/api/v1/roles')).body.items;
  const clerkRole = roles.find((r: any) => r.code === 'clerk').id;
  expect((await owner.post('/api/v1/operators', { username: 'hqclerk', password: 'clerk-password-1', name: '总部店员', roleId: clerkRole, orgNodeId: hq })).status).toBe(201);
  expect((await owner.post('/api/v1/operators', { username: 's1clerk', password: 'clerk-password-1', name: '一店店员', roleId: clerkRole, orgNodeId: stores.s1 })).status).toBe(201);
  clerk = client(server.baseUrl, await login(server.baseUrl, 'hqclerk', 'clerk-password-1', 'txlist-shop'));
  storeClerk = client(server.baseUrl, await login(server.baseUrl, 's1clerk', 'clerk-password-1', 'txlist-shop'));
  for (const [key, phone, name] of [['a', '13300133101', '张三丰'], ['b', '13300133102', '李四']] as const) {
    const res = await owner.post('/api/v1/members', { phone, name });
    expect(res.status).toBe(201);
    members[key] = { id: res.body.id, cardNo: res.body.cardNo };
  }
  const buy = async (key: string, member: string, store: string | null, occurredAt?: string) => {
    const res = await owner.post(
      '/api/v1/transactions',
      { member: { id: members[member]!.id }, amountFen: 1_000, ...(store ? { storeId: stores[store] } : {}), ...(occurredAt ? { occurredAt } : {}) },
      { 'idempotency-key': `txl-${++seq}` },
    );
    expect(res.status).toBe(201);
    tx[key] = res.body.id;
  };
  // p1 is 1 March in Shanghai but 28 February in UTC; p3 is the first instant of 2 March in Shanghai
  await buy('p1', 'a', 's1', '2026-03-01T00:30:00+08:00');
  await buy('p2', 'b', 's2', '2026-03-01T23:30:00+08:00');
  await buy('p3', 'a', 's2', '2026-03-02T00:00:00+08:00');
  await buy('p4', 'b', 's1', '2026-03-05T12:00:00+08:00');
  await buy('p5', 'a', null);
});
afterAll(async () => {
  await server?.close();
});

const ids = async (c: Client, query: string) => {
  const res = await c.get(`/api/v1/transactions?${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items.map((x: any) => x.id);
};

describe('filters', () => {
  it('a plain date is a whole day in the tenant timezone', async () => {
    expect(await ids(owner, 'from=2026-03-01&to=2026-03-01')).toEqual([tx.p2, tx.p1]);
    expect(await ids(owner, 'from=2026-03-02')).toEqual([tx.p5, tx.p4, tx.p3]);
    expect(await ids(owner, 'to=2026-02-28')).toEqual([]);
  });

  it('date-times are instants: from inclusive, to exclusive', async () => {
    expect(await ids(owner, 'from=2026-03-01T15:30:00Z&to=2026-03-01T16:00:00Z')).toEqual([tx.p2]);
    expect(await ids(owner, `from=${encodeURIComponent('2026-03-02T00:00:00+08:00')}&to=2026-03-05T04:00:00.001Z`)).toEqual([tx.p4, tx.p3]);
    expect(await ids(owner, 'from=2026-02-28T16:30:00Z&to=2026-02-28T16:30:01Z')).toEqual([tx.p1]);
  });

  it('by store, together with the member and the dates', async () => {
    expect(await ids(owner, `storeId=${stores.s1}`)).toEqual([tx.p4, tx.p1]);
    expect(await ids(owner, `storeId=${stores.s2}&memberId=${members.a!.id}`)).toEqual([tx.p3]);
    expect(await ids(owner, `storeId=${stores.s1}&from=2026-03-02`)).toEqual([tx.p4]);
    expect(await ids(owner, 'storeId=999999')).toEqual([]);
  });

  it('the store scope still applies: a store operator never sees another store through the filter', async () => {
    expect(await ids(storeClerk, `storeId=${stores.s2}`)).toEqual([]);
    expect(await ids(storeClerk, 'from=2026-03-01&to=2026-03-31')).toEqual([tx.p4, tx.p1]);
  });

  it('pages by cursor with the filters held', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: any = await owner.get(`/api/v1/transactions?from=2026-03-01&to=2026-03-31&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(1);
      seen.push(...res.body.items.map((x: any) => x.id));
      cursor = res.body.nextCursor;
    } while (cursor && ++pages < 10);
    expect(seen).toEqual([tx.p4, tx.p3, tx.p2, tx.p1]);
  });

  it('bad values are 400 problem+json naming the parameter', async () => {
    for (const [query, path] of [
      ['from=yesterday', 'querystring.from'],
      ['to=2026-02-30', 'querystring.to'],
      ['from=2026-03-01T08:00:00', 'querystring.from'],
      ['from=2026-03-01T25:00:00Z', 'querystring.from'],
      ['from=2026-03-02&to=2026-03-01', 'querystring.to'],
      ['storeId=abc', 'storeId'],
      ['store=1', 'store'],
    ] as const) {
      const res = await owner.get(`/api/v1/transactions?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(JSON.stringify(res.body.errors ?? res.body), query).toContain(path);
    }
  });
});

describe('who bought', () => {
  it('each purchase carries the card number and the name; names are masked without members.pii', async () => {
    const byId = (items: any[]) => Object.fromEntries(items.map((x) => [x.id, x]));
    const full = byId((await owner.get('/api/v1/transactions?limit=10')).body.items);
    expect(full[tx.p1!]).toMatchObject({ memberId: members.a!.id, memberName: '张三丰', cardNo: members.a!.cardNo });
    expect(full[tx.p2!]).toMatchObject({ memberId: members.b!.id, memberName: '李四', cardNo: members.b!.cardNo });
    const masked = byId((await clerk.get('/api/v1/transactions?limit=10')).body.items);
    expect(Object.keys(masked)).toHaveLength(5);
    expect(masked[tx.p1!]).toMatchObject({ memberName: '张**', cardNo: members.a!.cardNo });
    expect(masked[tx.p2!]).toMatchObject({ memberName: '李*', cardNo: members.b!.cardNo });
    expect(JSON.stringify(masked)).not.toContain('张三丰');
    // the detail answers the same way
    expect((await owner.get(`/api/v1/transactions/${tx.p3}`)).body).toMatchObject({ memberName: '张三丰', cardNo: members.a!.cardNo });
    expect((await clerk.get(`/api/v1/transactions/${tx.p3}`)).body).toMatchObject({ memberName: '张**', cardNo: members.a!.cardNo });
  });
});
