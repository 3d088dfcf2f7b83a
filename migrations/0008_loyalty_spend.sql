-- Loyalty: tiers may also be reached by spend in the current period (a tier's optional
-- spendThresholdFen, beside its threshold in tier points). The member's spend of the current
-- period is kept on the member row like tier_points: purchases add their payable amount,
-- refunds of a purchase of the same period take back the refunded amount, a period end
-- evaluates the tier on it and resets it to 0. It is not a balance (no ledger of its own): it
-- equals the payable amounts less refunds of the member's purchases recorded in that period
-- (loyalty_transactions.period_start = members.tier_period_start), which reconciliation checks.
ALTER TABLE members
  ADD COLUMN period_spend_fen bigint NOT NULL DEFAULT 0 CHECK (period_spend_fen >= 0);
