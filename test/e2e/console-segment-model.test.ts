/**
 * The segment editor's filter model (console/src/features/marketing/filterModel.ts) against the
 * server's own filter check (src/marketing/filter.rules.ts): random trees of groups and rows
 * serialise to filters the server accepts exactly when every row is valid; every error the
 * server reports for a bad row lands on that row; a filter read back into the editor
 * serialises to the same JSON (money in yuan on screen, fen in the API).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromFilter, jsonDepth, MAX_JSON_DEPTH, newGroup, placeErrors, toFilter, type CondNode, type FilterNode, type GroupKind } from '../../console/src/features/marketing/filterModel.js';
import { checkFilter } from '../../src/marketing/filter.rules.js';

type Row = Omit<CondNode, 'id' | 'type'> & { bad: boolean };

const ROWS: Row[] = [
  { field: 'tier', op: 'eq', value: 'GOLD', bad: false },
  { field: 'birthdayMonth', op: 'eq', value: 3, bad: false },
  { field: 'spendFen', op: 'gte', value: 100.5, days: 90, bad: false },
  { field: 'tag', op: 'in', value: ['vip', 'wine'], bad: false },
  { field: 'points', op: 'between', value: [1, 5], bad: false },
  { field: 'storedValueFen', op: 'lt', value: 0.01, bad: false },
  { field: 'createdAt', op: 'between', value: ['2024-01-01', '2024-12-31'], bad: false },
  { field: 'name', op: 'exists', value: true, bad: false },
  { field: 'phone', op: 'eq', value: '12345', bad: true },
  { field: 'birthdayMonth', op: 'eq', value: 13, bad: true },
  { field: 'spendFen', op: 'gte', value: null, days: 90, bad: true },
  { field: 'visits', op: 'gte', value: 2, days: 0, bad: true },
  { field: 'tag', op: 'eq', value: '', bad: true },
  { field: 'points', op: 'between', value: [5, 1], bad: true },
  { field: 'tier', op: 'in', value: [], bad: true },
];

let n = 0;
const cond = (r: Row): CondNode => {
  const c: CondNode = { id: `c${++n}`, type: 'cond', field: r.field, op: r.op, value: r.value };
  if (r.days !== undefined) c.days = r.days;
  return c;
};

const tree = fc.letrec<{ node: FilterNode; group: FilterNode }>((tie) => ({
  node: fc.oneof({ maxDepth: 5, depthIdentifier: 'tree', withCrossShrink: true }, fc.constantFrom(...ROWS).map(cond), tie('group')),
  group: fc
    .tuple(fc.constantFrom<GroupKind>('all', 'any', 'not'), fc.array(tie('node'), { maxLength: 4 }))
    .map(([kind, items]) => ({ ...newGroup(kind, items) })),
})).group.filter((g) => jsonDepth(g) <= MAX_JSON_DEPTH);

const leaves = (node: FilterNode): CondNode[] => (node.type === 'cond' ? [node] : node.items.flatMap(leaves));
const isBad = (c: CondNode) => ROWS.find((r) => r.field === c.field && r.op === c.op && JSON.stringify(r.value) === JSON.stringify(c.value) && r.days === c.days)!.bad;

describe('segment editor filter model', () => {
  it('the server accepts a built filter exactly when every row is valid, and its errors land on the bad rows', () => {
    fc.assert(
      fc.property(tree, (root) => {
        const { filter, paths } = toFilter(root as never, [], 'body.filter');
        const checked = checkFilter(filter, [], 'body.filter');
        const bad = leaves(root).filter(isBad);
        expect(checked.ok).toBe(bad.length === 0);
        if (!checked.ok) {
          const placed = placeErrors(checked.errors, paths);
          expect(placed.rest).toEqual([]);
          const badIds = new Set(bad.map((c) => c.id));
          for (const id of placed.byNode.keys()) expect(badIds.has(id), id).toBe(true);
          // the server reports up to 20 problems, one per bad row
          expect(placed.byNode.size).toBe(Math.min(bad.length, 20));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a stored filter read into the editor serialises to the same JSON', () => {
    fc.assert(
      fc.property(tree, (root) => {
        const once = toFilter(root as never, []).filter;
        const again = toFilter(fromFilter(once, []), []).filter;
        expect(again).toEqual(once);
      }),
      { numRuns: 300 },
    );
  });

  it('a tree nesting deeper than the API allows is refused at a node of the tree', () => {
    let root: FilterNode = cond(ROWS[0]!);
    for (let i = 0; i < 4; i++) root = newGroup('not', [root]);
    expect(jsonDepth(root)).toBe(9);
    const { filter, paths } = toFilter(root, []);
    const checked = checkFilter(filter, [], 'body.filter');
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(placeErrors(checked.errors, paths).rest).toEqual([]);
  });

  it('money is typed in yuan and sent in fen; a not-group is "not all of"', () => {
    const root = newGroup('all', [cond(ROWS[2]!), newGroup('not', [cond(ROWS[0]!)])]);
    const { filter, paths } = toFilter(root, []);
    expect(filter).toEqual({ all: [{ field: 'spendFen', op: 'gte', value: 10_050, days: 90 }, { not: { all: [{ field: 'tier', op: 'eq', value: 'GOLD' }] } }] });
    const back = fromFilter(filter, []);
    expect((back.items[0] as CondNode).value).toBe(100.5);
    const placed = placeErrors([{ path: 'body.filter.all.1.not.all.0.value', message: 'x' }, { path: 'body.name', message: 'y' }], paths);
    expect([...placed.byNode.entries()]).toEqual([[(root.items[1] as { items: FilterNode[] }).items[0]!.id, [{ part: 'value', message: 'x' }]]]);
    expect(placed.rest).toEqual([{ path: 'body.name', message: 'y' }]);
    // a bare condition or {not: condition} from the API opens inside a group
    expect(toFilter(fromFilter({ field: 'tier', op: 'eq', value: 'GOLD' }, []), []).filter).toEqual({ all: [{ field: 'tier', op: 'eq', value: 'GOLD' }] });
    expect(toFilter(fromFilter({ not: { field: 'tier', op: 'eq', value: 'GOLD' } }, []), []).filter).toEqual({ not: { all: [{ field: 'tier', op: 'eq', value: 'GOLD' }] } });
  });
});
