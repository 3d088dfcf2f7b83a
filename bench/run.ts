/**
 * `npm run bench [-- --quick] [-- --only <name>[,<name>...]]`
 *
 * Runs every benchmark module bench/<capability>.bench.ts (each exports `{ name, run(ctx) }`,
 * as the default export or a named `benchmark` export), in file-name order, and writes
 * bench/results/report.json and bench/results/report.md. Progress goes to stderr. Exits 1 if a
 * benchmark threw (the others still run and the report is still written), 2 on bad arguments.
 *
 *   --quick        smoke run with tiny durations and counts (CI); figures are not representative
 *   --only <name>  run only these benchmarks (module name or file name without .bench.ts; comma list or repeated)
 *   --list         list the benchmarks and exit
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { machineFacts, repoRoot, resultsDir, stopAllServers, writeReport, type BenchContext, type Benchmark, type BenchOutcome, type Report } from './support.js';

const benchDir = path.join(repoRoot, 'bench');
const started = performance.now();

function progress(message: string): void {
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}

function usage(exitCode: number): never {
  process.stderr.write('usage: npm run bench [-- --quick] [-- --only <name>[,<name>...]] [-- --list]\n');
  process.exit(exitCode);
}

function parseArgs(argv: string[]) {
  let quick = false;
  let list = false;
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') quick = true;
    else if (arg === '--list') list = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      if (!value) usage(2);
      only.push(...value.split(',').map((s) => s.trim()).filter(Boolean));
    } else if (arg === '--help' || arg === '-h') usage(0);
    else {
      process.stderr.write(`unknown argument: ${arg}\n`);
      usage(2);
    }
  }
  return { quick, list, only: only.length ? only : null };
}

function isBenchmark(value: unknown): value is Benchmark {
  const v = value as Partial<Benchmark> | null;
  return !!v && typeof v === 'object' && typeof v.name === 'string' && typeof v.run === 'function';
}

async function loadBenchmarks(): Promise<{ file: string; bench: Benchmark }[]> {
  const files = readdirSync(benchDir)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  const out: { file: string; bench: Benchmark }[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(benchDir, file)).href)) as Record<string, unknown>;
    const bench = [mod.default, mod.benchmark, mod].find(isBenchmark);
    if (!bench) throw new Error(`bench/${file} exports no { name, run(ctx) }`);
    out.push({ file: file.slice(0, -'.bench.ts'.length), bench });
  }
  return out;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const all = await loadBenchmarks();
  if (args.list) {
    for (const { file, bench } of all) process.stdout.write(`${bench.name}\t(bench/${file}.bench.ts)${bench.description ? `\t${bench.description}` : ''}\n`);
    return 0;
  }
  const selected = args.only ? all.filter(({ file, bench }) => args.only!.includes(bench.name) || args.only!.includes(file)) : all;
  if (args.only) {
    const known = new Set(all.flatMap(({ file, bench }) => [file, bench.name]));
    const unknown = args.only.filter((n) => !known.has(n));
    if (unknown.length) {
      process.stderr.write(`no benchmark named ${unknown.join(', ')}; there are: ${all.map((b) => b.bench.name).join(', ')}\n`);
      return 2;
    }
  }

  const databaseUrl = process.env.DATABASE_URL ? process.env.DATABASE_URL : null;
  progress(`${args.quick ? 'quick' : 'full'} run of ${selected.map((s) => s.bench.name).join(', ')}${databaseUrl ? ' (also against DATABASE_URL)' : ''}`);
  const machine = await machineFacts(databaseUrl);
  progress(`${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.postgresEmbedded ?? 'no embedded PostgreSQL'}`);
  if ((machine.loadAverage[0] ?? 0) > machine.cores / 2) {
    progress(`the machine is busy (load average ${machine.loadAverage.join(' / ')}): figures will be lower and noisier than on a quiet machine`);
  }

  const outcomes: BenchOutcome[] = [];
  const report: Report = { mode: args.quick ? 'quick' : 'full', only: args.only, durationMs: 0, machine, benchmarks: outcomes };

  for (const { bench } of selected) {
    const outcome: BenchOutcome = { name: bench.name, description: bench.description, ok: false, durationMs: 0, figures: [], observations: [] };
    outcomes.push(outcome);
    const ctx: BenchContext = {
      quick: args.quick,
      repoRoot,
      resultsDir,
      databaseUrl,
      progress: (m) => progress(`${bench.name}: ${m}`),
      observe: (m) => {
        outcome.observations.push(m);
        progress(`${bench.name}: NOTE ${m}`);
      },
    };
    const t0 = performance.now();
    progress(`${bench.name}: starting`);
    try {
      outcome.figures = await bench.run(ctx);
      outcome.ok = true;
    } catch (err) {
      outcome.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      progress(`${bench.name}: FAILED: ${outcome.error}`);
    } finally {
      await stopAllServers();
    }
    outcome.durationMs = performance.now() - t0;
    progress(`${bench.name}: ${outcome.ok ? 'done' : 'failed'} in ${(outcome.durationMs / 1000).toFixed(1)} s`);
    for (const f of outcome.figures) progress(`  ${f.name}: ${Number.isInteger(f.value) ? f.value : f.value.toFixed(2)} ${f.unit}${f.note ? ` (${f.note})` : ''}`);
  }

  report.durationMs = performance.now() - started;
  const written = writeReport(report);
  progress(`wrote ${path.relative(process.cwd(), written.md)} and ${path.relative(process.cwd(), written.json)} (${(report.durationMs / 1000).toFixed(1)} s in all)`);
  return outcomes.every((o) => o.ok) ? 0 : 1;
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    progress(`${signal}: stopping the servers this run started`);
    void stopAllServers().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  async (err) => {
    progress(`bench run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await stopAllServers();
    process.exit(1);
  },
);
