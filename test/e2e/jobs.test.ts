import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJobs, type JobRunner } from '../../src/platform/jobs/queue.js';
import { purgeExpiredSessions } from '../../src/platform/tenancy/auth.service.js';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';

let database: TestDatabase;
let jobs: JobRunner;

beforeAll(async () => {
  database = await createTestDatabase();
  jobs = await startJobs({
    url: database.url,
    log: pino({ level: 'silent' }),
    scheduled: [{ name: 'sessions.purge', cron: '*/10 * * * *', data: { platform: true }, handler: () => purgeExpiredSessions(database.db) }],
  });
});
afterAll(async () => {
  await jobs?.stop();
  await database?.drop();
});

describe('pg-boss jobs', () => {
  it('schedules the session purge and runs it, deleting only expired sessions', async () => {
    const schedules = await jobs.boss.getSchedules();
    expect(schedules.map((s) => s.name)).toContain('sessions.purge');

    await database.pool.query(`insert into platform_users (username, password_hash) values ('u', 'x')`);
    await database.pool.query(
      `insert into auth_sessions (token_hash, csrf_token, principal, user_id, expires_at) values
         ('\\x01', 'c', 'platform', 1, now() - interval '1 hour'),
         ('\\x02', 'c', 'platform', 1, now() + interval '1 hour')`,
    );
    const id = await jobs.boss.send('sessions.purge', { platform: true });
    const deadline = Date.now() + 20_000;
    let state = '';
    while (Date.now() < deadline) {
      state = (await jobs.boss.getJobById('sessions.purge', id!))?.state ?? '';
      if (state === 'completed' || state === 'failed') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(state).toBe('completed');
    const left = await database.pool.query(`select encode(token_hash, 'hex') as h from auth_sessions`);
    expect(left.rows.map((r) => r.h)).toEqual(['02']);
  });
});
