/**
 * Credential lookups of concurrent requests share one query (src/platform/http/auth.ts): every
 * request must still get its own answer. Waves of concurrent requests mix live sessions of two
 * merchants, a logged-out session, API keys (live, revoked, malformed, a tenant id beyond bigint)
 * and garbage; each is answered as it would be alone, and no request sees another's merchant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createTenant, login, loginAdmin } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

describe('batched credential lookups', () => {
  it('answer each of many concurrent requests as if it came alone', async () => {
    const admin = await loginAdmin(server.baseUrl);
    const one = await createTenant(server.baseUrl, admin, 'auth-one', '71');
    const two = await createTenant(server.baseUrl, admin, 'auth-two', '72');
    const loggedOut = await login(server.baseUrl, 'owner', 'owner-password-1', 'auth-one');
    expect((await client(server.baseUrl, loggedOut).post('/api/v1/auth/logout')).status).toBe(204);
    const key = await one.api.post('/api/v1/api-keys', { name: 'POS', permissions: ['org.read'] });
    expect(key.status).toBe(201);
    const revoked = await two.api.post('/api/v1/api-keys', { name: 'old POS', permissions: ['org.read'] });
    expect((await two.api.del(`/api/v1/api-keys/${revoked.body.id}`)).status).toBe(204);

    const cases: { token: string; expect: number; slug?: string }[] = [
      { token: one.token, expect: 200, slug: 'auth-one' },
      { token: two.token, expect: 200, slug: 'auth-two' },
      { token: admin, expect: 200 },
      { token: loggedOut, expect: 401 },
      { token: key.body.key, expect: 200, slug: 'auth-one' },
      { token: revoked.body.key, expect: 401 },
      { token: `mdk_99999999999999999999_${'a'.repeat(43)}`, expect: 401 },
      { token: `mdk_9999999999999999999_${'a'.repeat(43)}`, expect: 401 },
      { token: `mdk_${one.tenant.id}_${'b'.repeat(43)}`, expect: 401 },
      { token: 'not-a-token', expect: 401 },
    ];
    for (let wave = 0; wave < 5; wave++) {
      const sent = Array.from({ length: 60 }, (_, i) => cases[(i * 7 + wave) % cases.length]!);
      const answers = await Promise.all(sent.map((c) => client(server.baseUrl, c.token).get('/api/v1/auth/me')));
      answers.forEach((res, i) => {
        const c = sent[i]!;
        expect(res.status, `${c.token.slice(0, 12)}…`).toBe(c.expect);
        if (c.slug) expect(res.body.tenant?.slug ?? res.body.tenantSlug).toBe(c.slug);
      });
    }
  });
});
