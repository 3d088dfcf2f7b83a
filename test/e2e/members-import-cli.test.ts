import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/platform/paths.js';
import { createTenant, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** `npm run cli -- import-members` and `npm run cli -- demo`, spawned as a user would run them,
 * against the test database through DATABASE_URL. */
let server: TestServer;
let api: Client;
let db: pg.Client;
let dir: string;

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: packageRoot(),
      env: { ...process.env, DATABASE_URL: server.database.url, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  server = await startTestServer();
  const admin = await loginAdmin(server.baseUrl);
  api = (await createTenant(server.baseUrl, admin, 'cli-shop', '64')).api;
  expect((await api.post('/api/v1/members/attributes', { key: 'taste', label: '口味', type: 'single', options: ['甜', '咸'] })).status).toBe(201);
  db = new pg.Client({ connectionString: server.database.url });
  await db.connect();
  dir = mkdtempSync(path.join(os.tmpdir(), 'memberdesk-cli-test-'));
});
afterAll(async () => {
  await db?.end();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const count = async (like: string) => (await db.query(`select count(*)::int as n from members where phone like $1`, [like])).rows[0].n as number;

describe('npm run cli -- import-members', () => {
  it('imports a GBK file with a mapping file, shows a progress bar and a summary', async () => {
    const lines = ['电话,名字,口味,无关'];
    for (let i = 0; i < 3000; i++) lines.push(`1520000${String(i).padStart(4, '0')},会员${i},${i % 2 ? '甜' : '咸'},x`);
    const file = path.join(dir, '会员.csv');
    writeFileSync(file, iconv.encode(lines.join('\r\n'), 'gbk'));
    const mapping = path.join(dir, 'mapping.json');
    writeFileSync(mapping, JSON.stringify({ 电话: 'phone', 名字: 'name', 无关: null }));

    const res = await cli(['import-members', file, '--tenant', 'cli-shop', '--mapping', mapping]);
    expect(res.stderr).toContain('csv (gb18030)');
    expect(res.stderr).toMatch(/importing \|.*\| 100% \| 3,000 rows \| 0 with errors/);
    expect(res.stdout).toContain('imported 3,000 new members, merged 0, skipped 0 existing; 0 rows with errors (of 3,000)');
    expect(res.code).toBe(0);
    expect(await count('+86152000%')).toBe(3000);
    const { rows } = await db.query(`select name, attributes, source from members where phone = '+8615200000001'`);
    expect(rows).toEqual([{ name: '会员1', attributes: { taste: '甜' }, source: 'import' }]);
  });

  it('a dry run writes the error report and imports nothing; a merge updates', async () => {
    const file = path.join(dir, 'more.csv');
    writeFileSync(file, ['手机号,姓名,E-mail', '15200000001,改名,Gai@Example.cn', '12345,坏,', '15300000001,新,', '15300000002,坏邮箱,bad@'].join('\n'));
    const dry = await cli(['import-members', file, '--tenant', 'cli-shop', '--dry-run', '--on-duplicate', 'merge']);
    expect(dry.code).toBe(1);
    expect(dry.stderr).toContain('E-mail → email');
    expect(dry.stdout).toContain('dry run: 4 rows; would import 1 new members, merge 1 existing; 2 rows with errors');
    expect(dry.stderr).toContain('3,手机号,12345,is not a valid phone number');
    expect(dry.stderr).toContain('5,E-mail,bad@,is not an email address (local@domain)');
    expect(readFileSync(`${file}.errors.csv`, 'utf8')).toContain('is not a valid phone number');
    expect(await count('+86153%')).toBe(0);

    const all = await cli(['import-members', file, '--tenant', 'cli-shop', '--on-duplicate', 'merge']);
    expect(all.code).toBe(1);
    expect(all.stdout).toContain('nothing imported: 2 of 4 rows have errors');

    const good = await cli(['import-members', file, '--tenant', 'cli-shop', '--on-duplicate', 'merge', '--commit-good-rows']);
    expect(good.stdout).toContain('imported 1 new members, merged 1, skipped 0 existing; 2 rows with errors (of 4)');
    expect(good.code).toBe(0);
    expect((await db.query(`select name, email from members where phone = '+8615200000001'`)).rows[0]).toEqual({ name: '改名', email: 'Gai@example.cn' });
    expect(await count('+8615300000002')).toBe(0);
  });

  it('explains wrong usage and unknown merchants', async () => {
    const none = await cli(['import-members', path.join(dir, 'nope.csv'), '--tenant', 'cli-shop']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('No such file');
    const tenant = await cli(['demo', '--tenant', 'no-such-shop', '--members', '5']);
    expect(tenant.code).toBe(1);
    expect(tenant.stderr).toContain('no-such-shop');
    const flag = await cli(['import-members', '--bogus']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('usage:');
  });
});

describe('npm run cli -- demo', () => {
  it('creates realistic members, with stores and attributes when there are none', async () => {
    const admin = await loginAdmin(server.baseUrl);
    await createTenant(server.baseUrl, admin, 'demo-shop', '65');
    const res = await cli(['demo', '--tenant', 'demo-shop', '--members', '2000', '--seed', '7']);
    expect(res.stderr + res.stdout).toMatch(/created 2,000 demo members/);
    expect(res.code).toBe(0);
    const { rows } = await db.query(
      `select m.phone, m.name, m.gender, m.birthday, m.store_id, m.attributes, m.card_no, m.created_at
         from members m join tenants t on t.id = m.tenant_id where t.slug = 'demo-shop'`,
    );
    expect(rows).toHaveLength(2000);
    expect(new Set(rows.map((r) => r.phone)).size).toBe(2000);
    expect(rows.every((r) => /^\+861[3-9]\d{9}$/.test(r.phone))).toBe(true);
    expect(rows.every((r) => /^[\u4e00-\u9fa5]{2,4}$/.test(r.name))).toBe(true);
    expect(rows.filter((r) => r.store_id !== null).length).toBeGreaterThan(1500);
    expect(rows.filter((r) => r.birthday !== null).length).toBeGreaterThan(1500);
    expect(rows.filter((r) => Object.keys(r.attributes).length > 0).length).toBeGreaterThan(1500);
    expect(new Set(rows.map((r) => r.created_at.toISOString().slice(0, 7))).size).toBeGreaterThan(12);
    const stores = await db.query(`select n.code from org_nodes n join tenants t on t.id = n.tenant_id where t.slug = 'demo-shop' and n.kind = 'store'`);
    expect(stores.rowCount).toBe(6);
    // the same seed again: the phones are members already
    const again = await cli(['demo', '--tenant', 'demo-shop', '--members', '10', '--seed', '7']);
    expect(again.stdout).toContain('created 0 demo members (10 phones already members)');
  });
});
