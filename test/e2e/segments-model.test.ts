/**
 * Model-based check of the segment compiler against PostgreSQL: random members and purchases
 * of two merchants are written as the database owner, random valid filters are counted by
 * `countMatching` as the application role (row-level security on), and each count must equal
 * the count of an independent JS reading of the filter semantics (filter.rules.ts) over the
 * same rows. The merchant's timezone has DST, so local-day windows are exercised.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, formatDate, localDate, startOfLocalDay } from '../../src/loyalty/index.js';
import { checkFilter, countMatching, type FilterNode } from '../../src/marketing/index.js';
import { AppError } from '../../src/platform/http/problem.js';
import { withTenant } from '../../src/platform/db/with-tenant.js';
import { ATTRIBUTE_DEFS, filterArb, type Universe } from '../support/segment-arbitraries.js';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';

const TZ = 'America/New_York';
const NOW = new Date();
const DAY = 86_400_000;

interface M {
  id: string;
  tenantId: string;
  name: string | null;
  gender: string | null;
  phone: string;
  cardNo: string;
  createdAt: Date;
  storeId: string | null;
  smsOptOut: boolean;
  status: string;
  tags: string[];
  tier: string | null;
  points: number;
  tierPoints: number;
  storedValueFen: number;
  birthday: string | null;
  attributes: Record<string, unknown>;
}
interface P {
  tenantId: string;
  memberId: string;
  occurredAt: Date;
  payableFen: number;
}

let database: TestDatabase;
let owner: pg.Client;
let tenantA: string;
let tenantB: string;
let U: Universe;
const people: M[] = [];
const purchases: P[] = [];

function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

beforeAll(async () => {
  database = await createTestDatabase();
  owner = new pg.Client({ connectionString: database.url });
  await owner.connect();
  const t = async (slug: string, ext: string) =>
    (await owner.query<{ id: string }>(`INSERT INTO tenants (slug, name, sms_extension, timezone) VALUES ($1, $1, $2, $3) RETURNING id::text`, [slug, ext, TZ])).rows[0]!.id;
  tenantA = await t('model-a', '71');
  tenantB = await t('model-b', '72');
  const stores: Record<string, string[]> = {};
  for (const tenant of [tenantA, tenantB]) {
    const hq = (await owner.query<{ id: string }>(`INSERT INTO org_nodes (tenant_id, kind, name) VALUES ($1, 'headquarters', 'HQ') RETURNING id::text`, [tenant])).rows[0]!.id;
    stores[tenant] = [];
    for (const n of ['S1', 'S2'])
      stores[tenant]!.push((await owner.query<{ id: string }>(`INSERT INTO org_nodes (tenant_id, parent_id, kind, name) VALUES ($1, $2, 'store', $3) RETURNING id::text`, [tenant, hq, n])).rows[0]!.id);
    for (const d of ATTRIBUTE_DEFS)
      await owner.query(`INSERT INTO member_attribute_defs (tenant_id, key, label, type, options) VALUES ($1, $2, $3, $4, $5)`, [tenant, d.key, d.label, d.type, d.options]);
  }
  U = {
    stores: stores[tenantA]!,
    tiers: ['QTIERGOLD', 'QTIERSILVER'],
    tags: ['QTAGvip', 'QTAG"x"', 'QTAGnew'],
    names: ['QNAME张三', "QNAME O'Brien", 'Qann'],
    texts: ['Q%_\\text', 'Q) OR (1=1', 'QAN', 'Qmembers.id'],
  };
  const r = rng(20261122);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const maybe = <T>(p: number, v: () => T): T | null => (r() < p ? v() : null);
  let seq = 0;
  for (const [tenant, count] of [
    [tenantA, 80],
    [tenantB, 30],
  ] as const) {
    for (let i = 0; i < count; i++) {
      seq++;
      const attributes: Record<string, unknown> = {};
      if (r() < 0.6) attributes.color = pick(['Qred', 'Qgreen', 'Qblue']);
      if (r() < 0.5) attributes.note = pick(['xQ%_\\textx', 'qan and Q) OR (1=1', 'plain', 'Qmembers.id']);
      if (r() < 0.6) attributes.size = pick([0, 3, 7, 7.5, 12, 20]);
      if (r() < 0.5) attributes.since = formatDate(addDays(localDate(NOW, TZ), -Math.floor(r() * 420)));
      if (r() < 0.5) attributes.hobbies = ['Qgolf', 'Qtea', 'Qwine'].filter(() => r() < 0.5);
      if (r() < 0.5) attributes.pet = r() < 0.5;
      const sv = pick([0, 0, 500, 9_999]);
      const row = {
        tenantId: tenant,
        name: maybe(0.8, () => pick(['QNAME张三', "QNAME O'Brien", 'Qann Lee', 'xq) or (1=1x', 'Zoe', 'qAN'])),
        gender: maybe(0.7, () => pick(['male', 'female', 'other'])),
        phone: `+86${pick(['138', '139'])}${String(10_000_000 + seq).slice(-8)}`,
        cardNo: `${pick(['A', 'B', ''])}${String(100_000 + seq)}`,
        createdAt: new Date(NOW.getTime() - Math.floor(r() * 400 * DAY)),
        storeId: maybe(0.7, () => pick(stores[tenant]!)),
        smsOptOut: r() < 0.2,
        status: pick(['active', 'active', 'frozen', 'cancelled']),
        tags: U.tags.filter(() => r() < 0.35),
        tier: maybe(0.7, () => pick(U.tiers)),
        points: Math.floor(r() * 2_000),
        tierPoints: Math.floor(r() * 2_100) - 100,
        storedValueFen: sv,
        birthday: maybe(0.7, () => `19${Math.floor(50 + r() * 49)}-${String(1 + Math.floor(r() * 12)).padStart(2, '0')}-${String(1 + Math.floor(r() * 28)).padStart(2, '0')}`),
        attributes,
      };
      const { rows } = await owner.query<{ id: string }>(
        `INSERT INTO members (tenant_id, card_no, phone, name, gender, birthday, store_id, tier_code, points, tier_points, stored_value_fen, stored_principal_fen,
                              sms_opt_out, status, attributes, tags, created_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$11,$12,$13,$14,$15,$16) RETURNING id::text`,
        [tenant, row.cardNo, row.phone, row.name, row.gender, row.birthday, row.storeId, row.tier, row.points, row.tierPoints, sv, row.smsOptOut, row.status, row.attributes, row.tags, row.createdAt],
      );
      const member: M = { ...row, id: rows[0]!.id };
      people.push(member);
      const n = pick([0, 0, 1, 2, 3, 5, 8]);
      for (let k = 0; k < n; k++) {
        const occurredAt = new Date(NOW.getTime() - Math.floor(r() * 130 * DAY));
        const payableFen = pick([0, 100, 2_500, 10_000, 33_333]);
        await owner.query(
          `INSERT INTO loyalty_transactions (tenant_id, member_id, amount_fen, discount_fen, payable_fen, points_earned, tier_points_earned, rule_version, occurred_at, actor_type, actor_name)
           VALUES ($1, $2, $3 + 1, 1, $3, 0, 0, 1, $4, 'system', 'model')`,
          [tenant, member.id, payableFen, occurredAt],
        );
        purchases.push({ tenantId: tenant, memberId: member.id, occurredAt, payableFen });
      }
    }
  }
  await owner.query('ANALYZE');
});
afterAll(async () => {
  await owner?.end();
  await database?.drop();
});

// ------------------------------------------------------------------ the model: filter semantics in JS
const today = () => localDate(NOW, TZ);
const dayNo = (d: { y: number; m: number; d: number }) => Date.UTC(d.y, d.m - 1, d.d) / DAY;
const localDay = (t: Date) => formatDate(localDate(t, TZ));

function cmp(op: string, x: unknown, v: unknown): boolean {
  if (x === null || x === undefined) return false;
  switch (op) {
    case 'eq':
      return x === v;
    case 'in':
      return (v as unknown[]).includes(x);
    case 'gt':
      return (x as number) > (v as number);
    case 'gte':
      return (x as number) >= (v as number);
    case 'lt':
      return (x as number) < (v as number);
    case 'lte':
      return (x as number) <= (v as number);
    case 'between':
      return (x as number) >= (v as number[])[0]! && (x as number) <= (v as number[])[1]!;
  }
  throw new Error(`model: op ${op}`);
}

function evaluate(n: FilterNode, m: M): boolean {
  switch (n.kind) {
    case 'all':
      return n.items.every((i) => evaluate(i, m));
    case 'any':
      return n.items.some((i) => evaluate(i, m));
    case 'not':
      return !evaluate(n.item, m);
  }
  const { op, value } = n;
  if (op === 'ne') return !evaluate({ ...n, op: 'eq' } as FilterNode, m);
  if (op === 'nin') return !evaluate({ ...n, op: 'in' } as FilterNode, m);
  const mine = purchases.filter((p) => p.tenantId === m.tenantId && p.memberId === m.id);
  if (n.field === 'attribute') {
    const x = m.attributes[n.key];
    if (op === 'exists') return (x !== undefined && x !== null) === value;
    if (n.type === 'multi') {
      const arr = Array.isArray(x) ? (x as string[]) : [];
      return op === 'contains' ? arr.includes(value as string) : (value as string[]).some((v) => arr.includes(v));
    }
    if (op === 'contains') return typeof x === 'string' && x.toLowerCase().includes((value as string).toLowerCase());
    if (op === 'eq' || op === 'in') return cmp(op, x, value);
    if (n.type === 'number') return typeof x === 'number' && cmp(op, x, value);
    return typeof x === 'string' && cmp(op, x, value);
  }
  switch (n.field) {
    case 'name':
      if (op === 'exists') return (m.name !== null) === value;
      if (op === 'contains') return m.name !== null && m.name.toLowerCase().includes((value as string).toLowerCase());
      return cmp(op, m.name, value);
    case 'phone':
      return op === 'contains' ? m.phone.includes(value as string) : cmp(op, m.phone, value);
    case 'cardNo':
      return op === 'contains' ? m.cardNo.includes(value as string) : cmp(op, m.cardNo, value);
    case 'gender':
    case 'storeId':
    case 'tier': {
      const x = n.field === 'gender' ? m.gender : n.field === 'storeId' ? m.storeId : m.tier;
      return op === 'exists' ? (x !== null) === value : cmp(op, x, value);
    }
    case 'createdAt':
      return cmp(op, localDay(m.createdAt), value);
    case 'smsOptOut':
      return cmp(op, m.smsOptOut, value);
    case 'status':
      return cmp(op, m.status, value);
    case 'tag':
      if (op === 'exists') return (m.tags.length > 0) === value;
      if (op === 'eq') return m.tags.includes(value as string);
      return (value as string[]).some((v) => m.tags.includes(v));
    case 'points':
      return cmp(op, m.points, value);
    case 'tierPoints':
      return cmp(op, m.tierPoints, value);
    case 'storedValueFen':
      return cmp(op, m.storedValueFen, value);
    case 'birthdayMonth':
      if (op === 'exists') return (m.birthday !== null) === value;
      return cmp(op, m.birthday === null ? null : Number(m.birthday.slice(5, 7)), value);
    case 'lastVisitDaysAgo': {
      if (op === 'exists') return (mine.length > 0) === value;
      if (mine.length === 0) return false;
      const last = new Date(Math.max(...mine.map((p) => p.occurredAt.getTime())));
      return cmp(op, dayNo(today()) - dayNo(localDate(last, TZ)), value);
    }
    case 'spendFen':
    case 'visits': {
      const since = startOfLocalDay(addDays(today(), -(n.days! - 1)), TZ).getTime();
      const inWindow = mine.filter((p) => p.occurredAt.getTime() >= since);
      const x = n.field === 'visits' ? inWindow.length : inWindow.reduce((s, p) => s + p.payableFen, 0);
      return cmp(op, x, value);
    }
  }
}

describe('segment counts equal the model', () => {
  it('random filters over random members and purchases', async () => {
    let nonTrivial = 0;
    await fc.assert(
      fc.asyncProperty(filterArb(U, 3), async (f) => {
        const checked = checkFilter(f, ATTRIBUTE_DEFS);
        if (!checked.ok) throw new Error(`generator made an invalid filter: ${JSON.stringify(checked.errors)}`);
        const expected = people.filter((m) => m.tenantId === tenantA && evaluate(checked.node, m)).length;
        const got = await withTenant(database.db, tenantA, (tx) => countMatching(tx, tenantA, checked.node, NOW));
        if (expected > 0 && expected < 80) nonTrivial++;
        expect(got, JSON.stringify(f)).toBe(expected);
      }),
      { numRuns: 300 },
    );
    // the generator must produce filters that split the members, or the check proves little
    expect(nonTrivial).toBeGreaterThan(100);
  });

  it("never counts the other merchant's members, even with the tenant id of the query forged", async () => {
    const all = (await withTenant(database.db, tenantA, (tx) => countMatching(tx, tenantA, { kind: 'all', items: [] }, NOW)));
    expect(all).toBe(80);
    // RLS binds the transaction to A: a query naming B inside it sees nothing of B
    const forged = await withTenant(database.db, tenantA, (tx) => countMatching(tx, tenantB, { kind: 'all', items: [] }, NOW));
    expect(forged).toBe(0);
    expect(await withTenant(database.db, tenantB, (tx) => countMatching(tx, tenantB, { kind: 'all', items: [] }, NOW))).toBe(30);
  });

  it('a count slower than its statement timeout is a 422 filter_too_slow, not a held connection', async () => {
    // 100 windowed sums: a sub-select per member each, far more than 1 ms of work
    const slow = checkFilter({ any: Array.from({ length: 100 }, (_, i) => ({ field: 'spendFen', op: 'eq', value: 7 + i, days: 1 + i })) }, ATTRIBUTE_DEFS);
    if (!slow.ok) throw new Error('invalid');
    const err = await withTenant(database.db, tenantA, (tx) => countMatching(tx, tenantA, slow.node, NOW, 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ status: 422, code: 'filter_too_slow' });
    // the pool is fine afterwards
    expect(await withTenant(database.db, tenantA, (tx) => countMatching(tx, tenantA, slow.node, NOW))).toBeGreaterThanOrEqual(0);
  });
});
