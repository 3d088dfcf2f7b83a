import fc from 'fast-check';
import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { ATTRIBUTE_DEFS, filterArb, type Universe } from '../../test/support/segment-arbitraries.js';
import { checkFilter, MAX_CONDITIONS, MAX_DEPTH, type FilterNode } from './filter.rules.js';
import { compileFilter, countQuery } from './filter.sql.js';

const defs = ATTRIBUTE_DEFS;
const errorsOf = (f: unknown) => {
  const r = checkFilter(f, defs, 'body.filter');
  if (r.ok) throw new Error('expected errors, got ok');
  return r.errors;
};
const okNode = (f: unknown): FilterNode => {
  const r = checkFilter(f, defs, 'body.filter');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.node;
};

describe('checkFilter accepts', () => {
  it('groups, negation and every kind of field', () => {
    const node = okNode({
      all: [
        { field: 'spendFen', op: 'gte', value: 10_000, days: 90 },
        { field: 'birthdayMonth', op: 'eq', value: 5 },
        { any: [{ field: 'tier', op: 'in', value: ['GOLD', 'SILVER'] }, { not: { field: 'tag', op: 'eq', value: 'vip' } }] },
        { field: 'phone', op: 'eq', value: '138 0013 8000' },
        { field: 'cardNo', op: 'contains', value: 'ab1' },
        { field: 'attributes.color', op: 'ne', value: 'Qred' },
        { field: 'createdAt', op: 'between', value: ['2026-01-01', '2026-03-31'] },
      ],
    });
    expect(node.kind).toBe('all');
    const items = (node as { items: FilterNode[] }).items;
    expect(items[0]).toEqual({ kind: 'cond', field: 'spendFen', op: 'gte', value: 10_000, days: 90 });
    expect(items[3]).toMatchObject({ field: 'phone', value: '+8613800138000' });
    expect(items[4]).toMatchObject({ field: 'cardNo', value: 'AB1' });
    expect(items[5]).toEqual({ kind: 'cond', field: 'attribute', key: 'color', type: 'single', op: 'ne', value: 'Qred' });
  });

  it('empty groups', () => {
    expect(okNode({ all: [] })).toEqual({ kind: 'all', items: [] });
    expect(okNode({ any: [] })).toEqual({ kind: 'any', items: [] });
  });
});

describe('checkFilter refuses, with the path of the problem', () => {
  const cases: [string, unknown, string, RegExp][] = [
    ['unknown field', { all: [{ field: 'salary', op: 'eq', value: 1 }] }, 'body.filter.all.0.field', /unknown field "salary"/],
    ['unknown operator', { field: 'points', op: 'like', value: 1 }, 'body.filter.op', /unknown operator "like"/],
    ['operator not for the field', { field: 'points', op: 'contains', value: '1' }, 'body.filter.op', /contains is not allowed for points/],
    ['wrong value type', { field: 'points', op: 'gt', value: '100' }, 'body.filter.value', /whole number/],
    ['fractional integer', { field: 'visits', op: 'gt', value: 1.5, days: 30 }, 'body.filter.value', /whole number/],
    ['missing days', { field: 'spendFen', op: 'gte', value: 1 }, 'body.filter.days', /is required for spendFen/],
    ['days out of range', { field: 'visits', op: 'gte', value: 1, days: 0 }, 'body.filter.days', /1–3650/],
    ['days on a plain field', { field: 'points', op: 'gte', value: 1, days: 3 }, 'body.filter.days', /only for spendFen and visits/],
    ['unknown key in a condition', { field: 'points', op: 'gte', value: 1, extra: 1 }, 'body.filter.extra', /unknown field/],
    ['unknown key beside a group', { all: [], any: [] }, 'body.filter.any', /unknown field beside all/],
    ['group not a list', { any: { field: 'points' } }, 'body.filter.any', /list/],
    ['not an object', { all: ['points > 1'] }, 'body.filter.all.0', /must be an object/],
    ['between not a pair', { field: 'points', op: 'between', value: [1] }, 'body.filter.value', /two values/],
    ['between reversed', { field: 'points', op: 'between', value: [5, 1] }, 'body.filter.value', /greater/],
    ['in not a list', { field: 'tier', op: 'in', value: 'GOLD' }, 'body.filter.value', /non-empty list/],
    ['in empty', { field: 'tier', op: 'in', value: [] }, 'body.filter.value', /non-empty list/],
    ['in element wrong', { field: 'tier', op: 'in', value: ['GOLD', 3] }, 'body.filter.value.1', /text/],
    ['huge number', { field: 'points', op: 'gt', value: 1e16 }, 'body.filter.value', /between/],
    ['long text', { field: 'name', op: 'contains', value: 'x'.repeat(201) }, 'body.filter.value', /200/],
    ['huge list', { field: 'tag', op: 'in', value: Array.from({ length: 501 }, (_, i) => `t${i}`) }, 'body.filter.value', /500/],
    ['bad month', { field: 'birthdayMonth', op: 'eq', value: 13 }, 'body.filter.value', /between 1 and 12/],
    ['bad phone', { field: 'phone', op: 'eq', value: '12' }, 'body.filter.value', /phone/],
    ['bad date', { field: 'createdAt', op: 'gte', value: '2026-02-30' }, 'body.filter.value', /YYYY-MM-DD/],
    ['bad id', { field: 'storeId', op: 'eq', value: 5 }, 'body.filter.value', /id/],
    ['unknown attribute', { field: 'attributes.shoe', op: 'eq', value: 'x' }, 'body.filter.field', /no attribute shoe/],
    ['bad attribute key', { field: 'attributes.Bad-Key', op: 'eq', value: 'x' }, 'body.filter.field', /lowercase/],
    ['option not in list', { field: 'attributes.color', op: 'eq', value: 'pink' }, 'body.filter.value', /one of "Qred"/],
    ['op not for attribute type', { field: 'attributes.pet', op: 'gt', value: true }, 'body.filter.op', /boolean attribute/],
    ['exists needs a boolean', { field: 'tier', op: 'exists', value: 'yes' }, 'body.filter.value', /true or false/],
    ['rfm not yet', { field: 'rfm', op: 'eq', value: 'champions' }, 'body.filter.field', /rfm is not available/],
    ['missing value', { field: 'tier', op: 'eq' }, 'body.filter.value', /is required/],
    ['__proto__ field', { field: '__proto__', op: 'eq', value: 1 }, 'body.filter.field', /unknown field/],
  ];
  for (const [what, filter, path, message] of cases) {
    it(what, () => {
      const errors = errorsOf(filter);
      expect(errors[0]!.path).toBe(path);
      expect(errors[0]!.message).toMatch(message);
    });
  }

  it(`nesting deeper than ${MAX_DEPTH} levels`, () => {
    let f: unknown = { field: 'points', op: 'gt', value: 1 };
    for (let i = 0; i < MAX_DEPTH; i++) f = { not: f };
    expect(checkFilter(f, defs).ok).toBe(false);
    expect(errorsOf(f)[0]!.message).toMatch(/deeper than 8/);
    let g: unknown = { field: 'points', op: 'gt', value: 1 };
    for (let i = 0; i < MAX_DEPTH - 1; i++) g = { not: g };
    expect(checkFilter(g, defs).ok).toBe(true);
  });

  it(`more than ${MAX_CONDITIONS} conditions, also spread over groups`, () => {
    const c = { field: 'points', op: 'gt', value: 1 };
    expect(checkFilter({ all: Array(MAX_CONDITIONS).fill(c) }, defs).ok).toBe(true);
    expect(errorsOf({ all: Array(MAX_CONDITIONS + 1).fill(c) })[0]!.message).toMatch(/more than 100/);
    expect(errorsOf({ all: [{ any: Array(60).fill(c) }, { any: Array(60).fill(c) }] })[0]!.message).toMatch(/more than 100 conditions/);
  });

  it('never throws on arbitrary JSON, and every error has a path under the base', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const r = checkFilter(v, defs, 'body.filter');
        if (!r.ok) for (const e of r.errors) expect(e.path.startsWith('body.filter')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

const U: Universe = {
  stores: ['9001', '9002'],
  tiers: ['QTIERGOLD', 'QTIER\'; DROP TABLE members; --'],
  tags: ['QTAGvip', 'QTAG"x"'],
  names: ['QNAME张三', "QNAME O'Brien"],
  texts: ['Q%_\\text', 'Q) OR (1=1', 'Qmembers.id'],
};

/** Every string a user typed (values and attribute keys), for the "never in the SQL text" check. */
function userStrings(f: unknown, out: string[] = []): string[] {
  if (Array.isArray(f)) f.forEach((x) => userStrings(x, out));
  else if (f && typeof f === 'object') {
    for (const [k, v] of Object.entries(f)) {
      if (k === 'field' && typeof v === 'string' && v.startsWith('attributes.')) out.push(v.slice(11));
      else if (k !== 'field' && k !== 'op') userStrings(v, out);
    }
  } else if (typeof f === 'string' && f.length >= 3 && !/^[0-9]+$/.test(f)) out.push(f);
  return out;
}

describe('compileFilter', () => {
  const dialect = new PgDialect();
  const ctx = { now: new Date('2026-06-15T03:00:00Z'), tz: 'Asia/Shanghai' };

  it('puts no user-supplied text into the SQL, only into parameters', () => {
    fc.assert(
      fc.property(filterArb(U, 4), (f) => {
        const node = okNode(f);
        const q = dialect.sqlToQuery(countQuery('7', compileFilter(node, ctx)));
        for (const s of userStrings(f)) expect(q.sql, `SQL contains ${s}`).not.toContain(s);
        expect(q.sql).not.toMatch(/QTIER|QTAG|QNAME|Q%|Qmembers/);
      }),
      { numRuns: 400 },
    );
  });

  it('counts windows in local days of the merchant timezone', () => {
    // 2026-06-15 11:00 in Shanghai: "days: 1" starts at local midnight, 2026-06-14T16:00Z
    const q = dialect.sqlToQuery(compileFilter(okNode({ field: 'visits', op: 'gte', value: 2, days: 1 }), ctx));
    expect(q.sql).toContain('p.occurred_at >=');
    expect(q.params).toContainEqual(new Date('2026-06-14T16:00:00.000Z'));
    const q90 = dialect.sqlToQuery(compileFilter(okNode({ field: 'spendFen', op: 'gte', value: 1, days: 90 }), ctx));
    expect(q90.params).toContainEqual(new Date('2026-03-17T16:00:00.000Z')); // 2026-03-18 local, 89 days before the 15th of June
  });

  it('turns existence questions into EXISTS (semi / anti joins), "inactive" into one max() probe, sums into a sub-select', () => {
    const sqlOf = (f: unknown) => dialect.sqlToQuery(compileFilter(okNode(f), ctx)).sql;
    expect(sqlOf({ field: 'visits', op: 'gte', value: 1, days: 30 })).toMatch(/^EXISTS \(SELECT 1 FROM loyalty_transactions p/);
    expect(sqlOf({ field: 'lastVisitDaysAgo', op: 'gte', value: 60 })).toMatch(/^coalesce\(\(SELECT max\(p\.occurred_at\) FROM loyalty_transactions p .*\) < \$\d+::timestamptz, false\)$/);
    expect(sqlOf({ field: 'spendFen', op: 'gte', value: 100, days: 90 })).toMatch(/\(SELECT coalesce\(sum\(p\.payable_fen\), 0\) FROM loyalty_transactions p/);
  });
});
