/**
 * Purchases through the real API and PostgreSQL: default earning, validation, earn rules
 * (multipliers, minimum spend, rounding, versions), tier discounts and 折上折, tier upgrades and
 * overrides, tenders (stored value, points as cash, combinations, beyond the balance),
 * idempotency.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createTenant, login, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let api: Client;
let owner: pg.Client;
let phoneSeq = 0;

const key = () => `k-${Math.random().toString(36).slice(2)}-${Date.now()}`;
const idem = (k = key()) => ({ 'idempotency-key': k });

async function newMember(c: Client = api): Promise<{ id: string; cardNo: string; phone: string }> {
  phoneSeq += 1;
  const res = await c.post('/api/v1/members', { phone: `1380013${String(phoneSeq).padStart(4, '0')}`, name: '张三' });
  if (res.status !== 201) throw new Error(`create member: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, cardNo: res.body.cardNo, phone: res.body.phone };
}

const buy = (memberId: string, amountFen: number, extra: Record<string, unknown> = {}, c: Client = api, headers = idem()) =>
  c.post('/api/v1/transactions', { member: { id: memberId }, amountFen, ...extra }, headers);

async function count(table: string, memberId: string): Promise<number> {
  const { rows } = await owner.query(`select count(*)::int as n from ${table} where member_id = $1`, [memberId]);
  return rows[0].n;
}

async function reconcileOk() {
  const res = await api.get('/api/v1/loyalty/reconcile');
  expect(res.status).toBe(200);
  expect(res.body.mismatches).toEqual([]);
  expect(res.body.ok).toBe(true);
}

const TIERS = [
  { code: 'SILVER', name: '银卡', threshold: 0, discountPct: 0 },
  { code: 'GOLD', name: '金卡', threshold: 1_000, discountPct: 5 },
  { code: 'DIAMOND', name: '钻石卡', threshold: 5_000, discountPct: 10 },
];

beforeAll(async () => {
  server = await startTestServer();
  const t = await createTenant(server.baseUrl, await loginAdmin(server.baseUrl), 'tea', '41');
  api = t.api;
  owner = new pg.Client({ connectionString: server.database.url });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
  await server?.close();
});

describe('purchases with the default rules', () => {
  it('earns 1 point and 1 tier point per whole yuan, by id, card number or phone', async () => {
    const defaults = await api.get('/api/v1/loyalty/rules');
    expect(defaults.body).toMatchObject({
      version: 0,
      earn: { pointsPerYuan: 1, tierPointsPerYuan: 1, rounding: 'floor', minSpendFen: 0 },
      redemption: { pointsPerYuan: 100 },
      expiry: { mode: 'none' },
      storedValue: { topUpBonus: [] },
    });
    expect((await api.get('/api/v1/loyalty/tiers')).body).toEqual([]);

    const m = await newMember();
    const r = await buy(m.id, 12_345);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      amountFen: 12_345,
      discountFen: 0,
      payableFen: 12_345,
      pointsEarned: 123,
      tierPointsEarned: 123,
      ruleVersion: 0,
      member: { id: m.id, points: 123, tierPoints: 123, storedValueFen: 0, tier: null },
    });
    expect(r.body.id).toMatch(/^\d+$/);
    const byCard = await api.post('/api/v1/transactions', { member: { cardNo: m.cardNo }, amountFen: 99 }, idem());
    expect(byCard.body).toMatchObject({ pointsEarned: 0, member: { points: 123 } });
    const byPhone = await api.post('/api/v1/transactions', { member: { phone: `+86 ${m.phone.slice(3, 6)}-${m.phone.slice(6, 10)}-${m.phone.slice(10)}` }, amountFen: 100 }, idem());
    expect(byPhone.status).toBe(201);
    expect(byPhone.body.member.points).toBe(124);

    const listed = await api.get(`/api/v1/transactions?memberId=${m.id}`);
    expect(listed.body.items.map((x: any) => x.amountFen)).toEqual([100, 99, 12_345]);
    const detail = await api.get(`/api/v1/transactions/${r.body.id}`);
    expect(detail.body).toMatchObject({ id: r.body.id, memberId: m.id, ruleVersion: 0, refunds: [], detail: { pointsPerYuan: 1, dateMultiplier: 1 } });
  });

  it('rejects bad input with 400, unknown members with 404, and leaves no trace', async () => {
    const m = await newMember();
    for (const body of [
      { member: { id: m.id }, amountFen: 0 },
      { member: { id: m.id }, amountFen: -5 },
      { member: { id: m.id }, amountFen: 1.5 },
      { member: { id: m.id }, amountFen: 100, extra: 1 },
      { member: {}, amountFen: 100 },
      { member: { id: m.id, cardNo: m.cardNo }, amountFen: 100 },
      { member: { phone: '12345' }, amountFen: 100 },
      { member: { id: m.id }, amountFen: 100, tenders: [{ type: 'cash', amountFen: 99 }] },
      { member: { id: m.id }, amountFen: 100, tenders: [{ type: 'gold', amountFen: 100 }] },
      { member: { id: m.id }, amountFen: 100, items: [{ sku: 'a', quantity: 2, unitPriceFen: 60 }] },
      { member: { id: m.id }, amountFen: 100, items: [{ sku: 'a', quantity: 1, unitPriceFen: 60, colour: 'red' }] },
      { member: { id: m.id }, amountFen: 100, occurredAt: '2999-01-01T00:00:00Z' },
      { member: { id: m.id }, amountFen: 100, occurredAt: 'yesterday' },
      { member: { id: m.id }, amountFen: 100, storeId: '999999' },
    ]) {
      const res = await api.post('/api/v1/transactions', body, idem());
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await buy('99999999', 100)).status).toBe(404);
    expect((await api.post('/api/v1/transactions', { member: { cardNo: 'NOPE1' }, amountFen: 100 })).status).toBe(404);
    expect(await count('loyalty_transactions', m.id)).toBe(0);
    expect(await count('loyalty_ledger', m.id)).toBe(0);
  });
});

describe('earn rules', () => {
  it('applies category and date multipliers, minimum spend and rounding; old purchases keep their version', async () => {
    const m = await newMember();
    const before = await buy(m.id, 10_000, { items: [{ sku: 'latte', category: 'drinks', quantity: 2, unitPriceFen: 2_500 }] });
    expect(before.body.pointsEarned).toBe(100);

    const put = await api.put('/api/v1/loyalty/rules', {
      earn: {
        categoryMultipliers: { drinks: 2 },
        dateMultipliers: [{ name: '双十一', from: '2026-11-11', to: '2026-11-11', multiplier: 3 }],
        minSpendFen: 1_000,
        rounding: 'half_up',
      },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ version: 1, earn: { pointsPerYuan: 1, categoryMultipliers: { drinks: 2 }, rounding: 'half_up' }, redemption: { pointsPerYuan: 100 } });

    // 50 yuan of drinks ×2 + 50 yuan other
    const drinks = await buy(m.id, 10_000, { items: [{ sku: 'latte', category: 'drinks', quantity: 2, unitPriceFen: 2_500 }] });
    expect(drinks.body).toMatchObject({ pointsEarned: 150, tierPointsEarned: 100, ruleVersion: 1 });
    // Double 11 in Shanghai (×3), rounded half up: 12.50 yuan → 37.5 → 38
    const d11 = await buy(m.id, 1_250, { occurredAt: '2026-11-11T23:30:00+08:00' });
    expect(d11.body).toMatchObject({ pointsEarned: 38, tierPointsEarned: 13 });
    // the same instant is still 11-11 in Shanghai but not in UTC terms of the next day: 2026-11-11T16:30Z = 11-12 00:30 Shanghai
    expect((await buy(m.id, 1_250, { occurredAt: '2026-11-11T16:30:00Z' })).body.pointsEarned).toBe(13);
    const small = await buy(m.id, 999);
    expect(small.body).toMatchObject({ pointsEarned: 0, tierPointsEarned: 0 });

    const v0 = await api.get('/api/v1/loyalty/rules?version=0');
    expect(v0.body.earn.categoryMultipliers).toEqual({});
    expect((await api.get('/api/v1/loyalty/rules?version=9')).status).toBe(404);
    expect((await api.get(`/api/v1/transactions/${before.body.id}`)).body.ruleVersion).toBe(0);

    // optimistic concurrency and validation
    expect((await api.put('/api/v1/loyalty/rules', { version: 0, earn: { pointsPerYuan: 2 } })).status).toBe(409);
    expect((await api.put('/api/v1/loyalty/rules', { earn: { pointsPerYuan: 1.234 } })).status).toBe(400);
    expect((await api.put('/api/v1/loyalty/rules', { earn: { bogus: 1 } })).status).toBe(400);
    expect((await api.put('/api/v1/loyalty/rules', { earn: { dateMultipliers: [{ from: '2026-12-02', to: '2026-12-01', multiplier: 2 }] } })).status).toBe(400);
    expect((await api.put('/api/v1/loyalty/rules', { expiry: { mode: 'rolling' } })).status).toBe(400);
    // back to defaults (a PUT replaces everything)
    expect((await api.put('/api/v1/loyalty/rules', { version: 1 })).body).toMatchObject({ version: 2, earn: { categoryMultipliers: {}, minSpendFen: 0 } });
  });
});

describe('tiers and discounts', () => {
  it('re-evaluates members when tiers are set, discounts half up, upgrades as soon as reached', async () => {
    const m = await newMember();
    await buy(m.id, 98_000); // 980 tier points
    const put = await api.put('/api/v1/loyalty/tiers', TIERS);
    expect(put.status).toBe(200);
    expect(put.body).toEqual(TIERS);
    expect((await api.get('/api/v1/loyalty/tiers')).body).toEqual(TIERS);
    const summary = await api.get(`/api/v1/members/${m.id}/loyalty`);
    expect(summary.body).toMatchObject({ tier: { code: 'SILVER', name: '银卡' }, nextTier: { code: 'GOLD', tierPointsNeeded: 20 } });

    // SILVER: no discount; reaching 1000 tier points upgrades at once
    const up = await buy(m.id, 2_050);
    expect(up.body).toMatchObject({ discountFen: 0, tierPointsEarned: 20, tierChange: { from: { code: 'SILVER' }, to: { code: 'GOLD', name: '金卡' } }, member: { tier: { code: 'GOLD', name: '金卡' } } });
    // GOLD: 5% of 10 010 = 500.5 → 501 (half up); points on the payable 9 509 → 95
    const gold = await buy(m.id, 10_010);
    expect(gold.body).toMatchObject({ discountFen: 501, discountPct: 5, payableFen: 9_509, pointsEarned: 95, tierChange: null });
    expect((await buy(m.id, 10_001)).body.discountFen).toBe(500);

    const changes = await api.get(`/api/v1/members/${m.id}/tier-changes`);
    expect(changes.body.items.map((c: any) => [c.from?.code ?? null, c.to.code, c.cause])).toEqual([
      ['SILVER', 'GOLD', 'purchase'],
      [null, 'SILVER', 'rules_change'],
    ]);
    const feed = await api.get('/api/v1/loyalty/tier-changes?limit=1');
    expect(feed.body.items).toHaveLength(1);
    expect(feed.body.nextCursor).toEqual(expect.any(String));

    expect((await api.put('/api/v1/loyalty/tiers', [TIERS[1], TIERS[0]])).status).toBe(400);
    expect((await api.put('/api/v1/loyalty/tiers', [{ ...TIERS[0], code: 'bad code' }])).status).toBe(400);
  });

  it('gives no discount on promotion lines unless 折上折 is allowed', async () => {
    const m = await newMember();
    const override = await api.post(`/api/v1/members/${m.id}/tier`, { code: 'DIAMOND', reason: '开业贵宾' }, idem());
    expect(override.status).toBe(201);
    // a new member starts in the tier with threshold 0
    expect(override.body).toMatchObject({ from: { code: 'SILVER' }, to: { code: 'DIAMOND' }, member: { tier: { code: 'DIAMOND' } } });
    const items = [
      { sku: 'set-meal', category: 'food', quantity: 1, unitPriceFen: 6_000, promo: true },
      { sku: 'tea', category: 'drinks', quantity: 2, unitPriceFen: 2_000 },
    ];
    expect((await buy(m.id, 10_000, { items })).body).toMatchObject({ discountFen: 400, payableFen: 9_600 });
    const rules = (await api.get('/api/v1/loyalty/rules')).body;
    const { version, ...rest } = rules;
    await api.put('/api/v1/loyalty/rules', { ...rest, version, discount: { stackOnPromotion: true } });
    expect((await buy(m.id, 10_000, { items })).body).toMatchObject({ discountFen: 1_000, payableFen: 9_000 });
    await api.put('/api/v1/loyalty/rules', { ...rest, discount: { stackOnPromotion: false } });
    // the quote says the same without recording
    const quote = await api.post('/api/v1/transactions/quote', { member: { id: m.id }, amountFen: 10_000, items });
    expect(quote).toMatchObject({ status: 200, body: { discountFen: 400, payableFen: 9_600, pointsEarned: 96 } });
  });

  it('manual overrides need loyalty.adjust and a known tier; a clerk may not', async () => {
    const m = await newMember();
    expect((await api.post(`/api/v1/members/${m.id}/tier`, { code: 'PLATINUM', reason: 'x' })).status).toBe(400);
    expect((await api.post(`/api/v1/members/${m.id}/tier`, { code: 'GOLD' })).status).toBe(400);
    const roles = (await api.get('/api/v1/roles')).body.items;
    const hq = (await api.get('/api/v1/org/nodes')).body.items[0];
    const clerkRole = roles.find((r: any) => r.code === 'clerk');
    await api.post('/api/v1/operators', { username: 'clerk1', password: 'clerk-password-1', name: '小王', roleId: clerkRole.id, orgNodeId: hq.id });
    const clerk = client(server.baseUrl, await login(server.baseUrl, 'clerk1', 'clerk-password-1', 'tea'));
    expect((await clerk.post(`/api/v1/members/${m.id}/tier`, { code: 'GOLD', reason: 'x' })).status).toBe(403);
    expect((await clerk.put('/api/v1/loyalty/tiers', TIERS)).status).toBe(403);
    expect((await clerk.put('/api/v1/loyalty/rules', {})).status).toBe(403);
    expect((await clerk.get('/api/v1/loyalty/reconcile')).status).toBe(403);
    // but a clerk records purchases
    expect((await buy(m.id, 1_000, {}, clerk)).status).toBe(201);
    const audit = await api.get('/api/v1/audit-log?action=loyalty.tier_override');
    if (audit.status === 200) expect(audit.body.items.length).toBeGreaterThanOrEqual(1);
  });
});

describe('tenders', () => {
  it('pays with stored value, points as cash, or both with cash; beyond the balance is a 409 with no trace', async () => {
    await api.put('/api/v1/loyalty/rules', { storedValue: { topUpBonus: [{ minFen: 100_000, bonusFen: 10_000 }] } });
    const m = await newMember();
    const top = await api.post(`/api/v1/members/${m.id}/stored-value/top-up`, { amountFen: 100_000, tender: 'cash' }, idem());
    expect(top.status).toBe(201);
    expect(top.body).toMatchObject({ amountFen: 100_000, bonusFen: 10_000, storedValueFen: 110_000, member: { storedPrincipalFen: 100_000, storedBonusFen: 10_000 } });

    // stored value alone (proportional split: 10/11 principal, 1/11 bonus)
    const sv = await buy(m.id, 11_000, { tenders: [{ type: 'stored_value', amountFen: 11_000 }] });
    expect(sv.body).toMatchObject({ storedValuePaidFen: 11_000, pointsEarned: 110, member: { storedValueFen: 99_000, storedPrincipalFen: 90_000, storedBonusFen: 9_000 } });

    // points as cash: 100 points = 1 yuan; 110 points pay 1.10 yuan
    const pts = await buy(m.id, 1_000, { tenders: [{ type: 'points', amountFen: 110 }, { type: 'cash', amountFen: 890 }] });
    expect(pts.body).toMatchObject({ pointsPaid: 110, pointsEarned: 10, member: { points: 10 } });

    // all three
    const combo = await buy(m.id, 3_000, { tenders: [{ type: 'points', amountFen: 10 }, { type: 'stored_value', amountFen: 1_990 }, { type: 'card', amountFen: 1_000 }] });
    expect(combo.body).toMatchObject({ pointsPaid: 10, storedValuePaidFen: 1_990, member: { points: 30, storedValueFen: 97_010 } });

    // beyond the balance: 409, nothing recorded, and the key is still free
    const entries = await count('loyalty_ledger', m.id);
    const txs = await count('loyalty_transactions', m.id);
    const k = key();
    const tooMuchSv = await buy(m.id, 100_000, { tenders: [{ type: 'stored_value', amountFen: 100_000 }] }, api, idem(k));
    expect(tooMuchSv.status).toBe(409);
    expect(tooMuchSv.body.type).toMatch(/insufficient_stored_value/);
    const tooManyPts = await buy(m.id, 1_000, { tenders: [{ type: 'points', amountFen: 31 }, { type: 'cash', amountFen: 969 }] });
    expect(tooManyPts.status).toBe(409);
    expect(tooManyPts.body.type).toMatch(/insufficient_points/);
    expect(await count('loyalty_ledger', m.id)).toBe(entries);
    expect(await count('loyalty_transactions', m.id)).toBe(txs);
    const { rows } = await owner.query(`select count(*)::int as n from loyalty_idempotency where key = $1`, [k]);
    expect(rows[0].n).toBe(0);
    const retry = await buy(m.id, 1_000, { tenders: [{ type: 'stored_value', amountFen: 1_000 }] }, api, idem(k));
    expect(retry.status).toBe(201);
    await reconcileOk();
  });
});

describe('idempotency', () => {
  it('replays the first result for a retry and refuses the key for another body', async () => {
    const m = await newMember();
    const h = idem();
    const first = await buy(m.id, 5_000, {}, api, h);
    const again = await buy(m.id, 5_000, {}, api, h);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await count('loyalty_transactions', m.id)).toBe(1);
    // the same body with keys in another order is the same request
    const reordered = await api.post('/api/v1/transactions', { amountFen: 5_000, member: { id: m.id } }, h);
    expect(reordered.body).toEqual(first.body);
    const other = await buy(m.id, 5_001, {}, api, h);
    expect(other.status).toBe(409);
    expect(other.body.type).toMatch(/idempotency_key_reused/);
    // keys are shared across endpoints of the tenant
    expect((await api.post(`/api/v1/members/${m.id}/points/redeem`, { points: 1, reason: 'x' }, h)).status).toBe(409);
    expect((await api.post('/api/v1/transactions', { member: { id: m.id }, amountFen: 100 }, { 'idempotency-key': 'bad key with spaces' })).status).toBe(400);
  });

  it('serves the OpenAPI description of the loyalty routes', async () => {
    const doc = await client(server.baseUrl).get('/api/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/transactions', '/api/v1/transactions/{id}/refund', '/api/v1/members/{id}/ledger', '/api/v1/loyalty/tiers', '/api/v1/loyalty/rules', '/api/v1/loyalty/reconcile']),
    );
  });
});
