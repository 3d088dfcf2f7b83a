/**
 * Balances through the real API and PostgreSQL: top-ups, redemption, adjustments (permission,
 * audit), refunds (full, partial, proportional, tier re-evaluation), ledgers, cross-tenant 404s,
 * and the reconciliation report.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loyaltySummary, membersAboutToLosePoints, recordOpeningBalances, startingTier, tierChangesSince, tierNames } from '../../src/loyalty/index.js';
import { withTenant } from '../../src/platform/db/with-tenant.js';
import { client, createTenant, login, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let api: Client;
let other: Client;
let tenantId: string;
let token: string;
let owner: pg.Client;
let phoneSeq = 0;

const idem = () => ({ 'idempotency-key': `k-${Math.random().toString(36).slice(2)}-${Date.now()}` });

async function newMember(c: Client = api): Promise<{ id: string; cardNo: string }> {
  phoneSeq += 1;
  const res = await c.post('/api/v1/members', { phone: `1390013${String(phoneSeq).padStart(4, '0')}`, name: '李四' });
  if (res.status !== 201) throw new Error(`create member: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, cardNo: res.body.cardNo };
}

const buy = (memberId: string, amountFen: number, extra: Record<string, unknown> = {}, c: Client = api) =>
  c.post('/api/v1/transactions', { member: { id: memberId }, amountFen, ...extra }, idem());
const refund = (id: string, body: Record<string, unknown> = {}, c: Client = api) => c.post(`/api/v1/transactions/${id}/refund`, body, idem());
const balances = async (memberId: string, c: Client = api) => (await c.get(`/api/v1/members/${memberId}/loyalty`)).body;

async function reconcileOk(c: Client = api) {
  const res = await c.get('/api/v1/loyalty/reconcile');
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ ok: true, mismatches: [] });
  return res.body;
}

beforeAll(async () => {
  server = await startTestServer();
  const adminToken = await loginAdmin(server.baseUrl);
  const spa = await createTenant(server.baseUrl, adminToken, 'spa', '51');
  api = spa.api;
  tenantId = spa.tenant.id;
  token = spa.token;
  other = (await createTenant(server.baseUrl, adminToken, 'gym', '52')).api;
  owner = new pg.Client({ connectionString: server.database.url });
  await owner.connect();
  await api.put('/api/v1/loyalty/tiers', [
    { code: 'SILVER', name: '银卡', threshold: 0, discountPct: 0 },
    { code: 'GOLD', name: '金卡', threshold: 1_000, discountPct: 5 },
  ]);
  await api.put('/api/v1/loyalty/rules', { storedValue: { topUpBonus: [{ minFen: 100_000, bonusFen: 10_000 }, { minFen: 50_000, bonusFen: 4_000 }], spendOrder: 'proportional' } });
});
afterAll(async () => {
  await owner?.end();
  await server?.close();
});

describe('top-ups, redemption, adjustments', () => {
  it('tops up with the bonus of the best rule, principal and bonus apart', async () => {
    const m = await newMember();
    const small = await api.post(`/api/v1/members/${m.id}/stored-value/top-up`, { amountFen: 20_000, tender: 'wechat' }, idem());
    expect(small).toMatchObject({ status: 201, body: { bonusFen: 0, storedValueFen: 20_000 } });
    const big = await api.post(`/api/v1/members/${m.id}/stored-value/top-up`, { amountFen: 150_000, tender: 'card' }, idem());
    expect(big.body).toMatchObject({ amountFen: 150_000, bonusFen: 10_000, storedValueFen: 180_000, member: { storedPrincipalFen: 170_000, storedBonusFen: 10_000 } });
    expect((await api.post(`/api/v1/members/${m.id}/stored-value/top-up`, { amountFen: 0, tender: 'cash' })).status).toBe(400);
    expect((await api.post(`/api/v1/members/${m.id}/stored-value/top-up`, { amountFen: 100, tender: 'beads' })).status).toBe(400);
    const sv = await api.get(`/api/v1/members/${m.id}/ledger?kind=stored_value`);
    expect(sv.body.items.map((e: any) => [e.cause, e.delta, e.balanceAfter, e.principalDelta, e.bonusDelta])).toEqual([
      ['top_up_bonus', 10_000, 180_000, 0, 10_000],
      ['top_up', 150_000, 170_000, 150_000, 0],
      ['top_up', 20_000, 20_000, 20_000, 0],
    ]);
  });

  it('redeems points, and refuses with 409 when the balance is short', async () => {
    const m = await newMember();
    await buy(m.id, 50_000);
    const ok = await api.post(`/api/v1/members/${m.id}/points/redeem`, { points: 300, reason: '兑换保温杯' }, idem());
    expect(ok).toMatchObject({ status: 201, body: { kind: 'points', delta: -300, reason: '兑换保温杯', member: { points: 200 } } });
    const short = await api.post(`/api/v1/members/${m.id}/points/redeem`, { points: 201, reason: '兑换' }, idem());
    expect(short.status).toBe(409);
    expect(short.body.detail).toMatch(/200 points/);
    expect((await api.post(`/api/v1/members/${m.id}/points/redeem`, { points: 0, reason: 'x' })).status).toBe(400);
    expect((await api.post(`/api/v1/members/${m.id}/points/redeem`, { points: 5 })).status).toBe(400);
    const ledger = await api.get(`/api/v1/members/${m.id}/ledger?kind=points`);
    expect(ledger.body.items[0]).toMatchObject({ kind: 'points', delta: -300, balanceAfter: 200, reason: '兑换保温杯', cause: 'redeem', refType: 'redemption', refId: ok.body.id });
  });

  it('adjusts reward or tier points with a reason and loyalty.adjust (audited); a clerk gets 403', async () => {
    const m = await newMember();
    const plus = await api.post(`/api/v1/members/${m.id}/points/adjust`, { delta: 500, reason: '补录积分' }, idem());
    expect(plus).toMatchObject({ status: 201, body: { delta: 500, member: { points: 500 } } });
    expect((await api.post(`/api/v1/members/${m.id}/points/adjust`, { delta: -501, reason: '扣减' }, idem())).status).toBe(409);
    expect((await api.post(`/api/v1/members/${m.id}/points/adjust`, { delta: -100, reason: '扣减' }, idem())).body.member.points).toBe(400);
    expect((await api.post(`/api/v1/members/${m.id}/points/adjust`, { delta: 0, reason: 'x' })).status).toBe(400);
    expect((await api.post(`/api/v1/members/${m.id}/points/adjust`, { delta: 5 })).status).toBe(400);
    const tier = await api.post(`/api/v1/members/${m.id}/points/adjust`, { delta: 1_000, reason: '活动奖励', kind: 'tier_points' }, idem());
    expect(tier.body).toMatchObject({ kind: 'tier_points', member: { tierPoints: 1_000, tier: { code: 'GOLD' } }, tierChange: { to: { code: 'GOLD' } } });
    const down = await api.post(`/api/v1/members/${m.id}/points/adjust`, { delta: -10, reason: '更正', kind: 'tier_points' }, idem());
    expect(down.body).toMatchObject({ member: { tierPoints: 990, tier: { code: 'SILVER' } } });

    const audit = await api.get('/api/v1/audit-log?action=loyalty.adjust');
    expect(audit.status).toBe(200);
    expect(audit.body.items.length).toBeGreaterThanOrEqual(3);
    expect(audit.body.items[0]).toMatchObject({ action: 'loyalty.adjust', targetType: 'member', targetId: m.id });

    const roles = (await api.get('/api/v1/roles')).body.items;
    const hq = (await api.get('/api/v1/org/nodes')).body.items[0];
    await api.post('/api/v1/operators', { username: 'clerk', password: 'clerk-password-1', name: '小李', roleId: roles.find((r: any) => r.code === 'clerk').id, orgNodeId: hq.id });
    const clerk = client(server.baseUrl, await login(server.baseUrl, 'clerk', 'clerk-password-1', 'spa'));
    expect((await clerk.post(`/api/v1/members/${m.id}/points/adjust`, { delta: 5, reason: 'x' }, idem())).status).toBe(403);
    expect((await clerk.post(`/api/v1/members/${m.id}/points/redeem`, { points: 5, reason: 'gift' }, idem())).status).toBe(201);
    expect((await clerk.get(`/api/v1/members/${m.id}/ledger`)).status).toBe(200);
  });
});

describe('refunds', () => {
  it('reverses points, tier points and stored value in proportion, principal first, and re-evaluates the tier', async () => {
    const m = await newMember();
    await api.post(`/api/v1/members/${m.id}/stored-value/top-up`, { amountFen: 50_000, tender: 'cash' }, idem()); // +4 000 bonus
    await buy(m.id, 90_000); // 900 tier points, still SILVER (the starting tier)
    const p = await buy(m.id, 20_000, { tenders: [{ type: 'stored_value', amountFen: 10_800 }, { type: 'cash', amountFen: 9_200 }] });
    expect(p.body).toMatchObject({ pointsEarned: 200, tierPointsEarned: 200, tierChange: { to: { code: 'GOLD' } }, member: { points: 1_100, tierPoints: 1_100, storedValueFen: 43_200 } });
    // 10 800 paid: 10 000 principal + 800 bonus (proportional 50 000 : 4 000)
    expect(p.body.member).toMatchObject({ storedPrincipalFen: 40_000, storedBonusFen: 3_200 });

    // refund a quarter: 50 points, 50 tier points, 2 700 stored value (principal first)
    const q = await refund(p.body.id, { amountFen: 5_000, reason: '退一件' });
    expect(q).toMatchObject({ status: 201, body: { amountFen: 5_000, refundedFen: 5_000, pointsReversed: 50, tierPointsReversed: 50, storedValueReturnedFen: 2_700, tierChange: null } });
    expect(q.body.member).toMatchObject({ points: 1_050, tierPoints: 1_050, storedPrincipalFen: 42_700, storedBonusFen: 3_200, tier: { code: 'GOLD' } });
    // another half: tier points fall below GOLD: back to SILVER (the upgrade came from this purchase)
    const h = await refund(p.body.id, { amountFen: 10_000 });
    expect(h.body).toMatchObject({ pointsReversed: 100, tierPointsReversed: 100, storedValueReturnedFen: 5_400, tierChange: { from: { code: 'GOLD' }, to: { code: 'SILVER' } } });
    expect(h.body.member).toMatchObject({ tierPoints: 950, storedPrincipalFen: 48_100, storedBonusFen: 3_200 });
    // too much, then the rest (no amount = everything left)
    expect((await refund(p.body.id, { amountFen: 5_001 })).status).toBe(409);
    const rest = await refund(p.body.id);
    expect(rest.body).toMatchObject({ amountFen: 5_000, refundedFen: 20_000, pointsReversed: 50, storedValueReturnedFen: 2_700 });
    expect(rest.body.member).toMatchObject({ points: 900, tierPoints: 900, storedValueFen: 54_000, storedPrincipalFen: 50_000, storedBonusFen: 4_000 });
    expect((await refund(p.body.id)).status).toBe(409);
    // a POS may send no body at all for a full refund
    const bare = await buy(m.id, 1_000);
    const noBody = await fetch(`${server.baseUrl}/api/v1/transactions/${bare.body.id}/refund`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(noBody.status).toBe(201);
    expect(await noBody.json()).toMatchObject({ amountFen: 1_000, refundedFen: 1_000 });

    const detail = await api.get(`/api/v1/transactions/${p.body.id}`);
    expect(detail.body.refundedFen).toBe(20_000);
    expect(detail.body.refunds.map((r: any) => r.amountFen)).toEqual([5_000, 10_000, 5_000]);
    expect((await api.get(`/api/v1/members/${m.id}/tier-changes`)).body.items.map((c: any) => c.cause)).toEqual(['refund', 'purchase']);
    await reconcileOk();
  });

  it('gives paid points back, and records what the member had already spent', async () => {
    const m = await newMember();
    await buy(m.id, 99_000); // 990 points, still SILVER
    const p = await buy(m.id, 10_000, { tenders: [{ type: 'points', amountFen: 5_000 }, { type: 'cash', amountFen: 5_000 }] });
    expect(p.status).toBe(409); // 5 000 points needed, 990 held
    const q = await buy(m.id, 10_000, { tenders: [{ type: 'points', amountFen: 800 }, { type: 'cash', amountFen: 9_200 }] });
    expect(q.body).toMatchObject({ pointsPaid: 800, pointsEarned: 100, member: { points: 290, tier: { code: 'GOLD' } } });
    await api.post(`/api/v1/members/${m.id}/points/redeem`, { points: 280, reason: '礼品' }, idem());
    // full refund: 800 paid points come back, 100 earned are taken back, GOLD is undone
    const r = await refund(q.body.id);
    expect(r.body).toMatchObject({ pointsReturned: 800, pointsReversed: 100, pointsShortfall: 0, member: { points: 710, tierPoints: 990, tier: { code: 'SILVER' } } });

    // spend the points of a purchase, then refund it: the shortfall is recorded, the balance stays ≥ 0
    const n = await newMember();
    const big = await buy(n.id, 50_000);
    await api.post(`/api/v1/members/${n.id}/points/redeem`, { points: 450, reason: '礼品' }, idem());
    const s = await refund(big.body.id);
    expect(s.body).toMatchObject({ pointsReversed: 50, pointsShortfall: 450, member: { points: 0 } });
    await reconcileOk();
  });
});

describe('ledgers', () => {
  it('lists every movement newest first with who, why and what, by kind, in pages', async () => {
    const m = await newMember();
    for (let i = 0; i < 5; i++) await buy(m.id, 1_000 * (i + 1));
    const all = await api.get(`/api/v1/members/${m.id}/ledger?limit=4`);
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(4);
    expect(all.body.items[0]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      kind: expect.stringMatching(/points/),
      delta: 50,
      balanceAfter: expect.any(Number),
      reason: 'earn',
      cause: 'earn',
      refType: 'transaction',
      refId: expect.stringMatching(/^\d+$/),
      principalDelta: null,
      bonusDelta: null,
      ruleVersion: 2,
      actorName: expect.any(String),
      createdAt: expect.stringMatching(/^\d{4}-/),
    });
    const page2 = await api.get(`/api/v1/members/${m.id}/ledger?limit=4&cursor=${all.body.nextCursor}`);
    const page3 = await api.get(`/api/v1/members/${m.id}/ledger?limit=4&cursor=${page2.body.nextCursor}`);
    expect(page3.body.nextCursor).toBeNull();
    const ids = [...all.body.items, ...page2.body.items, ...page3.body.items].map((e: any) => Number(e.id));
    expect(ids).toHaveLength(10);
    expect(ids).toEqual([...ids].sort((a, b) => b - a)); // numeric order, also across 99 → 100
    const tier = await api.get(`/api/v1/members/${m.id}/ledger?kind=tier_points`);
    expect(tier.body.items.map((e: any) => e.balanceAfter)).toEqual([150, 100, 60, 30, 10]);
    expect((await api.get(`/api/v1/members/${m.id}/ledger?kind=coins`)).status).toBe(400);
    expect((await api.get(`/api/v1/members/${m.id}/ledger?cursor=zzz`)).status).toBe(400);
    expect((await api.get('/api/v1/members/99999999/ledger')).status).toBe(404);
  });
});

describe('tenancy', () => {
  it('answers 404 for another tenant’s members and transactions on every id route', async () => {
    const m = await newMember();
    const p = await buy(m.id, 10_000);
    const routes: [string, string, unknown?][] = [
      ['POST', '/api/v1/transactions', { member: { id: m.id }, amountFen: 100 }],
      ['POST', '/api/v1/transactions', { member: { cardNo: m.cardNo }, amountFen: 100 }],
      ['POST', '/api/v1/transactions/quote', { member: { id: m.id }, amountFen: 100 }],
      ['GET', `/api/v1/transactions/${p.body.id}`],
      ['GET', `/api/v1/transactions?memberId=${m.id}`],
      ['POST', `/api/v1/transactions/${p.body.id}/refund`, {}],
      ['POST', `/api/v1/members/${m.id}/points/redeem`, { points: 1, reason: 'x' }],
      ['POST', `/api/v1/members/${m.id}/points/adjust`, { delta: 1, reason: 'x' }],
      ['POST', `/api/v1/members/${m.id}/stored-value/top-up`, { amountFen: 100, tender: 'cash' }],
      ['POST', `/api/v1/members/${m.id}/tier`, { code: null, reason: 'x' }],
      ['GET', `/api/v1/members/${m.id}/ledger`],
      ['GET', `/api/v1/members/${m.id}/loyalty`],
      ['GET', `/api/v1/members/${m.id}/tier-changes`],
    ];
    for (const [method, path, body] of routes) {
      const res = await other.call(method, path, body, idem());
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    // nothing changed for the member
    expect(await balances(m.id)).toMatchObject({ points: 100, storedValueFen: 0 });
    expect((await other.get('/api/v1/loyalty/tiers')).body).toEqual([]);
    expect((await other.get('/api/v1/loyalty/tier-changes')).body.items).toEqual([]);
    expect((await other.get('/api/v1/transactions')).body.items).toEqual([]);
  });
});

describe('opening balances (member import)', () => {
  it('brings balances from another system in as ledger entries', async () => {
    const a = await newMember();
    const b = await newMember();
    const importer = { type: 'system' as const, id: null, name: 'member import' };
    const n = await recordOpeningBalances(server.database.pool, tenantId, importer, [
      { memberId: a.id, points: 500, tierPoints: 1_200, storedPrincipalFen: 10_000, storedBonusFen: 500 },
      { memberId: b.id, points: 3 },
    ]);
    expect(n).toBe(2);
    expect(await balances(a.id)).toMatchObject({ points: 500, tierPoints: 1_200, storedValueFen: 10_500, storedBonusFen: 500, tier: { code: 'GOLD' } });
    expect(await balances(b.id)).toMatchObject({ points: 3, tierPoints: 0, tier: { code: 'SILVER' } });
    const entries = (await api.get(`/api/v1/members/${a.id}/ledger`)).body.items;
    expect(entries.map((e: any) => [e.kind, e.cause, e.delta, e.actorName])).toEqual([
      ['stored_value', 'opening', 10_500, 'member import'],
      ['tier_points', 'opening', 1_200, 'member import'],
      ['points', 'opening', 500, 'member import'],
    ]);
    await expect(recordOpeningBalances(server.database.pool, tenantId, importer, [{ memberId: '99999999', points: 1 }])).rejects.toMatchObject({ status: 404 });
    await expect(recordOpeningBalances(server.database.pool, tenantId, importer, [{ memberId: a.id, points: -501 }])).rejects.toMatchObject({ status: 409 });
    expect(await balances(a.id)).toMatchObject({ points: 500 });
    await reconcileOk();
  });
});

describe('for other capabilities', () => {
  it('answers tier names, the starting tier, summaries, the tier-change feed and expiry reminders inside a drizzle transaction', async () => {
    const db = server.database.db;
    expect(await withTenant(db, tenantId, (tx) => tierNames(tx, tenantId))).toEqual({ SILVER: '银卡', GOLD: '金卡' });
    expect(await withTenant(db, tenantId, (tx) => startingTier(tx, tenantId))).toBe('SILVER');
    const m = await newMember();
    await buy(m.id, 120_000);
    // more tier changes, so that their ids cross 9 → 10 below
    const n = await newMember();
    for (const code of ['GOLD', 'SILVER', 'GOLD', 'SILVER']) {
      expect((await api.post(`/api/v1/members/${n.id}/tier`, { code, reason: 'feed order' }, idem())).status).toBe(201);
    }
    const summary = await withTenant(db, tenantId, (tx) => loyaltySummary(tx, tenantId, m.id));
    expect(summary).toMatchObject({ memberId: m.id, points: 1_200, tierPoints: 1_200, storedValueFen: 0, tier: { code: 'GOLD', name: '金卡' }, nextTier: null, period: null, expiring: [] });
    const feed = await withTenant(db, tenantId, (tx) => tierChangesSince(tx, tenantId, '0', 1_000));
    expect(feed.filter((c) => c.memberId === m.id).map((c) => c.to?.code)).toEqual(['GOLD']);
    expect(feed.map((c) => Number(c.id))).toEqual([...feed.map((c) => Number(c.id))].sort((a, b) => a - b));
    // and the newest-first list is in numeric order too (ids cross 9 → 10 here)
    const newest = (await api.get('/api/v1/loyalty/tier-changes?limit=500')).body.items.map((c: any) => Number(c.id));
    expect(newest.length).toBeGreaterThan(10);
    expect(newest).toEqual([...newest].sort((a: number, b: number) => b - a));
    const last = feed[feed.length - 1]!.id;
    expect(await withTenant(db, tenantId, (tx) => tierChangesSince(tx, tenantId, last))).toEqual([]);
    expect((await withTenant(db, tenantId, (tx) => membersAboutToLosePoints(tx, tenantId, { withinDays: 30, limit: 10 }))).items).toEqual([]);
    // another tenant's member is not found from this tenant
    await expect(withTenant(db, tenantId, (tx) => loyaltySummary(tx, tenantId, '99999999'))).rejects.toMatchObject({ status: 404 });
  });
});

describe('reconciliation', () => {
  it('finds balances that do not match their ledger', async () => {
    const report = await reconcileOk();
    expect(report.members).toBeGreaterThan(5);
    expect(report.ledgerEntries).toBeGreaterThan(20);
    const m = await newMember();
    await buy(m.id, 10_000);
    await owner.query(`update members set points = points + 7, tier_code = 'PLATINUM' where id = $1`, [m.id]);
    const bad = await api.get('/api/v1/loyalty/reconcile');
    expect(bad.body.ok).toBe(false);
    expect(bad.body.mismatches).toEqual([
      { memberId: m.id, check: 'lots', balance: 107, expected: 100 },
      { memberId: m.id, check: 'points', balance: 107, expected: 100 },
      { memberId: m.id, check: 'unknown_tier', balance: 'PLATINUM', expected: null },
    ]);
    await owner.query(`update members set points = points - 7, tier_code = 'SILVER' where id = $1`, [m.id]);
    await reconcileOk();
  });
});

describe('stored value cash-out', () => {
  it('pays principal back with loyalty.adjust, forfeits the bonus in proportion, audited; a clerk gets 403', async () => {
    await api.put('/api/v1/loyalty/rules', { storedValue: { topUpBonus: [{ minFen: 100_000, bonusFen: 10_000 }] } });
    const m = await newMember();
    expect((await api.post(`/api/v1/members/${m.id}/stored-value/top-up`, { amountFen: 100_000, tender: 'cash' }, idem())).body.bonusFen).toBe(10_000);
    const clerk = client(server.baseUrl, await login(server.baseUrl, 'clerk', 'clerk-password-1', 'spa'));
    expect((await clerk.post(`/api/v1/members/${m.id}/stored-value/cash-out`, { amountFen: 1_000, reason: '退卡' }, idem())).status).toBe(403);

    const half = await api.post(`/api/v1/members/${m.id}/stored-value/cash-out`, { amountFen: 50_000, reason: '部分退款' }, idem());
    expect(half.status).toBe(201);
    expect(half.body).toMatchObject({ principalFen: 50_000, bonusForfeitedFen: 5_000, reason: '部分退款', storedValueFen: 55_000, member: { storedPrincipalFen: 50_000, storedBonusFen: 5_000 } });
    expect((await api.post(`/api/v1/members/${m.id}/stored-value/cash-out`, { amountFen: 50_001, reason: 'x' }, idem())).status).toBe(409);
    const rest = await api.post(`/api/v1/members/${m.id}/stored-value/cash-out`, { reason: '退卡' }, idem());
    expect(rest.body).toMatchObject({ principalFen: 50_000, bonusForfeitedFen: 5_000, storedValueFen: 0 });
    const none = await api.post(`/api/v1/members/${m.id}/stored-value/cash-out`, { reason: '退卡' }, idem());
    expect(none.status).toBe(409);
    expect(none.body.type).toContain('no_stored_principal');

    const ledger = (await api.get(`/api/v1/members/${m.id}/ledger?kind=stored_value`)).body.items;
    expect(ledger.slice(0, 2).map((e: any) => [e.cause, e.delta, e.reason])).toEqual([
      ['cash_out', -55_000, '退卡'],
      ['cash_out', -55_000, '部分退款'],
    ]);
    const audit = await api.get('/api/v1/audit-log?action=loyalty.cash_out');
    expect(audit.body.items[0]).toMatchObject({ action: 'loyalty.cash_out', targetType: 'member', targetId: m.id });
    expect((await api.get('/api/v1/loyalty/reconcile')).body).toMatchObject({ ok: true });
    await api.put('/api/v1/loyalty/rules', {});
  });
});
