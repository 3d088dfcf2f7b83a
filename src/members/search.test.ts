import { describe, expect, it } from 'vitest';
import { likeEscape, planFragment } from './search.js';

describe('planFragment', () => {
  it('sends digits to phone and card number, never to names', () => {
    expect(planFragment('138 0013')).toEqual({ nameContains: null, namePrefix: null, phoneDigits: '1380013', cardContains: '1380013', cardExact: null });
    expect(planFragment('+86 138-0013')?.phoneDigits).toBe('861380013');
    expect(planFragment('0086138')?.phoneDigits).toBe('86138');
    expect(planFragment('8000')?.phoneDigits).toBe('8000');
  });
  it('sends letters to name and card number', () => {
    expect(planFragment('vip00')).toEqual({ nameContains: 'vip00', namePrefix: null, phoneDigits: null, cardContains: 'VIP00', cardExact: null });
    expect(planFragment('张三丰')).toEqual({ nameContains: '张三丰', namePrefix: null, phoneDigits: null, cardContains: null, cardExact: null });
  });
  it('matches short fragments by name prefix or whole card number', () => {
    expect(planFragment('张')).toEqual({ nameContains: null, namePrefix: '张', phoneDigits: null, cardContains: null, cardExact: null });
    expect(planFragment('A1')).toMatchObject({ namePrefix: 'A1', cardExact: 'A1' });
    expect(planFragment('12')).toMatchObject({ namePrefix: null, phoneDigits: null, cardExact: '12' });
    expect(planFragment('   ')).toBeNull();
  });
  it('escapes LIKE wildcards', () => {
    expect(likeEscape('50%_a\\b')).toBe('50\\%\\_a\\\\b');
  });
});

describe('prefersMatchScan', () => {
  it('collects matches for names, 4+ digits and tags; walks for short and 3-digit fragments', async () => {
    const { prefersMatchScan } = await import('./search.js');
    expect(prefersMatchScan({ q: '王伟一' })).toBe(true);
    expect(prefersMatchScan({ q: '8000' })).toBe(true);
    expect(prefersMatchScan({ q: 'VIP0' })).toBe(true);
    expect(prefersMatchScan({ tag: 'vip' })).toBe(true);
    expect(prefersMatchScan({ q: '138' })).toBe(false);
    expect(prefersMatchScan({ q: '张' })).toBe(false);
    expect(prefersMatchScan({})).toBe(false);
    expect(prefersMatchScan({ tier: 'gold' })).toBe(false);
  });
});
