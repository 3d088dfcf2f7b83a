import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/platform/paths.js';
import { client, login } from '../support/http.js';

/** The real `main.ts` as a user runs it: embedded PostgreSQL in a data folder, restarts,
 * a second process on the same folder, and recovery after a crash. */
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'memberdesk-life-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

interface Running {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

async function startServer(opts: { waitHealthy: boolean }): Promise<Running> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), MEMBERDESK_DATA_DIR: dataDir, MEMBERDESK_JOBS: 'on', LOG_LEVEL: 'info' };
  delete env.DATABASE_URL; // this test is about the embedded default
  delete env.MEMBERDESK_ADMIN_PASSWORD;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], { cwd: packageRoot(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  if (opts.waitHealthy) {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`server exited early:\n${out}`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok).catch(() => false);
      if (ok && out.includes('memberdesk is ready')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { child, port, output: () => out, exited };
}

function postmasterPid(): number | null {
  try {
    return Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('embedded PostgreSQL lifecycle', () => {
  let password = '';

  it('first start initialises the folder and prints the admin password once', async () => {
    const s = await startServer({ waitHealthy: true });
    const m = /password: (\S+)/.exec(s.output());
    expect(m, s.output()).not.toBeNull();
    password = m![1]!;
    expect(s.output()).toContain(`console http://localhost:${s.port}/`);
    const base = `http://127.0.0.1:${s.port}`;
    const admin = client(base, await login(base, 'admin', password));
    const created = await admin.post('/api/v1/platform/tenants', { slug: 'kept', name: 'Kept', smsExtension: '5', admin: { username: 'owner', password: 'owner-password' } });
    expect(created.status).toBe(201);

    // A second process on the same folder is refused with a clear message.
    const second = await startServer({ waitHealthy: false });
    expect(await second.exited).not.toBe(0);
    expect(second.output()).toMatch(/in use by another memberdesk process/);

    // SIGTERM drains and stops PostgreSQL too.
    const pgPid = postmasterPid()!;
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(alive(pgPid)).toBe(false);
  });

  it('a restart keeps everything and does not print a new password', async () => {
    const s = await startServer({ waitHealthy: true });
    expect(s.output()).not.toMatch(/password: /);
    const base = `http://127.0.0.1:${s.port}`;
    await login(base, 'owner', 'owner-password', 'kept');
    // Now crash hard: PostgreSQL is left behind, the next start must recover.
    const pgPid = postmasterPid()!;
    s.child.kill('SIGKILL');
    await s.exited;
    const again = await startServer({ waitHealthy: true });
    expect(alive(pgPid)).toBe(false);
    expect(again.output()).toMatch(/left running by an earlier memberdesk process/);
    const base2 = `http://127.0.0.1:${again.port}`;
    const admin = client(base2, await login(base2, 'admin', password));
    expect((await admin.get('/api/v1/platform/tenants')).body.items.map((t: any) => t.slug)).toEqual(['kept']);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });
}, 180_000);
