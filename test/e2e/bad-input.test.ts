import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createTenant, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** Bad input gets a clear 4xx problem document and changes nothing; never a 500. */
let server: TestServer;
let admin: Client;
let owner: Client;
let adminToken: string;

beforeAll(async () => {
  server = await startTestServer({ MEMBERDESK_BODY_LIMIT: '65536' });
  adminToken = await loginAdmin(server.baseUrl);
  admin = client(server.baseUrl, adminToken);
  owner = (await createTenant(server.baseUrl, adminToken, 'fuzz', '71')).api;
});
afterAll(async () => server?.close());

async function raw(path: string, init: RequestInit & { headers?: Record<string, string> }) {
  const res = await fetch(server.baseUrl + path, { ...init, headers: { authorization: `Bearer ${adminToken}`, ...init.headers } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

describe('malformed requests', () => {
  it('413 for an oversized body', async () => {
    const res = await raw('/api/v1/platform/tenants', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(70_000) }) });
    expect(res.status).toBe(413);
    expect(res.type).toContain('application/problem+json');
  });

  it('400 for malformed JSON, 415 for a wrong content type', async () => {
    const bad = await raw('/api/v1/platform/tenants', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"slug": ' });
    expect(bad.status).toBe(400);
    expect(bad.type).toContain('application/problem+json');
    const xml = await raw('/api/v1/platform/tenants', { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' });
    expect(xml.status).toBe(415);
  });

  it('names each offending field', async () => {
    const res = await admin.post('/api/v1/platform/tenants', { slug: 'Bad Slug', name: '', smsExtension: '12', extra: true, admin: { username: 'a' } });
    expect(res.status).toBe(400);
    const paths = res.body.errors.map((e: any) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body.slug', 'body.name', 'body.extra', 'body.admin.password']));
  });

  it('400 for unknown query parameters, bad cursors and ids out of range', async () => {
    expect((await admin.get('/api/v1/platform/tenants?foo=1')).status).toBe(400);
    expect((await owner.get('/api/v1/org/nodes?foo=1')).status).toBe(400);
    expect((await admin.get('/api/v1/platform/tenants?limit=501')).status).toBe(400);
    expect((await admin.get('/api/v1/platform/tenants?cursor=!!!')).status).toBe(400);
    expect((await owner.get('/api/v1/org/nodes/abc')).status).toBe(400);
    expect((await owner.get('/api/v1/org/nodes/99999999999999999999999')).status).toBe(400);
    expect((await owner.get('/api/v1/org/nodes/999999999999')).status).toBe(404);
    expect((await admin.post('/api/v1/platform/tenants/fuzz/sms-credit', { amountFen: -5 })).status).toBe(400);
    expect((await admin.post('/api/v1/platform/tenants/fuzz/sms-credit', { amountFen: 1.5 })).status).toBe(400);
    expect((await admin.post('/api/v1/platform/tenants', { slug: 'tz', name: 'x', smsExtension: '88', timezone: 'Mars/Base', admin: { username: 'ab', password: 'password-1' } })).status).toBe(400);
  });

  it('a bearer header of the wrong shape is a 401, not a crash', async () => {
    for (const header of ['Basic abc', 'Bearer', 'Bearer a b', 'Bearer mdk_1_x']) {
      const res = await fetch(server.baseUrl + '/api/v1/org/nodes', { headers: { authorization: header } });
      expect(res.status, header).toBe(401);
    }
  });
});

describe('fuzzed bodies never produce a 500 and never create anything', () => {
  const jsonValue = fc.jsonValue({ maxDepth: 3 });
  const bodies = fc.oneof(
    jsonValue,
    fc.record({ slug: jsonValue, name: jsonValue, smsExtension: jsonValue, admin: jsonValue }, { requiredKeys: [] }),
    fc.record({ parentId: jsonValue, kind: jsonValue, name: jsonValue }, { requiredKeys: [] }),
  );

  it('platform and org endpoints answer 4xx to garbage', async () => {
    const before = (await admin.get('/api/v1/platform/tenants?limit=500')).body.items.length;
    const nodesBefore = (await owner.get('/api/v1/org/nodes')).body.items.length;
    await fc.assert(
      fc.asyncProperty(bodies, fc.constantFrom('/api/v1/platform/tenants', '/api/v1/org/nodes', '/api/v1/roles', '/api/v1/operators', '/api/v1/auth/login'), async (body, path) => {
        const who = path.startsWith('/api/v1/platform') ? admin : owner;
        const res = await who.post(path, body);
        expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
        expect(res.status, JSON.stringify(body)).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
    expect((await admin.get('/api/v1/platform/tenants?limit=500')).body.items.length).toBe(before);
    expect((await owner.get('/api/v1/org/nodes')).body.items.length).toBe(nodesBefore);
  });
});
