/**
 * The segment editor's model of a filter (src/marketing/filter.rules.ts on the server): a tree
 * of groups (all / any / not) and condition rows, turned into the API's filter JSON and back.
 * Serialising also records the JSON path of every row and group, so the API's 400 errors
 * (`body.filter.all.2.value`) land on the row they are about. Pure: no React, no I/O.
 */
import type { AttributeDef, AttributeType } from '../../app/api/types.js';

export type Op = 'eq' | 'ne' | 'in' | 'nin' | 'gt' | 'gte' | 'lt' | 'lte' | 'between' | 'contains' | 'exists';

/** How a value is typed in: the input the row shows. */
export type ValueKind = 'text' | 'gender' | 'status' | 'phone' | 'card' | 'date' | 'store' | 'bool' | 'tag' | 'tier' | 'int' | 'money' | 'month' | 'number' | 'option';

export interface FieldSpec {
  kind: ValueKind;
  ops: readonly Op[];
  /** spendFen and visits: over the last N days */
  windowed?: boolean;
  /** attribute fields: the definition's choices */
  options?: readonly string[];
}

const SET: readonly Op[] = ['eq', 'ne', 'in', 'nin'];
const ORDER: readonly Op[] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'nin'];
const RANGE: readonly Op[] = ['eq', 'gt', 'gte', 'lt', 'lte', 'between'];

/** The member fields in the order the field picker shows them (the server's FIELDS). */
export const MEMBER_FIELDS = {
  tier: { kind: 'tier', ops: [...SET, 'exists'] },
  birthdayMonth: { kind: 'month', ops: [...ORDER, 'exists'] },
  spendFen: { kind: 'money', ops: ORDER, windowed: true },
  visits: { kind: 'int', ops: ORDER, windowed: true },
  lastVisitDaysAgo: { kind: 'int', ops: [...RANGE, 'exists'] },
  points: { kind: 'int', ops: ORDER },
  tierPoints: { kind: 'int', ops: ORDER },
  storedValueFen: { kind: 'money', ops: ORDER },
  tag: { kind: 'tag', ops: [...SET, 'exists'] },
  storeId: { kind: 'store', ops: [...SET, 'exists'] },
  createdAt: { kind: 'date', ops: RANGE },
  gender: { kind: 'gender', ops: [...SET, 'exists'] },
  name: { kind: 'text', ops: [...SET, 'contains', 'exists'] },
  phone: { kind: 'phone', ops: [...SET, 'contains'] },
  cardNo: { kind: 'card', ops: [...SET, 'contains'] },
  status: { kind: 'status', ops: SET },
  smsOptOut: { kind: 'bool', ops: ['eq', 'ne'] },
} as const satisfies Record<string, FieldSpec>;

export type MemberFieldName = keyof typeof MEMBER_FIELDS;
export const MEMBER_FIELD_NAMES = Object.keys(MEMBER_FIELDS) as MemberFieldName[];

const ATTRIBUTE_OPS: Record<AttributeType, readonly Op[]> = {
  text: [...SET, 'contains', 'exists'],
  single: [...SET, 'exists'],
  multi: ['contains', 'in', 'nin', 'exists'],
  number: [...ORDER, 'exists'],
  date: [...RANGE, 'ne', 'exists'],
  boolean: ['eq', 'ne', 'exists'],
};

const ATTRIBUTE_KIND: Record<AttributeType, ValueKind> = { text: 'text', single: 'option', multi: 'option', number: 'number', date: 'date', boolean: 'bool' };

/** The spec of a field (`attributes.<key>` through the merchant's definitions); null: unknown. */
export function fieldSpec(field: string, defs: readonly AttributeDef[]): FieldSpec | null {
  if (field.startsWith('attributes.')) {
    const def = defs.find((d) => d.key === field.slice('attributes.'.length));
    if (!def) return null;
    return { kind: ATTRIBUTE_KIND[def.type], ops: ATTRIBUTE_OPS[def.type], options: def.options };
  }
  return Object.prototype.hasOwnProperty.call(MEMBER_FIELDS, field) ? MEMBER_FIELDS[field as MemberFieldName] : null;
}

export type GroupKind = 'all' | 'any' | 'not';

export interface CondNode {
  id: string;
  type: 'cond';
  field: string;
  op: Op;
  /** as typed: money in yuan, lists as arrays, [from, to] for between; null = not yet given */
  value: unknown;
  days?: number;
}

export interface GroupNode {
  id: string;
  type: 'group';
  kind: GroupKind;
  items: FilterNode[];
}

export type FilterNode = CondNode | GroupNode;

let seq = 0;
export const newId = () => `n${++seq}`;

/** The value a fresh row starts with for an operator (a list for in/nin, a pair for between). */
export function emptyValue(op: Op): unknown {
  if (op === 'exists') return true;
  if (op === 'in' || op === 'nin') return [];
  if (op === 'between') return [null, null];
  return null;
}

export function newCondition(field: string, defs: readonly AttributeDef[]): CondNode {
  const spec = fieldSpec(field, defs);
  const op: Op = spec?.kind === 'money' || spec?.kind === 'int' ? 'gte' : (spec?.ops[0] ?? 'eq');
  const cond: CondNode = { id: newId(), type: 'cond', field, op, value: emptyValue(op) };
  if (spec?.kind === 'bool' && op !== 'exists') cond.value = true;
  if (spec?.windowed) cond.days = 30;
  return cond;
}

export const newGroup = (kind: GroupKind, items: FilterNode[] = []): GroupNode => ({ id: newId(), type: 'group', kind, items });

const yuanToFen = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v * 100) : v);
const fenToYuan = (v: unknown) => (typeof v === 'number' ? v / 100 : v);

/** A typed value as the API wants it: money to fen, whole-number lists typed as text to numbers. */
function apiValue(spec: FieldSpec | null, op: Op, value: unknown): unknown {
  if (op === 'exists') return value;
  const one = (v: unknown): unknown => {
    if (spec?.kind === 'money') return yuanToFen(typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
    if ((spec?.kind === 'int' || spec?.kind === 'month' || spec?.kind === 'number') && typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    return v;
  };
  return Array.isArray(value) ? value.map(one) : one(value);
}

function uiValue(spec: FieldSpec | null, op: Op, value: unknown): unknown {
  if (op === 'exists' || spec?.kind !== 'money') return value;
  return Array.isArray(value) ? value.map(fenToYuan) : fenToYuan(value);
}

export interface Serialized {
  filter: unknown;
  /** JSON path (as the API reports it, e.g. `body.filter.all.0`) → node id */
  paths: Map<string, string>;
}

/**
 * The API's filter JSON of a tree. A `not` group becomes `{not: {all: [...]}}` ("not all of
 * these"); paths start at `base`.
 */
export function toFilter(root: FilterNode, defs: readonly AttributeDef[], base = 'body.filter'): Serialized {
  const paths = new Map<string, string>();
  const walk = (n: FilterNode, path: string): unknown => {
    paths.set(path, n.id);
    if (n.type === 'cond') {
      const out: Record<string, unknown> = { field: n.field, op: n.op, value: apiValue(fieldSpec(n.field, defs), n.op, n.value) };
      if (n.days !== undefined && fieldSpec(n.field, defs)?.windowed) out.days = n.days;
      return out;
    }
    if (n.kind === 'not') {
      paths.set(`${path}.not`, n.id);
      return { not: { all: n.items.map((c, i) => walk(c, `${path}.not.all.${i}`)) } };
    }
    return { [n.kind]: n.items.map((c, i) => walk(c, `${path}.${n.kind}.${i}`)) };
  };
  return { filter: walk(root, base), paths };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A stored filter as a tree (the root always a group; a bare condition sits in an "all"). */
export function fromFilter(filter: unknown, defs: readonly AttributeDef[]): GroupNode {
  const walk = (v: unknown): FilterNode => {
    if (isObj(v)) {
      if (Array.isArray(v.all)) return newGroup('all', v.all.map(walk));
      if (Array.isArray(v.any)) return newGroup('any', v.any.map(walk));
      if ('not' in v) {
        const inner = v.not;
        if (isObj(inner) && Array.isArray(inner.all)) return newGroup('not', inner.all.map(walk));
        return newGroup('not', [walk(inner)]);
      }
      const field = typeof v.field === 'string' ? v.field : 'tier';
      const op = (typeof v.op === 'string' ? v.op : 'eq') as Op;
      const cond: CondNode = { id: newId(), type: 'cond', field, op, value: uiValue(fieldSpec(field, defs), op, v.value) };
      if (typeof v.days === 'number') cond.days = v.days;
      return cond;
    }
    return newGroup('all');
  };
  const root = walk(filter);
  return root.type === 'group' ? root : newGroup('all', [root]);
}

/**
 * The API's errors placed on the tree: each goes to the deepest row or group whose path
 * starts it, with what is left of the path (`value`, `value.1`, `days`, `op`); errors on no
 * node (e.g. `body.name`) come back in `rest`.
 */
export function placeErrors(errors: readonly { path: string; message: string }[], paths: ReadonlyMap<string, string>) {
  const byNode = new Map<string, { part: string; message: string }[]>();
  const rest: { path: string; message: string }[] = [];
  for (const e of errors) {
    let p = e.path;
    let id: string | undefined;
    while (p) {
      id = paths.get(p);
      if (id) break;
      const dot = p.lastIndexOf('.');
      p = dot < 0 ? '' : p.slice(0, dot);
    }
    if (!id) {
      rest.push(e);
      continue;
    }
    const list = byNode.get(id) ?? [];
    list.push({ part: e.path.slice(p.length + 1), message: e.message });
    byNode.set(id, list);
  }
  return { byNode, rest };
}

/** The tree with one node replaced (or removed, when `next` is null). */
export function updateNode(root: GroupNode, id: string, next: FilterNode | null): GroupNode {
  const walk = (n: FilterNode): FilterNode | null => {
    if (n.id === id) return next;
    if (n.type === 'group') {
      const items = n.items.map(walk).filter((c): c is FilterNode => c !== null);
      return items.length === n.items.length && items.every((c, i) => c === n.items[i]) ? n : { ...n, items };
    }
    return n;
  };
  return (walk(root) as GroupNode | null) ?? newGroup('all');
}

export function countConditions(n: FilterNode): number {
  return n.type === 'cond' ? 1 : n.items.reduce((s, c) => s + countConditions(c), 0);
}

/** How deep the node's JSON nests (the API allows 8): a `not` group is two levels, `{not: {all: …}}`. */
export function jsonDepth(n: FilterNode): number {
  return n.type === 'cond' ? 1 : (n.kind === 'not' ? 2 : 1) + Math.max(0, ...n.items.map(jsonDepth));
}

/** The API's limit on nesting (src/marketing/filter.rules.ts MAX_DEPTH). */
export const MAX_JSON_DEPTH = 8;
