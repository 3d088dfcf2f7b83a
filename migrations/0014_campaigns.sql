-- Marketing: campaigns (issue 5). A campaign sends one template to the members of a segment
-- (a saved segment's filter or its own, copied at creation) over SMS or email. Sending is a
-- pg-boss job (src/marketing/campaigns.fanout.ts): it snapshots the recipients into
-- campaign_recipients — one row per (campaign, member), so no member can ever get two — then
-- sends them in batches, each batch one transaction that queues the messages and marks the rows.
--   campaign_settings     per merchant: approval needed to send, frequency cap
--   campaigns             the campaign, its estimate and status
--   campaign_recipients   the snapshot: pending → sent | suppressed | failed; holdout never sent

CREATE TABLE campaign_settings (
  tenant_id        bigint NOT NULL REFERENCES tenants(id),
  needs_approval   boolean NOT NULL DEFAULT false,
  -- at most cap_messages marketing messages (SMS + email) per member in cap_days; 0 = no cap
  cap_messages     integer NOT NULL DEFAULT 4 CHECK (cap_messages BETWEEN 0 AND 1000),
  cap_days         integer NOT NULL DEFAULT 30 CHECK (cap_days BETWEEN 1 AND 365),
  updated_by       text,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);

CREATE TABLE campaigns (
  tenant_id        bigint NOT NULL REFERENCES tenants(id),
  id               bigint GENERATED ALWAYS AS IDENTITY,
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  channel          text NOT NULL CHECK (channel IN ('sms', 'email')),
  segment_id       bigint,                      -- informative: the filter below is what is sent to
  filter           jsonb NOT NULL,
  template         jsonb NOT NULL,              -- {text} (sms) or {subject, body} (email)
  marketing        boolean NOT NULL,
  schedule_at      timestamptz,
  holdout_pct      integer NOT NULL DEFAULT 0 CHECK (holdout_pct BETWEEN 0 AND 50),
  status           text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'scheduled', 'sending', 'paused', 'done')),
  sub_code         text NOT NULL DEFAULT '',    -- replies to the campaign's SMS come back on it
  estimate         jsonb NOT NULL,
  approved_by      text,
  created_by       text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,                 -- the recipients were snapshotted
  finished_at      timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE campaign_recipients (
  tenant_id        bigint NOT NULL,
  campaign_id      bigint NOT NULL,
  member_id        bigint NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'holdout', 'sent', 'suppressed', 'failed')),
  -- suppressed: opted_out | no_credit | frequency_cap | no_address; failed: invalid_message
  reason           text,
  message_id       bigint,                      -- sms_outbound.id or email_messages.id
  done_at          timestamptz,
  PRIMARY KEY (tenant_id, campaign_id, member_id),
  FOREIGN KEY (tenant_id, campaign_id) REFERENCES campaigns (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX campaign_recipients_pending ON campaign_recipients (tenant_id, campaign_id, member_id) WHERE status = 'pending';

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['campaign_settings', 'campaigns', 'campaign_recipients'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON campaign_settings, campaigns, campaign_recipients TO memberdesk_app;

-- The frequency cap counts a member's recent marketing messages on both channels.
CREATE INDEX sms_outbound_member_marketing ON sms_outbound (tenant_id, member_id, created_at)
  WHERE kind = 'marketing' AND member_id IS NOT NULL;
CREATE INDEX email_messages_member_marketing ON email_messages (tenant_id, member_id, created_at)
  WHERE kind = 'marketing' AND member_id IS NOT NULL;

-- campaigns.approve: who may send when a merchant needs approval. Owners and managers of
-- existing merchants get it like new ones do (permissions.rules.ts BUILTIN_ROLES).
-- (roles has FORCE row-level security: one tenant at a time.)
DO $$
DECLARE t bigint;
BEGIN
  FOR t IN SELECT id FROM tenants LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    UPDATE roles SET permissions = array_append(permissions, 'campaigns.approve')
     WHERE tenant_id = t AND builtin AND code IN ('owner', 'manager') AND NOT ('campaigns.approve' = ANY (permissions));
  END LOOP;
  PERFORM set_config('app.tenant_id', '', true);
END $$;
