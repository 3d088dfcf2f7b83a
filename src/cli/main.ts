/**
 * memberdesk command line: `npm run cli -- <command> …`
 *
 *   import-members FILE --tenant SLUG [--mapping m.json] [--on-duplicate skip|merge]
 *                  [--dry-run] [--commit-good-rows] [--encoding gb18030|utf-8|utf-16le] [--delimiter ',']
 *   demo --tenant SLUG --members N [--seed S]
 *
 * Both run the same code as the server, directly against the database (DATABASE_URL, or the
 * embedded PostgreSQL in MEMBERDESK_DATA_DIR when the server is not running on it). Progress
 * goes to stderr, results to stdout.
 */
import { parseArgs } from 'node:util';
import { createReadStream, existsSync, promises as fs, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import pino from 'pino';
import { AppError } from '../platform/http/problem.js';
import { ConfigError, loadConfig } from '../server/config.js';
import { generateDemoMembers, prepareDemoTenant } from '../members/import/demo.js';
import type { TextEncoding } from '../members/import/detect.rules.js';
import { TARGET_PATTERN, type Mapping } from '../members/import/mapping.rules.js';
import { createImport, errorReport, startRun, stopAllRuns, type ImportActor, type ImportView } from '../members/import/service.js';
import { CliError, findTenant, openDatabase } from './db.js';

const USAGE = `usage:
  npm run cli -- import-members FILE --tenant SLUG [--mapping mapping.json] [--on-duplicate skip|merge]
                                     [--dry-run] [--commit-good-rows] [--encoding utf-8|gb18030|utf-16le] [--delimiter ,]
  npm run cli -- demo --tenant SLUG --members N [--seed S]

import-members  imports members from a CSV or .xlsx file (as the console's import does). The
                mapping file is JSON {"file column": "phone" | "name" | … | "attributes.<key>" | null};
                columns left out are mapped from their headers. Without --commit-good-rows a single
                bad row imports nothing. The error report is written to FILE.errors.csv.
                Exit code 0: imported (or a dry run found no errors); 1: errors; 2: wrong usage.
demo            creates N realistic demo members (and a few stores and attributes if there are none).
`;

const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
const fmt = (n: number) => n.toLocaleString('en-US');

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function progressBar(label: string) {
  const bar = new SingleBar(
    {
      format: `${label} |{bar}| {percentage}% | {rows} rows | {bad} with errors | {phase}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      // a plain line every few seconds when stderr is not a terminal (CI logs, files)
      noTTYOutput: true,
      notTTYSchedule: 2000,
      etaBuffer: 50,
    },
    undefined,
  );
  bar.start(100, 0, { rows: '0', bad: '0', phase: 'reading' });
  return bar;
}

async function importMembers(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      mapping: { type: 'string' },
      'on-duplicate': { type: 'string', default: 'skip' },
      'dry-run': { type: 'boolean', default: false },
      'commit-good-rows': { type: 'boolean', default: false },
      encoding: { type: 'string' },
      delimiter: { type: 'string' },
    },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) fail(`import-members needs exactly one FILE\n\n${USAGE}`);
  if (!values.tenant) fail(`import-members needs --tenant SLUG\n\n${USAGE}`);
  if (!existsSync(file) || !statSync(file).isFile()) fail(`No such file: ${file}`);
  const onDuplicate = values['on-duplicate'];
  if (onDuplicate !== 'skip' && onDuplicate !== 'merge') fail('--on-duplicate must be skip or merge');
  const encoding = values.encoding as TextEncoding | undefined;
  if (encoding && !['utf-8', 'gb18030', 'utf-16le', 'utf-16be'].includes(encoding)) fail('--encoding must be utf-8, gb18030, utf-16le or utf-16be');
  let mapping: Mapping = {};
  if (values.mapping) {
    try {
      mapping = JSON.parse(await fs.readFile(values.mapping, 'utf8')) as Mapping;
    } catch (err) {
      fail(`Cannot read the mapping file ${values.mapping}: ${(err as Error).message}`);
    }
    const bad = Object.entries(mapping).filter(([, t]) => t !== null && (typeof t !== 'string' || !new RegExp(TARGET_PATTERN).test(t)));
    if (typeof mapping !== 'object' || Array.isArray(mapping) || bad.length) {
      fail(`The mapping must be {"column": "phone" | "name" | "gender" | "birthday" | "email" | "cardNo" | "storeCode" | "storeName" | "tags" | "createdAt" | "attributes.<key>" | null}${bad.length ? `; not valid: ${bad.map(([c, t]) => `${c} → ${JSON.stringify(t)}`).join(', ')}` : ''}`);
    }
  }

  const config = loadConfig();
  const db = await openDatabase(config, log);
  const dir = path.join(os.tmpdir(), 'memberdesk-cli-imports');
  let bar: SingleBar | null = null;
  try {
    const tenant = await findTenant(db.database, values.tenant);
    const actor: ImportActor = { ...tenant, type: 'system', id: null, name: `cli (${os.userInfo().username})` };
    const deps = { database: db.database, dir, log, maxBytes: Number.MAX_SAFE_INTEGER };
    const created = await createImport(deps, actor, createReadStream(file), { fileName: path.basename(file), encoding, delimiter: values.delimiter });
    process.stderr.write(
      `${created.fileName}: ${created.format}${created.encoding ? ` (${created.encoding}${created.delimiter === '\t' ? ', tab-separated' : ''})` : ''}, ` +
        `${fmt(created.sizeBytes)} bytes, columns: ${created.columns.map((c) => `${c} → ${c in mapping ? mapping[c] : (created.suggestedMapping[c] ?? '?')}`).join(', ')}\n`,
    );
    const mode = values['dry-run'] ? 'dry_run' : 'commit';
    bar = progressBar(mode === 'dry_run' ? 'checking ' : 'importing');
    const onProgress = (v: ImportView) =>
      bar?.update(v.progress.percent, { rows: fmt(v.progress.processed), bad: fmt(v.progress.failed), phase: phaseOf(v) });
    let interrupted = false;
    process.once('SIGINT', () => {
      interrupted = true;
      process.stderr.write('\ninterrupted: rolling back…\n');
      void stopAllRuns();
    });
    const done = await startRun(deps, actor, created.id, mode, { mapping, onDuplicate, commitGoodRows: values['commit-good-rows'] }, { wait: true, onProgress });
    bar.update(100, { rows: fmt(done.progress.processed), bad: fmt(done.progress.failed), phase: done.status });
    bar.stop();
    bar = null;

    if (done.errorCount > 0) {
      const reportFile = `${file}.errors.csv`;
      let text = '';
      for await (const chunk of errorReport(deps, actor, done.id)) text += chunk;
      await fs.writeFile(reportFile, text);
      const lines = text.replace(/^\ufeff/, '').split('\r\n').filter(Boolean);
      process.stderr.write(`${fmt(done.errorCount)} error(s), the first ones:\n${lines.slice(0, 11).map((l) => `  ${l}`).join('\n')}\nfull report: ${reportFile}\n`);
    }
    const p = done.progress;
    if (done.status === 'completed') {
      process.stdout.write(`imported ${fmt(p.imported)} new members, merged ${fmt(p.merged)}, skipped ${fmt(p.skipped)} existing; ${fmt(p.failed)} rows with errors (of ${fmt(p.total ?? 0)})\n`);
    } else if (done.status === 'validated') {
      process.stdout.write(`dry run: ${fmt(p.total ?? 0)} rows; would import ${fmt(p.imported)} new members, ${onDuplicate === 'merge' ? `merge ${fmt(p.merged)}` : `skip ${fmt(p.skipped)}`} existing; ${fmt(p.failed)} rows with errors${done.error ? `; ${done.error.message}` : ''}\n`);
    } else {
      process.stdout.write(`nothing imported: ${done.error?.message ?? done.status}\n`);
    }
    await fs.rm(path.join(dir, tenant.tenantId), { recursive: true, force: true }).catch(() => undefined);
    const ok = !interrupted && (done.status === 'completed' || (done.status === 'validated' && done.errorCount === 0 && !done.error));
    return ok ? 0 : 1;
  } finally {
    bar?.stop();
    await db.close();
  }
}

function phaseOf(v: ImportView): string {
  if (v.progress.total === null) return 'reading';
  return v.progress.percent >= 70 && v.mode === 'commit' ? 'writing' : 'checking';
}

async function demo(args: string[]) {
  const { values } = parseArgs({
    args,
    options: { tenant: { type: 'string' }, members: { type: 'string' }, seed: { type: 'string', default: '1' } },
  });
  if (!values.tenant || !values.members) fail(`demo needs --tenant SLUG and --members N\n\n${USAGE}`);
  const n = Number(values.members.replace(/[_,]/g, ''));
  if (!Number.isInteger(n) || n < 1 || n > 50_000_000) fail('--members must be a whole number from 1 to 50,000,000');
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) fail('--seed must be a whole number');

  const config = loadConfig();
  const db = await openDatabase(config, log);
  let bar: SingleBar | null = null;
  try {
    const tenant = await prepareDemoTenant(db.database, values.tenant);
    process.stderr.write(`${tenant.slug}: stores ${tenant.stores.map((s) => s.code).join(', ') || '(none with a code)'}; attributes ${tenant.defs.map((d) => d.key).join(', ')}\n`);
    const started = Date.now();
    bar = progressBar('demo     ');
    const result = await generateDemoMembers(db.database, tenant, n, {
      seed,
      onProgress: (c, phase) => bar?.update(Math.floor((phase === 'reading' ? 70 : phase === 'checking' ? 75 : 85) * (phase === 'reading' ? c.processed / n : 1)), { rows: fmt(c.processed), bad: fmt(c.failed), phase }),
    });
    bar.update(100, { rows: fmt(result.processed), bad: '0', phase: 'done' });
    bar.stop();
    bar = null;
    const secs = (Date.now() - started) / 1000;
    process.stdout.write(`created ${fmt(result.imported)} demo members (${fmt(result.skipped)} phones already members) in ${secs.toFixed(1)} s, ${fmt(Math.round(result.processed / secs))} rows/s\n`);
    return 0;
  } finally {
    bar?.stop();
    await db.close();
  }
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'import-members':
      return importMembers(rest);
    case 'demo':
      return demo(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command ? 0 : 2;
    default:
      fail(`unknown command: ${command}\n\n${USAGE}`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CliError || err instanceof ConfigError || err instanceof AppError) fail(err.message, 1);
    if (String((err as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS')) fail(`${(err as Error).message}\n\n${USAGE}`);
    process.stderr.write(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
