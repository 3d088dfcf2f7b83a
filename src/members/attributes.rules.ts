import type { AttributeType } from './schema.js';

export const MAX_ATTRIBUTES = 30;

export interface AttributeDef {
  key: string;
  label: string;
  type: AttributeType;
  required: boolean;
  options: string[];
}

export type AttributeValue = string | number | boolean | string[] | null;

export interface AttributeError {
  key: string;
  message: string;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isIsoDate(s: string): boolean {
  if (!ISO_DATE.test(s)) return false;
  const d = new Date(s + 'T00:00:00Z');
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/**
 * Checks values against the merchant's attribute definitions. Unknown keys, wrong types and
 * options outside the list are errors, each naming the attribute. `partial` (for PATCH) skips
 * the required check for keys that are absent. `null` clears a value.
 * @example validateAttributes([{key:'size',type:'single',options:['S','M'],required:false,label:'Size'}], {size:'XL'})
 *          → { values: {}, errors: [{ key: 'size', message: 'must be one of S, M' }] }
 */
export function validateAttributes(
  defs: readonly AttributeDef[],
  input: Record<string, unknown>,
  opts: { partial?: boolean } = {},
): { values: Record<string, AttributeValue>; errors: AttributeError[] } {
  const byKey = new Map(defs.map((d) => [d.key, d]));
  const values: Record<string, AttributeValue> = {};
  const errors: AttributeError[] = [];
  for (const [key, raw] of Object.entries(input)) {
    const def = byKey.get(key);
    if (!def) {
      errors.push({ key, message: 'is not an attribute this merchant has defined' });
      continue;
    }
    if (raw === null || raw === undefined || raw === '') {
      if (def.required) errors.push({ key, message: `${def.label} is required` });
      else values[key] = null;
      continue;
    }
    const checked = checkValue(def, raw);
    if (typeof checked === 'string') errors.push({ key, message: checked });
    else values[key] = checked.value;
  }
  if (!opts.partial) {
    for (const def of defs) {
      if (def.required && !(def.key in input)) errors.push({ key: def.key, message: `${def.label} is required` });
    }
  }
  return { values, errors };
}

function checkValue(def: AttributeDef, raw: unknown): { value: AttributeValue } | string {
  switch (def.type) {
    case 'text':
      if (typeof raw !== 'string') return 'must be text';
      if (raw.length > 500) return 'must be at most 500 characters';
      return { value: raw };
    case 'number':
      if (typeof raw !== 'number' || !Number.isFinite(raw)) return 'must be a number';
      return { value: raw };
    case 'date':
      if (typeof raw !== 'string' || !isIsoDate(raw)) return 'must be a date YYYY-MM-DD';
      return { value: raw };
    case 'boolean':
      if (typeof raw !== 'boolean') return 'must be true or false';
      return { value: raw };
    case 'single':
      if (typeof raw !== 'string' || !def.options.includes(raw)) return `must be one of ${def.options.join(', ')}`;
      return { value: raw };
    case 'multi': {
      if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'string')) return 'must be a list of options';
      const bad = raw.filter((v) => !def.options.includes(v as string));
      if (bad.length) return `contains options not in ${def.options.join(', ')}: ${bad.join(', ')}`;
      return { value: [...new Set(raw as string[])] };
    }
  }
}

/**
 * Reads a text cell (CSV/Excel import, query strings) as a value of the attribute's type.
 * @example parseAttributeText({type:'multi',...}, 'a|b') → ['a','b']; parseAttributeText({type:'boolean'}, '是') → true
 */
export function parseAttributeText(def: AttributeDef, text: string): unknown {
  const t = text.trim();
  if (t === '') return null;
  switch (def.type) {
    case 'number': {
      const n = Number(t.replace(/,/g, ''));
      return Number.isFinite(n) ? n : t;
    }
    case 'boolean':
      if (/^(true|yes|y|1|是|有)$/i.test(t)) return true;
      if (/^(false|no|n|0|否|无)$/i.test(t)) return false;
      return t;
    case 'multi':
      return t.split(/[|;,，；]/).map((s) => s.trim()).filter(Boolean);
    case 'date':
      return t.replace(/\//g, '-').replace(/^(\d{4})-(\d)-/, '$1-0$2-').replace(/-(\d)$/, '-0$1');
    default:
      return t;
  }
}
