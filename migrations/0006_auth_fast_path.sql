-- Authentication in one round trip. Every API request resolves its caller; doing it as
-- separate queries (session, then BEGIN / set tenant / operator / COMMIT) cost five round trips
-- and two pool checkouts per request. These functions run as the caller (memberdesk_app, so
-- row-level security still applies): they set app.tenant_id for the lookup themselves and clear
-- it before returning.

CREATE OR REPLACE FUNCTION auth_session(p_hash bytea)
RETURNS TABLE (principal text, tenant_id bigint, user_id bigint, csrf_token text, name text, username text,
               role_code text, role_name text, permissions text[], path text, org_node_id bigint, slug text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  s auth_sessions%ROWTYPE;
BEGIN
  SELECT * INTO s FROM auth_sessions a WHERE a.token_hash = p_hash AND a.revoked_at IS NULL AND a.expires_at > now();
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF s.principal = 'platform' THEN
    RETURN QUERY
      SELECT s.principal, NULL::bigint, s.user_id, s.csrf_token, u.username, u.username,
             NULL::text, NULL::text, '{}'::text[], NULL::text, NULL::bigint, NULL::text
        FROM platform_users u WHERE u.id = s.user_id;
    RETURN;
  END IF;
  PERFORM set_config('app.tenant_id', s.tenant_id::text, true);
  RETURN QUERY
    SELECT s.principal, s.tenant_id, o.id, s.csrf_token, o.name, o.username,
           r.code, r.name, r.permissions, n.path, o.org_node_id, t.slug
      FROM operators o
      JOIN roles r ON r.tenant_id = o.tenant_id AND r.id = o.role_id
      JOIN org_nodes n ON n.tenant_id = o.tenant_id AND n.id = o.org_node_id
      JOIN tenants t ON t.id = o.tenant_id
     WHERE o.tenant_id = s.tenant_id AND o.id = s.user_id AND o.status = 'active' AND t.status = 'active';
  PERFORM set_config('app.tenant_id', '', true);
END $$;

-- API keys name their tenant (mdk_<tenant>_<secret>). last_used_at is written at most once a
-- minute: a POS calling many times a second must not turn every read into a write.
CREATE OR REPLACE FUNCTION auth_api_key(p_tenant bigint, p_hash bytea)
RETURNS TABLE (id bigint, name text, permissions text[], path text, slug text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  k_id bigint;
  k_name text;
  k_permissions text[];
  k_last timestamptz;
BEGIN
  PERFORM set_config('app.tenant_id', p_tenant::text, true);
  SELECT k.id, k.name, k.permissions, k.last_used_at INTO k_id, k_name, k_permissions, k_last
    FROM api_keys k WHERE k.tenant_id = p_tenant AND k.key_hash = p_hash AND k.revoked_at IS NULL;
  IF FOUND THEN
    IF k_last IS NULL OR k_last < now() - interval '1 minute' THEN
      UPDATE api_keys k SET last_used_at = now() WHERE k.tenant_id = p_tenant AND k.id = k_id;
    END IF;
    RETURN QUERY
      SELECT k_id, k_name, k_permissions, n.path, t.slug
        FROM org_nodes n JOIN tenants t ON t.id = n.tenant_id
       WHERE n.tenant_id = p_tenant AND n.parent_id IS NULL AND t.status = 'active';
  END IF;
  PERFORM set_config('app.tenant_id', '', true);
END $$;

GRANT EXECUTE ON FUNCTION auth_session(bytea), auth_api_key(bigint, bytea) TO memberdesk_app;
