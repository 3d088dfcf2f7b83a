-- Members and cards: card-number plans, the card pool, merchant-defined attributes, members,
-- their change history, and join applications. All tenant-owned (see 0001 for the rule).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- One row per tenant: how card numbers are made and whether joining needs review.
CREATE TABLE member_settings (
  tenant_id           bigint NOT NULL REFERENCES tenants(id),
  card_mode           text NOT NULL DEFAULT 'sequence' CHECK (card_mode IN ('sequence', 'pool')),
  card_prefix         text NOT NULL DEFAULT '' CHECK (card_prefix ~ '^[A-Z0-9]{0,8}$'),
  card_digits         integer NOT NULL DEFAULT 8 CHECK (card_digits BETWEEN 4 AND 16),
  card_check_digit    boolean NOT NULL DEFAULT false,
  card_next_seq       bigint NOT NULL DEFAULT 1 CHECK (card_next_seq >= 1),
  review_applications boolean NOT NULL DEFAULT false,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);

-- Pre-generated card numbers (seed 002: 预设会员卡号, 批量新增 / 新增 special numbers).
CREATE TABLE card_pool (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  card_no         text NOT NULL CHECK (card_no ~ '^[A-Z0-9]{4,24}$'),
  batch           text,
  special         boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  used_at         timestamptz,
  PRIMARY KEY (tenant_id, card_no)
);
CREATE INDEX card_pool_free ON card_pool (tenant_id, card_no) WHERE used_at IS NULL;

-- Up to 30 extra attributes per merchant (the limit is enforced by the service).
CREATE TABLE member_attribute_defs (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  key             text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,39}$'),
  label           text NOT NULL,
  type            text NOT NULL CHECK (type IN ('text', 'number', 'date', 'single', 'multi', 'boolean')),
  required        boolean NOT NULL DEFAULT false,
  options         text[] NOT NULL DEFAULT '{}',
  position        integer NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key)
);

CREATE TABLE members (
  tenant_id         bigint NOT NULL REFERENCES tenants(id),
  id                bigint GENERATED ALWAYS AS IDENTITY,
  card_no           text NOT NULL,
  phone             text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),   -- E.164
  name              text,
  gender            text CHECK (gender IN ('male', 'female', 'other')),
  birthday          date,
  store_id          bigint,
  tier_code         text,
  -- balances: written only by the loyalty ledger (each equals the sum of its ledger)
  points            bigint NOT NULL DEFAULT 0 CHECK (points >= 0),
  tier_points       bigint NOT NULL DEFAULT 0,
  stored_value_fen  bigint NOT NULL DEFAULT 0 CHECK (stored_value_fen >= 0),
  sms_opt_out       boolean NOT NULL DEFAULT false,
  status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'cancelled')),
  attributes        jsonb NOT NULL DEFAULT '{}',
  tags              text[] NOT NULL DEFAULT '{}',
  source            text NOT NULL DEFAULT 'counter' CHECK (source IN ('counter', 'api', 'sms', 'h5', 'import', 'application')),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, card_no),
  UNIQUE (tenant_id, phone),
  FOREIGN KEY (tenant_id, store_id) REFERENCES org_nodes (tenant_id, id)
);
-- fragment search over name, phone and card number (q=)
CREATE INDEX members_name_trgm ON members USING gin (name gin_trgm_ops);
CREATE INDEX members_phone_trgm ON members USING gin (phone gin_trgm_ops);
CREATE INDEX members_card_trgm ON members USING gin (card_no gin_trgm_ops);
CREATE INDEX members_tags ON members USING gin (tags);
CREATE INDEX members_recent ON members (tenant_id, id DESC);

-- What changed on a member, by whom and why (the member page's 变更记录). Append-only.
CREATE TABLE member_changes (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  id              bigint GENERATED ALWAYS AS IDENTITY,
  member_id       bigint NOT NULL,
  change          text NOT NULL,
  before          jsonb,
  after           jsonb,
  reason          text,
  actor_type      text NOT NULL,
  actor_id        bigint,
  actor_name      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);
CREATE INDEX member_changes_member ON member_changes (tenant_id, member_id, id DESC);

-- Join applications awaiting review (when member_settings.review_applications is on).
CREATE TABLE member_applications (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  id              bigint GENERATED ALWAYS AS IDENTITY,
  phone           text NOT NULL,
  name            text,
  gender          text,
  birthday        date,
  store_id        bigint,
  attributes      jsonb NOT NULL DEFAULT '{}',
  tags            text[] NOT NULL DEFAULT '{}',
  source          text NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  flags           text[] NOT NULL DEFAULT '{}',
  reason          text,
  member_id       bigint,
  created_at      timestamptz NOT NULL DEFAULT now(),
  decided_at      timestamptz,
  decided_by      text,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, store_id) REFERENCES org_nodes (tenant_id, id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);
CREATE INDEX member_applications_pending ON member_applications (tenant_id, status, id);
CREATE INDEX member_applications_phone ON member_applications (tenant_id, phone);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['member_settings', 'card_pool', 'member_attribute_defs', 'members', 'member_changes', 'member_applications'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON member_settings, card_pool, member_attribute_defs, members, member_applications TO memberdesk_app;
GRANT SELECT, INSERT ON member_changes TO memberdesk_app;
