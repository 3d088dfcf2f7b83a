-- Members, continued: indexes the member search and the joining workflow need, and the
-- throttle for PII-view audit entries.

-- q= fragments of 1–2 characters (a surname such as 张) cannot use pg_trgm; they match a name
-- prefix through this btree. It also serves name + birthday duplicate checks (equality).
CREATE INDEX members_name_prefix ON members (tenant_id, name text_pattern_ops);
-- tier= and storeId= filters with keyset pagination on id; the store index also backs the
-- foreign key to org_nodes.
CREATE INDEX members_tier ON members (tenant_id, tier_code, id DESC);
CREATE INDEX members_store ON members (tenant_id, store_id, id DESC);
-- attribute filters (segments) and "is this attribute in use?" (attributes ? key)
CREATE INDEX members_attributes ON members USING gin (attributes);
-- duplicate name + birthday among applications
CREATE INDEX member_applications_name ON member_applications (tenant_id, name, birthday);

-- When an operator (or API key) last saw a member's unmasked personal data. One row per
-- viewer and member; an audit entry 'member.pii_view' is written only when the row is new or
-- older than an hour, so the console's refetches do not flood the audit log.
CREATE TABLE member_pii_views (
  tenant_id       bigint NOT NULL REFERENCES tenants(id),
  viewer_type     text NOT NULL,
  viewer_id       bigint NOT NULL,
  member_id       bigint NOT NULL,
  viewed_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, viewer_type, viewer_id, member_id),
  FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);
ALTER TABLE member_pii_views ENABLE ROW LEVEL SECURITY;
ALTER TABLE member_pii_views FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON member_pii_views USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON member_pii_views TO memberdesk_app;

-- Row-level security lets the planner evaluate a query's own conditions before the policy
-- only when their functions are LEAKPROOF; otherwise no index can serve them. LIKE/ILIKE
-- (the pg_trgm GIN indexes of 0002) and array @> (the tags index) are not marked so, so under
-- RLS every `q=` search and `tag=` filter was a scan of the whole table. Their results depend
-- only on their arguments and their only errors are about the pattern, which the application
-- writes, so marking them is safe here. pg_proc is per database: this changes only
-- memberdesk's. It needs a superuser (as the embedded server and CI run migrations); without
-- one the searches stay correct but slow, and the notice says so.
DO $$
BEGIN
  ALTER FUNCTION textlike(text, text) LEAKPROOF;
  ALTER FUNCTION texticlike(text, text) LEAKPROOF;
  ALTER FUNCTION arraycontains(anyarray, anyarray) LEAKPROOF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'memberdesk: not a superuser, so LIKE and @> stay non-leakproof: member search by fragment or tag cannot use its indexes under row-level security';
END $$;
