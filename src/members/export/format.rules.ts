import type { AttributeDef } from '../attributes.rules.js';
import { maskEmail } from '../email.rules.js';
import { maskName, maskPhone } from '../phone.rules.js';

/** A member row as the export query returns it. */
export interface ExportRow {
  card_no: string;
  phone: string;
  email: string | null;
  name: string | null;
  gender: string | null;
  birthday: string | null;
  store_name: string | null;
  tier_code: string | null;
  points: string;
  tier_points: string;
  stored_value_fen: string;
  sms_opt_out: boolean;
  status: string;
  tags: string[];
  attributes: Record<string, unknown>;
  created_local: string;
}

export type ExportLang = 'zh' | 'en';

/**
 * The columns of a member export. Chinese headers by default (merchants open the file in Excel
 * or WPS); `en` gives the API's field names. Either way the import's column suggestions
 * recognise every header, so an export can be edited and imported back (balances, tier and
 * status are suggested as "ignore": they change only through the loyalty ledger).
 */
export function exportHeaders(defs: readonly AttributeDef[], lang: ExportLang): string[] {
  const base =
    lang === 'zh'
      ? ['会员卡号', '手机号', '邮箱', '姓名', '性别', '生日', '门店', '等级', '积分', '等级积分', '储值余额(元)', '短信退订', '状态', '标签']
      : ['cardNo', 'phone', 'email', 'name', 'gender', 'birthday', 'store', 'tier', 'points', 'tierPoints', 'storedValueYuan', 'smsOptOut', 'status', 'tags'];
  const attrs = defs.map((d) => (lang === 'zh' ? d.label : `attributes.${d.key}`));
  return [...base, ...attrs, lang === 'zh' ? '注册时间' : 'createdAt'];
}

const GENDER_ZH: Record<string, string> = { male: '男', female: '女', other: '其他' };
const STATUS_ZH: Record<string, string> = { active: '正常', frozen: '冻结', cancelled: '注销' };

function yuan(fen: string): string {
  const n = BigInt(fen);
  const neg = n < 0n;
  const abs = neg ? -n : n;
  return `${neg ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

function attributeText(def: AttributeDef, v: unknown, lang: ExportLang): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.join('|');
  if (typeof v === 'boolean') return lang === 'zh' ? (v ? '是' : '否') : String(v);
  void def;
  return String(v);
}

/**
 * One member as export cells. Without the members.pii permission phone, email and name are
 * masked exactly as the console shows them (138****8000, z***@example.cn, 张*).
 * @example exportCells({ phone: '+8613800138000', name: '张三', … }, [], 'zh', false)[1] === '138****8000'
 */
export function exportCells(r: ExportRow, defs: readonly AttributeDef[], lang: ExportLang, canSeePii: boolean): string[] {
  const zh = lang === 'zh';
  const phone = canSeePii ? r.phone : maskPhone(r.phone);
  const name = canSeePii ? (r.name ?? '') : (maskName(r.name) ?? '');
  const email = r.email === null ? '' : canSeePii ? r.email : maskEmail(r.email);
  return [
    r.card_no,
    phone,
    email,
    name,
    r.gender ? (zh ? (GENDER_ZH[r.gender] ?? r.gender) : r.gender) : '',
    r.birthday ?? '',
    r.store_name ?? '',
    r.tier_code ?? '',
    r.points,
    r.tier_points,
    yuan(r.stored_value_fen),
    zh ? (r.sms_opt_out ? '是' : '否') : String(r.sms_opt_out),
    zh ? (STATUS_ZH[r.status] ?? r.status) : r.status,
    r.tags.join('|'),
    ...defs.map((d) => attributeText(d, r.attributes[d.key], lang)),
    r.created_local,
  ];
}

const CSV_NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/**
 * One CSV field (RFC 4180). Text that a spreadsheet would run as a formula (`=…`, `@…`, and
 * `+`/`-` not followed by a number) gets a leading apostrophe: an export must not become an
 * attack on whoever opens it.
 * @example csvField('=HYPERLINK("x")') === `"'=HYPERLINK(""x"")"`; csvField('+8613800138000') === '+8613800138000'
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s) && !/^[+-]?\d[\d\s().-]*$/.test(s)) s = "'" + s;
  return CSV_NEEDS_QUOTES.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

export const csvLine = (cells: readonly (string | number | null)[]) => cells.map(csvField).join(',') + '\r\n';
