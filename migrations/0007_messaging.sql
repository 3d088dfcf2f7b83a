-- Messaging: two-way SMS. Tenant-owned: outbound and inbound messages, inbox threads,
-- keywords, SMS settings (quiet hours, opt-out hint, reply templates), sub-codes.
-- Platform-level (no tenant is known yet, or the work spans tenants):
--   sms_outbox           what the dispatcher submits, claimed with FOR UPDATE SKIP LOCKED across
--                        tenants; also the map gateway message id → message for delivery reports
--   sms_inbound_staging  every MO exactly as it arrived, written BEFORE the gateway acknowledges
--                        it, whether or not a tenant matches (unknown destinations stay here)
--   sms_dispatchers      live dispatcher instances (heartbeat), to tell a crashed one's claims
--                        from a running one's
-- Credit: tenants.credit_fen and sms_credit_ledger (0001). A send debits segments × price in the
-- transaction that queues it; a permanent submit failure refunds through the ledger.

-- ---------------------------------------------------------------- tenant-owned tables
CREATE TABLE sms_settings (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  quiet_start     text NOT NULL DEFAULT '21:00' CHECK (quiet_start ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
  quiet_end       text NOT NULL DEFAULT '08:00' CHECK (quiet_end ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
  opt_out_hint    text NOT NULL DEFAULT '回TD退订',
  -- overrides of the built-in reply templates (compose.rules.ts DEFAULT_TEMPLATES), by key
  templates       jsonb NOT NULL DEFAULT '{}',
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);

-- A tenant's own keywords (normalised: NFKC, trimmed, upper case) and their replies.
CREATE TABLE sms_keywords (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  keyword         text NOT NULL CHECK (length(keyword) BETWEEN 1 AND 20),
  template        text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, keyword)
);

-- Sub-codes: digits appended to the tenant port so replies are matched to what was sent.
CREATE TABLE sms_sub_codes (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  code            text NOT NULL CHECK (code ~ '^[0-9]{1,6}$'),
  label           text NOT NULL DEFAULT '',
  campaign_id     bigint,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, code)
);

-- The feedback inbox: one thread per phone.
CREATE TABLE sms_threads (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  id              bigint GENERATED ALWAYS AS IDENTITY,
  phone           text NOT NULL,
  member_id       bigint,
  last_text       text NOT NULL DEFAULT '',
  last_at         timestamptz NOT NULL DEFAULT now(),
  unread          integer NOT NULL DEFAULT 0 CHECK (unread >= 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, phone)
);
CREATE INDEX sms_threads_recent ON sms_threads (tenant_id, last_at DESC, id DESC);

CREATE TABLE sms_outbound (
  tenant_id          bigint NOT NULL REFERENCES tenants(id),
  id                 bigint GENERATED ALWAYS AS IDENTITY,
  kind               text NOT NULL CHECK (kind IN ('service', 'marketing')),
  -- 'submitting' is internal (a dispatcher holds it); the API shows it as 'queued'
  status             text NOT NULL CHECK (status IN ('queued', 'submitting', 'sent', 'delivered', 'failed', 'suppressed')),
  fail_reason        text,
  sender             text NOT NULL,            -- tenant port + sub-code
  recipient          text NOT NULL,            -- E.164
  body               text NOT NULL,            -- the whole text as sent (signature, hint)
  encoding           text NOT NULL CHECK (encoding IN ('gsm7', 'ucs2')),
  segments           integer NOT NULL CHECK (segments >= 0),
  cost_fen           bigint NOT NULL CHECK (cost_fen >= 0),
  refunded           boolean NOT NULL DEFAULT false,
  sub_code           text NOT NULL DEFAULT '',
  campaign_id        bigint,
  member_id          bigint,
  thread_id          bigint,
  gateway_message_id text,
  attempts           integer NOT NULL DEFAULT 0,
  next_attempt_at    timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  sent_at            timestamptz,
  final_at           timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, thread_id) REFERENCES sms_threads (tenant_id, id)
);
CREATE INDEX sms_outbound_recipient ON sms_outbound (tenant_id, recipient, id);
CREATE INDEX sms_outbound_campaign ON sms_outbound (tenant_id, campaign_id, id) WHERE campaign_id IS NOT NULL;
CREATE INDEX sms_outbound_thread ON sms_outbound (tenant_id, thread_id, id) WHERE thread_id IS NOT NULL;

CREATE TABLE sms_inbound (
  tenant_id            bigint NOT NULL REFERENCES tenants(id),
  id                   bigint GENERATED ALWAYS AS IDENTITY,
  staging_id           bigint NOT NULL,          -- sms_inbound_staging.id: processed once
  sender               text NOT NULL,            -- E.164
  destination          text NOT NULL,            -- full address the member texted
  sub_code             text NOT NULL DEFAULT '',
  body                 text NOT NULL,
  keyword              text,                      -- '888', '666', 'TD', 'lottery', a custom one; NULL = feedback
  thread_id            bigint,
  member_id            bigint,
  reply_to_message_id  bigint,                    -- the outbound message the sub-code matched
  campaign_id          bigint,
  received_at          timestamptz NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, staging_id),
  FOREIGN KEY (tenant_id, thread_id) REFERENCES sms_threads (tenant_id, id)
);
CREATE INDEX sms_inbound_sender ON sms_inbound (tenant_id, sender, id);
CREATE INDEX sms_inbound_thread ON sms_inbound (tenant_id, thread_id, id) WHERE thread_id IS NOT NULL;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['sms_settings', 'sms_keywords', 'sms_sub_codes', 'sms_threads', 'sms_outbound', 'sms_inbound'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON sms_settings, sms_keywords, sms_sub_codes TO memberdesk_app;
GRANT SELECT, INSERT, UPDATE ON sms_threads, sms_outbound, sms_inbound TO memberdesk_app;

-- ---------------------------------------------------------------- platform tables
CREATE TABLE sms_outbox (
  message_id         bigint PRIMARY KEY,          -- sms_outbound.id (one identity across tenants)
  tenant_id          bigint NOT NULL REFERENCES tenants(id),
  state              text NOT NULL CHECK (state IN ('queued', 'submitting', 'sent', 'failed')),
  due_at             timestamptz NOT NULL,
  attempts           integer NOT NULL DEFAULT 0,
  claimed_by         text,
  claimed_at         timestamptz,
  sender             text NOT NULL,
  recipient          text NOT NULL,               -- digits as the gateway takes them
  body               text NOT NULL,
  segments           integer NOT NULL,
  cost_fen           bigint NOT NULL,
  gateway_message_id text,
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_outbox_due ON sms_outbox (due_at) WHERE state = 'queued';
CREATE INDEX sms_outbox_claimed ON sms_outbox (claimed_by) WHERE state = 'submitting';
CREATE INDEX sms_outbox_gateway_id ON sms_outbox (gateway_message_id) WHERE gateway_message_id IS NOT NULL;

CREATE TABLE sms_dispatchers (
  instance_id     text PRIMARY KEY,
  started_at      timestamptz NOT NULL DEFAULT now(),
  heartbeat_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sms_inbound_staging (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  gateway         text NOT NULL,
  sender          text NOT NULL,
  destination     text NOT NULL,
  body            text NOT NULL,
  raw             jsonb,
  received_at     timestamptz NOT NULL,
  -- pending: stored, not yet processed; done; unrouted: no tenant port matches; malformed
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'unrouted', 'malformed')),
  tenant_id       bigint REFERENCES tenants(id),
  attempts        integer NOT NULL DEFAULT 0,
  error           text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  processed_at    timestamptz
);
CREATE INDEX sms_inbound_staging_pending ON sms_inbound_staging (id) WHERE state = 'pending';
CREATE INDEX sms_inbound_staging_unrouted ON sms_inbound_staging (id) WHERE state IN ('unrouted', 'malformed');

GRANT SELECT, INSERT, UPDATE, DELETE ON sms_outbox, sms_dispatchers, sms_inbound_staging TO memberdesk_app;
