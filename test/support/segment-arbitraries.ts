/** fast-check generators of valid segment filters (src/marketing/filter.rules.ts), over a small
 * universe of values so that random filters actually select some members and not others. */
import fc from 'fast-check';
import type { AttributeDef } from '../../src/members/index.js';

export const ATTRIBUTE_DEFS: AttributeDef[] = [
  { key: 'color', label: 'Color', type: 'single', required: false, options: ['Qred', 'Qgreen', 'Qblue'] },
  { key: 'note', label: 'Note', type: 'text', required: false, options: [] },
  { key: 'size', label: 'Size', type: 'number', required: false, options: [] },
  { key: 'since', label: 'Since', type: 'date', required: false, options: [] },
  { key: 'hobbies', label: 'Hobbies', type: 'multi', required: false, options: ['Qgolf', 'Qtea', 'Qwine'] },
  { key: 'pet', label: 'Pet', type: 'boolean', required: false, options: [] },
];

export interface Universe {
  stores: string[];
  tiers: string[];
  tags: string[];
  names: string[];
  /** text fragments for contains / eq on text fields (may include SQL-looking text) */
  texts: string[];
}

type Json = Record<string, unknown>;

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);

function ordered<T>(value: fc.Arbitrary<T>, ops: readonly string[] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'nin']): fc.Arbitrary<{ op: string; value: unknown }> {
  return pick(ops).chain((op): fc.Arbitrary<{ op: string; value: unknown }> => {
    if (op === 'between') return fc.tuple(value, value).map(([a, b]) => ({ op, value: (a as any) <= (b as any) ? [a, b] : [b, a] }));
    if (op === 'in' || op === 'nin') return fc.array(value, { minLength: 1, maxLength: 3 }).map((v) => ({ op, value: v }));
    return value.map((v) => ({ op, value: v }));
  });
}

function setOps<T>(value: fc.Arbitrary<T>, extra: string[] = []): fc.Arbitrary<{ op: string; value: unknown }> {
  return pick(['eq', 'ne', 'in', 'nin', ...extra]).chain((op): fc.Arbitrary<{ op: string; value: unknown }> => {
    if (op === 'in' || op === 'nin') return fc.array(value, { minLength: 1, maxLength: 3 }).map((v) => ({ op, value: v }));
    if (op === 'exists') return fc.boolean().map((v) => ({ op, value: v }));
    return value.map((v) => ({ op, value: v }));
  });
}

const withExists = (a: fc.Arbitrary<{ op: string; value: unknown }>) => fc.oneof({ weight: 4, arbitrary: a }, { weight: 1, arbitrary: fc.boolean().map((v) => ({ op: 'exists', value: v })) });

const date = fc.integer({ min: -400, max: 30 }).map((d) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10));

/** One condition. */
export function conditionArb(u: Universe): fc.Arbitrary<Json> {
  const f = (field: string, a: fc.Arbitrary<{ op: string; value: unknown }>) => a.map((c) => ({ field, ...c }) as Json);
  const fen = fc.integer({ min: 0, max: 50_000 });
  return fc.oneof(
    f('name', fc.oneof(setOps(pick(u.names), ['exists']), pick(u.texts).map((v) => ({ op: 'contains', value: v })))),
    f('gender', setOps(pick(['male', 'female', 'other']), ['exists'])),
    f('cardNo', pick(['0', '1', '12', 'A']).map((v) => ({ op: 'contains', value: v }))),
    f('phone', pick(['138', '139', '0013']).map((v) => ({ op: 'contains', value: v }))),
    f('createdAt', ordered(date, ['eq', 'gt', 'gte', 'lt', 'lte', 'between'])),
    f('storeId', setOps(pick(u.stores), ['exists'])),
    f('smsOptOut', pick(['eq', 'ne']).chain((op) => fc.boolean().map((v) => ({ op, value: v })))),
    f('status', setOps(pick(['active', 'frozen', 'cancelled']))),
    f('tag', setOps(pick(u.tags), ['exists'])),
    f('tier', setOps(pick(u.tiers), ['exists'])),
    f('points', ordered(fc.integer({ min: 0, max: 2_000 }))),
    f('tierPoints', ordered(fc.integer({ min: -100, max: 2_000 }))),
    f('storedValueFen', ordered(fc.integer({ min: 0, max: 10_000 }))),
    f('birthdayMonth', withExists(ordered(fc.integer({ min: 1, max: 12 })))),
    f('lastVisitDaysAgo', withExists(ordered(fc.integer({ min: 0, max: 120 }), ['eq', 'gt', 'gte', 'lt', 'lte', 'between']))),
    fc.tuple(pick(['spendFen', 'visits'] as const), fc.integer({ min: 1, max: 120 })).chain(([field, days]) =>
      ordered(field === 'spendFen' ? fen : fc.integer({ min: 0, max: 5 })).map((c) => ({ field, days, ...c }) as Json),
    ),
    f('attributes.color', withExists(setOps(pick(['Qred', 'Qgreen', 'Qblue'])))),
    f('attributes.note', withExists(fc.oneof(setOps(pick(u.texts)), pick(u.texts).map((v) => ({ op: 'contains', value: v }))))),
    f('attributes.size', withExists(ordered(fc.integer({ min: 0, max: 20 })))),
    f('attributes.since', withExists(ordered(date, ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between']))),
    f(
      'attributes.hobbies',
      withExists(
        pick(['contains', 'in', 'nin']).chain((op): fc.Arbitrary<{ op: string; value: unknown }> =>
          op === 'contains' ? pick(['Qgolf', 'Qtea', 'Qwine']).map((v) => ({ op, value: v })) : fc.array(pick(['Qgolf', 'Qtea', 'Qwine']), { minLength: 1, maxLength: 2 }).map((v) => ({ op, value: v })),
        ),
      ),
    ),
    f('attributes.pet', withExists(pick(['eq', 'ne']).chain((op) => fc.boolean().map((v) => ({ op, value: v }))))),
  );
}

/** A whole filter: groups up to `depth` levels around conditions. */
export function filterArb(u: Universe, depth = 3): fc.Arbitrary<Json> {
  const { tree } = fc.letrec<{ tree: Json; group: Json }>((tie) => ({
    tree: fc.oneof({ depthSize: 'small', withCrossShrink: true, maxDepth: depth }, conditionArb(u), tie('group')),
    group: fc.oneof(
      fc.array(tie('tree'), { maxLength: 3 }).map((items) => ({ all: items })),
      fc.array(tie('tree'), { maxLength: 3 }).map((items) => ({ any: items })),
      tie('tree').map((item) => ({ not: item })),
    ),
  }));
  return tree;
}
