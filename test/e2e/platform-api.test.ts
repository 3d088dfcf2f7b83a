import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createTenant, login, loginAdmin } from '../support/http.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let admin: ReturnType<typeof client>;

beforeAll(async () => {
  server = await startTestServer();
  admin = client(server.baseUrl, await loginAdmin(server.baseUrl));
});
afterAll(async () => server?.close());

describe('running', () => {
  it('answers /healthz, /metrics, the OpenAPI document and its docs', async () => {
    const anon = client(server.baseUrl);
    expect((await anon.get('/healthz')).body).toMatchObject({ status: 'ok' });
    const metrics = await anon.get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('memberdesk_http_request_duration_seconds');
    const doc = await anon.get('/api/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/v1/auth/login', '/api/v1/platform/tenants', '/api/v1/org/nodes']));
    expect((await anon.get('/api/docs/')).status).toBe(200);
    expect((await anon.get('/healthz')).headers.get('x-request-id')).toMatch(/[0-9a-f-]{36}/);
  });

  it('serves problem+json for unknown API routes and 401 without credentials', async () => {
    const anon = client(server.baseUrl);
    const missing = await anon.get('/api/v1/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    const noAuth = await anon.get('/api/v1/platform/tenants');
    expect(noAuth.status).toBe(401);
    expect(noAuth.body).toMatchObject({ status: 401, title: 'Unauthorized' });
  });
});

describe('platform administrator', () => {
  it('logs in, creates merchants with ports, tops up credit, and logs out', async () => {
    const created = await admin.post('/api/v1/platform/tenants', {
      slug: 'golden-tea',
      name: '金茶楼',
      smsExtension: '01',
      timezone: 'Asia/Shanghai',
      smsPriceFen: 6,
      admin: { username: 'boss', password: 'boss-password-1' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ slug: 'golden-tea', smsExtension: '01', smsPort: '106570216001', smsPriceFen: 6, creditFen: 0, currency: 'CNY' });

    const defaults = await admin.post('/api/v1/platform/tenants', { slug: 'jade-spa', name: '玉足疗', smsExtension: '02', admin: { username: 'boss', password: 'boss-password-1' } });
    expect(defaults.body).toMatchObject({ timezone: 'Asia/Shanghai', currency: 'CNY', smsPriceFen: 5 });

    const credit = await admin.post('/api/v1/platform/tenants/golden-tea/sms-credit', { amountFen: 10000 });
    expect(credit).toMatchObject({ status: 200, body: { creditFen: 10000 } });
    expect((await admin.post('/api/v1/platform/tenants/golden-tea/sms-credit', { amountFen: 550 })).body).toEqual({ creditFen: 10550 });

    const list = await admin.get('/api/v1/platform/tenants?limit=1');
    expect(list.body.items).toHaveLength(1);
    expect(list.body.nextCursor).toEqual(expect.any(String));
    const page2 = await admin.get(`/api/v1/platform/tenants?limit=1&cursor=${list.body.nextCursor}`);
    expect(page2.body.items[0].slug).not.toBe(list.body.items[0].slug);
  });

  it('refuses duplicate slugs and extensions that prefix each other with 409', async () => {
    const base = { name: 'X', admin: { username: 'boss', password: 'boss-password-1' } };
    expect((await admin.post('/api/v1/platform/tenants', { ...base, slug: 'golden-tea', smsExtension: '77' })).status).toBe(409);
    for (const ext of ['01', '011', '0']) {
      const res = await admin.post('/api/v1/platform/tenants', { ...base, slug: `clash-${ext}`, smsExtension: ext });
      expect(res.status, ext).toBe(409);
      expect(res.body.errors).toEqual([{ path: 'body.smsExtension', message: expect.stringContaining('clashes') }]);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    for (const ext of ['1234567', 'a1', '']) {
      expect((await admin.post('/api/v1/platform/tenants', { ...base, slug: 'bad-ext', smsExtension: ext })).status, ext).toBe(400);
    }
  });

  it('reads the platform audit log', async () => {
    const log = await admin.get('/api/v1/platform/audit-log?action=tenant.sms_credit');
    expect(log.status).toBe(200);
    expect(log.body.items.map((e: any) => e.detail.amountFen)).toEqual([550, 10000]);
    expect(log.body.items[0]).toMatchObject({ actorName: 'admin', target: 'golden-tea' });
  });

  it('logout revokes the token', async () => {
    const token = await loginAdmin(server.baseUrl);
    const c = client(server.baseUrl, token);
    expect((await c.get('/api/v1/platform/tenants')).status).toBe(200);
    expect((await c.post('/api/v1/auth/logout')).status).toBe(204);
    expect((await c.get('/api/v1/platform/tenants')).status).toBe(401);
  });
});

describe('merchant administrator', () => {
  it('builds an org tree, roles, operators, API keys and reads the audit log', async () => {
    const { api } = await createTenant(server.baseUrl, (await loginAdmin(server.baseUrl)), 'story', '31');
    const hq = (await api.get('/api/v1/org/nodes')).body.items[0];
    expect(hq).toMatchObject({ kind: 'headquarters', parentId: null });

    const region = await api.post('/api/v1/org/nodes', { parentId: hq.id, kind: 'region', name: '华东区' });
    expect(region.status).toBe(201);
    const s1 = (await api.post('/api/v1/org/nodes', { parentId: region.body.id, kind: 'store', name: '南京西路店' })).body;
    const s2 = (await api.post('/api/v1/org/nodes', { parentId: region.body.id, kind: 'store', name: '淮海路店' })).body;
    expect((await api.post('/api/v1/org/nodes', { parentId: s1.id, kind: 'store', name: 'under a store' })).status).toBe(400);
    const tree = (await api.get('/api/v1/org/nodes')).body.items;
    expect(tree.map((n: any) => n.name)).toEqual([hq.name, '华东区', '南京西路店', '淮海路店']);
    expect((await api.del(`/api/v1/org/nodes/${region.body.id}`)).status).toBe(409);

    const roles = (await api.get('/api/v1/roles')).body.items;
    expect(roles.map((r: any) => r.code)).toEqual(['owner', 'manager', 'clerk']);
    const cashier = await api.post('/api/v1/roles', { code: 'cashier', name: '收银', permissions: ['members.read', 'loyalty.write', 'org.read'] });
    expect(cashier.status).toBe(201);
    expect((await api.post('/api/v1/roles', { code: 'bad', name: 'x', permissions: ['fly.to.moon'] })).status).toBe(400);
    expect((await api.patch(`/api/v1/roles/${roles[0].id}`, { name: 'x' })).status).toBe(409);

    const clerk = roles.find((r: any) => r.code === 'clerk');
    const manager = roles.find((r: any) => r.code === 'manager');
    const op = await api.post('/api/v1/operators', { username: 'Xiaowang', password: 'clerk-password', name: '小王', roleId: clerk.id, orgNodeId: s1.id });
    expect(op.status).toBe(201);
    expect(op.body).toMatchObject({ username: 'xiaowang', role: { code: 'clerk' }, orgNode: { name: '南京西路店' } });
    expect((await api.post('/api/v1/operators', { username: 'xiaowang', password: 'clerk-password', name: 'dup', roleId: clerk.id, orgNodeId: s1.id })).status).toBe(409);
    const mgr = await api.post('/api/v1/operators', { username: 'regional', password: 'manager-password', name: '区域经理', roleId: manager.id, orgNodeId: region.body.id });
    expect(mgr.status).toBe(201);

    // The clerk logs in and sees only its store; it cannot manage operators.
    const clerkApi = client(server.baseUrl, await login(server.baseUrl, 'xiaowang', 'clerk-password', 'story'));
    expect((await clerkApi.get('/api/v1/auth/me')).body).toMatchObject({
      user: { username: 'xiaowang', name: '小王', kind: 'operator', role: { code: 'clerk' } },
      tenant: { slug: 'story' },
    });
    expect((await clerkApi.get('/api/v1/org/nodes')).body.items.map((n: any) => n.name)).toEqual(['南京西路店']);
    expect((await clerkApi.get('/api/v1/operators')).status).toBe(403);
    expect((await clerkApi.get(`/api/v1/org/nodes/${s2.id}`)).status).toBe(404);
    expect((await clerkApi.get('/api/v1/platform/tenants')).status).toBe(403);

    // A role with roles.manage alone can list the roles it edits.
    const rolesOnly = await api.post('/api/v1/roles', { code: 'role-admin', name: 'roles', permissions: ['roles.manage'] });
    await api.post('/api/v1/operators', { username: 'roler', password: 'roler-password', name: 'r', roleId: rolesOnly.body.id, orgNodeId: hq.id });
    const rolerApi = client(server.baseUrl, await login(server.baseUrl, 'roler', 'roler-password', 'story'));
    expect((await rolerApi.get('/api/v1/roles')).status).toBe(200);
    expect((await rolerApi.get('/api/v1/operators')).status).toBe(403);

    // The regional manager sees its region and below, and cannot mint an owner.
    const mgrApi = client(server.baseUrl, await login(server.baseUrl, 'regional', 'manager-password', 'story'));
    expect((await mgrApi.get('/api/v1/org/nodes')).body.items).toHaveLength(3);
    expect((await mgrApi.get('/api/v1/operators')).body.items.map((o: any) => o.username).sort()).toEqual(['regional', 'xiaowang']);
    const owner = roles.find((r: any) => r.code === 'owner');
    expect((await mgrApi.post('/api/v1/operators', { username: 'evil', password: 'evil-password', name: 'e', roleId: owner.id, orgNodeId: s1.id })).status).toBe(403);
    expect((await mgrApi.post('/api/v1/operators', { username: 'evil', password: 'evil-password', name: 'e', roleId: clerk.id, orgNodeId: hq.id })).status).toBe(400);

    // Disabling an operator ends its sessions.
    expect((await api.patch(`/api/v1/operators/${op.body.id}`, { status: 'disabled' })).body.status).toBe('disabled');
    expect((await clerkApi.get('/api/v1/org/nodes')).status).toBe(401);

    // API key: shown once, works as a bearer token with its permissions only, revocable.
    const key = await api.post('/api/v1/api-keys', { name: 'POS 1', permissions: ['org.read'] });
    expect(key.status).toBe(201);
    expect(key.body.key).toMatch(/^mdk_\d+_/);
    const pos = client(server.baseUrl, key.body.key);
    expect((await pos.get('/api/v1/org/nodes')).body.items).toHaveLength(4);
    expect((await pos.get('/api/v1/operators')).status).toBe(403);
    const listed = (await api.get('/api/v1/api-keys')).body.items;
    expect(listed[0]).not.toHaveProperty('key');
    expect(listed[0].lastUsedAt).not.toBeNull();
    expect((await api.del(`/api/v1/api-keys/${key.body.id}`)).status).toBe(204);
    expect((await pos.get('/api/v1/org/nodes')).status).toBe(401);

    const audit = (await api.get('/api/v1/audit-log?limit=100')).body.items.map((e: any) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['tenant.create', 'auth.login', 'org.create', 'role.create', 'operator.create', 'operator.update', 'apikey.create', 'apikey.revoke']));
    expect((await api.get('/api/v1/audit-log?action=org.create')).body.items).toHaveLength(3);
  });
});

describe('login throttling and sessions', () => {
  it('answers 429 after 10 failures for one tenant + username, existing or not', async () => {
    const anon = client(server.baseUrl);
    const adminToken = await loginAdmin(server.baseUrl); // before the lock
    for (const username of ['admin', 'ghost']) {
      for (let i = 0; i < 10; i++) {
        const r = await anon.post('/api/v1/auth/login', { username, password: 'wrong-password' });
        expect(r.status, `attempt ${i + 1} for ${username}`).toBe(401);
      }
      const locked = await anon.post('/api/v1/auth/login', { username, password: username === 'admin' ? ADMIN_PASSWORD : 'x' });
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    }
    // A merchant's operator of the same name is a different account and is not locked.
    await client(server.baseUrl, adminToken).post('/api/v1/platform/tenants', {
      slug: 'unlocked', name: 'U', smsExtension: '41', admin: { username: 'admin', password: 'tenant-admin-pw' },
    });
    expect((await anon.post('/api/v1/auth/login', { username: 'admin', password: 'tenant-admin-pw', tenant: 'unlocked' })).status).toBe(200);
    // (the lock would otherwise last 15 minutes; later tests log in as admin)
    await server.database.pool.query(`delete from login_failures`);
  });

  it('protects cookie sessions against CSRF', async () => {
    const res = await fetch(server.baseUrl + '/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const cookies = res.headers.getSetCookie();
    expect(cookies.find((c) => c.startsWith('md_session='))).toMatch(/HttpOnly/i);
    const cookieHeader = cookies.map((c) => c.split(';')[0]).join('; ');
    const csrf = cookies.find((c) => c.startsWith('md_csrf='))!.split(';')[0]!.split('=')[1]!;
    const get = await fetch(server.baseUrl + '/api/v1/platform/tenants', { headers: { cookie: cookieHeader } });
    expect(get.status).toBe(200);
    const body = JSON.stringify({ slug: 'csrf-test', name: 'c', smsExtension: '55', admin: { username: 'a1', password: 'password-1' } });
    const noToken = await fetch(server.baseUrl + '/api/v1/platform/tenants', { method: 'POST', headers: { cookie: cookieHeader, 'content-type': 'application/json' }, body });
    expect(noToken.status).toBe(403);
    const withToken = await fetch(server.baseUrl + '/api/v1/platform/tenants', {
      method: 'POST',
      headers: { cookie: cookieHeader, 'content-type': 'application/json', 'x-csrf-token': csrf },
      body,
    });
    expect(withToken.status).toBe(201);
  });
});

describe('console shell', () => {
  it('serves the app shell for client routes, even with dots, and caches hashed assets forever', async () => {
    const anon = client(server.baseUrl);
    for (const p of ['/', '/operators', '/operators/jane.doe']) {
      const res = await fetch(server.baseUrl + p);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type'), p).toContain('text/html');
      expect(res.headers.get('cache-control'), p).toBe('no-cache');
    }
    const html = await (await fetch(server.baseUrl + '/')).text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(server.baseUrl + asset);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await anon.get('/assets/missing.js')).status).toBe(404);
  });
});
