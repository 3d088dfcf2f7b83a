-- Marketing: saved segments (a name and a filter; see src/marketing/filter.rules.ts) and the
-- indexes that keep live segment counts fast at 1,000,000 members / 10,000,000 purchases.

CREATE TABLE segments (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  id              bigint GENERATED ALWAYS AS IDENTITY,
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  filter          jsonb NOT NULL,
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_by      text NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, name)
);
ALTER TABLE segments ENABLE ROW LEVEL SECURITY;
ALTER TABLE segments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON segments USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON segments TO memberdesk_app;

-- A member's purchases in a window (spendFen / visits over N days, lastVisitDaysAgo): one
-- index range per member, read index-only (payable_fen is included).
CREATE INDEX loyalty_transactions_member_time ON loyalty_transactions (tenant_id, member_id, occurred_at) INCLUDE (payable_fen);
-- All purchases of a window (hash semi / anti joins when most members are in question; also
-- date-range questions such as a campaign's revenue afterwards).
CREATE INDEX loyalty_transactions_time ON loyalty_transactions (tenant_id, occurred_at) INCLUDE (member_id, payable_fen);

-- Segment conditions on attributes (jsonb @>) and on any of several tags (&&) can use the GIN
-- indexes on members.attributes and members.tags under row-level security only when their
-- functions are LEAKPROOF (see 0003 for LIKE and array @>). Their results depend only on their
-- arguments and they raise no data-dependent errors.
DO $$
BEGIN
  ALTER FUNCTION jsonb_contains(jsonb, jsonb) LEAKPROOF;
  ALTER FUNCTION arrayoverlap(anyarray, anyarray) LEAKPROOF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'memberdesk: not a superuser, so jsonb @> and array && stay non-leakproof: segment conditions on attributes and tag lists cannot use their indexes under row-level security';
END $$;
