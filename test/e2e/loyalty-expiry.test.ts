/**
 * Points plans with a fixed `now`: lots expire oldest first, in the tenant's timezone; period
 * ends carry reward points over by the rule, reset tier points and downgrade tiers; the
 * scheduled job and the lazy upkeep of a movement do this once, idempotently; members about to
 * lose points are listed; the pg-boss job is scheduled and runs.
 */
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loyaltyMaintenanceJob, runTenantMaintenance } from '../../src/loyalty/index.js';
import { redeemPoints } from '../../src/loyalty/balance.service.js';
import { inLoyaltyTx } from '../../src/loyalty/db.js';
import { SYSTEM_ACTOR } from '../../src/loyalty/ledger.repo.js';
import { recordPurchase } from '../../src/loyalty/purchase.service.js';
import { listExpiring } from '../../src/loyalty/queries.js';
import { startJobs } from '../../src/platform/jobs/queue.js';
import { client, login, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let owner: pg.Client;
let adminToken: string;
let phoneSeq = 0;

const at = (iso: string) => new Date(iso);
const actor = { ...SYSTEM_ACTOR, name: 'test' };

async function tenant(slug: string, ext: string, timezone = 'Asia/Shanghai'): Promise<{ id: string; api: Client }> {
  const res = await client(server.baseUrl, adminToken).post('/api/v1/platform/tenants', {
    slug,
    name: slug,
    smsExtension: ext,
    timezone,
    admin: { username: 'owner', password: 'owner-password-1' },
  });
  expect(res.status).toBe(201);
  return { id: res.body.id, api: client(server.baseUrl, await login(server.baseUrl, 'owner', 'owner-password-1', slug)) };
}

async function newMember(api: Client): Promise<string> {
  phoneSeq += 1;
  const res = await api.post('/api/v1/members', { phone: `1360013${String(phoneSeq).padStart(4, '0')}` });
  expect(res.status).toBe(201);
  return res.body.id;
}

const buyAt = (tenantId: string, memberId: string, amountFen: number, now: Date) =>
  recordPurchase(server.database.pool, tenantId, actor, { member: { id: memberId }, amountFen }, null, now).then((r) => r.body);

async function member(memberId: string) {
  const { rows } = await owner.query(
    `select points::int, tier_points::int, tier_code, tier_floor_code, to_char(tier_period_start, 'YYYY-MM-DD') as period, points_expire_at from members where id = $1`,
    [memberId],
  );
  return rows[0];
}

async function ledger(memberId: string) {
  const { rows } = await owner.query(`select kind, delta::int, balance_after::int, cause, ref_type from loyalty_ledger where member_id = $1 order by id`, [memberId]);
  return rows as { kind: string; delta: number; balance_after: number; cause: string; ref_type: string }[];
}

async function lots(memberId: string) {
  const { rows } = await owner.query(`select original::int, remaining::int, expires_at from loyalty_point_lots where member_id = $1 order by id`, [memberId]);
  return rows;
}

async function reconcile(api: Client) {
  const r = await api.get('/api/v1/loyalty/reconcile');
  expect(r.body).toMatchObject({ ok: true, mismatches: [] });
}

beforeAll(async () => {
  server = await startTestServer();
  adminToken = await loginAdmin(server.baseUrl);
  owner = new pg.Client({ connectionString: server.database.url });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
  await server?.close();
});

describe('rolling expiry of lots', () => {
  it('expires lots at the end of their local day, oldest first, once', async () => {
    const t = await tenant('roll', '71');
    await t.api.put('/api/v1/loyalty/rules', { expiry: { mode: 'rolling', months: 12 } });
    const m = await newMember(t.api);
    await buyAt(t.id, m, 10_000, at('2026-01-10T10:00:00+08:00')); // 100, valid through 2027-01-10
    await buyAt(t.id, m, 20_000, at('2026-06-10T10:00:00+08:00')); // 200, valid through 2027-06-10
    // redeeming takes the oldest lot first
    await redeemPoints(server.database.pool, t.id, actor, m, { points: 60, reason: 'gift' }, null, at('2026-07-01T10:00:00+08:00'));
    expect((await lots(m)).map((l) => l.remaining)).toEqual([40, 200]);
    expect((await member(m)).points_expire_at.toISOString()).toBe('2027-01-10T16:00:00.000Z');

    // one second before the end of 2027-01-10 in Shanghai: nothing yet
    const before = await runTenantMaintenance(server.database.pool, t.id, { now: at('2027-01-10T15:59:59Z') });
    expect(before).toMatchObject({ expiryMembers: 0, pointsExpired: 0 });
    const run = await runTenantMaintenance(server.database.pool, t.id, { now: at('2027-01-10T16:00:00Z') });
    expect(run).toMatchObject({ expiryMembers: 1, pointsExpired: 40 });
    expect(await member(m)).toMatchObject({ points: 200 });
    expect((await member(m)).points_expire_at.toISOString()).toBe('2027-06-10T16:00:00.000Z');
    const entries = await ledger(m);
    expect(entries.at(-1)).toMatchObject({ kind: 'points', delta: -40, balance_after: 200, cause: 'expiry', ref_type: 'expiry' });

    // idempotent: the same run again, or a later one before the next expiry, changes nothing
    const again = await runTenantMaintenance(server.database.pool, t.id, { now: at('2027-01-10T16:00:00Z') });
    expect(again).toMatchObject({ expiryMembers: 0, ledgerEntries: 0 });
    expect(await ledger(m)).toHaveLength(entries.length);
    const { rows } = await owner.query(`select count(*)::int as n from loyalty_operations where tenant_id = $1 and kind = 'expiry_run'`, [t.id]);
    expect(rows[0].n).toBe(1);
    await reconcile(t.api);
  });

  it('counts what two workers in small batches expired, exactly', async () => {
    const t = await tenant('many', '78');
    await t.api.put('/api/v1/loyalty/rules', { expiry: { mode: 'rolling', months: 1 } });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await newMember(t.api));
    for (const m of ids) await buyAt(t.id, m, 10_000, at('2026-01-05T12:00:00+08:00'));
    const run = await runTenantMaintenance(server.database.pool, t.id, { now: at('2026-03-01T00:00:00+08:00'), batchSize: 2, workers: 2 });
    expect(run).toMatchObject({ expiryMembers: 12, pointsExpired: 1_200, ledgerEntries: 12 });
    for (const m of ids) expect(await member(m)).toMatchObject({ points: 0, points_expire_at: null });
    await reconcile(t.api);
  });

  it('a movement expires what is due itself when the job has not run', async () => {
    const t = await tenant('lazy', '72');
    await t.api.put('/api/v1/loyalty/rules', { expiry: { mode: 'rolling', months: 1 } });
    const m = await newMember(t.api);
    await buyAt(t.id, m, 50_000, at('2026-03-01T12:00:00+08:00'));
    const later = await buyAt(t.id, m, 1_000, at('2026-05-01T12:00:00+08:00'));
    expect(later.member.points).toBe(10);
    expect((await ledger(m)).map((e) => `${e.kind}:${e.cause}:${e.delta}`)).toEqual([
      'points:earn:500',
      'tier_points:earn:500',
      'points:expiry:-500',
      'points:earn:10',
      'tier_points:earn:10',
    ]);
    // spending cannot touch expired points
    const m2 = await newMember(t.api);
    await buyAt(t.id, m2, 50_000, at('2026-03-01T12:00:00+08:00'));
    await expect(redeemPoints(server.database.pool, t.id, actor, m2, { points: 1, reason: 'x' }, null, at('2026-05-01T12:00:00+08:00'))).rejects.toMatchObject({ status: 409 });
    await reconcile(t.api);
  });

  it('lists members about to lose points', async () => {
    const t = await tenant('soon', '73');
    await t.api.put('/api/v1/loyalty/rules', { expiry: { mode: 'rolling', months: 1 } });
    const a = await newMember(t.api);
    const b = await newMember(t.api);
    await buyAt(t.id, a, 30_000, at('2026-03-01T12:00:00+08:00')); // expires 2026-04-02 00:00
    await buyAt(t.id, b, 40_000, at('2026-03-20T12:00:00+08:00')); // expires 2026-04-21 00:00
    const list = (withinDays: number, now: string) => inLoyaltyTx(server.database.pool, t.id, (tx) => listExpiring(tx, { withinDays, limit: 50 }, at(now)));
    expect((await list(10, '2026-03-25T00:00:00+08:00')).items).toEqual([
      { memberId: a, cardNo: expect.any(String), name: null, points: 300, expiringPoints: 300, expiresAt: '2026-04-01T16:00:00.000Z' },
    ]);
    expect((await list(30, '2026-03-25T00:00:00+08:00')).items.map((i) => [i.memberId, i.expiringPoints])).toEqual([
      [a, 300],
      [b, 400],
    ]);
    const paged = await inLoyaltyTx(server.database.pool, t.id, (tx) => listExpiring(tx, { withinDays: 30, limit: 1 }, at('2026-03-25T00:00:00+08:00')));
    expect(paged.items).toHaveLength(1);
    expect(paged.nextCursor).toEqual(expect.any(String));
    expect((await t.api.get('/api/v1/loyalty/expiring?withinDays=30')).status).toBe(200);
    expect((await t.api.get('/api/v1/loyalty/expiring?withinDays=0')).status).toBe(400);
  });
});

describe('period end: carry-over, tier points, downgrades', () => {
  it('closes the year in the tenant’s timezone, once, by the carry-over rule', async () => {
    const t = await tenant('plan', '74');
    const ny = await tenant('plan-ny', '75', 'America/New_York');
    for (const x of [t, ny]) {
      await x.api.put('/api/v1/loyalty/rules', { period: { kind: 'year', carryOver: { mode: 'percent', percent: 50 }, downgrade: true } });
      await x.api.put('/api/v1/loyalty/tiers', [
        { code: 'SILVER', name: '银卡', threshold: 0, discountPct: 0 },
        { code: 'GOLD', name: '金卡', threshold: 1_000, discountPct: 5 },
        { code: 'DIAMOND', name: '钻石卡', threshold: 3_000, discountPct: 10 },
      ]);
    }
    const keeper = await newMember(t.api); // reaches GOLD in 2026 and keeps it for 2027
    const faller = await newMember(t.api); // DIAMOND by override, earns little: falls at year end
    const nyer = await newMember(ny.api);
    await buyAt(t.id, keeper, 150_001, at('2026-05-01T12:00:00+08:00'));
    await buyAt(t.id, faller, 20_000, at('2026-05-01T12:00:00+08:00'));
    await t.api.post(`/api/v1/members/${faller}/tier`, { code: 'DIAMOND', reason: '老客户' }, {});
    await buyAt(ny.id, nyer, 20_000, at('2026-05-01T12:00:00-04:00'));
    expect(await member(keeper)).toMatchObject({ points: 1_500, tier_points: 1_500, tier_code: 'GOLD', period: '2026-01-01' });

    // 23:59:59 on 31 December in Shanghai: the year has not ended
    expect(await runTenantMaintenance(server.database.pool, t.id, { now: at('2026-12-31T15:59:59Z') })).toMatchObject({ periodMembers: 0 });
    // midnight in Shanghai: it has; New York is still in 2026
    const close = await runTenantMaintenance(server.database.pool, t.id, { now: at('2026-12-31T16:00:00Z') });
    expect(close).toMatchObject({ periodMembers: 2 });
    expect(await runTenantMaintenance(server.database.pool, ny.id, { now: at('2026-12-31T16:00:00Z') })).toMatchObject({ periodMembers: 0 });
    expect(await member(nyer)).toMatchObject({ points: 200, period: '2026-01-01' });

    expect(await member(keeper)).toMatchObject({ points: 750, tier_points: 0, tier_code: 'GOLD', tier_floor_code: 'GOLD', period: '2027-01-01' });
    expect(await member(faller)).toMatchObject({ points: 100, tier_points: 0, tier_code: 'SILVER', tier_floor_code: 'SILVER', period: '2027-01-01' });
    expect((await ledger(keeper)).slice(-2).map((e) => `${e.kind}:${e.cause}:${e.delta}`)).toEqual(['points:carry_over:-750', 'tier_points:period_reset:-1500']);
    const changes = await t.api.get(`/api/v1/members/${faller}/tier-changes`);
    expect(changes.body.items[0]).toMatchObject({ from: { code: 'DIAMOND' }, to: { code: 'SILVER' }, direction: 'down', cause: 'period_end' });

    // idempotent
    const n = (await ledger(keeper)).length;
    expect(await runTenantMaintenance(server.database.pool, t.id, { now: at('2027-01-01T03:00:00Z') })).toMatchObject({ periodMembers: 0, ledgerEntries: 0 });
    expect(await ledger(keeper)).toHaveLength(n);

    // a refund of last year's purchase takes back reward points, not the closed period's tier points
    const txId = (await owner.query(`select id::text from loyalty_transactions where member_id = $1`, [keeper])).rows[0].id;
    const refund = await t.api.post(`/api/v1/transactions/${txId}/refund`, { amountFen: 10_000 }, {});
    expect(refund.body).toMatchObject({ pointsReversed: 100, tierPointsReversed: 0 });

    // New York closes at its own midnight, lazily on the next movement if the job has not run
    const p = await buyAt(ny.id, nyer, 1_000, at('2027-01-01T05:00:00Z'));
    expect(p.member).toMatchObject({ points: 110, tierPoints: 10 });
    expect(await member(nyer)).toMatchObject({ period: '2027-01-01', tier_code: 'SILVER' });
    await reconcile(t.api);
    await reconcile(ny.api);
  });

  it('expires everything at period end with carry-over "none", and lists the members who will lose it', async () => {
    const t = await tenant('reset', '76');
    await t.api.put('/api/v1/loyalty/rules', { period: { kind: 'quarter', carryOver: { mode: 'none' } } });
    const m = await newMember(t.api);
    await buyAt(t.id, m, 12_300, at('2026-02-01T12:00:00+08:00'));
    const soon = await inLoyaltyTx(server.database.pool, t.id, (tx) => listExpiring(tx, { withinDays: 30, limit: 10 }, at('2026-03-15T00:00:00+08:00')));
    expect(soon.items).toEqual([expect.objectContaining({ memberId: m, expiringPoints: 123, expiresAt: '2026-03-31T16:00:00.000Z' })]);
    await runTenantMaintenance(server.database.pool, t.id, { now: at('2026-04-01T00:00:00+08:00') });
    expect(await member(m)).toMatchObject({ points: 0, tier_points: 0, period: '2026-04-01' });
    await reconcile(t.api);
  });
});

describe('the scheduled job', () => {
  it('is scheduled in pg-boss and runs for every tenant', async () => {
    const t = await tenant('cron', '77');
    await t.api.put('/api/v1/loyalty/rules', { expiry: { mode: 'rolling', months: 1 } });
    const m = await newMember(t.api);
    await buyAt(t.id, m, 10_000, at('2020-01-01T12:00:00+08:00')); // long expired
    const jobs = await startJobs({ url: server.database.url, log: pino({ level: 'silent' }), scheduled: [loyaltyMaintenanceJob(server.database.pool)] });
    try {
      expect((await jobs.boss.getSchedules()).map((s) => s.name)).toContain('loyalty.expiry');
      const id = await jobs.boss.send('loyalty.expiry', { platform: true });
      const deadline = Date.now() + 20_000;
      let state = '';
      while (Date.now() < deadline) {
        state = (await jobs.boss.getJobById('loyalty.expiry', id!))?.state ?? '';
        if (state === 'completed' || state === 'failed') break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(state).toBe('completed');
      expect(await member(m)).toMatchObject({ points: 0, points_expire_at: null });
    } finally {
      await jobs.stop();
    }
  });
});
