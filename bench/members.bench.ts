/**
 * Members figures (issue 3), on the real server over the embedded PostgreSQL:
 *   - import of N generated members from CSV through the HTTP API (upload + commit, polled as
 *     the console does), in rows/s, against a plain COPY of the same rows into the same table
 *     in the same run (the import must reach 30% of COPY's rate);
 *   - peak RSS of the server process during the import (must stay under 300 MB);
 *   - member lookup by phone and by card number (GET /members/lookup?key=) at N members:
 *     requests/s and p99, keys drawn at random from the merchant's members;
 *   - search by name fragment (GET /members?q=): p99.
 * N = 1,000,000 (20,000 with --quick). The plain COPY loads the rows as a second merchant, is
 * rolled back and the table vacuumed, then the import runs: both meet an empty table.
 * With DATABASE_URL set the same is measured on that server (figures prefixed "DATABASE_URL:").
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import autocannon from 'autocannon';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { connectDatabase } from '../src/platform/db/client.js';
import { demoHeader, demoRows } from '../src/members/import/demo.rules.js';
import { prepareDemoTenant, writeDemoCsv, type DemoTenant } from '../src/members/import/demo.js';
import { copyText, textArrayLiteral } from '../src/members/import/load.js';
import {
  createMerchant,
  freePort,
  login,
  newDataDirPath,
  removeDir,
  reportServerProblems,
  serverMemory,
  sleep,
  startServer,
  type BenchContext,
  type Benchmark,
  type Figure,
  type ServerHandle,
} from './support.js';

const BENCH_ADMIN_PASSWORD = 'bench-admin-password-1';
const SEED = 20_240_501;
const mib = (kib: number) => kib / 1024;

/** The demo rows as COPY text for `members`, for the plain-COPY reference load. */
async function writeCopyFile(file: string, n: number, tenantId: string, tenant: DemoTenant, storeIds: Map<string, string>, now: Date): Promise<void> {
  const out = createWriteStream(file);
  const header = demoHeader(tenant.defs);
  const attrStart = header.indexOf('注册时间') + 1;
  let chunk = '';
  let i = 0;
  for (const c of demoRows(0, n, { seed: SEED, stores: tenant.stores, defs: tenant.defs, now })) {
    i++;
    const attributes: Record<string, unknown> = {};
    tenant.defs.forEach((d, k) => {
      const v = c[attrStart + k]!;
      if (!v) return;
      attributes[d.key] = d.type === 'multi' ? v.split('|') : d.type === 'boolean' ? v === '是' : d.type === 'number' ? Number(v) : v;
    });
    const gender = c[2] === '男' ? 'male' : c[2] === '女' ? 'female' : '\\N';
    chunk +=
      `${tenantId}\t${String(i).padStart(8, '0')}\t+86${c[0]}\t${copyText(c[1]!)}\t${gender}\t${c[3] || '\\N'}\t` +
      `${c[4] ? storeIds.get(c[4]) : '\\N'}\t${copyText(JSON.stringify(attributes))}\t${copyText(textArrayLiteral(c[5] ? c[5].split('|') : []))}\t` +
      `import\t${c[6]}+08\n`;
    if (chunk.length > 256 * 1024) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

/**
 * The reference load: COPY of the same rows into members, in one transaction, timed up to
 * the end of the COPY. It is then rolled back and the table vacuumed, so the import that
 * follows meets the table in the same state (empty): each load pays for the same indexes
 * of the same size. (Loading both for real would make the second one meet a table twice as
 * big, favouring whichever goes first.)
 */
async function plainCopy(ownerUrl: string, file: string): Promise<number> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query('begin');
    const t0 = performance.now();
    const copy = client.query(
      copyFrom(`copy members (tenant_id, card_no, phone, name, gender, birthday, store_id, attributes, tags, source, created_at) from stdin`),
    );
    await pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), copy);
    const ms = performance.now() - t0;
    await client.query('rollback');
    await client.query('vacuum (analyze) members');
    return ms;
  } finally {
    await client.end();
  }
}

interface LoadRun {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  total: number;
}

/** autocannon with a different key on every request (a fixed URL would hit one hot row). */
async function varied(baseUrl: string, token: string, paths: string[], seconds: number, connections = 8): Promise<LoadRun> {
  let i = 0;
  const result = await autocannon({
    url: baseUrl,
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length]! }) }],
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx + result.errors + result.timeouts, total: result.requests.total };
}

async function measure(ctx: BenchContext, server: ServerHandle, ownerUrl: string, prefix: string): Promise<Figure[]> {
  const n = ctx.quick ? 20_000 : 1_000_000;
  const figures: Figure[] = [];
  const tmp = path.join(os.tmpdir(), `memberdesk-bench-members-${process.pid}`);
  const csvFile = `${tmp}.csv`;
  const copyFile = `${tmp}.copy`;
  const database = connectDatabase(ownerUrl, { max: 4 });
  try {
    const importer = await createMerchant(server.baseUrl, BENCH_ADMIN_PASSWORD, 'bench-import');
    const copier = await createMerchant(server.baseUrl, BENCH_ADMIN_PASSWORD, 'bench-copy');
    const tA = await prepareDemoTenant(database, importer.slug);
    const tB = await prepareDemoTenant(database, copier.slug);
    // the owner (a superuser here) reads across tenants; the app role would see nothing without a tenant set
    const ownerClient = new pg.Client({ connectionString: ownerUrl });
    await ownerClient.connect();
    const storeRows = await ownerClient.query<{ code: string; id: string }>(`select code, id::text from org_nodes where tenant_id = $1 and kind = 'store'`, [tB.tenantId]);
    await ownerClient.end();
    const storeIds = new Map(storeRows.rows.map((r) => [r.code, r.id]));
    const now = new Date();

    ctx.progress(`${prefix}generating ${n.toLocaleString('en-US')} demo members as CSV and as COPY text`);
    const csvBytes = await writeDemoCsv(csvFile, n, { seed: SEED, stores: tA.stores, defs: tA.defs, now });
    await writeCopyFile(copyFile, n, tB.tenantId, tB, storeIds, now);
    ctx.progress(`${prefix}CSV ${(csvBytes / 1024 / 1024).toFixed(1)} MB, COPY file ${(statSync(copyFile).size / 1024 / 1024).toFixed(1)} MB`);

    // ---- the reference: a plain COPY of the same rows into members (another merchant)
    const copyMs = await plainCopy(ownerUrl, copyFile);
    const copyRate = n / (copyMs / 1000);
    ctx.progress(`${prefix}plain COPY: ${(copyMs / 1000).toFixed(1)} s, ${Math.round(copyRate)} rows/s (rolled back, table vacuumed)`);

    // ---- the import, through the API, while sampling the server's memory
    const token = await login(server.baseUrl, importer.ownerUsername, importer.ownerPassword, importer.slug);
    let peakNode = 0;
    let peakPg = 0;
    const sampler = setInterval(() => {
      const m = serverMemory(server.pid);
      if (Number.isFinite(m.nodeRssKiB)) peakNode = Math.max(peakNode, m.nodeRssKiB);
      peakPg = Math.max(peakPg, m.postgresRssKiB);
    }, 100);
    const t0 = performance.now();
    const upload = await fetch(`${server.baseUrl}/api/v1/members/imports?fileName=bench.csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: Readable.toWeb(createReadStream(csvFile, { highWaterMark: 256 * 1024 })) as unknown as BodyInit,
      duplex: 'half',
    } as RequestInit);
    const created = (await upload.json()) as { id: string; status: string };
    if (upload.status !== 201) throw new Error(`upload: ${upload.status} ${JSON.stringify(created)}`);
    const t1 = performance.now();
    const start = await fetch(`${server.baseUrl}/api/v1/members/imports/${created.id}/commit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    if (start.status !== 202) throw new Error(`commit: ${start.status} ${await start.text()}`);
    let state: any;
    for (;;) {
      await sleep(ctx.quick ? 50 : 200);
      const res = await fetch(`${server.baseUrl}/api/v1/members/imports/${created.id}`, { headers: { authorization: `Bearer ${token}` } });
      state = await res.json();
      if (!['validating', 'importing'].includes(state.status)) break;
    }
    const t2 = performance.now();
    clearInterval(sampler);
    if (state.status !== 'completed' || state.progress.imported !== n) throw new Error(`import ended ${state.status}: ${JSON.stringify(state.progress)} ${JSON.stringify(state.error)}`);
    const importRate = n / ((t2 - t0) / 1000);
    const runRate = n / ((t2 - t1) / 1000);
    ctx.progress(`${prefix}import: upload ${((t1 - t0) / 1000).toFixed(1)} s, run ${((t2 - t1) / 1000).toFixed(1)} s, ${Math.round(importRate)} rows/s end to end`);

    figures.push(
      { name: `${prefix}import ${n.toLocaleString('en-US')} members from CSV (API: upload + commit)`, value: importRate, unit: 'rows/s', note: `${((t2 - t0) / 1000).toFixed(1)} s end to end: upload ${((t1 - t0) / 1000).toFixed(1)} s (${(csvBytes / 1024 / 1024).toFixed(0)} MB, format detection), run ${((t2 - t1) / 1000).toFixed(1)} s (${Math.round(runRate)} rows/s)` },
      { name: `${prefix}plain COPY of the same rows into members`, value: copyRate, unit: 'rows/s', note: `${(copyMs / 1000).toFixed(1)} s: superuser, one transaction, into the empty table with all its indexes (then rolled back, so the import meets the same table)` },
      { name: `${prefix}import rate / COPY rate`, value: (importRate / copyRate) * 100, unit: '%', note: 'must be ≥ 30 %' },
      { name: `${prefix}peak RSS of the server during the import`, value: mib(peakNode), unit: 'MiB', note: `memberdesk's Node process, sampled every 100 ms; must stay under 300 MB. PostgreSQL processes at most ${mib(peakPg).toFixed(0)} MiB together (shared buffers counted in each)` },
    );
    // (a quick run's few seconds are mostly fixed costs: its ratio says nothing)
    if (!ctx.quick && importRate / copyRate < 0.3) ctx.observe(`${prefix}the import reached only ${((importRate / copyRate) * 100).toFixed(0)} % of COPY's rate (target 30 %)`);
    if (mib(peakNode) >= 300) ctx.observe(`${prefix}peak RSS ${mib(peakNode).toFixed(0)} MiB during the import (target < 300 MB)`);

    // ---- lookups and search over the imported merchant (N members)
    await database.pool.query('select 1'); // keep the pool warm
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    let sample: { phone: string; card_no: string; name: string }[];
    try {
      await owner.query('analyze members');
      sample = (await owner.query(`select phone, card_no, name from members where tenant_id = $1 order by random() limit 5000`, [tA.tenantId])).rows;
    } finally {
      await owner.end();
    }
    const seconds = ctx.quick ? 2 : 10;
    const national = sample.map((s) => s.phone.replace(/^\+86/, ''));
    // warm-up, so the first measurement does not pay for cold caches alone
    await varied(server.baseUrl, token, national.slice(0, 500).map((p) => `/api/v1/members/lookup?key=${p}`), 1);
    const byPhone = await varied(server.baseUrl, token, national.map((p) => `/api/v1/members/lookup?key=${p}`), seconds);
    const byCard = await varied(server.baseUrl, token, sample.map((s) => `/api/v1/members/lookup?key=${s.card_no}`), seconds);
    // name fragments as people type them: a surname (1 character), surname + given (2), a full name (3)
    const fragments = [...new Set(sample.flatMap((s) => [[...s.name].slice(0, 1).join(''), [...s.name].slice(0, 2).join(''), s.name]))];
    const search = await varied(server.baseUrl, token, fragments.map((f) => `/api/v1/members?q=${encodeURIComponent(f)}&limit=20`), seconds);
    for (const [what, r] of [['lookup by phone', byPhone], ['lookup by card number', byCard], ['search by name fragment', search]] as const) {
      if (r.non2xx > 0) ctx.observe(`${prefix}${what}: ${r.non2xx} of ${r.total} requests failed or were not 2xx`);
    }
    figures.push(
      { name: `${prefix}lookup by phone at ${n.toLocaleString('en-US')} members`, value: byPhone.rps, unit: 'req/s', note: `GET /members/lookup?key=<phone>, 8 connections, ${seconds} s, 5,000 random members; p50 ${byPhone.p50} ms` },
      { name: `${prefix}lookup by phone, p99`, value: byPhone.p99, unit: 'ms' },
      { name: `${prefix}lookup by card number at ${n.toLocaleString('en-US')} members`, value: byCard.rps, unit: 'req/s', note: `GET /members/lookup?key=<cardNo>; p50 ${byCard.p50} ms` },
      { name: `${prefix}lookup by card number, p99`, value: byCard.p99, unit: 'ms' },
      { name: `${prefix}search by name fragment at ${n.toLocaleString('en-US')} members, p99`, value: search.p99, unit: 'ms', note: `GET /members?q=<1–3 characters of a name>&limit=20, ${fragments.length} fragments, 8 connections; ${Math.round(search.rps)} req/s, p50 ${search.p50} ms` },
    );
    return figures;
  } finally {
    await database.close();
    rmSync(csvFile, { force: true });
    rmSync(copyFile, { force: true });
  }
}

export const benchmark: Benchmark = {
  name: 'members',
  description:
    'Member import from CSV through the API against a plain COPY of the same rows, peak memory during the import, and member lookups and name search at that many members (1,000,000; 20,000 with --quick).',
  async run(ctx) {
    const figures: Figure[] = [];
    const dataDir = newDataDirPath('memberdesk-bench-members');
    const pgPort = await freePort();
    const server = await startServer({ label: 'members-embedded', dataDir, adminPassword: BENCH_ADMIN_PASSWORD, env: { MEMBERDESK_PG_PORT: String(pgPort) } });
    try {
      await server.waitHealthy(180_000);
      const password = readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
      const ownerUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/memberdesk`;
      figures.push(...(await measure(ctx, server, ownerUrl, '')));
    } finally {
      if (!server.exitInfo) await server.stop();
      reportServerProblems(ctx, server);
      removeDir(dataDir);
    }
    if (ctx.databaseUrl) {
      const remote = await startServer({ label: 'members-database-url', databaseUrl: ctx.databaseUrl, adminPassword: process.env.MEMBERDESK_ADMIN_PASSWORD ?? BENCH_ADMIN_PASSWORD });
      try {
        await remote.waitHealthy(180_000);
        figures.push(...(await measure(ctx, remote, ctx.databaseUrl, 'DATABASE_URL: ')));
      } finally {
        if (!remote.exitInfo) await remote.stop();
        reportServerProblems(ctx, remote);
      }
    }
    return figures;
  },
};
export default benchmark;
