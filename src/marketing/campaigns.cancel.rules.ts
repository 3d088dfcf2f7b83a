/**
 * Pure rules of cancelling and deleting campaigns (campaigns.cancel.ts does the work).
 * - Cancel: a campaign that is scheduled, sending or paused; a draft is deleted instead, a done
 *   or cancelled one has nothing left to stop.
 * - Delete: drafts only (anything sent has messages, a ledger and results that must stay).
 * - Refunds are written as the dispatcher writes them: one ledger row per message, each with the
 *   running balance, the last one equal to the merchant's new credit.
 */
import type { CampaignStatus } from './campaigns.service.js';

export type Refusal = { code: string; message: string };

export function whyNotCancellable(status: CampaignStatus): Refusal | null {
  if (status === 'scheduled' || status === 'sending' || status === 'paused') return null;
  if (status === 'draft') return { code: 'campaign_is_draft', message: 'The campaign is a draft: nothing was sent; delete it instead' };
  return { code: 'campaign_not_cancellable', message: `The campaign is ${status}; only a scheduled, sending or paused campaign can be cancelled` };
}

export function whyNotDeletable(status: CampaignStatus): Refusal | null {
  if (status === 'draft') return null;
  return { code: 'campaign_not_draft', message: `The campaign is ${status}; only a draft can be deleted (cancel a campaign that is under way)` };
}

/** The balance after each refund, in order, given the credit before them. */
export function refundBalances(creditBefore: number, costs: readonly number[]): number[] {
  let balance = creditBefore;
  return costs.map((c) => (balance += c));
}
