/**
 * Tiers reached by spend in the period as well as by tier points, and PUT /loyalty/tiers moving
 * members in bounded batches, each in its own transaction, recording every change.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveConfig } from '../../src/loyalty/config.repo.js';
import { reevaluateTiers } from '../../src/loyalty/config.service.js';
import { inLoyaltyTx } from '../../src/loyalty/db.js';
import { SYSTEM_ACTOR } from '../../src/loyalty/ledger.repo.js';
import { createTenant, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let shop: { tenant: { id: string }; token: string; api: Client };
let owner: pg.Client;
let seq = 0;
const actor = { ...SYSTEM_ACTOR, name: 'test' };
const idem = () => ({ 'idempotency-key': `t-${++seq}-${Date.now()}` });

const SILVER = { code: 'SILVER', name: '银卡', threshold: 0, discountPct: 0 };
const GOLD = { code: 'GOLD', name: '金卡', threshold: 100_000, discountPct: 0, spendThresholdFen: 50_000 };

beforeAll(async () => {
  server = await startTestServer();
  shop = await createTenant(server.baseUrl, await loginAdmin(server.baseUrl), 'spend-shop', '83');
  owner = new pg.Client({ connectionString: server.database.url });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
  await server?.close();
});

async function newMember(): Promise<string> {
  const res = await shop.api.post('/api/v1/members', { phone: `1350013${String(++seq).padStart(4, '0')}` });
  expect(res.status).toBe(201);
  return res.body.id;
}
const buy = (id: string, amountFen: number) => shop.api.post('/api/v1/transactions', { member: { id }, amountFen }, idem());
const changes = async (id: string) =>
  (await owner.query(`SELECT from_code, to_code, direction, cause FROM loyalty_tier_changes WHERE member_id = $1 ORDER BY id`, [id])).rows;

describe('tiers by spend', () => {
  it('are saved and answered with their spend threshold (only where one is set)', async () => {
    const put = await shop.api.put('/api/v1/loyalty/tiers', [SILVER, GOLD]);
    expect(put.status).toBe(200);
    expect(put.body).toEqual([SILVER, GOLD]);
    expect((await shop.api.get('/api/v1/loyalty/tiers')).body).toEqual([SILVER, GOLD]);
    const falling = await shop.api.put('/api/v1/loyalty/tiers', [SILVER, GOLD, { code: 'VIP', name: '贵宾卡', threshold: 200_000, discountPct: 0, spendThresholdFen: 40_000 }]);
    expect(falling.status).toBe(400);
    expect(falling.body.errors.map((e: any) => e.path)).toEqual(['body.2.spendThresholdFen']);
  });

  it('upgrade as soon as the period’s spend reaches the threshold; a refund takes the spend back and re-evaluates', async () => {
    const id = await newMember();
    const first = await buy(id, 30_000);
    expect(first.body).toMatchObject({ tierPointsEarned: 300, tierChange: null, member: { tier: { code: 'SILVER' } } });
    const second = await buy(id, 25_000);
    expect(second.body).toMatchObject({ tierChange: { from: { code: 'SILVER' }, to: { code: 'GOLD', name: '金卡' } }, member: { tierPoints: 550, tier: { code: 'GOLD' } } });
    const back = await shop.api.post(`/api/v1/transactions/${second.body.id}/refund`, { amountFen: 10_000 }, idem());
    expect(back.status).toBe(201);
    expect(back.body).toMatchObject({ tierChange: { from: { code: 'GOLD' }, to: { code: 'SILVER' } }, member: { tier: { code: 'SILVER' } } });
    expect(await changes(id)).toEqual([
      { from_code: 'SILVER', to_code: 'GOLD', direction: 'up', cause: 'purchase' },
      { from_code: 'GOLD', to_code: 'SILVER', direction: 'down', cause: 'refund' },
    ]);
    expect((await owner.query('SELECT period_spend_fen::int AS s FROM members WHERE id = $1', [id])).rows[0].s).toBe(45_000);
    const check = await shop.api.get('/api/v1/loyalty/reconcile');
    expect(check.body).toMatchObject({ ok: true, mismatches: [] });
  });

  it('reconciliation notices a spend that does not match the purchases', async () => {
    const id = await newMember();
    await buy(id, 1_000);
    await owner.query('UPDATE members SET period_spend_fen = period_spend_fen + 1 WHERE id = $1', [id]);
    const check = await shop.api.get('/api/v1/loyalty/reconcile');
    expect(check.body.mismatches).toEqual([{ memberId: id, check: 'period_spend', balance: 1_001, expected: 1_000 }]);
    await owner.query('UPDATE members SET period_spend_fen = period_spend_fen - 1 WHERE id = $1', [id]);
  });
});

describe('saving tiers', () => {
  it('moves the members a new tier list affects in bounded transactions, once, and stops when superseded', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const id = await newMember();
      expect((await buy(id, 20_000)).status).toBe(201);
      ids.push(id);
    }
    // a version saved without its pass: a lower spend threshold puts all 20 (and the earlier members) in reach
    const lower = [SILVER, { ...GOLD, spendThresholdFen: 15_000 }];
    const { after } = await inLoyaltyTx(server.database.pool, shop.tenant.id, (tx) => saveConfig(tx, actor, { tiers: lower }));
    const pass = await reevaluateTiers(server.database.pool, shop.tenant.id, actor, after, new Date(), 7);
    expect(pass.moved).toBe(21); // the 20, and the earlier member with 45,000 fen (not the one with 1,000)
    expect(pass.batches).toBe(3);
    for (const id of ids) expect(await changes(id)).toEqual([{ from_code: 'SILVER', to_code: 'GOLD', direction: 'up', cause: 'rules_change' }]);
    expect(await reevaluateTiers(server.database.pool, shop.tenant.id, actor, after, new Date(), 7)).toEqual({ moved: 0, batches: 0 });

    // a newer version makes the older one's pass stop at once
    const put = await shop.api.put('/api/v1/loyalty/tiers', [SILVER, GOLD]);
    expect(put.status).toBe(200);
    expect(await reevaluateTiers(server.database.pool, shop.tenant.id, actor, after, new Date(), 7)).toEqual({ moved: 0, batches: 0 });
    // no downgrade before period end: they keep GOLD under the stricter list
    expect((await shop.api.get(`/api/v1/members/${ids[0]}`)).body.tier).toEqual({ code: 'GOLD', name: '金卡' });
    expect((await shop.api.get('/api/v1/loyalty/reconcile')).body).toMatchObject({ ok: true });
  });
});
