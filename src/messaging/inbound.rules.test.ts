import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { candidateExtensions, classifyInbound, isReservedKeyword, normalizeKeyword, routeDestination } from './inbound.rules.js';

describe('routing', () => {
  it('picks the longest registered port that prefixes the destination; the rest is the sub-code', () => {
    expect(routeDestination('106570216001', '1065702160', ['01', '1', '12'])).toEqual({ extension: '01', subCode: '' });
    expect(routeDestination('10657021601288', '1065702160', ['1', '12'])).toEqual({ extension: '12', subCode: '88' });
    expect(routeDestination('1065702160188', '1065702160', ['1', '12'])).toEqual({ extension: '1', subCode: '88' });
    expect(routeDestination('1065702160999', '1065702160', ['1', '12'])).toBeNull();
    expect(routeDestination('10690000', '1065702160', ['1'])).toBeNull();
    expect(routeDestination('abc', '1065702160', ['1'])).toBeNull();
  });

  it('property: the chosen extension is a candidate and no longer registered extension matches', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^\d{1,4}$/), { maxLength: 8 }), fc.stringMatching(/^\d{0,8}$/), (exts, rest) => {
        const dest = '1065702160' + rest;
        const r = routeDestination(dest, '1065702160', exts);
        const matching = exts.filter((e) => rest.startsWith(e));
        if (matching.length === 0) expect(r).toBeNull();
        else {
          expect(r!.extension.length).toBe(Math.max(...matching.map((e) => e.length)));
          expect(r!.extension + r!.subCode).toBe(rest);
          if (r!.extension.length <= 6) expect(candidateExtensions(dest, '1065702160')).toContain(r!.extension);
        }
      }),
    );
  });
});

describe('keywords', () => {
  it('normalises case, width and spaces', () => {
    expect(normalizeKeyword(' ６６６ ')).toBe('666');
    expect(normalizeKeyword('td')).toBe('TD');
    expect(normalizeKeyword('Ｔ')).toBe('T');
    expect(normalizeKeyword('CJ＃answer')).toBe('CJ#ANSWER');
  });

  it('classifies the default keywords and custom ones; anything else is feedback', () => {
    expect(classifyInbound('888')).toEqual({ kind: 'join' });
    expect(classifyInbound('８８８ ')).toEqual({ kind: 'join' });
    expect(classifyInbound('６６６')).toEqual({ kind: 'points' });
    for (const t of ['td', 'TD', 'Ｔ', 't', ' 退订 ']) expect(classifyInbound(t)).toEqual({ kind: 'optout' });
    expect(classifyInbound('cj#Answer B')).toEqual({ kind: 'lottery', answer: 'Answer B' });
    expect(classifyInbound('CJ＃ｂ')).toEqual({ kind: 'lottery', answer: 'b' });
    expect(classifyInbound('营业时间', ['营业时间'])).toEqual({ kind: 'custom', keyword: '营业时间' });
    expect(classifyInbound('hours', ['HOURS'])).toEqual({ kind: 'custom', keyword: 'HOURS' });
    expect(classifyInbound('你们几点关门？')).toEqual({ kind: 'feedback' });
    expect(classifyInbound('8888')).toEqual({ kind: 'feedback' });
    expect(classifyInbound('')).toEqual({ kind: 'feedback' });
  });

  it('reserves the default keywords', () => {
    expect(isReservedKeyword('888')).toBe(true);
    expect(isReservedKeyword('退订')).toBe(true);
    expect(isReservedKeyword('CJ#X')).toBe(true);
    expect(isReservedKeyword('HOURS')).toBe(false);
  });
});
