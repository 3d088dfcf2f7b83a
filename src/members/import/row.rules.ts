import { parseAttributeText, validateAttributes, type AttributeDef, type AttributeValue } from '../attributes.rules.js';
import { matchesPlan, type CardPlan } from '../card.rules.js';
import { parseEmailAddress } from '../email.rules.js';
import { normalizeMobile, type PhoneResult } from '../phone.rules.js';
import type { Gender } from '../schema.js';
import type { ResolvedColumn } from './mapping.rules.js';

/** One row that passed every check that needs only the row itself. Checks across rows
 * (duplicates) and against the database (existing members, taken card numbers, the card pool,
 * required attributes of new members) happen in SQL on the staged rows. */
export interface StagedRow {
  rowNo: number;
  phone: string;
  name: string | null;
  gender: Gender | null;
  birthday: string | null;
  /** as `parseEmailAddress` stores it (domain in lower case), as the member API does */
  email: string | null;
  cardNo: string | null;
  storeId: string | null;
  attributes: Record<string, AttributeValue>;
  tags: string[];
  /** local time of the tenant, `YYYY-MM-DD HH:MM:SS` */
  createdAt: string | null;
}

export interface CellError {
  column: string | null;
  value: string;
  reason: string;
}

export interface RowContext {
  /** the tenant's attribute definitions by key */
  defs: ReadonlyMap<string, AttributeDef>;
  /** sequence mode: numbers must fit the plan; null in pool mode (checked against the pool in SQL) */
  cardPlan: CardPlan | null;
  /** stores the importing operator may assign, by code and by name (null when two share a name) */
  storesByCode: ReadonlyMap<string, string>;
  storesByName: ReadonlyMap<string, string | null>;
  /** today in the tenant's timezone, YYYY-MM-DD: birthdays and join dates may not be later */
  today: string;
  mobiles: MobileCache;
  /** filled by readRow: attribute verdicts by key and cell text */
  attributeMemo?: Map<string, Map<string, { value: AttributeValue } | { error: string }>>;
}

/**
 * `normalizeMobile` costs ~13 µs (libphonenumber's full metadata); at a million rows that alone
 * is 13 s. Chinese mobile numbers are allocated in blocks of 10,000 by their first seven digits
 * (the 号段 "H-code"), and libphonenumber's CN mobile pattern looks at no more than the first
 * five, so the verdict for a bare 11-digit number is the verdict for its block: computed once
 * per block with `normalizeMobile` itself and remembered. Every other form goes to
 * `normalizeMobile` directly. (rules.test.ts checks the two agree.)
 *
 * The verdicts live in one byte per block (1XXXXXX: a million blocks, 1 MB) rather than in a
 * Map: a file of random numbers touches hundreds of thousands of blocks, and a Map of that
 * size would be tens of megabytes of heap for the import to carry.
 */
export class MobileCache {
  /** 0 = not yet known, 1 = a mobile number, n ≥ 2 = reasons[n - 2] */
  private verdicts = new Uint8Array(1_000_000);
  private reasons: string[] = [];

  check(raw: string): PhoneResult {
    let national: string | null = null;
    if (raw.length === 11 && /^1\d{10}$/.test(raw)) national = raw;
    else if (raw.length === 14 && /^\+861\d{10}$/.test(raw)) national = raw.slice(3);
    if (national === null) return normalizeMobile(raw);
    const block = Number(national.slice(1, 7)); // the leading 1 is implied
    let v = this.verdicts[block]!;
    if (v === 0) {
      const r = normalizeMobile(national);
      if (r.ok) v = 1;
      else {
        let i = this.reasons.indexOf(r.reason);
        if (i < 0) i = this.reasons.push(r.reason) - 1;
        v = i + 2;
      }
      if (v < 256) this.verdicts[block] = v;
      else return r;
    }
    return v === 1 ? { ok: true, e164: '+86' + national } : { ok: false, reason: this.reasons[v - 2]! };
  }
}

const GENDERS: Record<string, Gender | null> = {
  男: 'male', m: 'male', male: 'male', 先生: 'male', 1: 'male', 男性: 'male',
  女: 'female', f: 'female', female: 'female', 女士: 'female', 2: 'female', 女性: 'female',
  其他: 'other', 其它: 'other', other: 'other', o: 'other',
  未知: null, 保密: null, unknown: null, 0: null,
};

// Characters that never belong in a name or tag: control characters and the zero-width ones
// Excel users paste in by accident.
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const JUNK = /[\u0000-\u001f\u007f\u200b-\u200f\ufeff]/g;

/**
 * Reads a date the ways spreadsheets write one: `2024-03-05`, `2024/3/5`, `2024.3.5`,
 * `20240305`, `2024年3月5日`, optionally followed by a time (`2024-03-05 00:00:00`), or an Excel
 * serial day number (`45356`). Returns `YYYY-MM-DD` or null.
 * @example parseDate('1990/1/2') === '1990-01-02'; parseDate('32874') === '1990-01-01'
 */
export function parseDate(text: string): string | null {
  const t = text.trim();
  let y: number, m: number, d: number;
  let match = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/.exec(t);
  if (match) {
    [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^(\d{4})(\d{2})(\d{2})$/.exec(t))) {
    [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if (/^\d{5}(\.0+)?$/.test(t)) {
    // Excel's day 1 is 1900-01-01 and it counts a 29 February 1900 that never was: from day 61
    // on, serial n is 1899-12-30 + n days.
    const n = Number(t);
    if (n < 61) return null;
    const date = new Date(Date.UTC(1899, 11, 30) + n * 86_400_000);
    return date.toISOString().slice(0, 10);
  } else {
    return null;
  }
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** `YYYY-MM-DD[ HH:MM[:SS]]` (also with `/`, `T`) → `YYYY-MM-DD HH:MM:SS`, or null. */
export function parseLocalDateTime(text: string): string | null {
  const t = text.trim();
  const m = /^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?$/.exec(t);
  if (!m) {
    const date = parseDate(t);
    return date ? `${date} 00:00:00` : null;
  }
  const date = parseDate(m[1]!);
  if (!date) return null;
  const [hh, mm, ss] = [Number(m[2] ?? 0), Number(m[3] ?? 0), Number(m[4] ?? 0)];
  if (hh > 23 || mm > 59 || ss > 59) return null;
  return `${date} ${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}`;
}

function splitList(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/[|;,，；、]/)) {
    const t = part.replace(JUNK, '').trim();
    if (t && !out.includes(t)) out.push(t);
  }
  return out;
}

/**
 * Validates one data row against the mapping. Returns the staged row, or every problem of
 * the row (one entry per bad cell), each naming its column and value.
 * @example readRow(['13800138000', '张三'], [{index:0,header:'手机',target:'phone'}, {index:1,header:'姓名',target:'name'}], 2, ctx)
 *          → { row: { rowNo: 2, phone: '+8613800138000', name: '张三', … }, errors: [] }
 */
export function readRow(cells: readonly string[], columns: readonly ResolvedColumn[], rowNo: number, ctx: RowContext): { row: StagedRow | null; errors: CellError[] } {
  const errors: CellError[] = [];
  const row: StagedRow = { rowNo, phone: '', name: null, gender: null, birthday: null, email: null, cardNo: null, storeId: null, attributes: {}, tags: [], createdAt: null };
  let storeByCode: string | null = null;
  let storeByName: string | null = null;
  let storeCol: ResolvedColumn | null = null;

  // No closures in this loop: it runs for every cell of a million rows.
  for (const col of columns) {
    const value = (cells[col.index] ?? '').trim();
    switch (col.target) {
      case 'phone': {
        if (!value) {
          bad(errors, col, value, 'is required: every member needs a mobile number');
          break;
        }
        if (/^\d(\.\d+)?e\+?\d+$/i.test(value)) {
          bad(errors, col, value, 'was turned into scientific notation by Excel, which loses digits: format the column as text and export again');
          break;
        }
        const p = ctx.mobiles.check(value);
        if (p.ok) row.phone = p.e164;
        else bad(errors, col, value, p.reason);
        break;
      }
      case 'name': {
        const name = value.replace(JUNK, '');
        if (name.length > 100 && [...name].length > 100) bad(errors, col, value, 'is longer than 100 characters');
        else row.name = name || null;
        break;
      }
      case 'gender': {
        if (!value) break;
        const g = GENDERS[value.toLowerCase()];
        if (g === undefined) bad(errors, col, value, 'must be 男 or 女 (or male, female, other; 未知 leaves it empty)');
        else row.gender = g;
        break;
      }
      case 'birthday': {
        if (!value) break;
        const d = parseDate(value);
        if (!d) bad(errors, col, value, 'is not a date (write it as YYYY-MM-DD)');
        else if (d < '1900-01-01' || d > ctx.today) bad(errors, col, value, `must be between 1900-01-01 and today (${ctx.today})`);
        else row.birthday = d;
        break;
      }
      case 'email': {
        if (!value) break; // empty: no address (a merge keeps what the member has)
        const e = parseEmailAddress(value);
        if (e.ok) row.email = e.address;
        else bad(errors, col, value, e.reason);
        break;
      }
      case 'cardNo': {
        if (!value) break;
        const card = value.replace(/\s+/g, '').toUpperCase();
        if (!/^[A-Z0-9]{4,24}$/.test(card)) bad(errors, col, value, 'must be 4–24 letters or digits');
        else if (ctx.cardPlan && !matchesPlan(ctx.cardPlan, card)) bad(errors, col, value, `is outside the card-number plan (${describePlan(ctx.cardPlan)})`);
        else row.cardNo = card;
        break;
      }
      case 'storeCode':
        if (value) {
          storeByCode = value;
          storeCol = col;
        }
        break;
      case 'storeName':
        if (value) {
          storeByName = value;
          if (storeByCode === null) storeCol = col;
        }
        break;
      case 'tags': {
        if (!value) break;
        const tags = splitList(value);
        let long: string | undefined;
        for (const t of tags) if (t.length > 40 && [...t].length > 40) long = t;
        if (long) bad(errors, col, value, `tag "${long}" is longer than 40 characters`);
        else if (tags.length > 30) bad(errors, col, value, 'has more than 30 tags');
        else row.tags = tags;
        break;
      }
      case 'createdAt': {
        if (!value) break;
        const ts = parseLocalDateTime(value);
        if (!ts) bad(errors, col, value, 'is not a date or date and time (write it as YYYY-MM-DD HH:MM:SS)');
        else if (ts.slice(0, 10) > ctx.today) bad(errors, col, value, 'is in the future');
        else if (ts < '1970-01-01') bad(errors, col, value, 'is before 1970');
        else row.createdAt = ts;
        break;
      }
      default: {
        // attributes.<key>: the mapping was checked, so the definition exists
        if (!value) break; // empty: no value (a merge keeps what the member has)
        const key = col.target.slice('attributes.'.length);
        const verdict = attributeVerdict(ctx, key, value);
        if ('value' in verdict) row.attributes[key] = verdict.value;
        else bad(errors, col, value, verdict.error);
      }
    }
  }

  if (storeCol) {
    const value = (cells[storeCol.index] ?? '').trim();
    if (storeByCode !== null) {
      const id = ctx.storesByCode.get(storeByCode);
      if (id) row.storeId = id;
      else bad(errors, storeCol, value, 'is not the code of a store you may assign members to');
    } else {
      const id = ctx.storesByName.get(storeByName!);
      if (id) row.storeId = id;
      else if (id === null) bad(errors, storeCol, value, 'two stores have this name: use a store code column instead');
      else bad(errors, storeCol, value, 'is not the name of a store you may assign members to');
    }
  }

  if (errors.length === 0) return { row, errors };
  // in the order of the columns, as a person reads the row
  const order = new Map(columns.map((c, i) => [c.header, i]));
  errors.sort((a, b) => (order.get(a.column ?? '') ?? 0) - (order.get(b.column ?? '') ?? 0));
  return { row: null, errors };
}

function bad(errors: CellError[], col: ResolvedColumn, value: string, reason: string): void {
  errors.push({ column: col.header, value, reason });
}

type AttributeVerdict = { value: AttributeValue } | { error: string };
const MEMO_PER_ATTRIBUTE = 10_000;

/**
 * An attribute cell checked with the merchant's own rules (parseAttributeText, then
 * validateAttributes). Attribute columns repeat the same few values (options, 是/否, small
 * numbers) down a million rows, so verdicts are remembered per attribute and text, up to
 * 10,000 distinct texts each: free text goes on being checked cell by cell.
 */
function attributeVerdict(ctx: RowContext, key: string, text: string): AttributeVerdict {
  const memo = (ctx.attributeMemo ??= new Map());
  let perKey = memo.get(key);
  if (!perKey) memo.set(key, (perKey = new Map()));
  const known = perKey.get(text);
  if (known) return known;
  const def = ctx.defs.get(key);
  let verdict: AttributeVerdict;
  if (!def) verdict = { error: `${key} is not an attribute this merchant has defined` };
  else {
    const { values, errors } = validateAttributes([def], { [key]: parseAttributeText(def, text) }, { partial: true });
    verdict = errors.length ? { error: errors[0]!.message } : { value: values[key] ?? null };
  }
  if (perKey.size < MEMO_PER_ATTRIBUTE) perKey.set(text, verdict);
  return verdict;
}

export function describePlan(plan: CardPlan): string {
  const prefix = plan.prefix ? `prefix ${plan.prefix}, ` : '';
  return `${prefix}${plan.digits} digits${plan.checkDigit ? ' and a check digit' : ''}`;
}

/** A row with nothing in it (a blank line in a CSV, an emptied spreadsheet row) is skipped. */
export function isBlankRow(cells: readonly string[]): boolean {
  for (const c of cells) if (c.trim() !== '') return false;
  return true;
}
