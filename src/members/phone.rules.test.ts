import { describe, expect, it } from 'vitest';
import { maskName, maskPhone, normalizeMobile } from './phone.rules.js';

describe('normalizeMobile', () => {
  it('accepts common local forms and returns E.164', () => {
    for (const input of ['13800138000', '+86 138-0013-8000', '0086 138 0013 8000', ' 138 0013 8000 ', '+8613800138000']) {
      expect(normalizeMobile(input), input).toEqual({ ok: true, e164: '+8613800138000' });
    }
  });
  it('rejects non-numbers, invalid numbers and landlines', () => {
    expect(normalizeMobile('hello').ok).toBe(false);
    expect(normalizeMobile('12345').ok).toBe(false);
    expect(normalizeMobile('1380013800').ok).toBe(false); // 10 digits
    expect(normalizeMobile('010-62345678')).toEqual({ ok: false, reason: 'is not a mobile number' }); // Beijing landline
  });
});

describe('masking', () => {
  it('hides the middle of phones and all but the first character of names', () => {
    expect(maskPhone('+8613800138000')).toBe('138****8000');
    expect(maskName('张三')).toBe('张*');
    expect(maskName('欧阳娜娜')).toBe('欧***');
    expect(maskName(null)).toBeNull();
  });
});
