/**
 * The loyalty transaction helper (src/loyalty/db.ts): statements that share a round trip with
 * BEGIN or COMMIT travel as `EXECUTE name(literals)`, so every value must reach PostgreSQL
 * exactly as given (quotes, backslashes, arrays, bytes, times), and the ledger write checks
 * itself before COMMIT rides along.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redeemPoints } from '../../src/loyalty/balance.service.js';
import { inLoyaltyTx, sqlLiteral } from '../../src/loyalty/db.js';
import { SYSTEM_ACTOR } from '../../src/loyalty/ledger.repo.js';
import { recordPurchase, recordPurchases } from '../../src/loyalty/purchase.service.js';
import { connectDatabase } from '../../src/platform/db/client.js';
import { client, login, loginAdmin } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let owner: pg.Client;
let tenantId: string;
let memberId: string;
const actor = { ...SYSTEM_ACTOR, name: 'test' };

beforeAll(async () => {
  server = await startTestServer();
  owner = new pg.Client({ connectionString: server.database.url });
  await owner.connect();
  const admin = client(server.baseUrl, await loginAdmin(server.baseUrl));
  const res = await admin.post('/api/v1/platform/tenants', { slug: 'dbt', name: 'dbt', smsExtension: '771', admin: { username: 'owner', password: 'owner-password-1' } });
  expect(res.status).toBe(201);
  tenantId = res.body.id;
  const api = client(server.baseUrl, await login(server.baseUrl, 'owner', 'owner-password-1', 'dbt'));
  const m = await api.post('/api/v1/members', { phone: '13600137001' });
  expect(m.status).toBe(201);
  memberId = m.body.id;
});

afterAll(async () => {
  await owner?.end();
  await server?.close();
});

/** Sends values through a named statement as the first (BEGIN …) and the last (… COMMIT) one. */
async function echo(values: unknown[], types: string[], commit: boolean, named = true): Promise<Record<string, unknown>> {
  const cols = types.map((t, i) => `$${i + 1}::${t} AS c${i}`).join(', ');
  // unnamed statements are inlined too when BEGIN or COMMIT travels with them
  const name = named ? `test_echo_${types.join('_').replace(/\W/g, '')}` : null;
  const rows = await inLoyaltyTx(server.database.pool, tenantId, (tx) => tx.query(name, `SELECT ${cols}`, values, { commit }));
  return rows[0]!;
}

describe('values as literals', () => {
  it('reach PostgreSQL unchanged: text with quotes and backslashes, text arrays with NULL, bytes, times, numbers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')),
        fc.array(fc.option(fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\0')), { nil: null }), { maxLength: 5 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.integer({ min: -1e15, max: 1e15 }),
        fc.boolean(),
        fc.boolean(),
        async (text, list, bytes, n, commit, named) => {
          const when = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
          const r = await echo([text, list, Buffer.from(bytes), n, when, JSON.stringify({ text })], ['text', 'text[]', 'bytea', 'bigint', 'timestamptz', 'jsonb'], commit, named);
          expect(r.c0).toBe(text);
          expect(r.c1).toEqual(list);
          expect(Buffer.compare(r.c2 as Buffer, Buffer.from(bytes))).toBe(0);
          expect(Number(r.c3)).toBe(n);
          expect((r.c4 as Date).getTime()).toBe(when.getTime());
          expect(r.c5).toEqual({ text });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('cannot break out of their quotes', async () => {
    const nasty = `x'); DROP TABLE members; --\\' \\\\ "`;
    expect((await echo([nasty, [nasty, 'NULL', ''], null], ['text', 'text[]', 'text'], false))).toEqual({ c0: nasty, c1: [nasty, 'NULL', ''], c2: null });
    expect((await echo([nasty, [nasty, 'NULL', ''], null], ['text', 'text[]', 'text'], true, false))).toEqual({ c0: nasty, c1: [nasty, 'NULL', ''], c2: null });
    // bytea inside an array (the idempotency hashes of a batch of purchases)
    const hashes = [Buffer.from([0, 1, 0x5c, 0x27, 0xff]), Buffer.alloc(0)];
    expect((await echo([hashes], ['bytea[]'], true, false)).c0).toEqual(hashes);
    expect((await echo([hashes], ['bytea[]'], true))).toEqual({ c0: hashes });
    expect(sqlLiteral("it's")).toBe("'it''s'");
    expect(() => sqlLiteral('a\0b')).toThrow(/NUL/);
  });
});

describe('transactions', () => {
  it('a statement marked commit commits; an error in it rolls everything back', async () => {
    await inLoyaltyTx(server.database.pool, tenantId, (tx) =>
      tx.query('test_note', `UPDATE members SET name = $2 WHERE tenant_id = $1 AND id = $3::bigint`, [tenantId, 'committed', memberId], { commit: true }),
    );
    await expect(
      inLoyaltyTx(server.database.pool, tenantId, async (tx) => {
        await tx.query('test_note', `UPDATE members SET name = $2 WHERE tenant_id = $1 AND id = $3::bigint`, [tenantId, 'rolled back', memberId]);
        await tx.query('test_fail', `SELECT 1 / $1::int AS x`, [0], { commit: true });
      }),
    ).rejects.toThrow(/division by zero/);
    const { rows } = await owner.query('SELECT name FROM members WHERE id = $1', [memberId]);
    expect(rows[0].name).toBe('committed');
  });

  it('the ledger write refuses to commit when the lots are out of step with the balance, and leaves no trace', async () => {
    await recordPurchase(server.database.pool, tenantId, actor, { member: { id: memberId }, amountFen: 10_000 }, null);
    const before = await owner.query(`SELECT (SELECT count(*) FROM loyalty_ledger WHERE member_id = $1)::int AS entries, points::int FROM members WHERE id = $1`, [memberId]);
    expect(before.rows[0].points).toBe(100);
    // break the invariant behind the application's back: the lots hold less than the balance
    await owner.query('UPDATE loyalty_point_lots SET remaining = remaining - 30 WHERE member_id = $1', [memberId]);
    await expect(redeemPoints(server.database.pool, tenantId, actor, memberId, { points: 90, reason: 'gift' }, null)).rejects.toThrow(/ledger write mismatch: .*lots taken 70\/90/);
    const after = await owner.query(`SELECT (SELECT count(*) FROM loyalty_ledger WHERE member_id = $1)::int AS entries, points::int FROM members WHERE id = $1`, [memberId]);
    expect(after.rows[0]).toEqual(before.rows[0]);
    await owner.query('UPDATE loyalty_point_lots SET remaining = remaining + 30 WHERE member_id = $1', [memberId]);
  });
});

describe('the batch write', () => {
  it('is one prepared statement whose generic plan reaches members through their ids and never reads lots', async () => {
    const api = client(server.baseUrl, await login(server.baseUrl, 'owner', 'owner-password-1', 'dbt'));
    const ids: string[] = [];
    for (const phone of ['13600137011', '13600137012', '13600137013']) {
      const m = await api.post('/api/v1/members', { phone });
      expect(m.status).toBe(201);
      ids.push(m.body.id);
    }
    // Statistics of a merchant with members (on a near-empty table any plan reads "everything",
    // which is then nothing; autoanalyze replans as the table grows). Lots, the table that grows
    // with every purchase, are never read by this statement at all.
    await owner.query(`INSERT INTO members (tenant_id, card_no, phone, source)
                       SELECT $1, 'DBT' || g, '+86137' || lpad(g::text, 8, '0'), 'import' FROM generate_series(1, 3000) g`, [tenantId]);
    await owner.query('ANALYZE members');
    // one connection, so the statement prepared by the batch is the one inspected below
    const database = connectDatabase(server.database.url, { max: 1 });
    try {
      const settled = await recordPurchases(database.pool, tenantId, actor, ids.map((id) => ({ input: { member: { id }, amountFen: 5_000 }, idem: null })));
      expect(settled.every((r) => r.ok)).toBe(true);
      const { rows } = await database.pool.query(`SELECT statement FROM pg_prepared_statements WHERE name = 'x_loyalty_write_many_purchases'`);
      expect(rows).toHaveLength(1);
      const text = String(rows[0].statement).replace(/^PREPARE x_loyalty_write_many_purchases AS /, '');
      const params = Math.max(...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
      const c = await database.pool.connect();
      try {
        await c.query('BEGIN');
        // as the batch transaction sets them (inLoyaltyTx keyedPlans)
        await c.query(`SELECT set_config('app.tenant_id', $1, true), set_config('plan_cache_mode', 'force_generic_plan', true), set_config('enable_seqscan', 'off', true)`, [tenantId]);
        await c.query(`PREPARE test_generic AS ${text}`);
        const plan = (await c.query(`EXPLAIN EXECUTE test_generic(${Array.from({ length: params }, () => 'NULL').join(', ')})`)).rows.map((r) => r['QUERY PLAN'] as string);
        await c.query('ROLLBACK');
        await c.query('DEALLOCATE test_generic');
        const planText = plan.join('\n');
        expect(planText).not.toMatch(/Seq Scan on (members|loyalty_)/);
        // no index scan bounded by the tenant alone: each names the rows it wants
        const conds = plan.filter((l) => l.includes('Index Cond'));
        expect(conds.length).toBeGreaterThan(0);
        for (const cond of conds) expect(cond.replace(/tenant_id = \$\d+/g, ''), planText).toMatch(/\w = |ANY/);
        expect(planText).not.toMatch(/Scan[^\n]* on loyalty_point_lots/);
      } finally {
        c.release();
      }
    } finally {
      await database.close();
    }
  });
});
