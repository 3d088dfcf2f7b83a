import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createTenant, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** Every route that takes an id answers 404 for another merchant's object, and never touches it. */
let server: TestServer;
let a: Client;
let b: Client;
const ids: Record<string, string> = {};

beforeAll(async () => {
  server = await startTestServer();
  const admin = await loginAdmin(server.baseUrl);
  a = (await createTenant(server.baseUrl, admin, 'alpha', '61')).api;
  b = (await createTenant(server.baseUrl, admin, 'beta', '62')).api;
  const hq = (await a.get('/api/v1/org/nodes')).body.items[0];
  ids.node = (await a.post('/api/v1/org/nodes', { parentId: hq.id, kind: 'store', name: 'A store' })).body.id;
  ids.role = (await a.post('/api/v1/roles', { code: 'a-role', name: 'A role', permissions: ['org.read'] })).body.id;
  ids.operator = (await a.post('/api/v1/operators', { username: 'a-clerk', password: 'a-clerk-pass', name: 'A', roleId: ids.role, orgNodeId: ids.node })).body.id;
  ids.key = (await a.post('/api/v1/api-keys', { name: 'A key', permissions: ['org.read'] })).body.id;
  ids.hq = hq.id;
});
afterAll(async () => server?.close());

describe('another merchant cannot reach these objects', () => {
  const cases: [string, string, unknown?][] = [
    ['GET', '/api/v1/org/nodes/{node}'],
    ['PATCH', '/api/v1/org/nodes/{node}', { name: 'hijacked' }],
    ['DELETE', '/api/v1/org/nodes/{node}'],
    ['GET', '/api/v1/roles/{role}'],
    ['PATCH', '/api/v1/roles/{role}', { name: 'hijacked' }],
    ['DELETE', '/api/v1/roles/{role}'],
    ['GET', '/api/v1/operators/{operator}'],
    ['PATCH', '/api/v1/operators/{operator}', { name: 'hijacked' }],
    ['DELETE', '/api/v1/api-keys/{key}'],
  ];
  for (const [method, template, body] of cases) {
    it(`${method} ${template} → 404`, async () => {
      const path = template.replace(/\{(\w+)\}/, (_m, k: string) => ids[k]!);
      const res = await b.call(method, path, body);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    });
  }

  it('left every object of merchant A untouched', async () => {
    expect((await a.get(`/api/v1/org/nodes/${ids.node}`)).body.name).toBe('A store');
    expect((await a.get(`/api/v1/roles/${ids.role}`)).body.name).toBe('A role');
    expect((await a.get(`/api/v1/operators/${ids.operator}`)).body.name).toBe('A');
    expect((await a.get('/api/v1/api-keys')).body.items[0].revokedAt).toBeNull();
  });

  it('does not let B attach its operators to A’s roles or nodes', async () => {
    const bHq = (await b.get('/api/v1/org/nodes')).body.items[0];
    const bRole = (await b.get('/api/v1/roles')).body.items[2];
    expect((await b.post('/api/v1/operators', { username: 'x1', password: 'password-x', name: 'x', roleId: ids.role, orgNodeId: bHq.id })).status).toBe(400);
    expect((await b.post('/api/v1/operators', { username: 'x2', password: 'password-x', name: 'x', roleId: bRole.id, orgNodeId: ids.node })).status).toBe(400);
    expect((await b.post('/api/v1/org/nodes', { parentId: ids.hq, kind: 'store', name: 'x' })).status).toBe(400);
  });

  it('lists only its own rows', async () => {
    const names = (await b.get('/api/v1/org/nodes')).body.items.map((n: any) => n.name);
    expect(names).not.toContain('A store');
    expect((await b.get('/api/v1/operators')).body.items.map((o: any) => o.username)).toEqual(['owner']);
    expect((await b.get('/api/v1/api-keys')).body.items).toEqual([]);
    const audit = (await b.get('/api/v1/audit-log?limit=500')).body.items;
    expect(audit.every((e: any) => e.targetId !== ids.operator)).toBe(true);
  });

  it('refuses an API key whose tenant id was swapped for another merchant', async () => {
    const key = (await a.post('/api/v1/api-keys', { name: 'forge', permissions: ['org.read'] })).body.key as string;
    const bId = (await b.get('/api/v1/tenant')).body.id;
    const forged = key.replace(/^mdk_\d+_/, `mdk_${bId}_`);
    expect((await client(server.baseUrl, forged).get('/api/v1/org/nodes')).status).toBe(401);
    expect((await client(server.baseUrl, key).get('/api/v1/org/nodes')).status).toBe(200);
  });
});
