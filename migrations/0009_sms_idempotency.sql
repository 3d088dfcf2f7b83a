-- Idempotency-Key for POST /api/v1/sms/send (api.md: a retry with the same key and body gets the
-- first response and sends nothing; the same key with another body is a 409). Keys are per tenant.
CREATE TABLE sms_idempotency (
  tenant_id     bigint NOT NULL REFERENCES tenants(id),
  key           text NOT NULL,
  request_hash  bytea NOT NULL,
  status        integer NOT NULL,
  response      jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key)
);
CREATE INDEX sms_idempotency_age ON sms_idempotency USING brin (created_at);

ALTER TABLE sms_idempotency ENABLE ROW LEVEL SECURITY;
ALTER TABLE sms_idempotency FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sms_idempotency USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT, INSERT, DELETE ON sms_idempotency TO memberdesk_app;
