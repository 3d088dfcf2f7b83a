import { describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestServer } from '../support/test-server.js';

describe('graceful shutdown', () => {
  it('waits for handlers whose client already left before the database pool closes', async () => {
    const server = await startTestServer();
    const controller = new AbortController();
    // A login spends ~100 ms hashing before it touches the database; the client gives up at once.
    const abandoned = fetch(`${server.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
      signal: controller.signal,
    }).catch((e: Error) => e.name);
    // abort once its handler has started (drained(0) is false while a handler runs)
    const deadline = Date.now() + 10_000;
    while ((await server.app.drained(0)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    controller.abort();
    expect(await abandoned).toBe('AbortError');
    await server.app.close();
    expect(await server.app.drained(10_000)).toBe(true);
    // the abandoned login ran to its end: its session row exists
    const sessions = await server.database.pool.query('select count(*)::int as n from auth_sessions');
    expect(sessions.rows[0].n).toBe(1);
    await server.database.drop();
  });
});
