-- Loyalty: consumption records, reward points (in lots) and tier points, tiers, stored value,
-- redemption, adjustments, refunds — and the append-only ledger that is the only writer of the
-- member balances. All tables tenant-owned (see 0001 for the rule).
--
-- Invariants the service keeps (and GET /api/v1/loyalty/reconcile checks):
--   members.points               = sum(ledger.delta where kind = 'points')       = sum(lots.remaining)
--   members.tier_points          = sum(ledger.delta where kind = 'tier_points')
--   members.stored_value_fen     = sum(ledger.delta where kind = 'stored_value')
--   members.stored_principal_fen = sum(ledger.principal_delta), stored_bonus_fen = sum(ledger.bonus_delta)
-- Every movement locks the member row FOR UPDATE first, then writes ledger, lots and the member
-- row in the same transaction.

-- ---------------------------------------------------------------- member balance columns
ALTER TABLE members
  ADD COLUMN stored_principal_fen bigint NOT NULL DEFAULT 0 CHECK (stored_principal_fen >= 0),
  ADD COLUMN stored_bonus_fen     bigint NOT NULL DEFAULT 0 CHECK (stored_bonus_fen >= 0),
  -- tier secured for the current period (by the last period-end evaluation or a manual
  -- override): refunds never take the member below it
  ADD COLUMN tier_floor_code      text,
  -- local start date of the period that tier_points count; NULL until the first movement
  ADD COLUMN tier_period_start    date,
  -- a lower bound of the earliest expiry among the member's remaining lots (NULL: none):
  -- a movement at or after it first expires what is due
  ADD COLUMN points_expire_at     timestamptz,
  ADD CONSTRAINT members_stored_value_split CHECK (stored_value_fen = stored_principal_fen + stored_bonus_fen);
CREATE INDEX members_points_expire ON members (tenant_id, points_expire_at) WHERE points_expire_at IS NOT NULL;

-- Ids of loyalty documents (purchases, refunds, operations, maintenance runs) come from one
-- sequence, so the service knows a document's id before it writes the ledger rows that name it.
CREATE SEQUENCE loyalty_doc_id_seq;
GRANT USAGE, SELECT ON SEQUENCE loyalty_doc_id_seq TO memberdesk_app;

-- ---------------------------------------------------------------- rules, versioned
-- The current rule version of a tenant (no row: version 0, the defaults).
CREATE TABLE loyalty_settings (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  version         integer NOT NULL CHECK (version >= 1),
  -- first day of the period every member has been closed into by the maintenance job
  periods_closed_to date,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);

-- Every version of the rules and tiers ever in force, so an old purchase can be explained.
CREATE TABLE loyalty_rule_versions (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  version         integer NOT NULL CHECK (version >= 1),
  rules           jsonb NOT NULL,
  tiers           jsonb NOT NULL,
  actor_type      text NOT NULL,
  actor_id        bigint,
  actor_name      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, version)
);

-- ---------------------------------------------------------------- documents
-- A purchase (consumption record).
CREATE TABLE loyalty_transactions (
  tenant_id             bigint NOT NULL REFERENCES tenants(id),
  id                    bigint NOT NULL DEFAULT nextval('loyalty_doc_id_seq'),
  member_id             bigint NOT NULL,
  store_id              bigint,
  amount_fen            bigint NOT NULL CHECK (amount_fen > 0),
  discount_fen          bigint NOT NULL CHECK (discount_fen >= 0),
  payable_fen           bigint NOT NULL CHECK (payable_fen >= 0),
  tier_code             text,
  points_earned         bigint NOT NULL CHECK (points_earned >= 0),
  tier_points_earned    bigint NOT NULL CHECK (tier_points_earned >= 0),
  points_paid           bigint NOT NULL DEFAULT 0 CHECK (points_paid >= 0),
  points_paid_fen       bigint NOT NULL DEFAULT 0 CHECK (points_paid_fen >= 0),
  sv_principal_paid_fen bigint NOT NULL DEFAULT 0 CHECK (sv_principal_paid_fen >= 0),
  sv_bonus_paid_fen     bigint NOT NULL DEFAULT 0 CHECK (sv_bonus_paid_fen >= 0),
  items                 jsonb NOT NULL DEFAULT '[]',
  tenders               jsonb NOT NULL DEFAULT '[]',
  -- how the figures were reached (rates, multipliers, discount base): with rule_version it
  -- explains the purchase
  detail                jsonb NOT NULL DEFAULT '{}',
  period_start          date,
  rule_version          integer NOT NULL,
  occurred_at           timestamptz NOT NULL,
  idempotency_key       text,
  actor_type            text NOT NULL,
  actor_id              bigint,
  actor_name            text NOT NULL,
  created_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id),
  FOREIGN KEY (tenant_id, store_id) REFERENCES org_nodes (tenant_id, id),
  CHECK (payable_fen = amount_fen - discount_fen)
);
CREATE INDEX loyalty_transactions_member ON loyalty_transactions (tenant_id, member_id, id DESC);

-- A full or partial refund of a purchase. The *_total columns are cumulative over the
-- purchase's refunds up to and including this one, so proportions never drift by rounding.
CREATE TABLE loyalty_refunds (
  tenant_id                   bigint NOT NULL REFERENCES tenants(id),
  id                          bigint NOT NULL DEFAULT nextval('loyalty_doc_id_seq'),
  transaction_id              bigint NOT NULL,
  member_id                   bigint NOT NULL,
  amount_fen                  bigint NOT NULL CHECK (amount_fen >= 0),
  refunded_fen_total          bigint NOT NULL,
  points_reversed             bigint NOT NULL,
  points_reversed_total       bigint NOT NULL,
  -- earned points not taken back because the member had already spent them
  points_shortfall            bigint NOT NULL DEFAULT 0,
  tier_points_reversed        bigint NOT NULL,
  tier_points_reversed_total  bigint NOT NULL,
  -- tier points not taken back: the purchase's period has closed, or the balance was lower
  tier_points_shortfall       bigint NOT NULL DEFAULT 0,
  points_returned             bigint NOT NULL,
  points_returned_total       bigint NOT NULL,
  sv_principal_returned_fen   bigint NOT NULL,
  sv_bonus_returned_fen       bigint NOT NULL,
  sv_principal_returned_total bigint NOT NULL,
  sv_bonus_returned_total     bigint NOT NULL,
  reason                      text,
  rule_version                integer NOT NULL,
  actor_type                  text NOT NULL,
  actor_id                    bigint,
  actor_name                  text NOT NULL,
  created_at                  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, transaction_id) REFERENCES loyalty_transactions (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);
CREATE INDEX loyalty_refunds_transaction ON loyalty_refunds (tenant_id, transaction_id, id DESC);

-- Redemptions, adjustments, top-ups, tier overrides, opening balances, maintenance runs.
CREATE TABLE loyalty_operations (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  id              bigint NOT NULL DEFAULT nextval('loyalty_doc_id_seq'),
  kind            text NOT NULL CHECK (kind IN ('redemption', 'adjustment', 'top_up', 'tier_override', 'opening_balance', 'expiry_run')),
  member_id       bigint,
  detail          jsonb NOT NULL DEFAULT '{}',
  reason          text,
  rule_version    integer NOT NULL,
  actor_type      text NOT NULL,
  actor_id        bigint,
  actor_name      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);
CREATE INDEX loyalty_operations_member ON loyalty_operations (tenant_id, member_id, id DESC);

-- ---------------------------------------------------------------- the ledger (append-only)
CREATE TABLE loyalty_ledger (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  id              bigint GENERATED ALWAYS AS IDENTITY,
  member_id       bigint NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('points', 'tier_points', 'stored_value')),
  delta           bigint NOT NULL CHECK (delta <> 0),
  balance_after   bigint NOT NULL,
  -- stored value only: how the delta splits between principal and bonus
  principal_delta bigint,
  bonus_delta     bigint,
  -- what happened (machine code: earn, pay, expiry, carry_over, period_reset, refund_reversal, …)
  cause           text NOT NULL,
  -- why, in words (the operator's reason for manual movements)
  reason          text,
  ref_type        text NOT NULL,
  ref_id          bigint,
  rule_version    integer NOT NULL,
  actor_type      text NOT NULL,
  actor_id        bigint,
  actor_name      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id),
  CHECK ((kind = 'stored_value') = (principal_delta IS NOT NULL AND bonus_delta IS NOT NULL)),
  CHECK (kind <> 'stored_value' OR delta = principal_delta + bonus_delta),
  CHECK (kind = 'tier_points' OR balance_after >= 0)
);
CREATE INDEX loyalty_ledger_member ON loyalty_ledger (tenant_id, member_id, id DESC);

-- Reward points in lots: each earning is a lot with its own expiry; redemption, paying with
-- points, expiry, carry-over lapses and refund reversals consume lots oldest-expiry first.
CREATE TABLE loyalty_point_lots (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  id              bigint GENERATED ALWAYS AS IDENTITY,
  member_id       bigint NOT NULL,
  ref_type        text NOT NULL,
  ref_id          bigint,
  earned_at       timestamptz NOT NULL,
  expires_at      timestamptz,
  original        bigint NOT NULL CHECK (original > 0),
  remaining       bigint NOT NULL CHECK (remaining >= 0 AND remaining <= original),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);
CREATE INDEX loyalty_point_lots_open ON loyalty_point_lots (tenant_id, member_id, expires_at, id) WHERE remaining > 0;

-- Every tier change (care messages hang on it). Append-only.
CREATE TABLE loyalty_tier_changes (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  id              bigint GENERATED ALWAYS AS IDENTITY,
  member_id       bigint NOT NULL,
  from_code       text,
  to_code         text,
  direction       text NOT NULL CHECK (direction IN ('up', 'down', 'same')),
  cause           text NOT NULL CHECK (cause IN ('purchase', 'refund', 'adjustment', 'period_end', 'manual', 'rules_change', 'opening_balance')),
  reason          text,
  ref_type        text,
  ref_id          bigint,
  actor_type      text NOT NULL,
  actor_id        bigint,
  actor_name      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);
CREATE INDEX loyalty_tier_changes_member ON loyalty_tier_changes (tenant_id, member_id, id DESC);

-- Idempotency keys of value-moving requests: the first result, replayed for retries.
CREATE TABLE loyalty_idempotency (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  key             text NOT NULL,
  request_hash    bytea NOT NULL,
  status          integer NOT NULL,
  response        jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key)
);
CREATE INDEX loyalty_idempotency_age ON loyalty_idempotency USING brin (created_at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['loyalty_settings', 'loyalty_rule_versions', 'loyalty_transactions', 'loyalty_refunds',
                           'loyalty_operations', 'loyalty_ledger', 'loyalty_point_lots', 'loyalty_tier_changes',
                           'loyalty_idempotency'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE ON loyalty_settings TO memberdesk_app;
GRANT SELECT, INSERT, UPDATE ON loyalty_point_lots TO memberdesk_app;
GRANT SELECT, INSERT, DELETE ON loyalty_idempotency TO memberdesk_app;
-- append-only
GRANT SELECT, INSERT ON loyalty_rule_versions, loyalty_transactions, loyalty_refunds, loyalty_operations,
                        loyalty_ledger, loyalty_tier_changes TO memberdesk_app;
