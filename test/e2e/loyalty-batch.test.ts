/**
 * Purchases recorded together (recordPurchases, which POST /transactions uses under load) must
 * come out exactly as if each had been recorded alone, in order. A fast-check model runs the
 * same random jobs on two merchants set up alike — as one batch on merchant A, one by one on
 * merchant B — and compares every outcome (bodies, refusals and their codes) and every final
 * balance; A's balances must also equal their ledgers and lots. Jobs name members by id, card
 * or phone, pay with points and stored value (so a member twice in a batch spends what the
 * batch just earned), reuse Idempotency-Keys with the same or another body, and sometimes name
 * a store that does not exist (the batch statement then fails and every job runs alone).
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topUp } from '../../src/loyalty/balance.service.js';
import { idempotencyOf } from '../../src/loyalty/idempotency.js';
import { SYSTEM_ACTOR } from '../../src/loyalty/ledger.repo.js';
import { recordPurchase, recordPurchases, type PurchaseInput, type PurchaseSettled } from '../../src/loyalty/purchase.service.js';
import { createTenant, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let owner: pg.Client;
const actor = { ...SYSTEM_ACTOR, name: 'batch-test' };

interface Merchant {
  id: string;
  api: Client;
}
let a: Merchant;
let b: Merchant;
let phoneSeq = 0;

beforeAll(async () => {
  server = await startTestServer();
  owner = new pg.Client({ connectionString: server.database.url });
  await owner.connect();
  const admin = await loginAdmin(server.baseUrl);
  const made: Merchant[] = [];
  for (const [slug, ext] of [
    ['batch-a', '81'],
    ['batch-b', '82'],
  ] as const) {
    const t = await createTenant(server.baseUrl, admin, slug, ext);
    const rules = await t.api.put('/api/v1/loyalty/rules', {
      expiry: { mode: 'rolling', months: 1 },
      redemption: { pointsPerYuan: 10, maxPaymentPct: 50 },
      storedValue: { topUpBonus: [{ minFen: 10_000, bonusFen: 1_000 }], spendOrder: 'proportional' },
    });
    expect(rules.status).toBe(200);
    const tiers = await t.api.put('/api/v1/loyalty/tiers', [
      { code: 'SILVER', name: '银卡', threshold: 0, discountPct: 0 },
      { code: 'GOLD', name: '金卡', threshold: 300, discountPct: 0 },
    ]);
    expect(tiers.status).toBe(200);
    made.push({ id: t.tenant.id, api: t.api });
  }
  [a, b] = made as [Merchant, Merchant];
});

afterAll(async () => {
  await owner?.end();
  await server?.close();
});

interface Person {
  id: string;
  cardNo: string;
  phone: string;
}

/** The same three people in both merchants, each with some points and stored value. */
async function people(now: Date): Promise<{ a: Person[]; b: Person[] }> {
  const out: { a: Person[]; b: Person[] } = { a: [], b: [] };
  for (let i = 0; i < 3; i++) {
    phoneSeq += 1;
    const phone = `1360088${String(phoneSeq).padStart(4, '0')}`;
    for (const [m, list] of [
      [a, out.a],
      [b, out.b],
    ] as const) {
      const res = await m.api.post('/api/v1/members', { phone });
      expect(res.status).toBe(201);
      const p = { id: res.body.id as string, cardNo: res.body.cardNo as string, phone: res.body.phone as string };
      await recordPurchase(server.database.pool, m.id, actor, { member: { id: p.id }, amountFen: 5_000 * (i + 1) }, null, now);
      if (i < 2) await topUp(server.database.pool, m.id, actor, p.id, { amountFen: 10_000, tender: 'cash' }, null, now);
      list.push(p);
    }
  }
  return out;
}

interface Job {
  who: number;
  by: 'id' | 'card' | 'phone';
  amountFen: number;
  pay: 'none' | 'points' | 'stored_value' | 'badTenders';
  share: number;
  badStore: boolean;
  key: { kind: 'none' } | { kind: 'new' } | { kind: 'reuse'; of: number; sameBody: boolean };
}

const jobArb: fc.Arbitrary<Job> = fc.record({
  who: fc.integer({ min: 0, max: 2 }),
  by: fc.constantFrom('id' as const, 'card' as const, 'phone' as const),
  amountFen: fc.integer({ min: 100, max: 20_000 }),
  pay: fc.constantFrom('none' as const, 'none' as const, 'points' as const, 'stored_value' as const, 'badTenders' as const),
  share: fc.double({ min: 0, max: 1, noNaN: true }),
  badStore: fc.boolean().map((x) => x && Math.random() < 0.3),
  key: fc.oneof(
    fc.constant({ kind: 'none' as const }),
    fc.constant({ kind: 'new' as const }),
    fc.record({ kind: fc.constant('reuse' as const), of: fc.nat(), sameBody: fc.boolean() }),
  ),
});

function inputOf(job: Job, who: Person[]): PurchaseInput {
  const p = who[job.who]!;
  const member = job.by === 'id' ? { id: p.id } : job.by === 'card' ? { cardNo: p.cardNo } : { phone: p.phone };
  const input: PurchaseInput = { member, amountFen: job.amountFen };
  if (job.badStore) input.storeId = '987654321';
  // no tier discounts in this merchant: the payable amount is the amount
  const part = Math.floor(job.amountFen * job.share * (job.pay === 'points' ? 0.5 : 1));
  if (job.pay === 'points') input.tenders = [{ type: 'points', amountFen: part }, { type: 'cash', amountFen: job.amountFen - part }];
  if (job.pay === 'stored_value') input.tenders = [{ type: 'stored_value', amountFen: part }, { type: 'cash', amountFen: job.amountFen - part }];
  if (job.pay === 'badTenders') input.tenders = [{ type: 'cash', amountFen: job.amountFen + 1 }];
  return input;
}

/** An outcome with the merchant's own ids replaced by their roles, so A and B compare. */
function comparable(r: PurchaseSettled, who: Person[]): unknown {
  if (!r.ok) {
    const e = r.error as { statusCode?: number; status?: number; code?: string; message?: string };
    return { refused: e.statusCode ?? e.status ?? 'thrown', code: e.code ?? null, message: e.message };
  }
  const text = JSON.stringify(r.outcome.body, (k, v) => (k === 'id' && typeof v === 'string' ? '<doc>' : v));
  let out = text;
  who.forEach((p, i) => {
    out = out.split(`"${p.id}"`).join(`"<member ${i}>"`).split(p.cardNo).join(`<card ${i}>`);
  });
  return { status: r.outcome.status, body: JSON.parse(out) };
}

async function balances(tenantId: string, who: Person[]) {
  const { rows } = await owner.query(
    `select m.id::text, m.points::int, m.tier_points::int, m.stored_principal_fen::int as principal, m.stored_bonus_fen::int as bonus, m.tier_code,
            (select coalesce(sum(delta), 0)::int from loyalty_ledger l where l.tenant_id = m.tenant_id and l.member_id = m.id and kind = 'points') as l_points,
            (select coalesce(sum(delta), 0)::int from loyalty_ledger l where l.tenant_id = m.tenant_id and l.member_id = m.id and kind = 'tier_points') as l_tier,
            (select coalesce(sum(delta), 0)::int from loyalty_ledger l where l.tenant_id = m.tenant_id and l.member_id = m.id and kind = 'stored_value') as l_sv,
            (select coalesce(sum(remaining), 0)::int from loyalty_point_lots l where l.tenant_id = m.tenant_id and l.member_id = m.id) as lots,
            (select count(*)::int from loyalty_transactions x where x.tenant_id = m.tenant_id and x.member_id = m.id) as purchases
       from members m where m.tenant_id = $1 and m.id = any($2::bigint[]) order by m.id`,
    [tenantId, who.map((p) => p.id)],
  );
  return rows.map(({ id: _id, ...rest }) => rest);
}

describe('purchases recorded together', () => {
  it('give every purchase the outcome it has alone, and the same balances (fast-check model, two merchants)', async () => {
    let batchRun = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(jobArb, { minLength: 2, maxLength: 12 }), async (jobs) => {
        batchRun += 1;
        const now = new Date();
        const who = await people(now);
        const keys: string[] = [];
        const bodies: PurchaseInput[][] = [[], []];
        const idems: ReturnType<typeof idempotencyOf>[][] = [[], []];
        jobs.forEach((job, i) => {
          const inputs = [inputOf(job, who.a), inputOf(job, who.b)];
          let key: string | undefined;
          if (job.key.kind === 'new') key = `run${batchRun}-job${i}`;
          if (job.key.kind === 'reuse' && i > 0) {
            const of = job.key.of % i;
            key = keys[of] ?? `run${batchRun}-job${of}-late`;
            if (job.key.sameBody && keys[of] !== undefined) {
              inputs[0] = bodies[0]![of]!;
              inputs[1] = bodies[1]![of]!;
            }
          }
          keys.push(key!);
          [a, b].forEach((m, side) => {
            bodies[side]!.push(inputs[side]!);
            idems[side]!.push(idempotencyOf(m.id, key, 'POST', '/api/v1/transactions', inputs[side]));
          });
        });

        const together = await recordPurchases(server.database.pool, a.id, actor, jobs.map((_, i) => ({ input: bodies[0]![i]!, idem: idems[0]![i]! })), now);
        const alone: PurchaseSettled[] = [];
        for (let i = 0; i < jobs.length; i++) {
          try {
            alone.push({ ok: true, outcome: await recordPurchase(server.database.pool, b.id, actor, bodies[1]![i]!, idems[1]![i]!, now) });
          } catch (error) {
            alone.push({ ok: false, error });
          }
        }
        expect(together.map((r) => comparable(r, who.a))).toEqual(alone.map((r) => comparable(r, who.b)));

        // the batch path did the work: every purchase it recorded came from one transaction
        if (!jobs.some((j) => j.badStore)) {
          const ids = [...new Set(together.flatMap((r) => (r.ok ? [(r.outcome.body as { id: string }).id] : [])))];
          if (ids.length > 0) {
            const tx = await owner.query(`select count(distinct xmin::text)::int as n from loyalty_transactions where tenant_id = $1 and id = any($2::bigint[])`, [a.id, ids]);
            expect(tx.rows[0].n).toBe(1);
          }
        }

        const [balA, balB] = [await balances(a.id, who.a), await balances(b.id, who.b)];
        expect(balA).toEqual(balB);
        for (const m of balA) {
          expect(m.l_points).toBe(m.points);
          expect(m.l_tier).toBe(m.tier_points);
          expect(m.l_sv).toBe(m.principal + m.bonus);
          expect(m.lots).toBe(m.points);
          expect(Math.min(m.points, m.tier_points, m.principal, m.bonus)).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 25, endOnFailure: true },
    );
  });

  it('under 64 concurrent POST /transactions for four members, each purchase is recorded once and every balance equals its ledger', async () => {
    const who: string[] = [];
    for (let i = 0; i < 4; i++) {
      phoneSeq += 1;
      const res = await a.api.post('/api/v1/members', { phone: `1360099${String(phoneSeq).padStart(4, '0')}` });
      who.push(res.body.id);
    }
    const sends = Array.from({ length: 64 }, (_, i) =>
      a.api.post('/api/v1/transactions', { member: { id: who[i % 4] }, amountFen: 1_000 + i }, { 'idempotency-key': `conc-${i % 48}` }),
    );
    const answers = await Promise.all(sends);
    // keys 0..15 are each sent twice with different bodies: one of each pair is a 409
    expect(answers.filter((r) => r.status === 201)).toHaveLength(48);
    expect(answers.filter((r) => r.status === 409).map((r) => r.body.code ?? r.body.type)).toHaveLength(16);
    const { rows } = await owner.query(
      `select count(*)::int as n, count(distinct idempotency_key)::int as keys from loyalty_transactions where tenant_id = $1 and member_id = any($2::bigint[])`,
      [a.id, who],
    );
    expect(rows[0]).toEqual({ n: 48, keys: 48 });
    const check = await a.api.get('/api/v1/loyalty/reconcile');
    expect(check.status).toBe(200);
    expect(check.body.ok).toBe(true);
  });
});
