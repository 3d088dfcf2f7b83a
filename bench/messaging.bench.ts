/**
 * Messaging (issue 6): SMS sending and receiving against a loopback SMSC.
 *
 * The SMSC is bench/messaging-smsc.ts (the `smpp` package's server mode, its own process,
 * answering every submit_sm at once) — the Perl test SMSC reports each PDU to its test and
 * would be the bottleneck.
 *
 * Figures, for a window of 10 and of 100 outstanding submit_sm:
 *   - memberdesk's whole sending path: POST /api/v1/sms/send (render, credit debit, ledger,
 *     outbox; 202) by 32 HTTP clients for S seconds, the dispatcher claiming batches, submitting
 *     through the SMPP gateway and writing the results (status `sent` on submit_resp): messages/s
 *     from the first request to the last status update, and server CPU (Node.js + PostgreSQL)
 *     per message;
 *   (a) a bare `smpp` package client (Session.submit_sm with a callback, window kept full)
 *       against the same SMSC: messages/s and client CPU µs per message;
 *   (b) pgbench on the same PostgreSQL doing the SQL the path does per message, batched as the
 *       dispatcher batches it (a send transaction per message; per 200 messages one claim and
 *       one result transaction), 32 clients;
 *   the ratio of the whole path to the lower of (a) and (b) (goal ≥ 50 %);
 *   memberdesk's SmppGateway alone (no database) for reference;
 *   inbound 888 end to end (deliver_sm in → member created → reply submit_sm at the SMSC) under a
 *   steady 200 MO/s: p50/p99 latency and MOs handled per second (full runs also at 20 MO/s).
 * Quick mode: seconds; figures not representative. SMS_BENCH_PGOPTIONS is passed to pgbench as
 * PGOPTIONS (e.g. "-c synchronous_commit=off", to see what the commits cost).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import pg from 'pg';
import smpp from 'smpp';
import { SmppGateway } from '../src/messaging/gateways/smpp.js';
import {
  api,
  clockTicksPerSecond,
  createMerchant,
  freePort,
  login,
  newDataDirPath,
  OWNER_PASSWORD,
  OWNER_USERNAME,
  percentile,
  removeDir,
  reportServerProblems,
  repoRoot,
  runLoad,
  serverCpuTicks,
  sleep,
  startServer,
  type BenchContext,
  type Benchmark,
  type Figure,
  type ServerHandle,
} from './support.js';

const ADMIN_PASSWORD = 'bench-admin-password-1';
const CONNECTIONS = 32;
const BATCH = 200; // the dispatcher's claim size (dispatcher.ts)

interface SmscEvent {
  ev: string;
  [k: string]: unknown;
}

/** The bench SMSC child process. */
export class BenchSmsc {
  private readonly listeners = new Set<(e: SmscEvent) => void>();
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<BenchSmsc> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bench', 'messaging-smsc.ts')], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    child.stdin!.on('error', () => undefined);
    const lines = createInterface({ input: child.stdout! });
    const port = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('bench SMSC did not start within 20 s')), 20_000);
      child.once('exit', (code) => reject(new Error(`bench SMSC exited with ${code}`)));
      lines.once('line', (l) => {
        clearTimeout(t);
        const e = JSON.parse(l) as SmscEvent;
        resolve(e.port as number);
      });
    });
    const smsc = new BenchSmsc(child, port);
    lines.on('line', (l) => {
      let e: SmscEvent;
      try {
        e = JSON.parse(l) as SmscEvent;
      } catch {
        return;
      }
      for (const f of smsc.listeners) f(e);
    });
    return smsc;
  }

  on(f: (e: SmscEvent) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  command(c: Record<string, unknown>): void {
    this.child.stdin!.write(`${JSON.stringify(c)}\n`);
  }

  async stats(): Promise<SmscEvent> {
    return new Promise((resolve) => {
      const off = this.on((e) => {
        if (e.ev === 'stats') {
          off();
          resolve(e);
        }
      });
      this.command({ cmd: 'stats' });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin!.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }
}

const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** (a) the bare `smpp` client: bind, then keep `window` submit_sm outstanding until n answered. */
async function bareClient(port: number, window: number, n: number): Promise<{ rate: number; cpuUs: number }> {
  const session = smpp.connect({ host: '127.0.0.1', port });
  session.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => {
      session.bind_transceiver({ system_id: 'bare', password: 'x' }, (pdu) => (pdu.command_status === 0 ? resolve() : reject(new Error('bind refused'))));
    });
  });
  const text = Buffer.from('【悦享会】您的会员卡号是80012345，回TD退订', 'utf16le').swap16();
  let sent = 0;
  let done = 0;
  const cpu0 = cpuMicros();
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const one = () => {
      if (sent >= n) return;
      sent++;
      session.submit_sm(
        { source_addr: '106570216001', destination_addr: `1380000${String(sent % 10000).padStart(4, '0')}`, data_coding: 8, short_message: text, registered_delivery: 1 },
        () => {
          done++;
          if (done === n) resolve();
          else one();
        },
      );
    };
    for (let i = 0; i < window; i++) one();
  });
  const ms = performance.now() - t0;
  const cpu = cpuMicros() - cpu0;
  await new Promise<void>((r) => session.unbind({}, () => r()));
  session.destroy();
  return { rate: (n / ms) * 1000, cpuUs: cpu / n };
}

/** (g) memberdesk's SmppGateway alone. */
async function gatewayOnly(port: number, window: number, n: number): Promise<{ rate: number; cpuUs: number }> {
  const gw = new SmppGateway({ host: '127.0.0.1', port, systemId: 'gw', password: 'x', window, ratePerSecond: 0 });
  await gw.start({ onInbound: async () => undefined, onDeliveryReport: async () => undefined, onProtocolError: () => undefined });
  let next = 0;
  const cpu0 = cpuMicros();
  const t0 = performance.now();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await gw.submit({ id: String(i), from: '106570216001', to: `1380000${String(i % 10000).padStart(4, '0')}`, text: '【悦享会】您的会员卡号是80012345，回TD退订', segments: 1, wantReport: true });
    }
  };
  await Promise.all(Array.from({ length: window * 2 }, worker));
  const ms = performance.now() - t0;
  const cpu = cpuMicros() - cpu0;
  await gw.stop();
  return { rate: (n / ms) * 1000, cpuUs: cpu / n };
}


function pgbenchPath(): string | null {
  for (const p of ['/usr/bin/pgbench', '/usr/lib/postgresql/17/bin/pgbench', '/usr/lib/postgresql/16/bin/pgbench', '/usr/lib/postgresql/15/bin/pgbench']) {
    if (existsSync(p)) return p;
  }
  return null;
}

const cpuTicks = (pid: number) => {
  const t = serverCpuTicks(pid);
  return { node: t.node, pg: [...t.postgres.values()].reduce((a, b) => a + b, 0) };
};

/**
 * The SQL of one send (send.service.ts: the tenant's context, then one statement that debits,
 * logs, writes the ledger and the outbox row). As the superuser, without RLS and the
 * NOTIFY; outbox rows are due in 1000 years so the running server's dispatcher leaves them to
 * the claim script below.
 */
const SEND_SCRIPT = `BEGIN;
SELECT set_config('app.tenant_id', :tenant::text, true);
SELECT t.name, t.sms_price_fen, t.timezone, t.sms_extension, s.quiet_start, s.quiet_end, s.opt_out_hint
  FROM tenants t LEFT JOIN sms_settings s ON s.tenant_id = t.id WHERE t.id = :tenant;
WITH debit AS (
  UPDATE tenants SET credit_fen = credit_fen - 5 WHERE id = :tenant AND credit_fen >= 5 RETURNING credit_fen
), msg AS (
  INSERT INTO sms_outbound (tenant_id, kind, status, fail_reason, sender, recipient, body, encoding, segments, cost_fen,
                            sub_code, campaign_id, member_id, thread_id, next_attempt_at, final_at)
  SELECT :tenant, 'service', CASE WHEN d.credit_fen IS NULL THEN 'failed' ELSE 'queued' END,
         CASE WHEN d.credit_fen IS NULL THEN 'no_credit' END,
         '106570216001', '+8613800138000', '【悦享会】您的验证码是123456', 'ucs2', 1,
         CASE WHEN d.credit_fen IS NULL THEN 0 ELSE 5 END, '', NULL, NULL, NULL, NULL,
         CASE WHEN d.credit_fen IS NULL THEN now() END
    FROM (SELECT 1) one LEFT JOIN debit d ON true
  RETURNING id, status
), ledger AS (
  INSERT INTO sms_credit_ledger (tenant_id, delta_fen, balance_after_fen, reason, ref_type, ref_id)
  SELECT :tenant, -5, d.credit_fen, 'sms_send', 'sms_message', m.id::text FROM debit d, msg m
), box AS (
  INSERT INTO sms_outbox (message_id, tenant_id, state, due_at, sender, recipient, body, segments, cost_fen)
  SELECT m.id, :tenant, 'queued', now() + interval '1000 years', '106570216001', '13800138000', '【悦享会】您的验证码是123456', 1, 5
    FROM msg m WHERE m.status = 'queued'
)
SELECT m.id::text, m.status FROM msg m;
END;
`;

/** One dispatcher batch (dispatcher.ts): the claim, then the results of the batch in one transaction. */
const BATCH_SCRIPT = `UPDATE sms_outbox o
   SET state = 'submitting', claimed_by = 'pgbench-' || :client_id, claimed_at = now(), attempts = o.attempts + 1, updated_at = now()
 WHERE o.message_id IN (SELECT message_id FROM sms_outbox
                         WHERE state = 'queued' AND due_at <= now() + interval '1001 years'
                         ORDER BY due_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
 RETURNING o.message_id::text, o.tenant_id::text, o.sender, o.recipient, o.body, o.segments, o.attempts;
BEGIN;
WITH r AS (
  UPDATE sms_outbox o SET state = 'sent', gateway_message_id = 'gw' || o.message_id, updated_at = now()
   WHERE o.state = 'submitting' AND o.claimed_by = 'pgbench-' || :client_id
  RETURNING o.message_id, o.tenant_id, o.attempts, o.gateway_message_id
)
UPDATE sms_outbound m
   SET status = CASE WHEN m.status IN ('queued', 'submitting') THEN 'sent' ELSE m.status END,
       gateway_message_id = r.gateway_message_id, sent_at = coalesce(m.sent_at, now()), next_attempt_at = NULL, attempts = r.attempts
  FROM r WHERE m.tenant_id = r.tenant_id AND m.id = r.message_id;
END;
`;

async function pgbench(bin: string, url: string, tenantId: string, seconds: number): Promise<{ msgsPerSecond: number; tps: number }> {
  const dir = os.tmpdir();
  const send = path.join(dir, `memberdesk-sms-send-${process.pid}.sql`);
  const batch = path.join(dir, `memberdesk-sms-batch-${process.pid}.sql`);
  writeFileSync(send, SEND_SCRIPT);
  writeFileSync(batch, BATCH_SCRIPT);
  const u = new URL(url);
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        bin,
        ['-n', '-M', 'prepared', '-c', String(CONNECTIONS), '-j', '2', '-T', String(seconds), '-f', `${send}@${BATCH}`, '-f', `${batch}@1`, '-D', `tenant=${tenantId}`,
          '-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username), u.pathname.slice(1)],
        { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password), PGOPTIONS: process.env.SMS_BENCH_PGOPTIONS ?? '' }, timeout: (seconds + 60) * 1000, maxBuffer: 16 << 20 },
        (err, out, errOut) => (err ? reject(new Error(`pgbench: ${err.message}\n${errOut}`)) : resolve(out)),
      );
    });
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout) ?? /tps = ([\d.]+)/.exec(stdout);
    if (!tps) {
      if (/actually processed: 0\b/.test(stdout)) return { tps: 0, msgsPerSecond: 0 };
      throw new Error(`pgbench printed no tps:\n${stdout}`);
    }
    // transactions are sends and batches in the ratio BATCH : 1
    return { tps: Number(tps[1]), msgsPerSecond: (Number(tps[1]) * BATCH) / (BATCH + 1) };
  } finally {
    rmSync(send, { force: true });
    rmSync(batch, { force: true });
  }
}

interface PathResult {
  messages: number;
  rate: number;
  cpuUsPerMsg: number;
  nodeUsPerMsg: number;
  pgUsPerMsg: number;
  apiRps: number;
}

/** The whole sending path through the running server; returns when every accepted message has its status written. */
async function wholePath(server: ServerHandle, owner: pg.Client, token: string, tenantId: string, seconds: number): Promise<PathResult> {
  const pending = async () =>
    Number((await owner.query<{ n: string }>(`SELECT count(*)::text AS n FROM sms_outbox WHERE tenant_id = $1 AND state IN ('queued', 'submitting')`, [tenantId])).rows[0]!.n);
  const sentBefore = Number((await owner.query<{ n: string }>(`SELECT count(*)::text AS n FROM sms_outbox WHERE tenant_id = $1 AND state = 'sent'`, [tenantId])).rows[0]!.n);
  const ticks0 = cpuTicks(server.pid);
  const t0 = performance.now();
  const load = await runLoad({
    url: `${server.baseUrl}/api/v1/sms/send`,
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    json: { to: '13800138000', text: '您的验证码是123456' },
    connections: CONNECTIONS,
    durationSeconds: seconds,
  });
  const deadline = performance.now() + 120_000;
  while ((await pending()) > 0) {
    if (performance.now() > deadline) throw new Error('the outbox did not drain within 120 s');
    await sleep(20);
  }
  const ms = performance.now() - t0;
  const ticks1 = cpuTicks(server.pid);
  const us = (t: number) => ((t / clockTicksPerSecond()) * 1e6) / Math.max(1, sent);
  const sent = Number((await owner.query<{ n: string }>(`SELECT count(*)::text AS n FROM sms_outbox WHERE tenant_id = $1 AND state = 'sent'`, [tenantId])).rows[0]!.n) - sentBefore;
  // autocannon stops counting at the deadline while the last requests still finish: the
  // database count is the number of messages that went the whole way
  if (load.non2xx > 0 || load.errors > 0) throw new Error(`POST /sms/send: ${load.non2xx} non-2xx, ${load.errors} errors`);
  return {
    messages: sent,
    rate: (sent / ms) * 1000,
    cpuUsPerMsg: us(ticks1.node - ticks0.node + ticks1.pg - ticks0.pg),
    nodeUsPerMsg: us(ticks1.node - ticks0.node),
    pgUsPerMsg: us(ticks1.pg - ticks0.pg),
    apiRps: load.requestsPerSecond,
  };
}

/** Inbound 888 at a steady rate: every MO from a new phone; latency until its reply reaches the SMSC. */
async function inbound888(smsc: BenchSmsc, port: string, perSecond: number, seconds: number): Promise<{ p50: number; p99: number; n: number; missing: number; handledPerSecond: number }> {
  const latencies: number[] = [];
  let lastReplyAt = 0;
  const off = smsc.on((e) => {
    if (e.ev === 'reply') {
      latencies.push(e.ms as number);
      lastReplyAt = performance.now();
    }
  });
  const total = Math.round(perSecond * seconds);
  const base = 13700000000 + Math.floor(Math.random() * 90_000_000);
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    smsc.command({ cmd: 'mo', from: String(base + i), to: port, text: '888', tag: i, expect: '会员卡号' });
  }
  const deadline = performance.now() + 120_000;
  while (latencies.length < total && performance.now() < deadline) await sleep(50);
  off();
  const handledPerSecond = latencies.length / ((lastReplyAt - t0) / 1000);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), n: latencies.length, missing: total - latencies.length, handledPerSecond };
}

async function serverFigures(ctx: BenchContext, smsc: BenchSmsc): Promise<{ figures: Figure[]; pgbenchRate: number | null; paths: Map<number, PathResult> }> {
  const figures: Figure[] = [];
  const paths = new Map<number, PathResult>();
  const dataDir = newDataDirPath();
  const pgPort = await freePort();
  const seconds = ctx.quick ? 1 : 15;
  let pgbenchRate: number | null = null;
  let server: ServerHandle | null = null;
  const env = (window: number) => ({
    MEMBERDESK_PG_PORT: String(pgPort),
    MEMBERDESK_JOBS: 'off',
    LOG_LEVEL: 'warn',
    MEMBERDESK_SMS_GATEWAY: 'smpp',
    MEMBERDESK_SMPP_HOST: '127.0.0.1',
    MEMBERDESK_SMPP_PORT: String(smsc.port),
    MEMBERDESK_SMPP_SYSTEM_ID: 'memberdesk',
    MEMBERDESK_SMPP_PASSWORD: 'bench',
    MEMBERDESK_SMPP_WINDOW: String(window),
    MEMBERDESK_SMPP_RATE: '0',
  });
  let owner: pg.Client | null = null;
  try {
    let merchant: { id: string; slug: string; port: string; token: string } | null = null;
    // quick (CI smoke): one server start, window 100 only, no warm-up
    for (const window of ctx.quick ? [100] : [10, 100]) {
      if (server) {
        await owner?.end().catch(() => undefined);
        owner = null;
        await server.stop();
        reportServerProblems(ctx, server);
      }
      server = await startServer({ label: `messaging-window-${window}`, dataDir, adminPassword: ADMIN_PASSWORD, env: env(window) });
      await server.waitHealthy();
      if (!merchant) {
        const m = await createMerchant(server.baseUrl, ADMIN_PASSWORD, 'bench-sms');
        const admin = api(server.baseUrl, await login(server.baseUrl, 'admin', ADMIN_PASSWORD));
        const credit = await admin('POST', `/api/v1/platform/tenants/${m.slug}/sms-credit`, { amountFen: 1_000_000_000 });
        if (credit.status !== 200) throw new Error(`credit: ${credit.status} ${JSON.stringify(credit.body)}`);
        const tenants = await admin<{ items: { slug: string; smsPort: string }[] }>('GET', '/api/v1/platform/tenants');
        const port = tenants.body.items.find((t) => t.slug === m.slug)!.smsPort;
        merchant = { id: m.id, slug: m.slug, port, token: '' };
      }
      const password = readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
      owner = new pg.Client({ connectionString: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/memberdesk` });
      owner.on('error', () => undefined);
      await owner.connect();
      merchant.token = await login(server.baseUrl, OWNER_USERNAME, OWNER_PASSWORD, merchant.slug);
      // warm-up, then the measured run
      if (!ctx.quick) await wholePath(server, owner!, merchant.token, merchant.id, 1);
      const r = await wholePath(server, owner!, merchant.token, merchant.id, seconds);
      paths.set(window, r);
      ctx.progress(`messaging: whole path, window ${window}: ${r.rate.toFixed(0)} msgs/s (${r.messages} messages), ${r.cpuUsPerMsg.toFixed(0)} µs CPU/msg`);
      figures.push(
        { name: `whole sending path, window ${window}`, value: r.rate, unit: 'msgs/s', note: `${r.messages} messages: POST /sms/send by ${CONNECTIONS} clients for ${seconds} s (API ${r.apiRps.toFixed(0)} req/s), until every status is written` },
        { name: `whole sending path CPU, window ${window}`, value: r.cpuUsPerMsg, unit: 'µs/msg', note: `server processes, user+system: Node.js ${r.nodeUsPerMsg.toFixed(0)} µs + PostgreSQL ${r.pgUsPerMsg.toFixed(0)} µs` },
      );
      if (window === 100) {
        if (!ctx.quick) {
          // for comparison, a rate this machine keeps up with: latency without a backlog
          const calm = await inbound888(smsc, merchant.port, 20, 10);
          ctx.progress(`messaging: inbound 888 at 20 MO/s: p50 ${calm.p50.toFixed(1)} ms, p99 ${calm.p99.toFixed(1)} ms (${calm.n} replies)`);
          figures.push(
            { name: 'inbound 888 end to end at 20 MO/s, p50', value: calm.p50, unit: 'ms', note: `${calm.n} MOs from new phones, for comparison with 200 MO/s` },
            { name: 'inbound 888 end to end at 20 MO/s, p99', value: calm.p99, unit: 'ms' },
          );
        }
        const mo = await inbound888(smsc, merchant.port, 200, ctx.quick ? 0.1 : 10);
        ctx.progress(`messaging: inbound 888 at 200 MO/s: p50 ${mo.p50.toFixed(1)} ms, p99 ${mo.p99.toFixed(1)} ms (${mo.n} replies, ${mo.missing} missing, ${mo.handledPerSecond.toFixed(0)} handled/s)`);
        if (mo.missing > 0) ctx.observe(`messaging: ${mo.missing} of ${mo.n + mo.missing} 888 MOs got no reply within 120 s`);
        figures.push(
          { name: 'inbound 888 end to end at 200 MO/s, p50', value: mo.p50, unit: 'ms', note: `${mo.n} MOs from new phones: deliver_sm → member created → reply submit_sm at the SMSC` },
          { name: 'inbound 888 end to end at 200 MO/s, p99', value: mo.p99, unit: 'ms' },
          { name: 'inbound 888 handled', value: mo.handledPerSecond, unit: 'MO/s', note: 'replies / time from the first MO to the last reply (below 200: a backlog grew, and the latencies show it)' },
        );
      }
    }
    const bin = pgbenchPath();
    if (!bin) ctx.observe('messaging: pgbench not found; (b) not measured');
    else {
      const password = readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
      const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/memberdesk`;
      if (!ctx.quick) await pgbench(bin, url, merchant!.id, 1);
      const b = await pgbench(bin, url, merchant!.id, seconds);
      if (b.msgsPerSecond === 0) ctx.observe('messaging: pgbench processed no transaction in its run (machine too busy?); (b) not used');
      else pgbenchRate = b.msgsPerSecond;
      ctx.progress(`messaging: pgbench ${b.msgsPerSecond.toFixed(0)} msgs/s`);
      figures.push({
        name: '(b) pgbench: the path\'s SQL per message, batched as the dispatcher batches',
        value: b.msgsPerSecond,
        unit: 'msgs/s',
        note: `${CONNECTIONS} clients, ${seconds} s, superuser without RLS; a send transaction per message, a claim + a result transaction per ${BATCH}`,
      });
    }
  } finally {
    await owner?.end().catch(() => undefined);
    if (server && !server.exitInfo) await server.stop();
    if (server) reportServerProblems(ctx, server);
    removeDir(dataDir);
  }
  return { figures, pgbenchRate, paths };
}

export const benchmark: Benchmark = {
  name: 'messaging',
  description:
    'SMS over SMPP against a loopback SMSC (window 10 and 100): the whole sending path vs a bare smpp client and pgbench with the same SQL; the gateway alone; inbound 888 latency at 200 MO/s.',
  async run(ctx) {
    const figures: Figure[] = [];
    const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
    ctx.observe(`messaging: load average at start ${load} (2 cores)`);
    const smsc = await BenchSmsc.start();
    try {
      const n = ctx.quick ? 2000 : 30_000;
      const bare = new Map<number, number>();
      for (const window of [10, 100]) {
        // warm-up (JIT, sockets) so both sides are measured hot
        await bareClient(smsc.port, window, Math.min(2000, n));
        await gatewayOnly(smsc.port, window, Math.min(2000, n));
        const a = await bareClient(smsc.port, window, n);
        const gw = await gatewayOnly(smsc.port, window, n);
        bare.set(window, a.rate);
        ctx.progress(`messaging: window ${window}: bare smpp ${a.rate.toFixed(0)}/s, gateway alone ${gw.rate.toFixed(0)}/s`);
        figures.push(
          { name: `(a) bare smpp client, window ${window}`, value: a.rate, unit: 'msgs/s', note: `${n} submit_sm, UCS-2, one part; loopback SMSC (smpp server mode, own process)` },
          { name: `(a) bare smpp client CPU, window ${window}`, value: a.cpuUs, unit: 'µs/msg', note: 'client process user+system' },
          { name: `gateway alone (SmppGateway), window ${window}`, value: gw.rate, unit: 'msgs/s', note: 'encoding, window, sequencing, response matching; no database' },
          { name: `gateway alone CPU, window ${window}`, value: gw.cpuUs, unit: 'µs/msg' },
        );
      }
      const server = await serverFigures(ctx, smsc);
      figures.push(...server.figures);
      for (const [window, r] of server.paths) {
        const lower = Math.min(bare.get(window) ?? Infinity, server.pgbenchRate ?? Infinity);
        if (!Number.isFinite(lower)) continue;
        const ratio = (r.rate / lower) * 100;
        figures.push({ name: `whole path vs the lower of (a) and (b), window ${window}`, value: ratio, unit: '%', note: `goal ≥ 50 %; lower is ${lower === server.pgbenchRate ? '(b) pgbench' : '(a) bare smpp'}` });
        if (ratio < 50 && !ctx.quick) ctx.observe(`messaging: whole path at window ${window} is ${ratio.toFixed(0)} % of the lower of (a) and (b) (goal ≥ 50 %)`);
      }
    } finally {
      await smsc.stop();
    }
    return figures;
  },
};
export default benchmark;
