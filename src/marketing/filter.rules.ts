/**
 * Segment filters (api.md "Segments and campaigns"): the JSON a merchant builds in the console
 * or sends through the API, checked into a typed tree the compiler (filter.sql.ts) turns into
 * parameterised SQL. Pure: the merchant's attribute definitions come in as an argument.
 *
 * Semantics (two-valued everywhere, so `not` is always the complement):
 * - a condition on a value a member does not have (no name, no tier, no birthday, an attribute
 *   not set, no purchase for lastVisitDaysAgo) is false; `ne`/`nin` are `not eq`/`not in`, so
 *   they are true for such members; `exists` asks whether the value is there;
 * - `{all: []}` matches every member, `{any: []}` none;
 * - windowed fields count local days in the merchant's timezone: `days: N` is today and the
 *   N − 1 days before; `spendFen` is the payable amount (after discounts, before refunds) and
 *   `visits` the number of purchases in that window, 0 without any;
 * - `lastVisitDaysAgo` is today's local date minus the local date of the latest purchase
 *   (0 = bought today); members who never bought have none;
 * - `birthdayMonth` 1–12; `createdAt` compares local dates (YYYY-MM-DD) of the join instant;
 * - `tag` eq: has the tag; in: has any of them; exists: has any tag at all;
 * - `storeId` is the member's own store (sub-stores are not included).
 * Not supported yet: `rfm` (no RFM classes are computed yet; the field is refused with a 400).
 */
import { parseDate } from '../loyalty/index.js';
import { normalizeMobile, type AttributeDef } from '../members/index.js';

const isIsoDate = (s: string) => parseDate(s) !== null && s >= '1900-01-01' && s <= '2999-12-31';

export const OPS = ['eq', 'ne', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'between', 'contains', 'exists'] as const;
export type Op = (typeof OPS)[number];

export const MAX_DEPTH = 8;
export const MAX_CONDITIONS = 100;
export const MAX_LIST = 500;
export const MAX_TEXT = 200;
export const MAX_DAYS = 3650;
/** |amount| bound for integer fields (fen, points): far above any real balance, far below 2^53. */
export const MAX_AMOUNT = 1e15;

/** How a field's values are typed. */
type Kind =
  | { t: 'text' }
  | { t: 'enum'; options: readonly string[] }
  | { t: 'int'; min: number; max: number }
  | { t: 'number' }
  | { t: 'bool' }
  | { t: 'date' }
  | { t: 'id' }
  | { t: 'phone' }
  | { t: 'card' };

export type MemberField =
  | 'name'
  | 'gender'
  | 'phone'
  | 'cardNo'
  | 'createdAt'
  | 'storeId'
  | 'smsOptOut'
  | 'status'
  | 'tag'
  | 'tier'
  | 'points'
  | 'tierPoints'
  | 'storedValueFen'
  | 'birthdayMonth'
  | 'lastVisitDaysAgo'
  | 'spendFen'
  | 'visits';

interface FieldSpec {
  kind: Kind;
  ops: readonly Op[];
  windowed?: boolean;
}

const SET_OPS = ['eq', 'ne', 'in', 'nin'] as const;
const ORDER_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'nin'] as const;
const RANGE_OPS = ['eq', 'gt', 'gte', 'lt', 'lte', 'between'] as const;
const INT = (min: number, max: number): Kind => ({ t: 'int', min, max });

export const FIELDS: Readonly<Record<MemberField, FieldSpec>> = {
  name: { kind: { t: 'text' }, ops: [...SET_OPS, 'contains', 'exists'] },
  gender: { kind: { t: 'enum', options: ['male', 'female', 'other'] }, ops: [...SET_OPS, 'exists'] },
  phone: { kind: { t: 'phone' }, ops: [...SET_OPS, 'contains'] },
  cardNo: { kind: { t: 'card' }, ops: [...SET_OPS, 'contains'] },
  createdAt: { kind: { t: 'date' }, ops: RANGE_OPS },
  storeId: { kind: { t: 'id' }, ops: [...SET_OPS, 'exists'] },
  smsOptOut: { kind: { t: 'bool' }, ops: ['eq', 'ne'] },
  status: { kind: { t: 'enum', options: ['active', 'frozen', 'cancelled'] }, ops: SET_OPS },
  tag: { kind: { t: 'text' }, ops: [...SET_OPS, 'exists'] },
  tier: { kind: { t: 'text' }, ops: [...SET_OPS, 'exists'] },
  points: { kind: INT(0, MAX_AMOUNT), ops: ORDER_OPS },
  tierPoints: { kind: INT(-MAX_AMOUNT, MAX_AMOUNT), ops: ORDER_OPS },
  storedValueFen: { kind: INT(0, MAX_AMOUNT), ops: ORDER_OPS },
  birthdayMonth: { kind: INT(1, 12), ops: [...ORDER_OPS, 'exists'] },
  lastVisitDaysAgo: { kind: INT(0, 36_500), ops: [...RANGE_OPS, 'exists'] },
  spendFen: { kind: INT(0, MAX_AMOUNT), ops: ORDER_OPS, windowed: true },
  visits: { kind: INT(0, 1_000_000), ops: ORDER_OPS, windowed: true },
};

const ATTRIBUTE_OPS: Readonly<Record<AttributeDef['type'], readonly Op[]>> = {
  text: [...SET_OPS, 'contains', 'exists'],
  single: [...SET_OPS, 'exists'],
  multi: ['contains', 'in', 'nin', 'exists'],
  number: [...ORDER_OPS, 'exists'],
  date: [...RANGE_OPS, 'ne', 'exists'],
  boolean: ['eq', 'ne', 'exists'],
};

/** A scalar after checking: phone numbers in E.164, card numbers upper case, ids as digit strings. */
export type Scalar = string | number | boolean;

export type Leaf =
  | { kind: 'cond'; field: MemberField; op: Op; value: Scalar | Scalar[]; days?: number }
  | { kind: 'cond'; field: 'attribute'; key: string; type: AttributeDef['type']; op: Op; value: Scalar | Scalar[] };

export type FilterNode = { kind: 'all'; items: FilterNode[] } | { kind: 'any'; items: FilterNode[] } | { kind: 'not'; item: FilterNode } | Leaf;

export interface FilterError {
  path: string;
  message: string;
}

export type CheckResult = { ok: true; node: FilterNode; conditions: number } | { ok: false; errors: FilterError[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ATTR_KEY = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * Checks a filter against the field list and the merchant's attributes. Errors carry the JSON
 * path under `base` (e.g. `body.filter.all.0.value`) and stop at the first problem of each
 * node; at most 20 are reported.
 * @example checkFilter({ all: [{ field: 'tier', op: 'eq', value: 'GOLD' }] }, [])
 *   → { ok: true, node: { kind: 'all', items: [{ kind: 'cond', field: 'tier', op: 'eq', value: 'GOLD' }] }, conditions: 1 }
 */
export function checkFilter(input: unknown, attributes: readonly AttributeDef[], base = 'filter'): CheckResult {
  const defs = new Map(attributes.map((d) => [d.key, d]));
  const errors: FilterError[] = [];
  let conditions = 0;
  let tooMany = false;

  function fail(path: string, message: string): null {
    if (errors.length < 20) errors.push({ path, message });
    return null;
  }

  function node(v: unknown, path: string, depth: number): FilterNode | null {
    if (!isObject(v)) return fail(path, 'must be an object: {all: [...]}, {any: [...]}, {not: {...}} or a condition {field, op, value}');
    if (depth > MAX_DEPTH) return fail(path, `nests deeper than ${MAX_DEPTH} levels`);
    const keys = Object.keys(v);
    for (const group of ['all', 'any'] as const) {
      if (group in v) {
        const extra = keys.filter((k) => k !== group);
        if (extra.length) return fail(`${path}.${extra[0]}`, `unknown field beside ${group}`);
        const list = v[group];
        if (!Array.isArray(list)) return fail(`${path}.${group}`, 'must be a list of conditions or groups');
        if (list.length > MAX_CONDITIONS) return fail(`${path}.${group}`, `has more than ${MAX_CONDITIONS} entries`);
        const items: FilterNode[] = [];
        for (let i = 0; i < list.length; i++) {
          const child = node(list[i], `${path}.${group}.${i}`, depth + 1);
          if (tooMany) return null;
          if (child) items.push(child);
        }
        return items.length === list.length ? { kind: group, items } : null;
      }
    }
    if ('not' in v) {
      const extra = keys.filter((k) => k !== 'not');
      if (extra.length) return fail(`${path}.${extra[0]}`, 'unknown field beside not');
      const item = node(v.not, `${path}.not`, depth + 1);
      return item ? { kind: 'not', item } : null;
    }
    conditions++;
    if (conditions > MAX_CONDITIONS) {
      tooMany = true;
      return fail(path, `the filter has more than ${MAX_CONDITIONS} conditions`);
    }
    return condition(v, path);
  }

  function condition(v: Record<string, unknown>, path: string): Leaf | null {
    const extra = Object.keys(v).find((k) => !['field', 'op', 'value', 'days'].includes(k));
    if (extra !== undefined) return fail(`${path}.${extra}`, 'unknown field (a condition has field, op, value and, for spendFen and visits, days)');
    const { field, op, days } = v;
    if (typeof field !== 'string') return fail(`${path}.field`, 'is required (a field name)');
    if (typeof op !== 'string') return fail(`${path}.op`, 'is required (an operator)');
    if (!(OPS as readonly string[]).includes(op)) return fail(`${path}.op`, `unknown operator ${clip(op)} (one of ${OPS.join(', ')})`);
    if (!('value' in v)) return fail(`${path}.value`, 'is required');

    if (field.startsWith('attributes.')) {
      const key = field.slice('attributes.'.length);
      if (!ATTR_KEY.test(key)) return fail(`${path}.field`, 'attributes.<key> needs a key of lowercase letters, digits and _');
      const def = defs.get(key);
      if (!def) return fail(`${path}.field`, `no attribute ${key} is defined for this merchant`);
      if (days !== undefined) return fail(`${path}.days`, 'days is only for spendFen and visits');
      const ops = ATTRIBUTE_OPS[def.type];
      if (!ops.includes(op as Op)) return fail(`${path}.op`, `${op} is not allowed for a ${def.type} attribute (use ${ops.join(', ')})`);
      const kind: Kind =
        def.type === 'number'
          ? { t: 'number' }
          : def.type === 'date'
            ? { t: 'date' }
            : def.type === 'boolean'
              ? { t: 'bool' }
              : def.type === 'text'
                ? { t: 'text' }
                : { t: 'enum', options: def.options };
      const value = checkValue(kind, op as Op, v.value, `${path}.value`);
      if (value === null) return null;
      return { kind: 'cond', field: 'attribute', key, type: def.type, op: op as Op, value };
    }
    if (field === 'rfm') return fail(`${path}.field`, 'rfm is not available yet (no RFM classes are computed)');
    if (!Object.prototype.hasOwnProperty.call(FIELDS, field)) return fail(`${path}.field`, `unknown field ${clip(field)}`);
    const spec = FIELDS[field as MemberField];
    if (!spec.ops.includes(op as Op)) return fail(`${path}.op`, `${op} is not allowed for ${field} (use ${spec.ops.join(', ')})`);
    let window: number | undefined;
    if (spec.windowed) {
      if (days === undefined) return fail(`${path}.days`, `is required for ${field} (the number of days, 1–${MAX_DAYS})`);
      if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_DAYS) return fail(`${path}.days`, `must be a whole number of days, 1–${MAX_DAYS}`);
      window = days;
    } else if (days !== undefined) return fail(`${path}.days`, 'days is only for spendFen and visits');
    const value = checkValue(spec.kind, op as Op, v.value, `${path}.value`, field === 'phone' && op === 'contains');
    if (value === null) return null;
    const leaf: Leaf = { kind: 'cond', field: field as MemberField, op: op as Op, value };
    if (window !== undefined) leaf.days = window;
    return leaf;
  }

  function checkValue(kind: Kind, op: Op, raw: unknown, path: string, phoneDigits = false): Scalar | Scalar[] | null {
    if (op === 'exists') {
      if (typeof raw !== 'boolean') return fail(path, 'must be true or false for exists');
      return raw;
    }
    if (op === 'in' || op === 'nin') {
      if (!Array.isArray(raw) || raw.length === 0) return fail(path, `must be a non-empty list for ${op}`);
      if (raw.length > MAX_LIST) return fail(path, `must have at most ${MAX_LIST} entries`);
      const out: Scalar[] = [];
      for (let i = 0; i < raw.length; i++) {
        const s = scalar(kind, raw[i], `${path}.${i}`);
        if (s === null) return null;
        out.push(s);
      }
      return out;
    }
    if (op === 'between') {
      if (!Array.isArray(raw) || raw.length !== 2) return fail(path, 'must be a list of two values [from, to]');
      const a = scalar(kind, raw[0], `${path}.0`);
      const b = scalar(kind, raw[1], `${path}.1`);
      if (a === null || b === null) return null;
      if (a > b) return fail(path, 'the first value must not be greater than the second');
      return [a, b];
    }
    if (op === 'contains' && kind.t !== 'enum') {
      if (typeof raw !== 'string' || raw.trim() === '') return fail(path, 'must be a non-empty text');
      if (raw.length > MAX_TEXT) return fail(path, `must be at most ${MAX_TEXT} characters`);
      if (phoneDigits) {
        const d = raw.replace(/[\s\-().+]/g, '');
        if (!/^[0-9]{3,15}$/.test(d)) return fail(path, 'must be 3–15 digits of a phone number');
        return d;
      }
      return kind.t === 'card' ? raw.trim().toUpperCase() : raw;
    }
    return scalar(kind, raw, path);
  }

  function scalar(kind: Kind, raw: unknown, path: string): Scalar | null {
    switch (kind.t) {
      case 'text':
        if (typeof raw !== 'string') return fail(path, 'must be a text');
        if (raw.length === 0 || raw.length > MAX_TEXT) return fail(path, `must be 1–${MAX_TEXT} characters`);
        return raw;
      case 'enum':
        if (typeof raw !== 'string' || !kind.options.includes(raw)) return fail(path, `must be one of ${kind.options.map(clip).join(', ')}`);
        return raw;
      case 'int':
        if (typeof raw !== 'number' || !Number.isInteger(raw)) return fail(path, 'must be a whole number');
        if (raw < kind.min || raw > kind.max) return fail(path, `must be between ${kind.min} and ${kind.max}`);
        return raw;
      case 'number':
        if (typeof raw !== 'number' || !Number.isFinite(raw)) return fail(path, 'must be a number');
        if (Math.abs(raw) > MAX_AMOUNT) return fail(path, `must be between ${-MAX_AMOUNT} and ${MAX_AMOUNT}`);
        return raw;
      case 'bool':
        if (typeof raw !== 'boolean') return fail(path, 'must be true or false');
        return raw;
      case 'date':
        if (typeof raw !== 'string' || !isIsoDate(raw)) return fail(path, 'must be a date YYYY-MM-DD (1900–2999)');
        return raw;
      case 'id':
        if (typeof raw !== 'string' || !/^[1-9][0-9]{0,17}$/.test(raw)) return fail(path, 'must be an id (digits, as a string)');
        return raw;
      case 'phone': {
        if (typeof raw !== 'string' || raw.length > 32) return fail(path, 'must be a mobile number');
        const p = normalizeMobile(raw);
        if (!p.ok) return fail(path, `phone ${p.reason}`);
        return p.e164;
      }
      case 'card':
        if (typeof raw !== 'string' || !/^[A-Za-z0-9]{1,24}$/.test(raw.trim())) return fail(path, 'must be a card number (1–24 letters or digits)');
        return raw.trim().toUpperCase();
    }
  }

  const root = node(input, base, 1);
  if (!root || errors.length > 0) return { ok: false, errors: errors.length ? errors : [{ path: base, message: 'is invalid' }] };
  return { ok: true, node: root, conditions };
}

function clip(s: string): string {
  return JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s);
}

/** The attribute keys a filter refers to (to load only what is needed, and for "in use" checks). */
export function attributeKeys(input: unknown, out = new Set<string>(), depth = 0): Set<string> {
  if (depth > MAX_DEPTH + 1 || !isObject(input)) return out;
  for (const g of ['all', 'any'] as const) {
    const list = input[g];
    if (Array.isArray(list)) for (const c of list.slice(0, MAX_CONDITIONS + 1)) attributeKeys(c, out, depth + 1);
  }
  if ('not' in input) attributeKeys(input.not, out, depth + 1);
  if (typeof input.field === 'string' && input.field.startsWith('attributes.')) out.add(input.field.slice('attributes.'.length));
  return out;
}
