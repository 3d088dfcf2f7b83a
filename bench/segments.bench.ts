/**
 * Segment figures (issue 5), on the real server over the embedded PostgreSQL: live counts of the
 * three typical filters of the issue over 1,000,000 members and 10,000,000 purchases (a year of
 * them), each beside the best hand-written SQL for the same question in the same run:
 *   (a) spend ≥ 500 yuan in the last 90 days + birthday next month + tier GOLD,
 *   (b) inactive for 60 days (bought before, nothing since) + tag vip,
 *   (c) an attribute (channel = wechat) + one store.
 * The builder's figure is GET /api/v1/segments/{id}/count through HTTP (auth, the tenant
 * transaction under row-level security, the timezone look-up, the statement limits, the
 * compiled query); the hand-written one is the query alone, as the database owner (no RLS, no
 * HTTP), the fastest of the variants tried. Goal: builder p50 ≤ 1.5 × hand-written p50.
 * POST /segments/preview (count + 10 sample members) is reported too.
 * Quick mode: 20,000 members / 200,000 purchases, fewer rounds.
 * SEGMENTS_BENCH_EXPLAIN=1 prints the plans (EXPLAIN ANALYZE) of the compiled and hand-written queries.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { addDays, localDate, startOfLocalDay } from '../src/loyalty/index.js';
import { checkFilter, compileFilter, countMatching, countQuery } from '../src/marketing/index.js';
import { connectDatabase } from '../src/platform/db/client.js';
import { withTenant } from '../src/platform/db/with-tenant.js';
import { api, createMerchant, freePort, login, median, newDataDirPath, removeDir, reportServerProblems, samplesNote, startServer, type Benchmark, type BenchContext, type Figure } from './support.js';

const BENCH_ADMIN_PASSWORD = 'bench-admin-password-1';
const TZ = 'Asia/Shanghai';
const STORES = 20;

function socketDirOf(dataDir: string, port: number): string | null {
  const dir = path.join(dataDir, 'pg');
  return existsSync(path.join(dir, `.s.PGSQL.${port}`)) ? dir : null;
}

/** Members, purchases, stores and an attribute straight into the tables as the owner. */
async function seed(ctx: BenchContext, owner: pg.Client, tenantId: string, members: number, purchases: number): Promise<string[]> {
  const t0 = performance.now();
  const hq = (await owner.query<{ id: string }>(`SELECT id::text FROM org_nodes WHERE tenant_id = $1 AND parent_id IS NULL`, [tenantId])).rows[0]!.id;
  const { rows: stores } = await owner.query<{ id: string }>(
    `INSERT INTO org_nodes (tenant_id, parent_id, kind, name) SELECT $1, $2, 'store', 'Store ' || g FROM generate_series(1, ${STORES}) g RETURNING id::text`,
    [tenantId, hq],
  );
  await owner.query(`UPDATE org_nodes SET path = (SELECT path FROM org_nodes WHERE tenant_id = $1 AND id = $2) || id || '/' WHERE tenant_id = $1 AND parent_id = $2`, [tenantId, hq]);
  await owner.query(`INSERT INTO member_attribute_defs (tenant_id, key, label, type, options) VALUES ($1, 'channel', '来源渠道', 'single', '{wechat,store,web,friend}')`, [tenantId]);
  const storeIds = stores.map((s) => s.id);
  await owner.query('SET session_replication_role = replica'); // bulk load: FKs hold by construction
  // members: tier 60 % SILVER / 30 % GOLD / 10 % PLATINUM, 90 % with a birthday, tags vip 8 %,
  // wine 15 %, new 20 %, channel wechat 40 % / store 30 % / web 20 % / friend 10 %
  await owner.query(
    `INSERT INTO members (tenant_id, card_no, phone, name, birthday, store_id, tier_code, points, tier_points, tags, attributes, source, created_at)
     SELECT $1, lpad(g::text, 10, '0'), '+86' || (13000000000 + g)::text, 'M' || g,
            CASE WHEN g % 10 <> 0 THEN date '1960-01-01' + (hashint4(g) & 16383) END,
            ($2::bigint[])[1 + (g % ${STORES})],
            CASE WHEN g % 10 < 6 THEN 'SILVER' WHEN g % 10 < 9 THEN 'GOLD' ELSE 'PLATINUM' END,
            g % 5000, g % 20000,
            array_remove(ARRAY[CASE WHEN abs(hashint4(g + 1)) % 100 < 8 THEN 'vip' END, CASE WHEN abs(hashint4(g + 2)) % 100 < 15 THEN 'wine' END,
                               CASE WHEN abs(hashint4(g + 3)) % 100 < 20 THEN 'new' END], NULL),
            jsonb_build_object('channel', CASE WHEN abs(hashint4(g + 4)) % 10 < 4 THEN 'wechat' WHEN abs(hashint4(g + 4)) % 10 < 7 THEN 'store' WHEN abs(hashint4(g + 4)) % 10 < 9 THEN 'web' ELSE 'friend' END),
            'import', now() - (g % 1000) * interval '1 day'
       FROM generate_series(1, $3::int) g`,
    [tenantId, storeIds, members],
  );
  const { rows: range } = await owner.query<{ min: string; max: string }>(`SELECT min(id)::text, max(id)::text FROM members WHERE tenant_id = $1`, [tenantId]);
  const min = Number(range[0]!.min);
  const span = Number(range[0]!.max) - min + 1;
  ctx.progress(`${members} members in ${((performance.now() - t0) / 1000).toFixed(1)} s; loading ${purchases} purchases`);
  // purchases over the last 365 days, members drawn unevenly (some buy often, many rarely);
  // secondary indexes are dropped for the load and rebuilt after it
  await owner.query('DROP INDEX loyalty_transactions_member, loyalty_transactions_member_time, loyalty_transactions_time');
  const chunk = 1_000_000;
  for (let done = 0; done < purchases; done += chunk) {
    const n = Math.min(chunk, purchases - done);
    await owner.query(
      `INSERT INTO loyalty_transactions (tenant_id, member_id, store_id, amount_fen, discount_fen, payable_fen, points_earned, tier_points_earned, rule_version, occurred_at, actor_type, actor_name)
       SELECT $1, $2::bigint + floor($3::bigint * power(random(), 1.5))::bigint, ($5::bigint[])[1 + (g % ${STORES})], p, 0, p, p / 100, p / 100, 1,
              now() - random() * interval '365 days', 'system', 'bench'
         FROM generate_series(1, $4::int) g, LATERAL (SELECT (1000 + floor(random() * 49000))::bigint + g * 0 AS p) x`,
      [tenantId, min, span, n, storeIds],
    );
    ctx.progress(`  ${done + n} purchases`);
  }
  await owner.query('CREATE INDEX loyalty_transactions_member ON loyalty_transactions (tenant_id, member_id, id DESC)');
  await owner.query('CREATE INDEX loyalty_transactions_member_time ON loyalty_transactions (tenant_id, member_id, occurred_at) INCLUDE (payable_fen)');
  await owner.query('CREATE INDEX loyalty_transactions_time ON loyalty_transactions (tenant_id, occurred_at) INCLUDE (member_id, payable_fen)');
  await owner.query('RESET session_replication_role');
  await owner.query('VACUUM ANALYZE members, loyalty_transactions');
  ctx.progress(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return storeIds;
}

interface Question {
  key: string;
  title: string;
  filter: unknown;
  /** hand-written variants: [label, SQL, params] */
  hand: [string, string, unknown[]][];
}

function questions(tenantId: string, store: string, now: Date): Question[] {
  const today = localDate(now, TZ);
  const dayStart = (k: number) => startOfLocalDay(addDays(today, -k), TZ);
  const nextMonth = (today.m % 12) + 1;
  const since90 = dayStart(89); // "in the last 90 days": today and the 89 days before
  const since60 = dayStart(59); // inactive 60 days: nothing on or after the local day 59 days ago
  return [
    {
      key: 'a',
      title: 'spend ≥ 500 yuan in 90 days + birthday next month + tier GOLD',
      filter: {
        all: [
          { field: 'spendFen', op: 'gte', value: 50_000, days: 90 },
          { field: 'birthdayMonth', op: 'eq', value: nextMonth },
          { field: 'tier', op: 'eq', value: 'GOLD' },
        ],
      },
      hand: [
        [
          'correlated sum',
          `SELECT count(*) FROM members m WHERE m.tenant_id = $1 AND m.tier_code = 'GOLD' AND extract(month FROM m.birthday) = $2
             AND (SELECT sum(t.payable_fen) FROM loyalty_transactions t WHERE t.tenant_id = $1 AND t.member_id = m.id AND t.occurred_at >= $3) >= 50000`,
          [tenantId, nextMonth, since90],
        ],
        [
          'grouped window',
          `SELECT count(*) FROM members m WHERE m.tenant_id = $1 AND m.tier_code = 'GOLD' AND extract(month FROM m.birthday) = $2
             AND m.id IN (SELECT member_id FROM loyalty_transactions WHERE tenant_id = $1 AND occurred_at >= $3 GROUP BY member_id HAVING sum(payable_fen) >= 50000)`,
          [tenantId, nextMonth, since90],
        ],
      ],
    },
    {
      key: 'b',
      title: 'inactive 60 days + tag vip',
      filter: { all: [{ field: 'lastVisitDaysAgo', op: 'gte', value: 60 }, { field: 'tag', op: 'eq', value: 'vip' }] },
      hand: [
        [
          'exists / not exists',
          `SELECT count(*) FROM members m WHERE m.tenant_id = $1 AND m.tags @> '{vip}'
             AND EXISTS (SELECT 1 FROM loyalty_transactions t WHERE t.tenant_id = $1 AND t.member_id = m.id)
             AND NOT EXISTS (SELECT 1 FROM loyalty_transactions t WHERE t.tenant_id = $1 AND t.member_id = m.id AND t.occurred_at >= $2)`,
          [tenantId, since60],
        ],
        [
          'max(occurred_at)',
          `SELECT count(*) FROM members m WHERE m.tenant_id = $1 AND m.tags @> '{vip}'
             AND (SELECT max(t.occurred_at) FROM loyalty_transactions t WHERE t.tenant_id = $1 AND t.member_id = m.id) < $2`,
          [tenantId, since60],
        ],
      ],
    },
    {
      key: 'c',
      title: 'attribute channel = wechat + one store',
      filter: { all: [{ field: 'attributes.channel', op: 'eq', value: 'wechat' }, { field: 'storeId', op: 'eq', value: store }] },
      hand: [
        ['jsonb @>', `SELECT count(*) FROM members WHERE tenant_id = $1 AND store_id = $2 AND attributes @> '{"channel":"wechat"}'`, [tenantId, store]],
        ['->> =', `SELECT count(*) FROM members WHERE tenant_id = $1 AND store_id = $2 AND attributes ->> 'channel' = 'wechat'`, [tenantId, store]],
      ],
    },
  ];
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export const benchmark: Benchmark = {
  name: 'segments',
  description:
    'Live segment counts of three typical filters over 1,000,000 members and 10,000,000 purchases through GET /segments/{id}/count, beside the best hand-written SQL for the same question (goal ≤ 1.5×).',
  async run(ctx) {
    const figures: Figure[] = [];
    const members = ctx.quick ? 20_000 : 1_000_000;
    const purchases = ctx.quick ? 200_000 : 10_000_000;
    const rounds = ctx.quick ? 5 : 15;
    const dataDir = newDataDirPath();
    const pgPort = await freePort();
    const server = await startServer({ label: 'segments-embedded', dataDir, adminPassword: BENCH_ADMIN_PASSWORD, env: { MEMBERDESK_PG_PORT: String(pgPort), MEMBERDESK_JOBS: 'off', LOG_LEVEL: 'warn' } });
    try {
      await server.waitHealthy();
      const password = readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
      const socket = socketDirOf(dataDir, pgPort);
      const ownerUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/memberdesk${socket ? `?host=${encodeURIComponent(socket)}` : ''}`;
      const merchant = await createMerchant(server.baseUrl, BENCH_ADMIN_PASSWORD, 'seg');
      const owner = new pg.Client({ connectionString: ownerUrl });
      await owner.connect();
      // the count function in this process, as the application role (RLS on), one connection
      const app = connectDatabase(ownerUrl, { max: 1 });
      const CHANNEL = [{ key: 'channel', label: 'c', type: 'single' as const, required: false, options: ['wechat', 'store', 'web', 'friend'] }];
      try {
        const t0 = performance.now();
        const stores = await seed(ctx, owner, merchant.id, members, purchases);
        figures.push({ name: 'seed (members, purchases, indexes, VACUUM ANALYZE)', value: (performance.now() - t0) / 1000, unit: 's', note: `${members} members, ${purchases} purchases over 365 days` });
        const call = api(server.baseUrl, await login(server.baseUrl, merchant.ownerUsername, merchant.ownerPassword, merchant.slug));
        const now = new Date();
        for (const q of questions(merchant.id, stores[3]!, now)) {
          const saved = await call<{ id: string }>('POST', '/api/v1/segments', { name: `bench ${q.key}`, filter: q.filter });
          if (saved.status !== 201) throw new Error(`save segment ${q.key}: ${saved.status} ${JSON.stringify(saved.body)}`);
          const builder = async () => {
            const res = await call<{ count: number }>('GET', `/api/v1/segments/${saved.body.id}/count`);
            if (res.status !== 200) throw new Error(`count ${q.key}: ${res.status} ${JSON.stringify(res.body)}`);
            return res.body.count;
          };
          const preview = async () => {
            const res = await call<{ count: number }>('POST', '/api/v1/segments/preview', { filter: q.filter });
            if (res.status !== 200) throw new Error(`preview ${q.key}: ${res.status} ${JSON.stringify(res.body)}`);
            return res.body.count;
          };
          const checked = checkFilter(q.filter, CHANNEL);
          if (!checked.ok) throw new Error(`bench filter ${q.key} invalid: ${JSON.stringify(checked.errors)}`);
          const fn = () => withTenant(app.db, merchant.id, (tx) => countMatching(tx, merchant.id, checked.node));
          const hand = (i: number) => async () => Number((await owner.query<{ count: string }>(q.hand[i]![1], q.hand[i]![2])).rows[0]!.count);
          // warm-up, and the builder must answer what the hand-written SQL answers
          const expected = await builder();
          for (let i = 0; i < q.hand.length; i++) {
            const got = await hand(i)();
            if (got !== expected) throw new Error(`(${q.key}) builder counts ${expected}, hand-written "${q.hand[i]![0]}" ${got}`);
          }
          await preview();
          if ((await fn()) !== expected) throw new Error(`(${q.key}) the count function disagrees with the endpoint`);
          const times = { builder: [] as number[], fn: [] as number[], preview: [] as number[], hand: q.hand.map(() => [] as number[]) };
          for (let r = 0; r < rounds; r++) {
            times.builder.push((await timed(builder)).ms);
            times.fn.push((await timed(fn)).ms);
            for (let i = 0; i < q.hand.length; i++) times.hand[i]!.push((await timed(hand(i))).ms);
            times.preview.push((await timed(preview)).ms);
          }
          const handMedians = times.hand.map(median);
          const best = handMedians.indexOf(Math.min(...handMedians));
          const b = median(times.builder);
          const h = handMedians[best]!;
          const f = median(times.fn);
          ctx.progress(
            `(${q.key}) ${q.title}: ${expected} members; builder p50 ${b.toFixed(1)} ms over HTTP, ${f.toFixed(1)} ms as the count function; hand-written p50 ${h.toFixed(1)} ms (${q.hand[best]![0]}); ratios ${(b / h).toFixed(2)} / ${(f / h).toFixed(2)}`,
          );
          figures.push({ name: `(${q.key}) ${q.title}: count through GET /segments/{id}/count, p50`, value: b, unit: 'ms', note: `${expected} members; ${samplesNote(times.builder, 1)}` });
          figures.push({
            name: `(${q.key}) best hand-written SQL for the same count, p50`,
            value: h,
            unit: 'ms',
            note: `${q.hand[best]![0]}, as the owner without RLS or HTTP; ${q.hand.map((v, i) => `${v[0]}: ${handMedians[i]!.toFixed(1)} ms`).join(', ')}`,
          });
          figures.push({ name: `(${q.key}) builder's count function (countMatching, app role, RLS), p50`, value: f, unit: 'ms', note: samplesNote(times.fn, 1) });
          figures.push({ name: `(${q.key}) builder over HTTP / hand-written`, value: b / h, unit: '×', note: 'goal ≤ 1.5 (HTTP, auth and the transaction cost a few ms: at quick sizes they dominate)' });
          figures.push({ name: `(${q.key}) builder's count function / hand-written`, value: f / h, unit: '×', note: 'goal ≤ 1.5' });
          figures.push({ name: `(${q.key}) POST /segments/preview (count + 10 sample members), p50`, value: median(times.preview), unit: 'ms' });
          if (!ctx.quick && b / h > 1.5) ctx.observe(`(${q.key}) the builder took ${(b / h).toFixed(2)}× the hand-written SQL over HTTP (goal ≤ 1.5×)`);
          if (!ctx.quick && f / h > 1.5) ctx.observe(`(${q.key}) the builder's count function took ${(f / h).toFixed(2)}× the hand-written SQL (goal ≤ 1.5×)`);
          if (process.env.SEGMENTS_BENCH_EXPLAIN === '1') {
            const compiled = new PgDialect().sqlToQuery(countQuery(merchant.id, compileFilter(checked.node, { now, tz: TZ })));
            await owner.query('BEGIN');
            await owner.query(`SET LOCAL ROLE memberdesk_app`);
            await owner.query(`SELECT set_config('app.tenant_id', $1, true), set_config('work_mem', '32MB', true)`, [merchant.id]);
            const plan = await owner.query(`EXPLAIN (ANALYZE, BUFFERS) ${compiled.sql}`, compiled.params);
            await owner.query('ROLLBACK');
            ctx.progress(`(${q.key}) builder plan:\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}`);
            const hp = await owner.query(`EXPLAIN (ANALYZE, BUFFERS) ${q.hand[best]![1]}`, q.hand[best]![2]);
            ctx.progress(`(${q.key}) hand-written plan:\n${hp.rows.map((r) => r['QUERY PLAN']).join('\n')}`);
          }
        }
      } finally {
        await owner.end();
        await app.close();
      }
    } finally {
      if (!server.exitInfo) await server.stop();
      reportServerProblems(ctx, server);
      removeDir(dataDir);
    }
    return figures;
  },
};
export default benchmark;
