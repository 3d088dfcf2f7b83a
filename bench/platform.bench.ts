/**
 * Platform figures (issue 2): cold start to healthy on the embedded PostgreSQL with an empty and
 * with an existing data folder, graceful shutdown time, idle memory of memberdesk and of its
 * PostgreSQL, and login throughput/latency through the HTTP API (scrypt-bound by design).
 *
 * With DATABASE_URL set, start-up, idle memory and the login load are measured against that
 * server too (figures prefixed "DATABASE_URL:"); the merchant it creates there stays behind.
 */
import { performance } from 'node:perf_hooks';
import {
  clockTicksPerSecond,
  cpuPercent,
  createMerchant,
  login,
  machineBusyTicks,
  median,
  newDataDirPath,
  peakRssKiB,
  removeDir,
  reportServerProblems,
  runLoad,
  samplesNote,
  serverCpuTicks,
  serverMemory,
  sleep,
  startServer,
  type BenchContext,
  type Benchmark,
  type Figure,
  type ServerHandle,
  type StopResult,
} from './support.js';

/** Used for a fresh embedded folder; on DATABASE_URL the admin may already exist with another
 * password, so MEMBERDESK_ADMIN_PASSWORD from the environment wins there. */
const BENCH_ADMIN_PASSWORD = 'bench-admin-password-1';

const isReadyLine = (l: { msg?: string }) => l.msg?.startsWith('memberdesk is ready') ?? false;
const mib = (kib: number) => kib / 1024;

function checkStop(ctx: BenchContext, server: ServerHandle, stop: StopResult): void {
  if (stop.code !== 0) ctx.observe(`${server.label}: exited with code ${stop.code} (signal ${stop.signal}) after SIGTERM, expected 0`);
  if (stop.leftovers.length) {
    ctx.observe(`${server.label}: ${stop.leftovers.length} process(es) still running after the server exited (killed): ${stop.leftovers.map((p) => `${p.pid} ${p.comm}`).join(', ')}`);
  }
  if (!server.lines.some((l) => l.msg === 'bye')) ctx.observe(`${server.label}: no "bye" log line at shutdown`);
  reportServerProblems(ctx, server);
}

interface StartSample {
  healthyMs: number;
  readyMs: number;
  /** spawn → main() running: node start-up, tsx transpiling/loading the modules */
  bootMs: number;
}

async function startAndTime(ctx: BenchContext, label: string, opts: { dataDir?: string; databaseUrl?: string; adminPassword: string }) {
  const server = await startServer({ label, ...opts });
  const healthyMs = await server.waitHealthy(180_000);
  const readyMs = await server.waitForLog(isReadyLine, 60_000);
  // The ready line carries `ms`, measured by main() from its own start.
  const readyLine = server.lines.find(isReadyLine);
  const mainMs = readyLine ? Number((JSON.parse(readyLine.raw) as { ms?: unknown }).ms) : Number.NaN;
  const bootMs = readyMs - mainMs;
  ctx.progress(`${label}: healthy after ${healthyMs.toFixed(0)} ms, "ready" logged after ${readyMs.toFixed(0)} ms (of which ${bootMs.toFixed(0)} ms before main())`);
  return { server, sample: { healthyMs, readyMs, bootMs } satisfies StartSample };
}

async function stopAndTime(ctx: BenchContext, server: ServerHandle): Promise<number> {
  const stop = await server.stop();
  ctx.progress(`${server.label}: stopped in ${stop.shutdownMs.toFixed(0)} ms (exit code ${stop.code})`);
  checkStop(ctx, server, stop);
  return stop.shutdownMs;
}

function startFigures(prefix: string, what: string, samples: StartSample[]): Figure[] {
  const healthy = samples.map((s) => s.healthyMs);
  const ready = samples.map((s) => s.readyMs);
  const boot = samples.map((s) => s.bootMs);
  return [
    { name: `${prefix}cold start to healthy, ${what}`, value: median(healthy), unit: 'ms', note: `median of ${samples.length}; spawn → GET /healthz 200. ${samplesNote(healthy)}`.trim() },
    { name: `${prefix}cold start to "ready" log, ${what}`, value: median(ready), unit: 'ms', note: `median of ${samples.length}; includes starting the pg-boss job workers. ${samplesNote(ready)}`.trim() },
    {
      name: `${prefix}node + tsx boot before main() (part of the cold start), ${what}`,
      value: median(boot),
      unit: 'ms',
      note: `median of ${samples.length}; spawn → main() (ready time minus the ms main() logs); a compiled build (npm start) skips the transpiling`,
    },
  ];
}

function memoryFigures(prefix: string, server: ServerHandle, settleMs: number, embedded: boolean): Figure[] {
  const mem = serverMemory(server.pid);
  const figures: Figure[] = [
    { name: `${prefix}idle RSS, memberdesk (node)`, value: mib(mem.nodeRssKiB), unit: 'MiB', note: `${(settleMs / 1000).toFixed(0)} s after healthy, no load; VmRSS` },
  ];
  if (embedded) {
    figures.push({
      name: `${prefix}idle RSS, embedded PostgreSQL`,
      value: mib(mem.postgresRssKiB),
      unit: 'MiB',
      note: `sum of VmRSS of ${mem.postgresCount} postgres processes below the server (counts shared buffers once per process)`,
    });
    if (mem.postgresPssKiB !== null) {
      figures.push({ name: `${prefix}idle PSS, embedded PostgreSQL`, value: mib(mem.postgresPssKiB), unit: 'MiB', note: 'sum of Pss: shared pages split among the processes' });
    }
  }
  return figures;
}

async function loginLoad(ctx: BenchContext, prefix: string, server: ServerHandle, adminPassword: string, includePostgresCpu: boolean): Promise<Figure[]> {
  const seconds = ctx.quick ? 2 : 10;
  const connections = 16;
  const merchant = await createMerchant(server.baseUrl, adminPassword);
  await login(server.baseUrl, merchant.ownerUsername, merchant.ownerPassword, merchant.slug); // works at all?
  ctx.progress(`${server.label}: merchant ${merchant.slug} created; ${connections} connections logging in for ${seconds} s`);

  const cpuBefore = serverCpuTicks(server.pid);
  const benchCpuBefore = process.cpuUsage();
  const machineBefore = machineBusyTicks();
  const t0 = performance.now();
  const load = await runLoad({
    url: `${server.baseUrl}/api/v1/auth/login`,
    method: 'POST',
    json: { username: merchant.ownerUsername, password: merchant.ownerPassword, tenant: merchant.slug },
    connections,
    durationSeconds: seconds,
  });
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuPercent(cpuBefore, serverCpuTicks(server.pid), elapsed);
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const benchCpuPercent = ((benchCpu.user + benchCpu.system) / 1e6 / elapsed) * 100;
  const machinePercent = ((machineBusyTicks() - machineBefore) / clockTicksPerSecond() / elapsed) * 100;
  const othersPercent = Math.max(0, machinePercent - cpu.node - cpu.postgres - benchCpuPercent);
  if (othersPercent > 20 && includePostgresCpu) {
    ctx.observe(`${prefix}other processes on the machine used ${othersPercent.toFixed(0)} % of one core during the login load: the login figures are low`);
  }
  ctx.progress(`${server.label}: ${load.total} logins, ${load.requestsPerSecond.toFixed(1)}/s, p50 ${load.p50} ms, p99 ${load.p99} ms, non-2xx ${load.non2xx}, errors ${load.errors}`);

  if (load.non2xx !== 0 || load.errors !== 0) {
    throw new Error(`${prefix}login load: ${load.non2xx} non-2xx responses and ${load.errors} connection errors/timeouts out of ${load.total}; must be 0 (see ${server.logFile})`);
  }
  if (load.total === 0) throw new Error(`${prefix}login load: no request completed in ${seconds} s`);

  const figures: Figure[] = [
    {
      name: `${prefix}login throughput`,
      value: load.requestsPerSecond,
      unit: 'req/s',
      note: `POST /api/v1/auth/login, ${connections} connections, ${load.durationSeconds.toFixed(0)} s, ${load.total} requests; scrypt N=2^15 per login`,
    },
    { name: `${prefix}login latency p50`, value: load.p50, unit: 'ms' },
    { name: `${prefix}login latency p99`, value: load.p99, unit: 'ms', note: `max ${load.maxLatency} ms` },
    { name: `${prefix}login non-2xx responses`, value: load.non2xx, unit: 'count', note: 'must be 0' },
    { name: `${prefix}CPU of memberdesk during login load`, value: cpu.node, unit: '% of one core', note: `the load generator (autocannon, in the bench process) used ${benchCpuPercent.toFixed(0)} %` },
  ];
  if (includePostgresCpu) figures.push({ name: `${prefix}CPU of PostgreSQL during login load`, value: cpu.postgres, unit: '% of one core', note: 'backends alive at the end of the load' });
  figures.push({
    name: `${prefix}CPU of other processes during login load`,
    value: othersPercent,
    unit: '% of one core',
    note: `machine-wide busy CPU (/proc/stat) minus memberdesk, ${includePostgresCpu ? 'its PostgreSQL' : 'the DATABASE_URL server if it runs here'} and the bench process; near 0 on a quiet machine`,
  });
  figures.push(
    { name: `${prefix}RSS of memberdesk after login load`, value: mib(serverMemory(server.pid).nodeRssKiB), unit: 'MiB' },
    { name: `${prefix}peak RSS of memberdesk`, value: mib(peakRssKiB(server.pid) ?? Number.NaN), unit: 'MiB', note: 'VmHWM, over the whole life of the process' },
  );
  return figures;
}

async function embeddedFigures(ctx: BenchContext): Promise<Figure[]> {
  const iterations = ctx.quick ? 1 : 3;
  const settleMs = ctx.quick ? 2_000 : 5_000;
  const empty: StartSample[] = [];
  const existing: StartSample[] = [];
  const shutdownIdle: number[] = [];
  const dirs: string[] = [];
  const figures: Figure[] = [];
  try {
    let running: ServerHandle | null = null;
    for (let i = 0; i < iterations; i++) {
      const dataDir = newDataDirPath();
      dirs.push(dataDir);
      ctx.progress(`start ${i + 1}/${iterations} on an empty data folder ${dataDir}`);
      const first = await startAndTime(ctx, `platform-embedded-empty-${i + 1}`, { dataDir, adminPassword: BENCH_ADMIN_PASSWORD });
      empty.push(first.sample);
      shutdownIdle.push(await stopAndTime(ctx, first.server));

      ctx.progress(`start ${i + 1}/${iterations} on the same, existing data folder`);
      const second = await startAndTime(ctx, `platform-embedded-existing-${i + 1}`, { dataDir, adminPassword: BENCH_ADMIN_PASSWORD });
      existing.push(second.sample);
      if (i < iterations - 1) {
        shutdownIdle.push(await stopAndTime(ctx, second.server));
        removeDir(dataDir);
      } else {
        running = second.server; // the last one stays up for the memory and login figures
      }
    }
    figures.push(...startFigures('', 'empty data folder', empty), ...startFigures('', 'existing data folder', existing));
    figures.push({
      name: 'graceful shutdown (SIGTERM → exit), idle',
      value: median(shutdownIdle),
      unit: 'ms',
      note: `median of ${shutdownIdle.length}; HTTP, jobs, pool, embedded PostgreSQL. ${samplesNote(shutdownIdle)}`.trim(),
    });

    const server = running!;
    ctx.progress(`${server.label}: idle for ${settleMs / 1000} s before reading memory`);
    await sleep(settleMs);
    figures.push(...memoryFigures('', server, settleMs, true));

    figures.push(...(await loginLoad(ctx, '', server, BENCH_ADMIN_PASSWORD, true)));
    const afterLoad = await stopAndTime(ctx, server);
    figures.push({
      name: 'graceful shutdown (SIGTERM → exit), right after login load',
      value: afterLoad,
      unit: 'ms',
      note: 'SIGTERM as the load stops: logins the load generator abandoned are still hashing',
    });
  } finally {
    for (const dir of dirs) removeDir(dir);
  }
  return figures;
}

async function databaseUrlFigures(ctx: BenchContext, databaseUrl: string): Promise<Figure[]> {
  const prefix = 'DATABASE_URL: ';
  const adminPassword = process.env.MEMBERDESK_ADMIN_PASSWORD || BENCH_ADMIN_PASSWORD;
  const settleMs = ctx.quick ? 2_000 : 5_000;
  ctx.progress('start against DATABASE_URL');
  const { server, sample } = await startAndTime(ctx, 'platform-database-url', { databaseUrl, adminPassword });
  const applied = server.lines.filter((l) => l.msg === 'applied migration').length;
  const figures: Figure[] = startFigures(prefix, applied ? `database that needed ${applied} migration(s)` : 'migrated database', [sample]);
  await sleep(settleMs);
  figures.push(...memoryFigures(prefix, server, settleMs, false));
  try {
    figures.push(...(await loginLoad(ctx, prefix, server, adminPassword, false)));
  } catch (err) {
    if (err instanceof Error && /login admin@platform failed: 401/.test(err.message)) {
      throw new Error(`${err.message}\nThe platform admin of the DATABASE_URL database has another password: set MEMBERDESK_ADMIN_PASSWORD to it.`, { cause: err });
    }
    throw err;
  }
  figures.push({ name: `${prefix}graceful shutdown (SIGTERM → exit), right after login load`, value: await stopAndTime(ctx, server), unit: 'ms' });
  return figures;
}

export const benchmark: Benchmark = {
  name: 'platform',
  description:
    'The real server (`node --import tsx src/server/main.ts`) as a child process: start-up, shutdown, idle memory, and login load through the HTTP API.',
  async run(ctx) {
    const figures = await embeddedFigures(ctx);
    if (ctx.databaseUrl) figures.push(...(await databaseUrlFigures(ctx, ctx.databaseUrl)));
    return figures;
  },
};

export default benchmark;
