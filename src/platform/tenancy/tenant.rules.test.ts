import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inScope } from './permissions.rules.js';
import { extensionClash, isValidCurrency, isValidTimezone, smsPort } from './tenant.rules.js';

describe('extensionClash', () => {
  it('refuses equal, prefixing and prefixed extensions', () => {
    expect(extensionClash('01', ['01'])).toBe('01');
    expect(extensionClash('01', ['011'])).toBe('011');
    expect(extensionClash('011', ['01'])).toBe('01');
    expect(extensionClash('02', ['01', '011', '3'])).toBeNull();
  });

  it('accepted extensions never prefix each other, so routing by longest prefix is unambiguous', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[0-9]{1,6}$/), { maxLength: 40 }), (candidates) => {
        const accepted: string[] = [];
        for (const c of candidates) if (extensionClash(c, accepted) === null) accepted.push(c);
        for (const a of accepted) for (const b of accepted) if (a !== b) expect(b.startsWith(a)).toBe(false);
      }),
    );
  });

  it('builds the port from service number and extension', () => {
    expect(smsPort('1065702160', '01')).toBe('106570216001');
  });
});

describe('tenant settings', () => {
  it('knows IANA zones and ISO currencies', () => {
    expect(isValidTimezone('Asia/Shanghai')).toBe(true);
    expect(isValidTimezone('Mars/Olympus')).toBe(false);
    expect(isValidTimezone('UTC')).toBe(true);
    expect(isValidCurrency('CNY')).toBe(true);
    expect(isValidCurrency('XXQ')).toBe(false);
  });
});

describe('data scope', () => {
  it('covers a node and its descendants only', () => {
    expect(inScope('/1/', '/1/5/9/')).toBe(true);
    expect(inScope('/1/5/', '/1/5/')).toBe(true);
    expect(inScope('/1/5/', '/1/6/')).toBe(false);
    expect(inScope('/1/5/', '/1/55/')).toBe(false);
  });
});
