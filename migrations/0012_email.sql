-- Email as a second channel (issue 5). Same shape as SMS (0007): the message row and an outbox
-- row are written in the sender's transaction; a dispatcher claims outbox rows across tenants
-- (FOR UPDATE SKIP LOCKED), sends them over SMTP and records the results.
-- Tenant-owned: email_settings (sender and the tenant's own SMTP server), email_messages (the
-- log), email_idempotency (POST /email/send). Platform-level: email_outbox (what the dispatcher
-- sends, claimed across tenants), email_dispatchers (heartbeats, to tell a crashed dispatcher's
-- claims from a live one's).

-- Members get an email address and an email opt-out of their own (a member who texts TD opts
-- out of SMS, a member who clicks the unsubscribe link of a marketing email opts out of email).
ALTER TABLE members
  ADD COLUMN email text CHECK (email IS NULL OR (length(email) BETWEEN 3 AND 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$')),
  ADD COLUMN email_opt_out boolean NOT NULL DEFAULT false;

-- ---------------------------------------------------------------- tenant-owned tables
CREATE TABLE email_settings (
  tenant_id        bigint NOT NULL REFERENCES tenants(id),
  from_name        text,                       -- NULL: the tenant's name
  from_address     text,                       -- used with the tenant's own SMTP server only
  reply_to         text,
  -- the tenant's own SMTP server; smtp_host NULL = the deployment's (MEMBERDESK_SMTP_*)
  smtp_host        text,
  smtp_port        integer CHECK (smtp_port BETWEEN 1 AND 65535),
  smtp_secure      boolean NOT NULL DEFAULT false,   -- implicit TLS (465); otherwise STARTTLS when offered
  smtp_user        text,
  smtp_password    text,                       -- never returned by the API ("passwordSet")
  -- key of the unsubscribe links' HMAC (per tenant, so a link names the member it was sent to)
  unsubscribe_secret text NOT NULL DEFAULT replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id),
  CHECK (smtp_host IS NULL OR from_address IS NOT NULL)
);

CREATE TABLE email_messages (
  tenant_id          bigint NOT NULL REFERENCES tenants(id),
  id                 bigint GENERATED ALWAYS AS IDENTITY,
  kind               text NOT NULL CHECK (kind IN ('service', 'marketing')),
  -- 'submitting' is internal (a dispatcher holds it); the API shows it as 'queued'
  status             text NOT NULL CHECK (status IN ('queued', 'submitting', 'sent', 'failed', 'suppressed')),
  fail_reason        text,
  from_name          text NOT NULL,
  from_address       text NOT NULL,
  reply_to           text,
  recipient          text NOT NULL,
  subject            text NOT NULL,
  body               text NOT NULL,             -- text/plain as sent (marketing: with the unsubscribe footer)
  html               text NOT NULL,             -- text/html as sent
  unsubscribe_url    text,
  smtp               text NOT NULL CHECK (smtp IN ('tenant', 'default')),
  campaign_id        bigint,
  member_id          bigint,
  smtp_message_id    text,                      -- the Message-ID header
  smtp_response      text,                      -- the server's last answer
  attempts           integer NOT NULL DEFAULT 0,
  next_attempt_at    timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  sent_at            timestamptz,
  final_at           timestamptz,
  PRIMARY KEY (tenant_id, id)
);

CREATE INDEX email_messages_member ON email_messages (tenant_id, member_id, id) WHERE member_id IS NOT NULL;
CREATE INDEX email_messages_campaign ON email_messages (tenant_id, campaign_id, id) WHERE campaign_id IS NOT NULL;

-- Idempotency-Key for POST /api/v1/email/send (like sms_idempotency, 0009).
CREATE TABLE email_idempotency (
  tenant_id     bigint NOT NULL REFERENCES tenants(id),
  key           text NOT NULL,
  request_hash  bytea NOT NULL,
  status        integer NOT NULL,
  response      jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key)
);
CREATE INDEX email_idempotency_age ON email_idempotency USING brin (created_at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['email_settings', 'email_messages', 'email_idempotency'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON email_settings TO memberdesk_app;
GRANT SELECT, INSERT, UPDATE ON email_messages TO memberdesk_app;
GRANT SELECT, INSERT, DELETE ON email_idempotency TO memberdesk_app;

-- ---------------------------------------------------------------- platform tables
-- Only the claim travels here: the dispatcher reads a claimed batch's content and SMTP settings
-- per tenant (one query each) and writes the results back per tenant.
CREATE TABLE email_outbox (
  message_id         bigint PRIMARY KEY,          -- email_messages.id (one identity across tenants)
  tenant_id          bigint NOT NULL REFERENCES tenants(id),
  state              text NOT NULL CHECK (state IN ('queued', 'submitting', 'sent', 'failed')),
  due_at             timestamptz NOT NULL,
  attempts           integer NOT NULL DEFAULT 0,
  claimed_by         text,
  claimed_at         timestamptz,
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_outbox_due ON email_outbox (due_at) WHERE state = 'queued';
CREATE INDEX email_outbox_claimed ON email_outbox (claimed_by) WHERE state = 'submitting';

CREATE TABLE email_dispatchers (
  instance_id     text PRIMARY KEY,
  started_at      timestamptz NOT NULL DEFAULT now(),
  heartbeat_at    timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE, DELETE ON email_outbox, email_dispatchers TO memberdesk_app;
