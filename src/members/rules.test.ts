import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAttributeText, validateAttributes, type AttributeDef } from './attributes.rules.js';
import { formatCardNo, luhnDigit, matchesPlan } from './card.rules.js';

const defs: AttributeDef[] = [
  { key: 'size', label: '尺码', type: 'single', required: false, options: ['S', 'M', 'L'] },
  { key: 'hobbies', label: '爱好', type: 'multi', required: false, options: ['tea', 'golf'] },
  { key: 'income', label: '收入', type: 'number', required: false, options: [] },
  { key: 'anniversary', label: '纪念日', type: 'date', required: false, options: [] },
  { key: 'vip', label: '贵宾', type: 'boolean', required: true, options: [] },
  { key: 'note', label: '备注', type: 'text', required: false, options: [] },
];

describe('validateAttributes', () => {
  it('accepts typed values', () => {
    const r = validateAttributes(defs, { size: 'M', hobbies: ['tea', 'tea'], income: 12.5, anniversary: '2020-02-29', vip: true, note: 'x' });
    expect(r.errors).toEqual([]);
    expect(r.values.hobbies).toEqual(['tea']);
  });
  it('names every bad attribute', () => {
    const r = validateAttributes(defs, { size: 'XL', hobbies: 'tea', income: '12', anniversary: '2021-02-29', colour: 'red' });
    expect(r.errors.map((e) => e.key).sort()).toEqual(['anniversary', 'colour', 'hobbies', 'income', 'size', 'vip']);
  });
  it('PATCH-style partial validation skips absent required keys', () => {
    expect(validateAttributes(defs, { size: 'S' }, { partial: true }).errors).toEqual([]);
  });
  it('parses cell text by type', () => {
    expect(parseAttributeText(defs[1]!, 'tea|golf')).toEqual(['tea', 'golf']);
    expect(parseAttributeText(defs[4]!, '是')).toBe(true);
    expect(parseAttributeText(defs[2]!, '1,200')).toBe(1200);
    expect(parseAttributeText(defs[3]!, '2020/3/5')).toBe('2020-03-05');
  });
});

describe('card numbers', () => {
  it('formats prefix + padded sequence, optionally with a Luhn digit', () => {
    expect(formatCardNo({ prefix: 'VIP', digits: 6, checkDigit: false }, 42)).toBe('VIP000042');
    expect(luhnDigit('7992739871')).toBe(3);
    expect(formatCardNo({ prefix: '', digits: 10, checkDigit: true }, 7992739871)).toBe('79927398713');
    expect(() => formatCardNo({ prefix: '', digits: 2, checkDigit: false }, 100)).toThrow(RangeError);
  });
  it('every generated number matches its plan, distinct sequences give distinct numbers, and one wrong digit is caught', () => {
    fc.assert(
      fc.property(fc.constantFrom('', 'M', 'VIP8'), fc.integer({ min: 4, max: 12 }), fc.boolean(), fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 9999 }), (prefix, digits, checkDigit, a, b) => {
        const plan = { prefix, digits, checkDigit };
        const ca = formatCardNo(plan, a);
        expect(matchesPlan(plan, ca)).toBe(true);
        if (a !== b) expect(formatCardNo(plan, b)).not.toBe(ca);
        if (checkDigit) {
          const i = prefix.length + digits - 1;
          const wrong = ca.slice(0, i) + String((Number(ca[i]) + 1) % 10) + ca.slice(i + 1);
          expect(matchesPlan(plan, wrong)).toBe(false);
        }
      }),
    );
  });
});
