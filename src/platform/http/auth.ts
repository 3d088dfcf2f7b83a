import DataLoader from 'dataloader';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { parseApiKey, tokenHash } from '../tenancy/credentials.js';
import { isPermission, type Permission } from '../tenancy/permissions.rules.js';
import { AppError, forbidden, unauthorized } from './problem.js';

export const SESSION_COOKIE = 'md_session';
export const CSRF_COOKIE = 'md_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** Who is calling. Every route handler that touches tenant data gets its tenant from here. */
export interface Principal {
  kind: 'platform' | 'operator' | 'api_key';
  id: string;
  name: string;
  username: string | null;
  role: { code: string; name: string } | null;
  tenantId: string | null;
  tenantSlug: string | null;
  permissions: ReadonlySet<Permission>;
  /** Materialised org path of the data scope ('/1/' = the whole tenant); null for the platform. */
  scopePath: string | null;
  orgNodeId: string | null;
  sessionHash: Buffer | null;
}

/** The tenant-scoped view of a principal: what services receive. */
export interface TenantActor {
  tenantId: string;
  type: 'operator' | 'api_key';
  id: string;
  name: string;
  permissions: ReadonlySet<Permission>;
  scopePath: string;
  ip: string;
}

export type RouteAccess = 'public' | 'authenticated' | 'platform' | 'tenant';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    /** Required permission; a list means any one of them. */
    permission?: Permission | readonly Permission[];
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface SessionRow {
  principal: 'platform' | 'operator';
  tenant_id: string | null;
  user_id: string;
  csrf_token: string;
  name: string;
  username: string;
  role_code: string | null;
  role_name: string | null;
  permissions: string[];
  path: string | null;
  org_node_id: string | null;
  slug: string | null;
}

interface ApiKeyRow {
  id: string;
  name: string;
  permissions: string[];
  path: string;
  slug: string;
}

// The functions of migrations/0006_auth_fast_path.sql, for every credential of a batch at once.
const SESSIONS_QUERY = `select u.i::int AS i, s.principal, s.tenant_id::text, s.user_id::text, s.csrf_token, s.name, s.username, s.role_code,
       s.role_name, s.permissions, s.path, s.org_node_id::text, s.slug
  from unnest($1::bytea[]) with ordinality as u(h, i) cross join lateral auth_session(u.h) s`;
const API_KEYS_QUERY = `select u.i::int AS i, k.id::text, k.name, k.permissions, k.path, k.slug
  from unnest($1::bigint[], $2::bytea[]) with ordinality as u(t, h, i) cross join lateral auth_api_key(u.t, u.h) k`;

/**
 * Credential lookups of the requests that arrive in one turn of the event loop go to
 * PostgreSQL as one query (DataLoader, flushed on setImmediate, no caching): under load a
 * round trip per request was a large share of a request's cost. Every lookup still reads the
 * database after its request arrived, so a revoked session is refused at once.
 */
interface Lookups {
  sessions: DataLoader<string, SessionRow | null>;
  apiKeys: DataLoader<string, ApiKeyRow | null>;
}
const lookupsByPool = new WeakMap<pg.Pool, Lookups>();

/** Runs `query` once for the distinct keys and answers every key (row `i` is the i-th distinct key, from 1). */
async function batchOf<R extends { i: number }>(keys: readonly string[], query: (distinct: string[]) => Promise<R[]>): Promise<(R | null)[]> {
  const distinct = [...new Set(keys)];
  const rows = await query(distinct);
  const byKey = new Map<string, R>();
  for (const r of rows) byKey.set(distinct[r.i - 1]!, r);
  return keys.map((k) => byKey.get(k) ?? null);
}

function lookupsOf(pool: pg.Pool): Lookups {
  let l = lookupsByPool.get(pool);
  if (!l) {
    const options = { cache: false, batchScheduleFn: (flush: () => void) => setImmediate(flush), maxBatchSize: 500 };
    l = {
      // keys: hex of the token hash
      sessions: new DataLoader<string, SessionRow | null>(
        (keys) => batchOf(keys, async (d) => (await pool.query<SessionRow & { i: number }>(SESSIONS_QUERY, [d.map((h) => Buffer.from(h, 'hex'))])).rows),
        options,
      ),
      // keys: "<tenant id>:<hex of the key hash>"
      apiKeys: new DataLoader<string, ApiKeyRow | null>(
        (keys) =>
          batchOf(keys, async (d) => {
            const parts = d.map((k) => k.split(':') as [string, string]);
            return (await pool.query<ApiKeyRow & { i: number }>(API_KEYS_QUERY, [parts.map((p) => p[0]), parts.map((p) => Buffer.from(p[1], 'hex'))])).rows;
          }),
        options,
      ),
    };
    lookupsByPool.set(pool, l);
  }
  return l;
}

async function apiKeyPrincipal(pool: pg.Pool, key: string): Promise<Principal | null> {
  const parsed = parseApiKey(key);
  // a tenant id beyond bigint names no tenant (and must not fail the batch it would join)
  if (!parsed || BigInt(parsed.tenantId) > 9_223_372_036_854_775_807n) return null;
  const row = await lookupsOf(pool).apiKeys.load(`${parsed.tenantId}:${tokenHash(key).toString('hex')}`);
  if (!row) return null;
  return {
    kind: 'api_key',
    id: row.id,
    name: `API key ${row.name}`,
    username: null,
    role: null,
    tenantId: parsed.tenantId,
    tenantSlug: row.slug,
    permissions: new Set(row.permissions.filter(isPermission)),
    scopePath: row.path,
    orgNodeId: null,
    sessionHash: null,
  };
}

/** Resolves the caller from a bearer token or the console's session cookie. */
export async function resolvePrincipal(pool: pg.Pool, request: FastifyRequest): Promise<Principal | null> {
  const header = request.headers.authorization;
  let token: string | undefined;
  let viaCookie = false;
  if (header) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw unauthorized('Authorization header must be "Bearer <token>"');
    token = m[1]!;
  } else if (request.cookies?.[SESSION_COOKIE]) {
    token = request.cookies[SESSION_COOKIE];
    viaCookie = true;
  }
  if (!token) return null;
  if (token.startsWith('mdk_')) return apiKeyPrincipal(pool, token);

  const hash = tokenHash(token);
  const row = await lookupsOf(pool).sessions.load(hash.toString('hex'));
  if (!row) return null;
  // A cookie travels with cross-site requests; a header the page must read from our own
  // cookie does not. Bearer tokens are not sent automatically, so they need no such check.
  if (viaCookie && !SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== row.csrf_token) {
    throw new AppError(403, 'csrf', 'Missing or wrong CSRF token (send the md_csrf cookie value in the X-CSRF-Token header)');
  }
  if (row.principal === 'platform') {
    return {
      kind: 'platform',
      id: row.user_id,
      name: row.username,
      username: row.username,
      role: null,
      tenantId: null,
      tenantSlug: null,
      permissions: new Set(),
      scopePath: null,
      orgNodeId: null,
      sessionHash: hash,
    };
  }
  return {
    kind: 'operator',
    id: row.user_id,
    name: row.name || row.username,
    username: row.username,
    role: { code: row.role_code!, name: row.role_name! },
    tenantId: row.tenant_id,
    tenantSlug: row.slug,
    permissions: new Set(row.permissions.filter(isPermission)),
    scopePath: row.path,
    orgNodeId: row.org_node_id,
    sessionHash: hash,
  };
}

/** Installs the access check every route declares in `config.access` (default: tenant). */
export function installAuth(app: FastifyInstance, pool: pg.Pool) {
  app.decorateRequest('principal', null);
  app.addHook('preHandler', async (request: FastifyRequest, _reply: FastifyReply) => {
    const cfg = request.routeOptions.config;
    // API routes default to tenant-only (fail closed); unmatched URLs fall through to the 404
    // handler; static files and docs are public.
    const access: RouteAccess = request.is404 ? 'public' : (cfg?.access ?? (request.url.startsWith('/api/v1/') ? 'tenant' : 'public'));
    if (access === 'public') return;
    const principal = await resolvePrincipal(pool, request);
    if (!principal) throw unauthorized();
    request.principal = principal;
    if (access === 'platform' && principal.kind !== 'platform') throw forbidden('This is a platform administrator route');
    if (access === 'tenant') {
      if (!principal.tenantId) throw forbidden('This route belongs to a merchant; log in as one of its operators');
      const needed = cfg?.permission === undefined ? [] : typeof cfg.permission === 'string' ? [cfg.permission] : cfg.permission;
      if (needed.length > 0 && !needed.some((p) => principal.permissions.has(p))) {
        throw forbidden(`Missing permission ${needed.join(' or ')}`);
      }
    }
  });
}

/** The tenant actor of a request on a tenant route; throws (fails closed) when there is none. */
export function tenantActor(request: FastifyRequest): TenantActor {
  const p = request.principal;
  if (!p || !p.tenantId || !p.scopePath || p.kind === 'platform') throw forbidden('No tenant in this request');
  return {
    tenantId: p.tenantId,
    type: p.kind,
    id: p.id,
    name: p.name,
    permissions: p.permissions,
    scopePath: p.scopePath,
    ip: request.ip,
  };
}
