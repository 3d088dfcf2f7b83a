import { randomUUID } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { Logger } from 'pino';
import type { Database } from '../../platform/db/client.js';
import { withTenant, type Tx } from '../../platform/db/with-tenant.js';
import { decodeCursor, encodeCursor, type Page } from '../../platform/http/pagination.js';
import { AppError, badRequest, conflict, notFound } from '../../platform/http/problem.js';
import { audit } from '../../platform/tenancy/audit.js';
import type { AttributeDef } from '../attributes.rules.js';
import { csvField } from '../export/format.rules.js';
import { maskEmail } from '../email.rules.js';
import { maskName, maskPhone } from '../phone.rules.js';
import type { TextEncoding } from './detect.rules.js';
import { loadMembers, type ErrorEntry, type LoadActor, type LoadCounts, type LoadOptions, type LoadResult, type LoadSink } from './load.js';
import { checkMapping, resolveColumns, suggestMapping, type Mapping, type Target } from './mapping.rules.js';
import { memberImportErrors, memberImports, type ImportMode, type ImportStatus, type MemberImportRow } from './schema.js';
import { FileProblem, openSource } from './source.js';
import { receiveUpload } from './upload.js';

/** The error report keeps this many entries per run (all are counted). */
export const MAX_STORED_ERRORS = 100_000;
/** A run whose heartbeat is older than this was interrupted (the server stopped). */
const STALE_AFTER_MS = 90_000;
const HEARTBEAT_MS = 2_000;
/** Uploads nobody ran for this long are removed from the disk at the next upload. */
const UPLOAD_TTL_MS = 7 * 24 * 3600 * 1000;

export interface ImportView {
  id: string;
  fileName: string;
  format: 'csv' | 'xlsx';
  encoding: string | null;
  delimiter: string | null;
  sizeBytes: number;
  columns: string[];
  sample: string[][];
  suggestedMapping: Record<string, string | null>;
  status: ImportStatus;
  mode: ImportMode | null;
  options: RunOptions | null;
  progress: {
    total: number | null;
    processed: number;
    imported: number;
    skipped: number;
    merged: number;
    failed: number;
    /** 0–100 from the bytes of the file read, then the checking and writing phases */
    percent: number;
  };
  errorCount: number;
  error: { code: string; message: string } | null;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RunOptions {
  mapping: Mapping;
  onDuplicate: 'skip' | 'merge';
  commitGoodRows: boolean;
}

export interface ImportDeps {
  database: Database;
  /** folder for uploads (one subfolder per tenant) */
  dir: string;
  log: Logger;
  maxBytes: number;
}

export interface ImportActor extends LoadActor {
  permissions?: ReadonlySet<string>;
}

const RUNNING: ImportStatus[] = ['validating', 'importing'];

function percentOf(row: MemberImportRow): number {
  if (row.status === 'uploaded') return 0;
  if (!RUNNING.includes(row.status)) return 100;
  // Reading the file is nearly all of a dry run and about two thirds of a commit; the SQL
  // phases that follow report no finer progress than their start.
  const readShare = row.mode === 'commit' ? 65 : 90;
  switch (row.phase) {
    case 'checking':
      return readShare;
    case 'writing':
      return readShare + 10;
    default:
      return Math.floor(readShare * (row.sizeBytes > 0 ? Math.min(1, row.bytesRead / row.sizeBytes) : 0));
  }
}

type PiiKind = 'phone' | 'name' | 'email';

/** Phone, name and email cells are masked for viewers without members.pii (sample rows and
 * report): the columns mapped to them, by header. */
function piiColumns(row: MemberImportRow): Map<string, PiiKind> {
  const mapping = { ...row.suggestedMapping, ...((row.options as RunOptions | null)?.mapping ?? {}) };
  const out = new Map<string, PiiKind>();
  for (const [col, target] of Object.entries(mapping)) {
    if (target === 'phone' || target === 'name' || target === 'email') out.set(col, target);
  }
  return out;
}

function maskCell(kind: PiiKind | undefined, value: string): string {
  if (!value || !kind) return value;
  if (kind === 'name') return maskName(value) ?? '';
  if (kind === 'email') return maskEmail(value.trim());
  const digits = value.replace(/[^0-9+]/g, '');
  return maskPhone(digits.startsWith('+') ? digits : digits.length >= 11 ? '+86' + digits.slice(-11) : digits);
}

export function toView(row: MemberImportRow, canSeePii: boolean): ImportView {
  let sample = row.sample;
  if (!canSeePii) {
    const pii = piiColumns(row);
    sample = sample.map((cells) =>
      cells.map((c, i) => maskCell(pii.get(row.columns[i] ?? ''), c)),
    );
  }
  return {
    id: row.id,
    fileName: row.fileName,
    format: row.format,
    encoding: row.encoding,
    delimiter: row.delimiter,
    sizeBytes: row.sizeBytes,
    columns: row.columns,
    sample,
    suggestedMapping: row.suggestedMapping,
    status: row.status,
    mode: row.mode,
    options: (row.options as RunOptions | null) ?? null,
    progress: {
      total: row.totalRows,
      processed: row.processed,
      imported: row.imported,
      skipped: row.skipped,
      merged: row.merged,
      failed: row.failed,
      percent: percentOf(row),
    },
    errorCount: row.errorCount,
    error: row.error ?? null,
    createdBy: row.createdByName,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

async function attributeDefs(tx: Tx, tenantId: string): Promise<AttributeDef[]> {
  const res = await tx.execute<{ key: string; label: string; type: AttributeDef['type']; required: boolean; options: string[] }>(
    sql`select key, label, type, required, options from member_attribute_defs where tenant_id = ${tenantId} order by position, key`,
  );
  return res.rows;
}

async function getRow(tx: Tx, tenantId: string, id: string): Promise<MemberImportRow> {
  const rows = await tx.select().from(memberImports).where(and(eq(memberImports.tenantId, tenantId), eq(memberImports.id, id)));
  const row = rows[0];
  if (!row) throw notFound('Import');
  return row;
}

// ---------------------------------------------------------------- upload

/** Removes uploads older than a week from the tenant's folder (best effort). */
async function sweepOldUploads(dir: string): Promise<void> {
  try {
    for (const name of await fs.readdir(dir)) {
      const file = path.join(dir, name);
      const st = await fs.stat(file);
      if (Date.now() - st.mtimeMs > UPLOAD_TTL_MS) await fs.rm(file, { force: true });
    }
  } catch {
    /* nothing to sweep */
  }
}

export async function createImport(
  deps: ImportDeps,
  actor: ImportActor,
  body: Readable,
  input: { fileName?: string; encoding?: TextEncoding; delimiter?: string },
): Promise<ImportView> {
  const dir = path.join(deps.dir, actor.tenantId);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  void sweepOldUploads(dir);
  const dest = path.join(dir, `${randomUUID()}.upload`);
  const file = await receiveUpload(body, dest, { maxBytes: deps.maxBytes, encoding: input.encoding, delimiter: input.delimiter });
  try {
    return await withTenant(deps.database.db, actor.tenantId, async (tx) => {
      const defs = await attributeDefs(tx, actor.tenantId);
      const suggested = suggestMapping(file.header, defs);
      // undefined (no idea) is left out: the console shows those columns as "choose a field"
      const suggestedMapping = Object.fromEntries(Object.entries(suggested).filter(([, t]) => t !== undefined)) as Record<string, string | null>;
      const fileName = (input.fileName ?? `members.${file.format}`).slice(0, 200);
      const [row] = await tx
        .insert(memberImports)
        .values({
          tenantId: actor.tenantId,
          fileName,
          format: file.format,
          encoding: file.encoding,
          delimiter: file.delimiter,
          sizeBytes: file.size,
          filePath: file.path,
          columns: file.header,
          sample: file.sample,
          suggestedMapping,
          status: 'uploaded',
          processed: 0,
          imported: 0,
          skipped: 0,
          merged: 0,
          failed: 0,
          errorCount: 0,
          bytesRead: 0,
          createdByType: actor.type,
          createdById: actor.id,
          createdByName: actor.name,
        })
        .returning();
      return toView(row!, canSeePii(actor));
    });
  } catch (err) {
    await fs.rm(dest, { force: true });
    throw err;
  }
}

const canSeePii = (actor: ImportActor) => !actor.permissions || actor.permissions.has('members.pii');

// ---------------------------------------------------------------- read

export async function getImport(deps: ImportDeps, actor: ImportActor, id: string): Promise<ImportView> {
  const row = await withTenant(deps.database.db, actor.tenantId, async (tx) => markIfInterrupted(tx, await getRow(tx, actor.tenantId, id)));
  return toView(row, canSeePii(actor));
}

/** A run whose heartbeat stopped (the server went down mid-way) rolled back with its
 * connection: say so instead of showing it running forever. */
async function markIfInterrupted(tx: Tx, row: MemberImportRow): Promise<MemberImportRow> {
  if (!RUNNING.includes(row.status) || running.has(key(row.tenantId, row.id))) return row;
  const beat = (row.heartbeatAt ?? row.startedAt ?? row.createdAt).getTime();
  if (Date.now() - beat < STALE_AFTER_MS) return row;
  const [updated] = await tx
    .update(memberImports)
    .set({
      status: 'failed',
      phase: null,
      finishedAt: new Date(),
      error: { code: 'import_interrupted', message: 'The run was interrupted (the server stopped); nothing was imported. Run it again.' },
    })
    .where(and(eq(memberImports.tenantId, row.tenantId), eq(memberImports.id, row.id), sql`${memberImports.status} in ('validating', 'importing')`))
    .returning();
  return updated ?? row;
}

export async function listImports(deps: ImportDeps, actor: ImportActor, q: { limit: number; cursor?: string }): Promise<Page<ImportView>> {
  const after = decodeCursor(q.cursor);
  const rows = await withTenant(deps.database.db, actor.tenantId, (tx) =>
    tx
      .select()
      .from(memberImports)
      .where(and(eq(memberImports.tenantId, actor.tenantId), after ? lt(memberImports.id, after) : undefined))
      .orderBy(desc(memberImports.id))
      .limit(q.limit + 1),
  );
  const items = rows.slice(0, q.limit).map((r) => toView(r, canSeePii(actor)));
  return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!.id) : null };
}

/** The error report as CSV lines (row, column, value, reason), read page by page. */
export async function* errorReport(deps: ImportDeps, actor: ImportActor, id: string): AsyncGenerator<string> {
  const row = await withTenant(deps.database.db, actor.tenantId, (tx) => getRow(tx, actor.tenantId, id));
  const pii = canSeePii(actor) ? null : piiColumns(row);
  yield '\ufeffrow,column,value,reason\r\n'; // BOM: Excel then reads the UTF-8 correctly
  let after = { rowNo: -1, id: '0' };
  for (;;) {
    const page = await withTenant(deps.database.db, actor.tenantId, (tx) =>
      tx
        .select()
        .from(memberImportErrors)
        .where(
          and(
            eq(memberImportErrors.tenantId, actor.tenantId),
            eq(memberImportErrors.importId, id),
            sql`(${memberImportErrors.rowNo}, ${memberImportErrors.id}) > (${after.rowNo}, ${after.id})`,
          ),
        )
        .orderBy(memberImportErrors.rowNo, memberImportErrors.id)
        .limit(5000),
    );
    if (page.length === 0) break;
    let out = '';
    for (const e of page) {
      let value = e.value ?? '';
      if (pii && e.columnName && e.rowNo > 1) value = maskCell(pii.get(e.columnName), value);
      out += [csvField(e.rowNo), csvField(e.columnName), csvField(value), csvField(e.reason)].join(',') + '\r\n';
    }
    yield out;
    const last = page[page.length - 1]!;
    after = { rowNo: last.rowNo, id: last.id };
  }
  if (row.errorCount > MAX_STORED_ERRORS) {
    yield [csvField(''), csvField(''), csvField(''), csvField(`… and ${row.errorCount - MAX_STORED_ERRORS} more errors not listed (the report keeps the first ${MAX_STORED_ERRORS})`)].join(',') + '\r\n';
  }
}

export async function deleteImport(deps: ImportDeps, actor: ImportActor, id: string): Promise<void> {
  const row = await withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const r = await markIfInterrupted(tx, await getRow(tx, actor.tenantId, id));
    if (RUNNING.includes(r.status)) throw conflict('The import is running; wait for it to finish', 'import_running');
    await tx.delete(memberImports).where(and(eq(memberImports.tenantId, actor.tenantId), eq(memberImports.id, id)));
    return r;
  });
  await fs.rm(row.filePath, { force: true });
}

// ---------------------------------------------------------------- runs

const running = new Map<string, { controller: AbortController; done: Promise<unknown> }>();
const key = (tenantId: string, id: string) => `${tenantId}:${id}`;
/** Runs at once per server process: each holds one connection for its whole duration. */
const MAX_CONCURRENT_RUNS = 2;

/**
 * Checks the request, claims the import (status validating/importing, old report cleared) and
 * returns; the run goes on in the background of this process, its state in the database
 * (GET /members/imports/{id} polls it). `wait` runs it in the foreground instead (the CLI).
 */
export async function startRun(
  deps: ImportDeps,
  actor: ImportActor,
  id: string,
  mode: ImportMode,
  options: RunOptions,
  run: { wait?: boolean; onProgress?: (view: ImportView) => void } = {},
): Promise<ImportView> {
  if (!run.wait && running.size >= MAX_CONCURRENT_RUNS) {
    throw new AppError(429, 'import_busy', `${running.size} imports are running on this server; try again in a minute`);
  }
  const claimed = await withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const row = await markIfInterrupted(tx, await getRow(tx, actor.tenantId, id));
    if (RUNNING.includes(row.status)) throw conflict('This import is already running', 'import_running');
    if (row.status === 'completed') throw conflict('This file has already been imported; upload it again to import it once more', 'import_done');
    if (!existsSync(row.filePath)) {
      throw conflict('The uploaded file is no longer on this server (it is kept for a week, on the server that received it): upload it again', 'import_file_gone');
    }
    const defs = await attributeDefs(tx, actor.tenantId);
    const problems = checkMapping(options.mapping, row.columns, defs);
    if (problems.length) throw badRequest(`Invalid mapping: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
    await tx.delete(memberImportErrors).where(and(eq(memberImportErrors.tenantId, actor.tenantId), eq(memberImportErrors.importId, id)));
    const [updated] = await tx
      .update(memberImports)
      .set({
        status: mode === 'commit' ? 'importing' : 'validating',
        mode,
        phase: 'reading',
        options: options as unknown as Record<string, unknown>,
        totalRows: null,
        processed: 0,
        imported: 0,
        skipped: 0,
        merged: 0,
        failed: 0,
        errorCount: 0,
        bytesRead: 0,
        error: null,
        startedAt: new Date(),
        finishedAt: null,
        heartbeatAt: new Date(),
      })
      .where(and(eq(memberImports.tenantId, actor.tenantId), eq(memberImports.id, id)))
      .returning();
    return { row: updated!, defs };
  });

  const controller = new AbortController();
  const done = executeRun(deps, actor, claimed.row, claimed.defs, mode, options, controller.signal, run.onProgress).finally(() => {
    running.delete(key(actor.tenantId, id));
  });
  running.set(key(actor.tenantId, id), { controller, done });
  if (run.wait) {
    await done;
    return getImport(deps, actor, id);
  }
  done.catch((err: unknown) => deps.log.error({ err, importId: id }, 'member import failed unexpectedly'));
  return toView(claimed.row, canSeePii(actor));
}

/** Aborts the runs of this process (server shutdown): each rolls back and is marked failed. */
export async function stopAllRuns(): Promise<void> {
  for (const r of running.values()) r.controller.abort();
  await Promise.allSettled([...running.values()].map((r) => r.done));
}

/** For tests and the CLI: resolves when the run of this import in this process ends. */
export async function waitForRun(tenantId: string, id: string): Promise<void> {
  await running.get(key(tenantId, id))?.done.catch(() => undefined);
}

class DbSink implements LoadSink {
  private stored = 0;
  private latest: { counts: LoadCounts; phase: string } | null = null;
  private timer: NodeJS.Timeout;
  private inflight: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly deps: ImportDeps,
    private readonly actor: ImportActor,
    private readonly importId: string,
    private readonly mode: ImportMode,
    private readonly fileName: string,
    private readonly onProgress?: (counts: LoadCounts, phase: string) => void,
  ) {
    // The heartbeat goes on while long SQL statements run; it is what tells a live run from
    // one whose server died.
    this.timer = setInterval(() => this.persist(), HEARTBEAT_MS);
    this.timer.unref();
  }

  async errors(batch: ErrorEntry[]): Promise<void> {
    this.stored += batch.length;
    await withTenant(this.deps.database.db, this.actor.tenantId, (tx) =>
      tx.insert(memberImportErrors).values(
        batch.map((e) => ({
          tenantId: this.actor.tenantId,
          importId: this.importId,
          rowNo: e.rowNo,
          columnName: e.column,
          value: e.value === null ? null : e.value.slice(0, 500),
          reason: e.reason,
        })),
      ),
    );
  }

  errorRoom(): number {
    return MAX_STORED_ERRORS - this.stored;
  }

  progress(counts: LoadCounts, phase: string): void {
    this.latest = { counts: { ...counts }, phase };
    this.onProgress?.(counts, phase);
    if (phase !== 'reading') this.persist();
  }

  private persist(): void {
    if (this.closed) return;
    const latest = this.latest;
    this.inflight = this.inflight
      .then(() =>
        withTenant(this.deps.database.db, this.actor.tenantId, (tx) =>
          tx
            .update(memberImports)
            .set({
              heartbeatAt: new Date(),
              ...(latest
                ? {
                    processed: latest.counts.processed,
                    failed: latest.counts.failed,
                    errorCount: latest.counts.errorCount,
                    bytesRead: latest.counts.bytesRead,
                    phase: latest.phase as 'reading' | 'checking' | 'writing',
                    totalRows: latest.phase === 'reading' ? null : latest.counts.processed,
                  }
                : {}),
            })
            .where(and(eq(memberImports.tenantId, this.actor.tenantId), eq(memberImports.id, this.importId))),
        ),
      )
      .catch((err: unknown) => this.deps.log.warn({ err, importId: this.importId }, 'could not record import progress'));
  }

  async quiesce(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.inflight;
  }

  async beforeCommit(client: import('pg').PoolClient, result: LoadResult): Promise<void> {
    const tx = drizzle(client) as unknown as Tx;
    await tx
      .update(memberImports)
      .set({ ...finalState(result), status: 'completed' })
      .where(and(eq(memberImports.tenantId, this.actor.tenantId), eq(memberImports.id, this.importId)));
    await audit(tx, this.actor, 'member.import', { type: 'member_import', id: this.importId }, {
      fileName: this.fileName,
      rows: result.total,
      imported: result.imported,
      merged: result.merged,
      skipped: result.skipped,
      failed: result.failed,
    });
  }
}

function finalState(result: LoadResult) {
  return {
    phase: null,
    totalRows: result.total,
    processed: result.processed,
    imported: result.imported,
    skipped: result.skipped,
    merged: result.merged,
    failed: result.failed,
    errorCount: result.errorCount,
    bytesRead: result.bytesRead,
    finishedAt: new Date(),
    error: result.problem,
  };
}

/** What a database error means for the person importing. */
function describeFailure(err: unknown): { code: string; message: string } {
  if (err instanceof FileProblem) return { code: err.code, message: err.message };
  if (err instanceof AppError) return { code: err.code, message: err.message };
  const pgErr = err as { code?: string; constraint?: string };
  if (pgErr.code === '23505') {
    return { code: 'import_conflict', message: 'Another registration took a card number or phone number of this import while it ran; nothing was imported. Run it again.' };
  }
  if (pgErr.code === '55P03') return { code: 'import_lock_timeout', message: 'The import waited too long for other work on the members to finish; nothing was imported. Run it again.' };
  return { code: 'import_failed', message: 'The import failed unexpectedly and nothing was imported; the error has been logged.' };
}

async function executeRun(
  deps: ImportDeps,
  actor: ImportActor,
  row: MemberImportRow,
  defs: AttributeDef[],
  mode: ImportMode,
  options: RunOptions,
  signal: AbortSignal,
  onProgress?: (view: ImportView) => void,
): Promise<void> {
  const sink = new DbSink(deps, actor, row.id, mode, row.fileName, onProgress ? (counts, phase) => onProgress(progressView(row, counts, phase)) : undefined);
  const loadOptions: LoadOptions = { mode, onDuplicate: options.onDuplicate, commitGoodRows: options.commitGoodRows };
  let result: LoadResult | null = null;
  let failure: { code: string; message: string } | null = null;
  let rowNo: number | null = null;
  try {
    const source = await openSource({ path: row.filePath, format: row.format, encoding: row.encoding, delimiter: row.delimiter });
    try {
      const suggested = suggestMapping(source.header, defs);
      const { columns, errors } = resolveColumns(source.header, options.mapping as Record<string, Target | null>, suggested);
      result = await loadMembers(
        deps.database.pool,
        actor,
        { header: source.header, rows: source.rows, bytesRead: source.bytesRead, columns, headerErrors: errors, headerRowNo: source.headerRowNo },
        loadOptions,
        sink,
        signal,
      );
    } finally {
      source.close();
    }
  } catch (err) {
    failure = describeFailure(err);
    if (err instanceof FileProblem) rowNo = err.rowNo;
    if (failure.code === 'import_failed') deps.log.error({ err, importId: row.id }, 'member import failed');
  }
  await sink.quiesce();
  if (result?.outcome === 'committed') {
    await fs.rm(row.filePath, { force: true }).catch(() => undefined);
    return;
  }
  await withTenant(deps.database.db, actor.tenantId, async (tx) => {
    if (failure && rowNo !== null) {
      // the file-level problem also goes into the report, at its row
      await tx.insert(memberImportErrors).values({ tenantId: actor.tenantId, importId: row.id, rowNo, columnName: null, value: null, reason: failure.message });
    }
    const state = result
      ? { ...finalState(result), status: (result.outcome === 'validated' ? 'validated' : 'failed') as ImportStatus }
      : { status: 'failed' as ImportStatus, phase: null, finishedAt: new Date(), error: failure, ...(rowNo !== null ? { errorCount: sql`${memberImports.errorCount} + 1` } : {}) };
    await tx.update(memberImports).set(state).where(and(eq(memberImports.tenantId, actor.tenantId), eq(memberImports.id, row.id)));
  });
}

function progressView(row: MemberImportRow, counts: LoadCounts, phase: string): ImportView {
  return toView(
    {
      ...row,
      phase: phase as 'reading' | 'checking' | 'writing',
      processed: counts.processed,
      failed: counts.failed,
      errorCount: counts.errorCount,
      bytesRead: counts.bytesRead,
      totalRows: phase === 'reading' ? null : counts.processed,
    },
    true,
  );
}
