/**
 * What an outbound message says (pure): the merchant signature, the marketing opt-out hint,
 * the length cap, and reply templates with variables.
 */
import { MAX_TEXT_LENGTH, segmentsOf, splitForSubmit, type SmsEncoding } from './encoding.rules.js';

export type SmsKind = 'service' | 'marketing';

export const DEFAULT_OPT_OUT_HINT = '回TD退订';

export const signatureOf = (tenantName: string) => `【${tenantName}】`;

export interface ComposeInput {
  tenantName: string;
  kind: SmsKind;
  body: string;
  optOutHint: string;
}

export interface Composed {
  text: string;
  encoding: SmsEncoding;
  segments: number;
}

const ENDS_WITH_PUNCTUATION = /[。！？!?.，,；;：:、~～)）】\s]$/u;

export type ComposeResult = { ok: true; value: Composed } | { ok: false; reason: 'empty' | 'too_long'; length: number };

/**
 * Every message starts with `【name】` (not doubled if the body already starts with it);
 * marketing messages end with the opt-out hint (not doubled either). The whole text must fit
 * MAX_TEXT_LENGTH characters.
 */
export function composeSms(input: ComposeInput): ComposeResult {
  const body = input.body.trim();
  if (body === '') return { ok: false, reason: 'empty', length: 0 };
  const signature = signatureOf(input.tenantName);
  let text = body.startsWith(signature) ? body : signature + body;
  const hint = input.optOutHint.trim();
  if (input.kind === 'marketing' && hint && !text.endsWith(hint)) {
    text += (ENDS_WITH_PUNCTUATION.test(text) ? '' : '，') + hint;
  }
  if (text.length > MAX_TEXT_LENGTH) return { ok: false, reason: 'too_long', length: text.length };
  const split = splitForSubmit(text);
  return { ok: true, value: { text, encoding: split.encoding, segments: split.parts.length } };
}

export { segmentsOf };

/** Variables a reply or campaign template may use. */
export const TEMPLATE_VARIABLES = ['name', 'cardNo', 'points', 'tier', 'storedValue', 'store', 'phone', 'merchant', 'answer'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateValues = Partial<Record<TemplateVariable, string | number | null | undefined>>;

const VARIABLE = /\{([^{}]*)\}/g;

/** The unknown `{variables}` in a template (empty when it is valid). */
export function unknownVariables(template: string): string[] {
  const bad: string[] = [];
  for (const m of template.matchAll(VARIABLE)) {
    const name = m[1]!.trim();
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name) && !bad.includes(name)) bad.push(name);
  }
  return bad;
}

/** Replaces `{variable}` with its value (missing values render empty). Unknown names are kept
 * as written (templates are validated when saved, so this only happens with stale data). */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(VARIABLE, (whole, raw: string) => {
    const name = raw.trim();
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) return whole;
    const v = values[name as TemplateVariable];
    return v === null || v === undefined ? '' : String(v);
  });
}

/** Money in fen as yuan text for messages: 12345 → "123.45". */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** The built-in reply templates every tenant starts with (editable in the SMS settings). */
export const DEFAULT_TEMPLATES = {
  join: '欢迎加入{merchant}会员！您的会员卡号：{cardNo}',
  joinExisting: '您已是{merchant}会员，会员卡号：{cardNo}',
  joinApplicant: '您的入会申请已收到，审核通过后将短信通知您。',
  points: '您的积分：{points}，等级：{tier}，储值余额：{storedValue}元。',
  notMember: '您还不是{merchant}会员，回复888即可加入。',
  optOut: '您已成功退订营销短信，服务类短信仍会正常发送。',
} as const;
export type TemplateKey = keyof typeof DEFAULT_TEMPLATES;
export const TEMPLATE_KEYS = Object.keys(DEFAULT_TEMPLATES) as TemplateKey[];
