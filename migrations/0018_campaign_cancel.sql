-- Campaigns can be cancelled for good (issue 5): POST /campaigns/{id}/cancel
-- (src/marketing/campaigns.cancel.ts). A cancelled campaign is never resumed; its recipients
-- still pending at the cancel become 'cancelled' (never messaged), and those whose message was
-- still waiting in the outbox become 'cancelled' with reason 'withdrawn' (the message is failed
-- / 'cancelled' and refunded). The CHECKs were inline in 0014, so they carry PostgreSQL's
-- default names.
ALTER TABLE campaigns DROP CONSTRAINT campaigns_status_check;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_status_check
  CHECK (status IN ('draft', 'scheduled', 'sending', 'paused', 'done', 'cancelled'));

ALTER TABLE campaign_recipients DROP CONSTRAINT campaign_recipients_status_check;
ALTER TABLE campaign_recipients ADD CONSTRAINT campaign_recipients_status_check
  CHECK (status IN ('pending', 'holdout', 'sent', 'suppressed', 'failed', 'cancelled'));
