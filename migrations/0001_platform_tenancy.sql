-- Platform and tenancy: tenants, platform users, sessions, login throttling, and the
-- first tenant-owned tables (org tree, roles, operators, API keys, audit log).
--
-- Rule for every tenant-owned table (guarded by test/e2e/tenancy-catalogue.test.ts):
--   tenant_id in the primary key, in every unique key and in every foreign key;
--   row-level security ENABLEd and FORCEd with the policy tenant_isolation;
--   privileges granted to memberdesk_app, the non-owner role the application runs as.

DO $$
BEGIN
  CREATE ROLE memberdesk_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END $$;

DO $$
BEGIN
  EXECUTE format('GRANT memberdesk_app TO %I', current_user);
EXCEPTION WHEN others THEN
  NULL; -- a superuser or an existing membership needs no grant
END $$;

GRANT USAGE ON SCHEMA public TO memberdesk_app;

-- The tenant of the current transaction, NULL when none is set (fails closed: no rows match).
CREATE OR REPLACE FUNCTION app_tenant_id() RETURNS bigint
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::bigint $$;

-- ---------------------------------------------------------------- platform tables
CREATE TABLE tenants (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,39}$'),
  name            text NOT NULL,
  sms_extension   text NOT NULL UNIQUE CHECK (sms_extension ~ '^[0-9]{1,6}$'),
  timezone        text NOT NULL DEFAULT 'Asia/Shanghai',
  currency        text NOT NULL DEFAULT 'CNY',
  sms_price_fen   integer NOT NULL DEFAULT 5 CHECK (sms_price_fen >= 0),
  credit_fen      bigint NOT NULL DEFAULT 0 CHECK (credit_fen >= 0),
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE platform_users (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username        text NOT NULL UNIQUE,
  password_hash   text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- Login tokens of platform admins and tenant operators. Looked up by hash before the tenant
-- is known, so this is a platform table; tenant_id says whose operator the token belongs to.
CREATE TABLE auth_sessions (
  token_hash      bytea PRIMARY KEY,
  csrf_token      text NOT NULL,
  principal       text NOT NULL CHECK (principal IN ('platform', 'operator')),
  tenant_id       bigint REFERENCES tenants(id),
  user_id         bigint NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  revoked_at      timestamptz,
  CHECK ((principal = 'platform') = (tenant_id IS NULL))
);
CREATE INDEX auth_sessions_expires ON auth_sessions (expires_at);

-- Failed logins per tenant + username (whether or not the user exists), for throttling that
-- holds across any number of server processes.
CREATE TABLE login_failures (
  scope           text NOT NULL,
  username        text NOT NULL,
  window_start    timestamptz NOT NULL,
  failures        integer NOT NULL,
  locked_until    timestamptz,
  PRIMARY KEY (scope, username)
);

CREATE TABLE platform_audit_log (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  actor_id        bigint,
  actor_name      text NOT NULL,
  action          text NOT NULL,
  target          text,
  detail          jsonb NOT NULL DEFAULT '{}',
  ip              text,
  created_at      timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE ON tenants TO memberdesk_app;
GRANT SELECT, INSERT, UPDATE ON platform_users TO memberdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON auth_sessions TO memberdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON login_failures TO memberdesk_app;
GRANT SELECT, INSERT ON platform_audit_log TO memberdesk_app;

-- ---------------------------------------------------------------- tenant-owned tables
CREATE TABLE org_nodes (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  id              bigint GENERATED ALWAYS AS IDENTITY,
  parent_id       bigint,
  kind            text NOT NULL CHECK (kind IN ('headquarters', 'region', 'store')),
  name            text NOT NULL,
  code            text,
  -- materialised path of ids, '/1/5/9/': "this node and below" is a prefix match
  path            text NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, parent_id) REFERENCES org_nodes (tenant_id, id),
  CHECK ((kind = 'headquarters') = (parent_id IS NULL))
);
CREATE UNIQUE INDEX org_nodes_one_headquarters ON org_nodes (tenant_id) WHERE parent_id IS NULL;
CREATE INDEX org_nodes_path ON org_nodes (tenant_id, path text_pattern_ops);

-- The path is derived from the parent at insert; ids never change, so it never needs updating.
CREATE FUNCTION org_nodes_set_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.parent_id IS NULL THEN
    NEW.path := '/' || NEW.id || '/';
  ELSE
    SELECT p.path || NEW.id || '/' INTO NEW.path
      FROM org_nodes p WHERE p.tenant_id = NEW.tenant_id AND p.id = NEW.parent_id;
    IF NEW.path IS NULL THEN
      RAISE EXCEPTION 'parent org node % not found', NEW.parent_id USING ERRCODE = 'foreign_key_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER org_nodes_path BEFORE INSERT ON org_nodes FOR EACH ROW EXECUTE FUNCTION org_nodes_set_path();

CREATE TABLE roles (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  id              bigint GENERATED ALWAYS AS IDENTITY,
  code            text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_-]{1,39}$'),
  name            text NOT NULL,
  permissions     text[] NOT NULL DEFAULT '{}',
  builtin         boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code)
);

CREATE TABLE operators (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  id              bigint GENERATED ALWAYS AS IDENTITY,
  username        text NOT NULL,
  name            text NOT NULL,
  password_hash   text NOT NULL,
  role_id         bigint NOT NULL,
  org_node_id     bigint NOT NULL,
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, username),
  FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id),
  FOREIGN KEY (tenant_id, org_node_id) REFERENCES org_nodes (tenant_id, id)
);

CREATE TABLE api_keys (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  id              bigint GENERATED ALWAYS AS IDENTITY,
  name            text NOT NULL,
  prefix          text NOT NULL,
  key_hash        bytea NOT NULL,
  permissions     text[] NOT NULL DEFAULT '{}',
  created_by      bigint,
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_used_at    timestamptz,
  revoked_at      timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, key_hash)
);

-- Append-only: the application role may insert and read, never update or delete.
CREATE TABLE audit_log (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  id              bigint GENERATED ALWAYS AS IDENTITY,
  actor_type      text NOT NULL CHECK (actor_type IN ('platform', 'operator', 'api_key', 'system')),
  actor_id        bigint,
  actor_name      text NOT NULL,
  action          text NOT NULL,
  target_type     text,
  target_id       text,
  detail          jsonb NOT NULL DEFAULT '{}',
  ip              text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_recent ON audit_log (tenant_id, id DESC);

-- Every change of a tenant's prepaid SMS credit (append-only); tenants.credit_fen is its sum.
CREATE TABLE sms_credit_ledger (
  tenant_id         bigint NOT NULL REFERENCES tenants(id),
  id                bigint GENERATED ALWAYS AS IDENTITY,
  delta_fen         bigint NOT NULL,
  balance_after_fen bigint NOT NULL CHECK (balance_after_fen >= 0),
  reason            text NOT NULL,
  ref_type          text,
  ref_id            text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

-- Row-level security on every tenant-owned table.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['org_nodes', 'roles', 'operators', 'api_keys', 'audit_log', 'sms_credit_ledger'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON org_nodes, roles, operators, api_keys TO memberdesk_app;
GRANT SELECT, INSERT ON audit_log, sms_credit_ledger TO memberdesk_app;
