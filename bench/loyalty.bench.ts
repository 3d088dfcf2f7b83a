/**
 * Loyalty figures (issue 4), on the real server over the embedded PostgreSQL:
 *   - purchases with points accrual through the HTTP API (POST /api/v1/transactions, one
 *     Idempotency-Key per request, a random member of 20,000 per request, operator session
 *     token), 32 concurrent clients: purchases/s, p50 and p99;
 *   - beside it, in the same run on the same PostgreSQL, pgbench with a custom script doing the
 *     minimal equivalent in SQL (one ledger insert + one balance update in one transaction, as
 *     the superuser, no RLS, no HTTP), 32 clients; the API must reach 40% of its rate. The two
 *     loads alternate, several rounds, medians reported;
 *   - the expiry run (scheduled job's work) over 1,000,000 members holding 10,000,000 reward-point
 *     lots, 6 of each member's 10 lots due: wall time, then a second run (nothing to do), then
 *     the reconciliation of that merchant.
 * Quick mode: 2,000 members, 20,000 lots, 3-second loads.
 * With DATABASE_URL set, the purchase figures are also taken on that server ("DATABASE_URL:").
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { runTenantMaintenance } from '../src/loyalty/index.js';
import { inLoyaltyTx } from '../src/loyalty/db.js';
import { idempotencyOf } from '../src/loyalty/idempotency.js';
import { PurchaseBatcher } from '../src/loyalty/purchase.batcher.js';
import { reconcileWith } from '../src/loyalty/queries.js';
import { connectDatabase } from '../src/platform/db/client.js';
import {
  api,
  createMerchant,
  freePort,
  login,
  median,
  newDataDirPath,
  percentile,
  removeDir,
  reportServerProblems,
  samplesNote,
  startServer,
  type BenchContext,
  type Benchmark,
  type Figure,
  type ServerHandle,
} from './support.js';

const run = promisify(execFile);
const BENCH_ADMIN_PASSWORD = 'bench-admin-password-1';
const CONNECTIONS = 32;

function pgbenchPath(): string | null {
  for (const p of ['/usr/bin/pgbench', '/usr/lib/postgresql/17/bin/pgbench', '/usr/lib/postgresql/16/bin/pgbench', '/usr/lib/postgresql/15/bin/pgbench']) {
    if (existsSync(p)) return p;
  }
  return null;
}

/** Members straight into the table (the bench measures purchases, not registration). */
async function seedMembers(owner: pg.Client, tenantId: string, n: number, prefix: string): Promise<{ min: number; max: number }> {
  const { rows } = await owner.query<{ min: string; max: string }>(
    `WITH ins AS (
       INSERT INTO members (tenant_id, card_no, phone, source)
       SELECT $1, $2 || lpad(g::text, 9, '0'), '+86' || (13000000000 + $3::bigint * 1000000 + g)::text, 'import'
         FROM generate_series(1, $4::int) g
       RETURNING id)
     SELECT min(id)::text, max(id)::text FROM ins`,
    [tenantId, prefix, Number.parseInt(randomBytes(2).toString('hex'), 16) % 9000, n],
  );
  return { min: Number(rows[0]!.min), max: Number(rows[0]!.max) };
}

interface ApiRun {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  bad: number;
}

async function purchaseLoad(baseUrl: string, token: string, ids: { min: number; max: number }, seconds: number): Promise<ApiRun> {
  const span = ids.max - ids.min + 1;
  const prefix = randomBytes(4).toString('hex');
  let i = 0;
  const result = await autocannon({
    url: baseUrl,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        path: '/api/v1/transactions',
        setupRequest: (req) => {
          i++;
          const member = ids.min + Math.floor(Math.random() * span);
          return {
            ...req,
            headers: { ...req.headers, 'idempotency-key': `${prefix}-${i}` },
            body: JSON.stringify({ member: { id: String(member) }, amountFen: 1_000 + (i % 50_000) }),
          };
        },
      },
    ],
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, total: result.requests.total, bad: result.non2xx + result.errors + result.timeouts };
}

interface PgbenchRun {
  tps: number;
  latencyMs: number;
}

/** The minimal equivalent: the two writes a purchase makes at the least, an append-only ledger
 * row and the member's balance, in one transaction. */
const MINIMAL_SCRIPT = `\\set mid random(:minid, :maxid)
BEGIN;
INSERT INTO loyalty_ledger (tenant_id, member_id, kind, delta, balance_after, cause, ref_type, rule_version, actor_type, actor_name)
  VALUES (:tenant, :mid, 'points', 10, 10, 'earn', 'pgbench', 0, 'system', 'pgbench');
UPDATE members SET points = points + 10 WHERE tenant_id = :tenant AND id = :mid;
END;
`;

/** For context: the rows one purchase really writes (member lock, purchase row, two ledger rows,
 * a lot, an idempotency record, the balances), as plain SQL. */
const FULL_SCRIPT = `\\set mid random(:minid, :maxid)
\\set k random(1, 9000000000000000)
BEGIN;
SELECT points FROM members WHERE tenant_id = :tenant AND id = :mid FOR UPDATE;
INSERT INTO loyalty_transactions (tenant_id, member_id, amount_fen, discount_fen, payable_fen, points_earned, tier_points_earned, rule_version, occurred_at, actor_type, actor_name)
  VALUES (:tenant, :mid, 1000, 0, 1000, 10, 10, 0, now(), 'system', 'pgbench');
INSERT INTO loyalty_ledger (tenant_id, member_id, kind, delta, balance_after, cause, ref_type, rule_version, actor_type, actor_name)
  VALUES (:tenant, :mid, 'points', 10, 10, 'earn', 'pgbench', 0, 'system', 'pgbench'), (:tenant, :mid, 'tier_points', 10, 10, 'earn', 'pgbench', 0, 'system', 'pgbench');
INSERT INTO loyalty_point_lots (tenant_id, member_id, ref_type, earned_at, original, remaining) VALUES (:tenant, :mid, 'pgbench', now(), 10, 10);
INSERT INTO loyalty_idempotency (tenant_id, key, request_hash, status, response) VALUES (:tenant, 'pgbench-' || :k, '\\x00', 201, '{}');
UPDATE members SET points = points + 10, tier_points = tier_points + 10 WHERE tenant_id = :tenant AND id = :mid;
END;
`;

/** The Unix socket folder of an embedded PostgreSQL, if it listens on one (the server uses it). */
function socketDirOf(dataDir: string, port: number): string | null {
  const dir = path.join(dataDir, 'pg');
  return existsSync(path.join(dir, `.s.PGSQL.${port}`)) ? dir : null;
}

async function pgbenchLoad(bin: string, url: string, tenantId: string, ids: { min: number; max: number }, seconds: number, scriptText = MINIMAL_SCRIPT): Promise<PgbenchRun> {
  const script = path.join(os.tmpdir(), `memberdesk-loyalty-${process.pid}-${randomBytes(3).toString('hex')}.pgbench.sql`);
  writeFileSync(script, scriptText);
  const u = new URL(url);
  try {
    const { stdout } = await run(
      bin,
      ['-n', '-M', 'prepared', '-c', String(CONNECTIONS), '-j', '2', '-T', String(seconds), '-f', script, '-D', `tenant=${tenantId}`, '-D', `minid=${ids.min}`, '-D', `maxid=${ids.max}`,
        '-h', u.searchParams.get('host') ?? u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username), u.pathname.slice(1)],
      { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) }, timeout: (seconds + 60) * 1000 },
    );
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout) ?? /tps = ([\d.]+)/.exec(stdout);
    const lat = /latency average = ([\d.]+) ms/.exec(stdout);
    if (!tps) throw new Error(`pgbench printed no tps:\n${stdout}`);
    return { tps: Number(tps[1]), latencyMs: lat ? Number(lat[1]) : Number.NaN };
  } finally {
    rmSync(script, { force: true });
  }
}

interface PurchaseSetup {
  apiTenant: string;
  apiIds: { min: number; max: number };
  rawTenant: string;
  rawIds: { min: number; max: number };
  members: number;
  token: string;
}

async function purchaseSetup(ctx: BenchContext, server: ServerHandle, ownerUrl: string, adminPassword: string, prefix: string): Promise<PurchaseSetup> {
  const members = ctx.quick ? 2_000 : 20_000;
  const merchantApi = await createMerchant(server.baseUrl, adminPassword, 'bench-loy');
  const merchantRaw = await createMerchant(server.baseUrl, adminPassword, 'bench-raw');
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    const apiIds = await seedMembers(owner, merchantApi.id, members, 'A');
    const rawIds = await seedMembers(owner, merchantRaw.id, members, 'R');
    await owner.query('ANALYZE members');
    const token = await login(server.baseUrl, merchantApi.ownerUsername, merchantApi.ownerPassword, merchantApi.slug);
    ctx.progress(`${prefix}${members} members in each of two merchants`);
    return { apiTenant: merchantApi.id, apiIds, rawTenant: merchantRaw.id, rawIds, members, token };
  } finally {
    await owner.end();
  }
}

/** The purchase path without HTTP and auth: the route's PurchaseBatcher from 32 concurrent callers
 * in this process, straight on the pool (as the application role, with RLS). */
async function serviceLoad(ownerUrl: string, setup: PurchaseSetup, seconds: number): Promise<ApiRun> {
  const database = connectDatabase(ownerUrl, { max: CONNECTIONS });
  const purchases = new PurchaseBatcher(database.pool);
  const actor = { type: 'system' as const, id: null, name: 'bench' };
  const span = setup.apiIds.max - setup.apiIds.min + 1;
  const prefix = randomBytes(4).toString('hex');
  const latencies: number[] = [];
  let bad = 0;
  let i = 0;
  try {
    const deadline = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < deadline) {
          i++;
          const body = { member: { id: String(setup.apiIds.min + Math.floor(Math.random() * span)) }, amountFen: 1_000 + (i % 50_000) };
          const t0 = performance.now();
          try {
            await purchases.record(setup.apiTenant, actor, body, idempotencyOf(setup.apiTenant, `${prefix}-${i}`, 'POST', '/api/v1/transactions', body));
          } catch {
            bad++;
          }
          latencies.push(performance.now() - t0);
        }
      }),
    );
  } finally {
    await database.close();
  }
  return { rps: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), total: latencies.length, bad };
}

async function purchaseFigures(ctx: BenchContext, server: ServerHandle, ownerUrl: string, setup: PurchaseSetup, prefix: string, where: string): Promise<Figure[]> {
  const seconds = ctx.quick ? 3 : 15;
  const rounds = ctx.quick ? 1 : 3;
  const bin = pgbenchPath();
  const { token, apiIds, rawIds, members } = setup;
  ctx.progress(`${prefix}warming up`);
  await purchaseLoad(server.baseUrl, token, apiIds, ctx.quick ? 1 : 5);
  if (bin) await pgbenchLoad(bin, ownerUrl, setup.rawTenant, rawIds, ctx.quick ? 1 : 3);

  // API and pgbench alternate, so a busy machine weighs on both alike
  const apiRuns: ApiRun[] = [];
  const rawRuns: PgbenchRun[] = [];
  const fullRuns: PgbenchRun[] = [];
  for (let r = 0; r < rounds; r++) {
    const a = await purchaseLoad(server.baseUrl, token, apiIds, seconds);
    ctx.progress(`${prefix}round ${r + 1}: API ${a.rps.toFixed(0)} purchases/s, p50 ${a.p50} ms, p99 ${a.p99} ms, ${a.total} requests, ${a.bad} not 2xx`);
    if (a.bad > 0) throw new Error(`${prefix}purchase load: ${a.bad} of ${a.total} requests failed (see ${server.logFile})`);
    apiRuns.push(a);
    if (bin) {
      const p = await pgbenchLoad(bin, ownerUrl, setup.rawTenant, rawIds, seconds);
      ctx.progress(`${prefix}round ${r + 1}: pgbench ${p.tps.toFixed(0)} tps, latency average ${p.latencyMs} ms`);
      rawRuns.push(p);
      const f = await pgbenchLoad(bin, ownerUrl, setup.rawTenant, rawIds, seconds, FULL_SCRIPT);
      ctx.progress(`${prefix}round ${r + 1}: pgbench with the full write set ${f.tps.toFixed(0)} tps`);
      fullRuns.push(f);
    }
  }
  const svc = await serviceLoad(ownerUrl, setup, seconds);
  ctx.progress(`${prefix}service calls: ${svc.rps.toFixed(0)} purchases/s, p50 ${svc.p50.toFixed(1)} ms, p99 ${svc.p99.toFixed(1)} ms, ${svc.bad} failed`);
  if (svc.bad > 0) throw new Error(`${prefix}service-level load: ${svc.bad} purchases failed`);

  // everything the loads wrote must still add up
  const check = await api(server.baseUrl, token)('GET', '/api/v1/loyalty/reconcile');
  if (!check.body?.ok) throw new Error(`${prefix}reconciliation after the load failed: ${JSON.stringify(check.body).slice(0, 500)}`);

  const rps = median(apiRuns.map((x) => x.rps));
  const figures: Figure[] = [
    {
      name: `${prefix}purchases with points accrual through the API`,
      value: rps,
      unit: 'purchases/s',
      note: `POST /api/v1/transactions, ${CONNECTIONS} connections, ${seconds} s × ${rounds} (median), Idempotency-Key on each, random member of ${members}, operator session token, LOG_LEVEL=warn; ${where}. ${samplesNote(apiRuns.map((x) => x.rps))}`.trim(),
    },
    { name: `${prefix}purchase latency p50`, value: median(apiRuns.map((x) => x.p50)), unit: 'ms' },
    { name: `${prefix}purchase latency p99`, value: median(apiRuns.map((x) => x.p99)), unit: 'ms' },
  ];
  let tps = Number.NaN;
  if (bin) {
    tps = median(rawRuns.map((x) => x.tps));
    figures.push(
      {
        name: `${prefix}pgbench: ledger insert + balance update per transaction`,
        value: tps,
        unit: 'tps',
        note: `${bin}, -M prepared, ${CONNECTIONS} clients, 2 threads, ${seconds} s × ${rounds} (median), superuser (no RLS), same server, alternating with the API runs; latency average ${median(rawRuns.map((x) => x.latencyMs)).toFixed(2)} ms. ${samplesNote(rawRuns.map((x) => x.tps))}`.trim(),
      },
      { name: `${prefix}API rate / pgbench rate`, value: (rps / tps) * 100, unit: '%', note: 'goal ≥ 40 %' },
      {
        name: `${prefix}pgbench: a purchase's full write set in plain SQL`,
        value: median(fullRuns.map((x) => x.tps)),
        unit: 'tps',
        note: `context: member lock, purchase row, 2 ledger rows, a lot, an idempotency record, the balance update; same clients and server. ${samplesNote(fullRuns.map((x) => x.tps))}`.trim(),
      },
    );
    if (rps / tps < 0.4) ctx.observe(`${prefix}the API reached ${((rps / tps) * 100).toFixed(0)} % of the raw SQL rate, below the 40 % goal`);
  } else {
    ctx.observe('pgbench not found (install postgresql-client or the server package): no raw comparison');
  }
  figures.push(
    {
      name: `${prefix}purchases through the service, no HTTP or auth`,
      value: svc.rps,
      unit: 'purchases/s',
      note: `PurchaseBatcher.record() (what the route calls) from ${CONNECTIONS} concurrent callers in the bench process, ${seconds} s, with Idempotency-Key; p50 ${svc.p50.toFixed(1)} ms, p99 ${svc.p99.toFixed(1)} ms`,
    },
    { name: `${prefix}service rate / pgbench rate`, value: (svc.rps / tps) * 100, unit: '%', note: 'the ledger path alone: purchases arriving together share one transaction (members locked in one statement, every row written by one statement), against pgbench’s one transaction per ledger row and update' },
  );
  return figures;
}

async function expiryFigures(ctx: BenchContext, server: ServerHandle, ownerUrl: string): Promise<Figure[]> {
  const members = ctx.quick ? 2_000 : 1_000_000;
  const lotsPer = 10;
  const merchant = await createMerchant(server.baseUrl, BENCH_ADMIN_PASSWORD, 'bench-exp');
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  const t0 = performance.now();
  try {
    ctx.progress(`expiry: loading ${members.toLocaleString('en')} members and ${(members * lotsPer).toLocaleString('en')} lots`);
    await owner.query('SET session_replication_role = replica'); // bulk load: skip FK checks (the rows are consistent by construction)
    await owner.query(
      `INSERT INTO members (tenant_id, card_no, phone, source, points, points_expire_at)
       SELECT $1, 'E' || lpad(g::text, 9, '0'), '+86' || (15000000000 + g)::text, 'import', 1000, now() - interval '5 months'
         FROM generate_series(1, $2::int) g`,
      [merchant.id, members],
    );
    await owner.query('DROP INDEX loyalty_point_lots_open');
    // lot i expires at now − 5 months + i months: lots 0–5 are due (600 of each member's 1,000 points)
    await owner.query(
      `INSERT INTO loyalty_point_lots (tenant_id, member_id, ref_type, earned_at, expires_at, original, remaining)
       SELECT m.tenant_id, m.id, 'bench', now() - interval '17 months' + i * interval '1 month', now() - interval '5 months' + i * interval '1 month', 100, 100
         FROM members m, generate_series(0, ${lotsPer - 1}) i
        WHERE m.tenant_id = $1`,
      [merchant.id],
    );
    await owner.query(`CREATE INDEX loyalty_point_lots_open ON loyalty_point_lots (tenant_id, member_id, expires_at, id) WHERE remaining > 0`);
    await owner.query(
      `INSERT INTO loyalty_ledger (tenant_id, member_id, kind, delta, balance_after, cause, ref_type, rule_version, actor_type, actor_name)
       SELECT tenant_id, id, 'points', 1000, 1000, 'opening', 'opening_balance', 0, 'system', 'bench' FROM members WHERE tenant_id = $1`,
      [merchant.id],
    );
    await owner.query('RESET session_replication_role');
    await owner.query('ANALYZE members, loyalty_point_lots, loyalty_ledger');
  } finally {
    await owner.end();
  }
  const loadS = (performance.now() - t0) / 1000;
  ctx.progress(`expiry: loaded in ${loadS.toFixed(0)} s; running the expiry`);

  const database = connectDatabase(ownerUrl, { max: 4 });
  try {
    const t1 = performance.now();
    const first = await runTenantMaintenance(database.pool, merchant.id, { batchSize: 5_000 });
    const firstS = (performance.now() - t1) / 1000;
    ctx.progress(`expiry: ${first.expiryMembers} members, ${first.pointsExpired} points, ${first.ledgerEntries} entries in ${firstS.toFixed(1)} s`);
    if (first.expiryMembers !== members || first.pointsExpired !== members * 600) {
      throw new Error(`expiry: expected ${members} members and ${members * 600} points, got ${JSON.stringify(first)}`);
    }
    const wrong = await inLoyaltyTx(database.pool, merchant.id, (tx) =>
      tx.query<{ n: number }>(null, `SELECT count(*)::int AS n FROM members WHERE tenant_id = $1 AND points <> 400`, [merchant.id]),
    );
    if (wrong[0]!.n !== 0) throw new Error(`expiry: ${wrong[0]!.n} members do not hold the 400 points left after expiry`);
    const t2 = performance.now();
    const second = await runTenantMaintenance(database.pool, merchant.id, { batchSize: 5_000 });
    const secondS = (performance.now() - t2) / 1000;
    if (second.ledgerEntries !== 0) throw new Error(`expiry: the second run wrote ${second.ledgerEntries} entries`);
    const t3 = performance.now();
    const report = await inLoyaltyTx(database.pool, merchant.id, (tx) => reconcileWith(tx));
    const reconcileS = (performance.now() - t3) / 1000;
    if (!report.ok) throw new Error(`expiry: reconciliation found ${report.mismatches.length} mismatches, e.g. ${JSON.stringify(report.mismatches[0])}`);
    const scale = `${members.toLocaleString('en')} members, ${(members * lotsPer).toLocaleString('en')} lots`;
    return [
      {
        name: `expiry run over ${scale}`,
        value: firstS,
        unit: 's',
        note: `${(members * 6).toLocaleString('en')} lots due (every member affected), batches of 5,000 members, one transaction each, 2 side by side; ${Math.round(members / firstS).toLocaleString('en')} members/s; test data loaded in ${loadS.toFixed(0)} s`,
      },
      { name: 'second expiry run (nothing due)', value: secondS, unit: 's', note: 'idempotent: 0 entries written' },
      { name: `reconciliation of ${scale}`, value: reconcileS, unit: 's', note: `GET /api/v1/loyalty/reconcile's query; ${report.ledgerEntries.toLocaleString('en')} ledger entries, 0 mismatches` },
    ];
  } finally {
    await database.close();
  }
}

export const benchmark: Benchmark = {
  name: 'loyalty',
  description:
    'Purchases with points accrual through the HTTP API (32 clients) beside pgbench doing the minimal equivalent SQL on the same PostgreSQL; the expiry run over 1,000,000 members with 10,000,000 lots.',
  async run(ctx) {
    const figures: Figure[] = [];
    const dataDir = newDataDirPath();
    const pgPort = await freePort();
    const env = { MEMBERDESK_PG_PORT: String(pgPort), MEMBERDESK_JOBS: 'off' };
    // Request logging off for the throughput figures (two log lines per request cost ~25 % more
    // server CPU here); one more run below measures the default (info) level.
    let server = await startServer({ label: 'loyalty-embedded', dataDir, adminPassword: BENCH_ADMIN_PASSWORD, env: { ...env, LOG_LEVEL: 'warn' } });
    try {
      await server.waitHealthy();
      const password = readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
      // the server talks to its embedded PostgreSQL over the Unix socket when there is one: so
      // do pgbench and the bench's own connections (the same transport on both sides)
      const socket = socketDirOf(dataDir, pgPort);
      const ownerUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/memberdesk${socket ? `?host=${encodeURIComponent(socket)}` : ''}`;
      ctx.progress(`PostgreSQL over ${socket ? `the Unix socket in ${socket}` : 'TCP'}`);
      const setup = await purchaseSetup(ctx, server, ownerUrl, BENCH_ADMIN_PASSWORD, '');
      figures.push(...(await purchaseFigures(ctx, server, ownerUrl, setup, '', 'embedded PostgreSQL')));

      await server.stop();
      reportServerProblems(ctx, server);
      server = await startServer({ label: 'loyalty-embedded-info', dataDir, adminPassword: BENCH_ADMIN_PASSWORD, env: { ...env, LOG_LEVEL: 'info' } });
      await server.waitHealthy();
      const seconds = ctx.quick ? 3 : 15;
      await purchaseLoad(server.baseUrl, setup.token, setup.apiIds, ctx.quick ? 1 : 3);
      const info = await purchaseLoad(server.baseUrl, setup.token, setup.apiIds, seconds);
      ctx.progress(`with request logging (info): ${info.rps.toFixed(0)} purchases/s, p50 ${info.p50} ms, p99 ${info.p99} ms`);
      figures.push({ name: 'purchases through the API with request logging (LOG_LEVEL=info, the default)', value: info.rps, unit: 'purchases/s', note: `${seconds} s, one run; p50 ${info.p50} ms, p99 ${info.p99} ms` });

      // LOYALTY_BENCH=purchases skips the expiry figures (minutes of loading) while tuning the purchase path
      if (process.env.LOYALTY_BENCH !== 'purchases') figures.push(...(await expiryFigures(ctx, server, ownerUrl)));
    } finally {
      if (!server.exitInfo) await server.stop();
      reportServerProblems(ctx, server);
      removeDir(dataDir);
    }
    if (ctx.databaseUrl) {
      const adminPassword = process.env.MEMBERDESK_ADMIN_PASSWORD ?? BENCH_ADMIN_PASSWORD;
      const other = await startServer({ label: 'loyalty-database-url', databaseUrl: ctx.databaseUrl, adminPassword, env: { MEMBERDESK_JOBS: 'off', LOG_LEVEL: 'warn' } });
      try {
        await other.waitHealthy();
        const setup = await purchaseSetup(ctx, other, ctx.databaseUrl, adminPassword, 'DATABASE_URL: ');
        figures.push(...(await purchaseFigures(ctx, other, ctx.databaseUrl, setup, 'DATABASE_URL: ', 'the DATABASE_URL server')));
      } finally {
        if (!other.exitInfo) await other.stop();
        reportServerProblems(ctx, other);
      }
    }
    return figures;
  },
};
export default benchmark;
