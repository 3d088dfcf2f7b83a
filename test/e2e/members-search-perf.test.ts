import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberByKeyQuery, membersPageQuery } from '../../src/members/service.js';
import type { MemberSearchParams } from '../../src/members/search.js';
import { withTenant } from '../../src/platform/db/with-tenant.js';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';

/**
 * The plans behind member lookups and searches on a merchant with many members: every query
 * must be served by an index (no sequential scan of members), and list pages must be keyset.
 * Rows are made with generate_series as the database owner. MEMBERS_PERF_ROWS sets the size
 * (default 200,000; the target is 1,000,000 per merchant).
 */
const ROWS = Number(process.env.MEMBERS_PERF_ROWS ?? 200_000);

let database: TestDatabase;
let tenantId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const owner = new pg.Client({ connectionString: database.url });
  await owner.connect();
  try {
    const t = await owner.query(`insert into tenants (slug, name, sms_extension) values ('big', 'Big', '99'), ('small', 'Small', '98') returning id::text`);
    tenantId = t.rows[0].id;
    const other = t.rows[1].id;
    const started = Date.now();
    for (const [tid, n] of [
      [tenantId, ROWS],
      [other, Math.ceil(ROWS / 10)],
    ] as const) {
      await owner.query(
        `insert into members (tenant_id, card_no, phone, name, birthday, tags, tier_code, attributes)
         select $1::bigint,
                'M' || lpad(i::text, 9, '0'),
                '+861' || (array['3','5','8'])[1 + i % 3] || lpad(((i * 7919) % 1000000000)::text, 9, '0'),
                (array['王','李','张','刘','陈','杨','黄','赵','吴','周','徐','孙','马','朱','胡','郭','何','高','林','罗'])[1 + i % 20]
                  || (array['伟','芳','娜','敏','静','丽','强','磊','军','洋','勇','艳','杰','娟','涛','明','超','秀','霞','平',
                            '刚','桂','英','华','玉','萍','红','鹏','辉','建','文','斌','宇','浩','凯','健','俊','帆','帅','旭',
                            '宁','龙','林','欢','阳','佳','琳','雪','梅','晨'])[1 + (i * 7) % 50]
                  || case when i % 3 = 0 then '' else (array['一','二','三','四','五','六','七','八','九','十','天','地','人','和','春','夏','秋','冬','东','西',
                            '南','北','山','水','云','风','雨','花','月','星','光','明','德','仁','义','礼','智','信','忠','孝',
                            '安','康','福','禄','寿','喜','乐','美','善','真'])[1 + (i * 13) % 50] end,
                date '1960-01-01' + (i % 15000),
                case when i % 50 = 0 then array['vip'] when i % 7 = 0 then array['wine', 'tea'] else '{}' end,
                case when i % 10 = 0 then 'gold' else null end,
                case when i % 4 = 0 then '{"size":"M"}'::jsonb else '{}'::jsonb end
           from generate_series(1, $2::int) as i`,
        [tid, n],
      );
    }
    await owner.query('analyze members');
    console.log(`members-search-perf: inserted ${ROWS + Math.ceil(ROWS / 10)} members in ${Date.now() - started} ms`);
  } finally {
    await owner.end();
  }
}, 600_000);
afterAll(async () => database?.drop());

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodes(n: PlanNode): PlanNode[] {
  return [n, ...(n.Plans ?? []).flatMap(nodes)];
}

/** EXPLAIN ANALYZE as the application role, inside the tenant (so row-level security is in the plan). */
async function explain(query: { sql: string; params: unknown[] }): Promise<{ plan: PlanNode; ms: number; text: string }> {
  const c = await database.pool.connect();
  try {
    await c.query('begin');
    await c.query(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
    const res = await c.query(`explain (analyze, format json) ${query.sql}`, query.params);
    const text = (await c.query(`explain ${query.sql}`, query.params)).rows.map((r) => r['QUERY PLAN']).join('\n');
    await c.query('rollback');
    const top = res.rows[0]['QUERY PLAN'][0];
    return { plan: top.Plan, ms: top['Execution Time'], text };
  } finally {
    c.release();
  }
}

async function listPlan(params: MemberSearchParams, after: string | null = null) {
  const q = await withTenant(database.db, tenantId, async (tx) => membersPageQuery(tx, tenantId, params, after, 50).toSQL());
  return explain(q);
}

function expectIndexed(name: string, r: { plan: PlanNode; ms: number; text: string }, indexes: string[]) {
  const all = nodes(r.plan);
  console.log(`members-search-perf: ${name}: ${r.ms.toFixed(1)} ms\n${r.text}`);
  expect(all.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'members'), `${name}: no seq scan\n${r.text}`).toEqual([]);
  const used = new Set(all.map((n) => n['Index Name']).filter(Boolean));
  expect(
    indexes.some((i) => used.has(i)),
    `${name}: expected one of ${indexes.join(', ')}\n${r.text}`,
  ).toBe(true);
}

describe(`member search plans on ${ROWS} members`, () => {
  it('looks a member up by phone or card number with one indexed query', async () => {
    for (const key of ['13800007919', 'M000012345', '+86 138 0000 7919']) {
      const q = await withTenant(database.db, tenantId, async (tx) => memberByKeyQuery(tx, tenantId, key)!.toSQL());
      expectIndexed(`lookup ${key}`, await explain(q), ['members_tenant_id_phone_key', 'members_tenant_id_card_no_key']);
    }
  });

  it('pages the whole list by keyset on the id index', async () => {
    expectIndexed('first page', await listPlan({}), ['members_recent', 'members_pkey']);
    expectIndexed('deep page', await listPlan({}, String(Math.floor(ROWS / 2))), ['members_recent', 'members_pkey']);
  });

  it('finds fragments through the trigram indexes', async () => {
    expectIndexed('phone fragment', await listPlan({ q: '0007919' }), ['members_phone_trgm']);
    expectIndexed('rare phone fragment', await listPlan({ q: '1380000791' }), ['members_phone_trgm']);
    expectIndexed('card fragment', await listPlan({ q: 'M0000123' }), ['members_card_trgm']);
    expectIndexed('rare name', await listPlan({ q: '王伟一' }), ['members_name_trgm']);
    expectIndexed('no match', await listPlan({ q: '不存在的人' }), ['members_name_trgm']);
    // common fragments: walking the id index finds a page at once
    expectIndexed('surname', await listPlan({ q: '张' }), ['members_name_prefix', 'members_recent', 'members_pkey']);
    expectIndexed('3 digits, page 2', await listPlan({ q: '138' }, String(ROWS - 1000)), ['members_recent', 'members_pkey', 'members_phone_trgm']);
  });

  it('filters by exact phone, card, tag and tier through indexes', async () => {
    expectIndexed('phone=', await listPlan({ phone: '13800007919' }), ['members_tenant_id_phone_key']);
    expectIndexed('cardNo=', await listPlan({ cardNo: 'm000000042' }), ['members_tenant_id_card_no_key']);
    // tags and tiers have real statistics (array element MCVs), so the planner's choice between
    // the GIN/tier index and walking the id index is trusted here
    expectIndexed('tag=vip', await listPlan({ tag: 'vip' }), ['members_tags', 'members_recent', 'members_pkey']);
    expectIndexed('tag=rare', await listPlan({ tag: 'nobody-has-this' }), ['members_tags']);
    expectIndexed('tier=gold', await listPlan({ tier: 'gold' }), ['members_tier', 'members_recent', 'members_pkey']);
  });
});
