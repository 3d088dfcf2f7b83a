import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { refundBalances, whyNotCancellable, whyNotDeletable } from './campaigns.cancel.rules.js';
import type { CampaignStatus } from './campaigns.service.js';

const ALL: CampaignStatus[] = ['draft', 'scheduled', 'sending', 'paused', 'done', 'cancelled'];

describe('cancel and delete rules', () => {
  it('cancels only what is under way; a draft is to be deleted', () => {
    expect(ALL.filter((s) => whyNotCancellable(s) === null)).toEqual(['scheduled', 'sending', 'paused']);
    expect(whyNotCancellable('draft')).toMatchObject({ code: 'campaign_is_draft' });
    expect(whyNotCancellable('draft')!.message).toContain('delete it instead');
    expect(whyNotCancellable('done')).toMatchObject({ code: 'campaign_not_cancellable' });
    expect(whyNotCancellable('cancelled')).toMatchObject({ code: 'campaign_not_cancellable' });
  });

  it('deletes drafts only', () => {
    expect(ALL.filter((s) => whyNotDeletable(s) === null)).toEqual(['draft']);
  });

  it('refund balances run up from the credit before and end at before + total', () => {
    expect(refundBalances(100, [5, 10, 0])).toEqual([105, 115, 115]);
    expect(refundBalances(7, [])).toEqual([]);
    fc.assert(
      fc.property(fc.nat(10_000_000), fc.array(fc.nat(1000), { maxLength: 200 }), (before, costs) => {
        const b = refundBalances(before, costs);
        const total = costs.reduce((s, c) => s + c, 0);
        expect(b.length).toBe(costs.length);
        if (b.length) expect(b[b.length - 1]).toBe(before + total);
        b.forEach((x, i) => expect(x - (i === 0 ? before : b[i - 1]!)).toBe(costs[i]));
      }),
    );
  });
});
