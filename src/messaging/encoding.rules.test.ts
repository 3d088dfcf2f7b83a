import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseEncoding, encodedLength, formulaSegments, segmentsOf, splitForSubmit } from './encoding.rules.js';

const gsmChars = fc.constantFrom(...'abcXYZ0189 @£$_!?.,\n^{}[]~|€\\'.split(''));
const cjkChars = fc.constantFrom(...'会员积分欢迎光临你好，。！'.split(''));
const astral = fc.constantFrom('😀', '𠮷', '👍');
const anyChars = fc.oneof(gsmChars, cjkChars, astral);

describe('encoding', () => {
  it('chooses GSM-7 for the basic and extension tables, UCS-2 for anything else', () => {
    expect(chooseEncoding('Hello @ 5€ [ok]')).toBe('gsm7');
    expect(chooseEncoding('Hello 你好')).toBe('ucs2');
    expect(chooseEncoding('【店】')).toBe('ucs2');
    expect(chooseEncoding('emoji 😀')).toBe('ucs2');
  });

  it('counts extension characters as two septets and astral characters as two UCS-2 units', () => {
    expect(encodedLength('a€[')).toBe(5);
    expect(encodedLength('你😀')).toBe(3);
  });

  it('bills api.md figures: 70/67 for UCS-2, 160/153 for GSM-7', () => {
    expect(segmentsOf('好'.repeat(70))).toBe(1);
    expect(segmentsOf('好'.repeat(71))).toBe(2);
    expect(segmentsOf('好'.repeat(134))).toBe(2);
    expect(segmentsOf('好'.repeat(135))).toBe(3);
    expect(segmentsOf('a'.repeat(160))).toBe(1);
    expect(segmentsOf('a'.repeat(161))).toBe(2);
    expect(segmentsOf('a'.repeat(306))).toBe(2);
    expect(segmentsOf('a'.repeat(307))).toBe(3);
    expect(segmentsOf('€'.repeat(80))).toBe(1);
    expect(segmentsOf('€'.repeat(81))).toBe(2);
  });

  it('never splits a surrogate pair or an escape pair', () => {
    const text = '好'.repeat(66) + '😀' + '好'.repeat(10);
    const { parts } = splitForSubmit(text);
    expect(parts[0]).toBe('好'.repeat(66));
    expect(parts[1]!.startsWith('😀')).toBe(true);
    const g = 'a'.repeat(152) + '€' + 'a'.repeat(20);
    const s = splitForSubmit(g);
    expect(s.parts[0]).toBe('a'.repeat(152));
    expect(s.parts[1]!.startsWith('€')).toBe(true);
  });

  it('property: parts rejoin to the text, each fits a segment, and the count is the formula unless a pair straddles', () => {
    fc.assert(
      fc.property(fc.array(anyChars, { maxLength: 600 }).map((a) => a.join('')), (text) => {
        const r = splitForSubmit(text);
        expect(r.parts.join('')).toBe(text);
        const per = r.parts.length === 1 ? (r.encoding === 'ucs2' ? 70 : 160) : r.encoding === 'ucs2' ? 67 : 153;
        for (const p of r.parts) {
          expect(encodedLength(p, r.encoding)).toBeLessThanOrEqual(per);
          // no lone surrogate at either end of a part
          expect(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(p)).toBe(false);
        }
        const formula = formulaSegments(r.units, r.encoding);
        expect(r.parts.length).toBeGreaterThanOrEqual(formula);
        expect(r.parts.length).toBeLessThanOrEqual(formula + 1);
        const pairs = /[\uD800-\uDBFF]|[\^{}\\[~\]|€\f]/.test(text);
        if (!pairs) expect(r.parts.length).toBe(formula);
      }),
    );
  });
});
