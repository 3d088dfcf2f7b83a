/**
 * The ledger's correctness under real concurrency, through the HTTP API on PostgreSQL:
 * - 100 concurrent redemptions that together exceed the balance: the balance stays ≥ 0, the
 *   rest are 409s;
 * - 50 concurrent retries of one purchase record it once and all get the same response; the
 *   same key with another body is a 409;
 * - a fast-check model: random sequences of purchases, refunds, redemptions, adjustments,
 *   top-ups and expiry runs, several members at once; after every round each balance equals
 *   the model, equals the sum of its ledger, and none is negative.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTenantMaintenance } from '../../src/loyalty/index.js';
import { NO_REFUNDS, planRefund, splitSpend, topUpBonus, type RefundTotals } from '../../src/loyalty/value.rules.js';
import { createTenant, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let api: Client;
let tenantId: string;
let owner: pg.Client;
let phoneSeq = 0;

const idem = (k = `k-${Math.random().toString(36).slice(2)}-${Date.now()}`) => ({ 'idempotency-key': k });

async function newMember(): Promise<string> {
  phoneSeq += 1;
  const res = await api.post('/api/v1/members', { phone: `1370013${String(phoneSeq).padStart(4, '0')}` });
  if (res.status !== 201) throw new Error(`create member: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/** Balances from the member row, the sums of the ledger and of the lots, straight from SQL. */
async function truth(memberId: string) {
  const { rows } = await owner.query(
    `select m.points::int, m.tier_points::int, m.stored_principal_fen::int as principal, m.stored_bonus_fen::int as bonus, m.stored_value_fen::int as sv,
            (select coalesce(sum(delta), 0)::int from loyalty_ledger l where l.member_id = m.id and kind = 'points') as l_points,
            (select coalesce(sum(delta), 0)::int from loyalty_ledger l where l.member_id = m.id and kind = 'tier_points') as l_tier,
            (select coalesce(sum(delta), 0)::int from loyalty_ledger l where l.member_id = m.id and kind = 'stored_value') as l_sv,
            (select coalesce(sum(remaining), 0)::int from loyalty_point_lots l where l.member_id = m.id) as lots
       from members m where m.id = $1`,
    [memberId],
  );
  return rows[0];
}

async function expectConsistent(memberId: string) {
  const t = await truth(memberId);
  expect(t.points).toBeGreaterThanOrEqual(0);
  expect(t.tier_points).toBeGreaterThanOrEqual(0);
  expect(t.principal).toBeGreaterThanOrEqual(0);
  expect(t.bonus).toBeGreaterThanOrEqual(0);
  expect(t.l_points).toBe(t.points);
  expect(t.l_tier).toBe(t.tier_points);
  expect(t.l_sv).toBe(t.sv);
  expect(t.lots).toBe(t.points);
  return t;
}

beforeAll(async () => {
  server = await startTestServer();
  const t = await createTenant(server.baseUrl, await loginAdmin(server.baseUrl), 'race', '61');
  api = t.api;
  tenantId = t.tenant.id;
  owner = new pg.Client({ connectionString: server.database.url });
  await owner.connect();
  const rules = await api.put('/api/v1/loyalty/rules', {
    expiry: { mode: 'rolling', months: 1 },
    storedValue: { topUpBonus: [{ minFen: 10_000, bonusFen: 1_000 }], spendOrder: 'proportional' },
  });
  expect(rules.status).toBe(200);
});
afterAll(async () => {
  await owner?.end();
  await server?.close();
});

describe('concurrency', () => {
  it('100 concurrent redemptions exceeding the balance leave it ≥ 0 and reject the rest with 409', async () => {
    const m = await newMember();
    await api.post(`/api/v1/members/${m}/points/adjust`, { delta: 1_000, reason: 'start' }, idem());
    const results = await Promise.all(Array.from({ length: 100 }, () => api.post(`/api/v1/members/${m}/points/redeem`, { points: 15, reason: 'rush' }, idem())));
    const ok = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409);
    expect(ok).toHaveLength(66);
    expect(refused).toHaveLength(34);
    expect(refused.every((r) => r.body.type.endsWith('/insufficient_points'))).toBe(true);
    const t = await expectConsistent(m);
    expect(t.points).toBe(10);
    // every success saw a distinct balance
    expect(new Set(ok.map((r) => r.body.member.points)).size).toBe(66);
  });

  it('50 concurrent retries of one purchase record it once and all get the same response', async () => {
    const m = await newMember();
    const headers = idem();
    const body = { member: { id: m }, amountFen: 8_888, items: [{ sku: 'tea', quantity: 1, unitPriceFen: 8_888 }] };
    const results = await Promise.all(Array.from({ length: 50 }, () => api.post('/api/v1/transactions', body, headers)));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
    const first = results[0]!.body;
    for (const r of results) expect(r.body).toEqual(first);
    const { rows } = await owner.query(`select count(*)::int as n from loyalty_transactions where member_id = $1`, [m]);
    expect(rows[0].n).toBe(1);
    expect(await expectConsistent(m)).toMatchObject({ points: 88 });

    // the same key with another body, concurrently: all 409, nothing more recorded
    const other = await Promise.all(Array.from({ length: 10 }, (_, i) => api.post('/api/v1/transactions', { ...body, amountFen: 9_000 + i }, headers)));
    expect(other.map((r) => r.status)).toEqual(Array(10).fill(409));
    expect((await owner.query(`select count(*)::int as n from loyalty_transactions where member_id = $1`, [m])).rows[0].n).toBe(1);
  });

  it('concurrent first use of many keys, retried at once, records each purchase once', async () => {
    const m = await newMember();
    const keys = Array.from({ length: 10 }, () => idem());
    const results = await Promise.all(keys.flatMap((h) => [1, 2, 3].map(() => api.post('/api/v1/transactions', { member: { id: m }, amountFen: 1_000 }, h))));
    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(10);
    expect(await expectConsistent(m)).toMatchObject({ points: 100 });
  });
});

// ------------------------------------------------------------ model-based test

interface Purchase {
  id: string;
  payableFen: number;
  pointsEarned: number;
  tierPointsEarned: number;
  pointsPaid: number;
  svPrincipalPaidFen: number;
  svBonusPaidFen: number;
  refunds: RefundTotals;
}

interface Model {
  id: string;
  points: number;
  tierPoints: number;
  principal: number;
  bonus: number;
  purchases: Purchase[];
}

type Op =
  | { op: 'purchase'; amountFen: number; svShare: number; pointsShare: number; overdraw: boolean }
  | { op: 'refund'; pick: number; share: number; full: boolean }
  | { op: 'redeem'; points: number }
  | { op: 'adjust'; delta: number }
  | { op: 'topUp'; amountFen: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('purchase' as const), amountFen: fc.integer({ min: 1, max: 30_000 }), svShare: fc.double({ min: 0, max: 1, noNaN: true }), pointsShare: fc.double({ min: 0, max: 1, noNaN: true }), overdraw: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('refund' as const), pick: fc.nat(), share: fc.double({ min: 0, max: 1, noNaN: true }), full: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('redeem' as const), points: fc.integer({ min: 1, max: 400 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('adjust' as const), delta: fc.integer({ min: -300, max: 500 }).filter((d) => d !== 0) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('topUp' as const), amountFen: fc.integer({ min: 1, max: 20_000 }) }) },
);

const TOP_UP_RULES = [{ minFen: 10_000, bonusFen: 1_000 }];

/** Runs one operation through the API and applies it to the model; checks the answer. */
async function step(m: Model, o: Op): Promise<void> {
  if (o.op === 'purchase') {
    const payable = o.amountFen;
    let sv = Math.floor((m.principal + m.bonus) * o.svShare);
    let pts = Math.floor(m.points * o.pointsShare);
    if (o.overdraw && m.points + m.principal + m.bonus < payable) pts = m.points + 1; // deliberately beyond the balance
    sv = Math.min(sv, payable);
    pts = Math.min(pts, payable - sv);
    const tenders = [
      ...(sv > 0 ? [{ type: 'stored_value', amountFen: sv }] : []),
      ...(pts > 0 ? [{ type: 'points', amountFen: pts }] : []),
      ...(payable - sv - pts > 0 ? [{ type: 'cash', amountFen: payable - sv - pts }] : []),
    ];
    const res = await api.post('/api/v1/transactions', { member: { id: m.id }, amountFen: o.amountFen, tenders }, idem());
    if (pts > m.points) {
      expect(res.status).toBe(409);
      return;
    }
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const split = splitSpend(sv, m.principal, m.bonus, 'proportional');
    const earned = Math.floor(payable / 100);
    m.points += earned - pts;
    m.tierPoints += earned;
    m.principal -= split.principal;
    m.bonus -= split.bonus;
    m.purchases.push({ id: res.body.id, payableFen: payable, pointsEarned: earned, tierPointsEarned: earned, pointsPaid: pts, svPrincipalPaidFen: split.principal, svBonusPaidFen: split.bonus, refunds: NO_REFUNDS });
    expect(res.body.member).toMatchObject({ points: m.points, tierPoints: m.tierPoints, storedPrincipalFen: m.principal, storedBonusFen: m.bonus });
  } else if (o.op === 'refund') {
    if (m.purchases.length === 0) return;
    const p = m.purchases[o.pick % m.purchases.length]!;
    const left = p.payableFen - p.refunds.refundedFen;
    const amount = o.full ? undefined : Math.max(1, Math.floor(left * o.share));
    const res = await api.post(`/api/v1/transactions/${p.id}/refund`, amount === undefined ? {} : { amountFen: amount }, idem());
    if (left === 0 || (amount ?? left) > left) {
      expect(res.status).toBe(409);
      return;
    }
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const plan = planRefund(p, p.refunds, amount ?? left);
    const afterReturn = m.points + plan.pointsReturned;
    m.points = afterReturn - Math.min(plan.pointsReversed, afterReturn);
    m.tierPoints -= Math.min(plan.tierPointsReversed, m.tierPoints);
    m.principal += plan.svPrincipalReturned;
    m.bonus += plan.svBonusReturned;
    p.refunds = plan.totals;
    expect(res.body.member).toMatchObject({ points: m.points, tierPoints: m.tierPoints, storedPrincipalFen: m.principal, storedBonusFen: m.bonus });
  } else if (o.op === 'redeem') {
    const res = await api.post(`/api/v1/members/${m.id}/points/redeem`, { points: o.points, reason: 'gift' }, idem());
    if (o.points > m.points) return void expect(res.status).toBe(409);
    expect(res.status).toBe(201);
    m.points -= o.points;
    expect(res.body.member.points).toBe(m.points);
  } else if (o.op === 'adjust') {
    const res = await api.post(`/api/v1/members/${m.id}/points/adjust`, { delta: o.delta, reason: 'fix' }, idem());
    if (m.points + o.delta < 0) return void expect(res.status).toBe(409);
    expect(res.status).toBe(201);
    m.points += o.delta;
    expect(res.body.member.points).toBe(m.points);
  } else {
    const res = await api.post(`/api/v1/members/${m.id}/stored-value/top-up`, { amountFen: o.amountFen, tender: 'cash' }, idem());
    expect(res.status).toBe(201);
    m.principal += o.amountFen;
    m.bonus += topUpBonus(TOP_UP_RULES, o.amountFen);
    expect(res.body.member).toMatchObject({ storedPrincipalFen: m.principal, storedBonusFen: m.bonus });
  }
}

describe('model', () => {
  it('any interleaving keeps every balance equal to the model and to its ledger, never negative (fast-check)', async () => {
    let expiryRuns = 0;
    await fc.assert(
      fc.asyncProperty(
        // rounds: each member runs its operations in order, the members at the same time;
        // between rounds, sometimes an expiry run far enough ahead to expire every lot
        fc.array(fc.record({ ops: fc.array(fc.array(opArb, { maxLength: 4 }), { minLength: 3, maxLength: 3 }), expire: fc.boolean() }), { minLength: 1, maxLength: 5 }),
        async (rounds) => {
          const models: Model[] = [];
          for (let i = 0; i < 3; i++) models.push({ id: await newMember(), points: 0, tierPoints: 0, principal: 0, bonus: 0, purchases: [] });
          for (const round of rounds) {
            await Promise.all(
              models.map(async (m, i) => {
                for (const o of round.ops[i]!) await step(m, o);
              }),
            );
            if (round.expire) {
              expiryRuns++;
              const later = { now: new Date(Date.now() + 40 * 86_400_000), batchSize: 2 };
              // concurrently with a purchase of one member, which it must neither block nor disturb
              const bystander = models[0]!;
              const [, res] = await Promise.all([
                runTenantMaintenance(server.database.pool, tenantId, later),
                api.post('/api/v1/transactions', { member: { id: bystander.id }, amountFen: 100 }, idem()),
              ]);
              expect(res.status).toBe(201);
              bystander.tierPoints += 1;
              // a member the purchase held locked was skipped (its own next movement expires it);
              // a second run catches it — and changes nothing for anyone else
              await runTenantMaintenance(server.database.pool, tenantId, later);
              for (const m of models) m.points = 0; // every lot expires 1 month after it was earned
            }
            for (const m of models) {
              const t = await expectConsistent(m.id);
              expect({ points: t.points, tier: t.tier_points, principal: t.principal, bonus: t.bonus }).toEqual({ points: m.points, tier: m.tierPoints, principal: m.principal, bonus: m.bonus });
            }
          }
        },
      ),
      { numRuns: 20 },
    );
    const report = await api.get('/api/v1/loyalty/reconcile');
    expect(report.body).toMatchObject({ ok: true, mismatches: [] });
    expect(expiryRuns).toBeGreaterThan(0);
  });
});
