import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { composeSms } from '../messaging/index.js';
import { addToEstimate, checkTemplate, groupResult, holdoutSize, lift, skipReason, type Estimate, type RecipientRow } from './campaigns.rules.js';

const sms = { name: '小店', priceFen: 5, optOutHint: '回TD退订' };
const cap = { messages: 4, days: 30 };
const row = (over: Partial<RecipientRow> = {}): RecipientRow => ({
  id: '1', name: '张三', cardNo: 'C1', phone: '+8613800000000', email: null, points: 120, storedValueFen: 1234, tier: '金卡', store: '一店',
  smsOptOut: false, emailOptOut: false, recentMarketing: 0, ...over,
});
const zero: Estimate = { recipients: 0, suppressed: 0, segments: 0, costFen: 0 };

describe('checkTemplate', () => {
  it('accepts the api.md variables and refuses others with a path', () => {
    expect(checkTemplate('sms', '{name} {cardNo} {points} {tier} {storedValue} {store} {merchant}')).toMatchObject({ ok: true });
    expect(checkTemplate('sms', 'hi {phone}')).toEqual({ ok: false, errors: [{ path: 'body.template.text', message: 'uses unknown variable {phone}' }] });
    expect(checkTemplate('sms', { text: '{a}{b}' })).toEqual({ ok: false, errors: [{ path: 'body.template.text', message: 'uses unknown variables {a}, {b}' }] });
    expect(checkTemplate('email', { subject: '{x}', body: 'ok' })).toEqual({ ok: false, errors: [{ path: 'body.template.subject', message: 'uses unknown variable {x}' }] });
  });
  it('wants the channel shape', () => {
    expect(checkTemplate('email', 'text')).toMatchObject({ ok: false });
    expect(checkTemplate('sms', { subject: 's', body: 'b' })).toMatchObject({ ok: false });
    expect(checkTemplate('sms', '  ')).toEqual({ ok: false, errors: [{ path: 'body.template.text', message: 'must not be empty' }] });
  });
});

describe('skipReason', () => {
  it('opt-out and cap only for marketing; email needs an address', () => {
    expect(skipReason('sms', true, cap, row({ smsOptOut: true }))).toBe('opted_out');
    expect(skipReason('sms', false, cap, row({ smsOptOut: true }))).toBeNull();
    expect(skipReason('sms', true, cap, row({ recentMarketing: 4 }))).toBe('frequency_cap');
    expect(skipReason('sms', true, cap, row({ recentMarketing: 3 }))).toBeNull();
    expect(skipReason('sms', true, { messages: 0, days: 30 }, row({ recentMarketing: 99 }))).toBeNull();
    expect(skipReason('email', true, cap, row({ email: null }))).toBe('no_address');
    expect(skipReason('email', true, cap, row({ email: 'a@b.cn', emailOptOut: true }))).toBe('opted_out');
  });
});

describe('addToEstimate', () => {
  it('renders each member: segments and cost of the composed text', () => {
    const tooLong: string[] = [];
    const est = addToEstimate(zero, [row(), row({ id: '2', smsOptOut: true }), row({ id: '3', name: '长'.repeat(80) })], { channel: 'sms', marketing: true, cap, template: { text: '{name}您好' }, sms }, tooLong);
    const seg = (name: string) => {
      const c = composeSms({ tenantName: '小店', kind: 'marketing', body: `${name}您好`, optOutHint: '回TD退订' });
      return c.ok ? c.value.segments : NaN;
    };
    expect(est).toEqual({ recipients: 3, suppressed: 1, segments: seg('张三') + seg('长'.repeat(80)), costFen: (seg('张三') + seg('长'.repeat(80))) * 5 });
    expect(seg('长'.repeat(80))).toBe(2);
    expect(tooLong).toEqual([]);
  });

  it('is the same whatever the pages (fast-check), and cost = segments × price', () => {
    const arbRow = fc.record({
      name: fc.option(fc.string({ maxLength: 150 }), { nil: null }),
      smsOptOut: fc.boolean(),
      recentMarketing: fc.integer({ min: 0, max: 6 }),
    });
    fc.assert(
      fc.property(fc.array(arbRow, { maxLength: 40 }), fc.integer({ min: 1, max: 40 }), (rows, page) => {
        const members = rows.map((r, i) => row({ ...r, id: String(i) }));
        const opts = { channel: 'sms' as const, marketing: true, cap, template: { text: '{name}：会员日' }, sms };
        const whole = addToEstimate(zero, members, opts, []);
        let paged = zero;
        for (let i = 0; i < members.length; i += page) paged = addToEstimate(paged, members.slice(i, i + page), opts, []);
        expect(paged).toEqual(whole);
        expect(whole.recipients).toBe(members.length);
        expect(whole.suppressed).toBe(members.filter((m) => m.smsOptOut || m.recentMarketing >= 4).length);
        expect(whole.costFen).toBe(whole.segments * 5);
        expect(whole.segments).toBeGreaterThanOrEqual(whole.recipients - whole.suppressed);
      }),
    );
  });
});

describe('hold-out and results', () => {
  it('holdoutSize rounds half up and stays within the group', () => {
    expect(holdoutSize(100, 20)).toBe(20);
    expect(holdoutSize(5, 10)).toBe(1);
    expect(holdoutSize(3, 10)).toBe(0);
    fc.assert(fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 50 }), (n, p) => {
      const k = holdoutSize(n, p);
      expect(k).toBeGreaterThanOrEqual(0);
      expect(k).toBeLessThanOrEqual(n);
      expect(Math.abs(k - (n * p) / 100)).toBeLessThanOrEqual(0.5);
    }));
  });
  it('per-member figures and lift', () => {
    const r = groupResult({ members: 80, purchasers: 2, purchases: 2, revenueFen: 40_000 });
    const h = groupResult({ members: 20, purchasers: 1, purchases: 1, revenueFen: 5_000 });
    expect(r).toMatchObject({ conversionRate: 0.025, revenuePerMemberFen: 500 });
    expect(lift(r, h)).toEqual({ revenuePerMemberFen: 250, conversionRate: -0.025 });
    expect(lift(r, groupResult({ members: 0, purchasers: 0, purchases: 0, revenueFen: 0 }))).toBeNull();
  });
});
