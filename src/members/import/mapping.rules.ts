import type { AttributeDef } from '../attributes.rules.js';
import type { FieldError } from '../../platform/http/problem.js';

/**
 * Column mapping: which member field each column of an imported file fills.
 *
 * A mapping is `{ "<column header>": "<target>" | null }`; null ignores the column. Columns the
 * caller leaves out use the suggested mapping (from the headers); a column that neither names
 * nor suggests anything is a header error, so no data is dropped without someone deciding it.
 */
export const BASE_TARGETS = ['phone', 'name', 'gender', 'birthday', 'email', 'cardNo', 'storeCode', 'storeName', 'tags', 'createdAt'] as const;
export type BaseTarget = (typeof BASE_TARGETS)[number];
export type Target = BaseTarget | `attributes.${string}`;
export type Mapping = Record<string, Target | null>;

/** The JSON-schema pattern of a target (for the request schema). */
export const TARGET_PATTERN = `^(${BASE_TARGETS.join('|')}|attributes\\.[a-z][a-z0-9_]{0,39})$`;

/** Header spellings seen in Chinese POS/CRM exports and our own export, normalised by `headerKey`. */
const ALIASES: Record<BaseTarget, string[]> = {
  phone: ['手机', '手机号', '手机号码', '电话', '电话号码', '联系电话', '联系方式', '移动电话', '会员手机', '会员手机号', 'mobile', 'phone', 'phonenumber', 'mobilephone', 'cellphone', 'tel'],
  name: ['姓名', '名字', '会员姓名', '客户姓名', '会员名称', '客户名称', 'name', 'fullname', 'membername'],
  gender: ['性别', 'gender', 'sex'],
  birthday: ['生日', '出生日期', '生日日期', '出生年月日', 'birthday', 'birthdate', 'dateofbirth', 'dob'],
  // headerKey drops the hyphen: 'E-mail' and 'e_mail' come out as 'email'
  email: ['邮箱', '电子邮件', '电子邮箱', '邮箱地址', '电子邮件地址', '会员邮箱', 'email', 'emailaddress'],
  cardNo: ['卡号', '会员卡号', '会员卡', '会员编号', 'cardno', 'cardnumber', 'card', 'membercardno'],
  storeCode: ['门店编码', '门店代码', '门店编号', '店铺编码', 'storecode'],
  storeName: ['门店', '门店名称', '所属门店', '开卡门店', '注册门店', '店铺', 'store', 'storename'],
  tags: ['标签', '会员标签', 'tags', 'tag'],
  createdAt: ['注册时间', '入会时间', '入会日期', '注册日期', '开卡时间', '开卡日期', 'createdat', 'joinedat', 'joindate', 'registeredat'],
};

/** Columns our own export writes (and other systems commonly have) that an import cannot set:
 * balances and tiers move only through the loyalty ledger. Suggested as "ignore". */
const NOT_IMPORTABLE = ['积分', '等级积分', '储值余额', '储值余额元', '余额', '等级', '会员等级', '状态', '会员状态', '短信退订', '序号', '编号', 'no',
  'id', 'points', 'tierpoints', 'storedvalue', 'storedvaluefen', 'storedvalueyuan', 'tier', 'status', 'smsoptout'];

/**
 * Lower-cases, drops spaces, `_`, `-`, `*` (a "required" marker) and a trailing parenthesis
 * such as `（必填）` or `(元)`.
 * @example headerKey(' 手机号码（必填）*') === '手机号码'; headerKey('Card_No') === 'cardno'
 */
export function headerKey(header: string): string {
  return header
    .trim()
    .replace(/[（(][^)）]*[)）]\s*\**$/, '')
    .toLowerCase()
    .replace(/[\s_\-*]/g, '');
}

const aliasIndex = new Map<string, BaseTarget>();
for (const t of BASE_TARGETS) for (const a of ALIASES[t]) aliasIndex.set(headerKey(a), t);
const ignoreIndex = new Set(NOT_IMPORTABLE.map(headerKey));

/**
 * Suggests a target for each column: a known header, `attributes.<key>` / `attr.<key>` of a
 * defined attribute, or an attribute's key or label. `undefined` = no idea (the caller must
 * decide); `null` = a column we know and ignore.
 * @example suggestMapping(['手机号', '姓名', '口味'], [{ key: 'taste', label: '口味', … }])
 *          → { 手机号: 'phone', 姓名: 'name', 口味: 'attributes.taste' }
 */
export function suggestMapping(columns: readonly string[], defs: readonly AttributeDef[]): Record<string, Target | null | undefined> {
  const byKey = new Map(defs.map((d) => [d.key, d]));
  const byLabel = new Map(defs.map((d) => [headerKey(d.label), d]));
  const out: Record<string, Target | null | undefined> = {};
  const used = new Set<Target>();
  for (const column of columns) {
    const raw = column.trim();
    const key = headerKey(raw);
    let target: Target | null | undefined;
    const attr = /^(?:attributes|attr)\.([a-z][a-z0-9_]{0,39})$/i.exec(raw);
    if (attr) target = byKey.has(attr[1]!.toLowerCase()) ? (`attributes.${attr[1]!.toLowerCase()}` as Target) : undefined;
    else if (aliasIndex.has(key)) target = aliasIndex.get(key);
    else if (byKey.has(raw)) target = `attributes.${raw}`;
    else if (byLabel.has(key)) target = `attributes.${byLabel.get(key)!.key}`;
    else if (ignoreIndex.has(key) || raw === '') target = null;
    // the same field twice (two phone columns): only the first is suggested
    if (target && used.has(target)) target = undefined;
    if (target) used.add(target);
    out[column] = target;
  }
  return out;
}

/**
 * Checks an explicit mapping against the file's columns and the merchant's attributes; the
 * problems are the request's fault (400), with paths under `body.mapping`.
 */
export function checkMapping(mapping: Mapping, columns: readonly string[], defs: readonly AttributeDef[]): FieldError[] {
  const errors: FieldError[] = [];
  const known = new Set(columns);
  const defined = new Set(defs.map((d) => d.key));
  for (const [column, target] of Object.entries(mapping)) {
    if (!known.has(column)) {
      errors.push({ path: `body.mapping.${column}`, message: `is not a column of the file (its columns are: ${columns.join(', ')})` });
    }
    if (target && target.startsWith('attributes.') && !defined.has(target.slice('attributes.'.length))) {
      const list = defs.length ? `defined: ${defs.map((d) => d.key).join(', ')}` : 'none are defined yet';
      errors.push({ path: `body.mapping.${column}`, message: `${target} is not an attribute this merchant has defined (${list})` });
    }
  }
  return errors;
}

export interface ResolvedColumn {
  index: number;
  header: string;
  target: Target;
}

export interface HeaderError {
  column: string | null;
  value: string;
  reason: string;
}

/**
 * The columns to read and the problems of the header row. Explicit entries win over
 * suggestions. Header problems concern every row, so they stop a commit whatever
 * `commitGoodRows` says.
 */
export function resolveColumns(
  columns: readonly string[],
  mapping: Mapping,
  suggested: Record<string, Target | null | undefined>,
): { columns: ResolvedColumn[]; errors: HeaderError[] } {
  const out: ResolvedColumn[] = [];
  const errors: HeaderError[] = [];
  const taken = new Map<Target, string>();
  columns.forEach((header, index) => {
    const target = Object.hasOwn(mapping, header) ? mapping[header] : suggested[header];
    if (target === null) return;
    if (target === undefined) {
      errors.push({
        column: header,
        value: header,
        reason: header.trim() === ''
          ? 'a column without a header: give it one, or map it to null to ignore it'
          : /^(attributes|attr)\./i.test(header.trim())
            ? `${header.trim()} is not an attribute this merchant has defined: define it in the member settings, or map the column to null to ignore it`
            : 'matches no member field and no attribute this merchant has defined: map it to a field or attribute, or to null to ignore it',
      });
      return;
    }
    const before = taken.get(target);
    if (before !== undefined) {
      errors.push({ column: header, value: header, reason: `is mapped to ${target}, like column "${before}"; a field can come from one column only` });
      return;
    }
    taken.set(target, header);
    out.push({ index, header, target });
  });
  if (!taken.has('phone')) {
    errors.push({ column: null, value: columns.join(', '), reason: 'no column is mapped to phone: every member needs a mobile number' });
  }
  return { columns: out, errors };
}

/** Header cells as the file has them, made unique (`备注`, `备注 (2)`) so a mapping can name each. */
export function uniqueHeaders(cells: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return cells.map((c) => {
    const h = c.trim();
    const n = (seen.get(h) ?? 0) + 1;
    seen.set(h, n);
    return n === 1 ? h : `${h} (${n})`;
  });
}
