import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { composeSms, renderTemplate, unknownVariables, yuan } from './compose.rules.js';
import { MAX_TEXT_LENGTH, segmentsOf } from './encoding.rules.js';

describe('composeSms', () => {
  it('signs every message and adds the opt-out hint to marketing only', () => {
    const s = composeSms({ tenantName: '好再来', kind: 'service', body: '您的卡号123', optOutHint: '回TD退订' });
    expect(s).toEqual({ ok: true, value: { text: '【好再来】您的卡号123', encoding: 'ucs2', segments: 1 } });
    const m = composeSms({ tenantName: '好再来', kind: 'marketing', body: '周末8折', optOutHint: '回TD退订' });
    expect(m.ok && m.value.text).toBe('【好再来】周末8折，回TD退订');
    const m2 = composeSms({ tenantName: '好再来', kind: 'marketing', body: '【好再来】周末8折！回TD退订', optOutHint: '回TD退订' });
    expect(m2.ok && m2.value.text).toBe('【好再来】周末8折！回TD退订');
  });

  it('counts the signature in the billed length', () => {
    const body = '好'.repeat(66); // 66 + 4 = 70 → 1; 67 + 4 = 71 → 2
    expect(composeSms({ tenantName: '好再', kind: 'service', body, optOutHint: '' })).toMatchObject({ ok: true, value: { segments: 1 } });
    expect(composeSms({ tenantName: '好再', kind: 'service', body: body + '好', optOutHint: '' })).toMatchObject({ ok: true, value: { segments: 2 } });
  });

  it('refuses empty and over-long text', () => {
    expect(composeSms({ tenantName: 'a', kind: 'service', body: '  ', optOutHint: '' })).toMatchObject({ ok: false, reason: 'empty' });
    expect(composeSms({ tenantName: 'a', kind: 'service', body: 'x'.repeat(MAX_TEXT_LENGTH), optOutHint: '' })).toMatchObject({ ok: false, reason: 'too_long' });
  });

  it('property: a composed message starts with the signature, ends with the hint when marketing, and segments match', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300 }), fc.boolean(), (body, marketing) => {
        const r = composeSms({ tenantName: '店', kind: marketing ? 'marketing' : 'service', body, optOutHint: '回TD退订' });
        if (!r.ok) return;
        expect(r.value.text.startsWith('【店】')).toBe(true);
        if (marketing) expect(r.value.text.endsWith('回TD退订')).toBe(true);
        expect(r.value.segments).toBe(segmentsOf(r.value.text));
        expect(r.value.text.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
      }),
    );
  });
});

describe('templates', () => {
  it('renders known variables and reports unknown ones', () => {
    expect(renderTemplate('{name}您好，积分{points}，余额{ storedValue }元', { name: '张三', points: 120, storedValue: '1.50' })).toBe(
      '张三您好，积分120，余额1.50元',
    );
    expect(renderTemplate('卡号{cardNo}', {})).toBe('卡号');
    expect(unknownVariables('hi {name} {birthday} {x} {x}')).toEqual(['birthday', 'x']);
    expect(unknownVariables('卡号{cardNo}')).toEqual([]);
  });

  it('formats fen as yuan', () => {
    expect(yuan(0)).toBe('0.00');
    expect(yuan(12345)).toBe('123.45');
    expect(yuan(-5)).toBe('-0.05');
  });
});
