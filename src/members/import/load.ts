import { once } from 'node:events';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { startingTier } from '../../loyalty/index.js';
import type { Tx } from '../../platform/db/with-tenant.js';
import { AppError } from '../../platform/http/problem.js';
import type { AttributeDef } from '../attributes.rules.js';
import { planCapacity, type CardPlan } from '../card.rules.js';
import { allocateCardNumbers, getMemberSettings } from '../cards.repo.js';
import type { HeaderError, ResolvedColumn } from './mapping.rules.js';
import { describePlan, isBlankRow, MobileCache, readRow, type RowContext, type StagedRow } from './row.rules.js';
import type { SourceRow } from './source.js';

/**
 * The bulk loader shared by the API import, the CLI import and the demo generator.
 *
 * One transaction on one connection, bound to the tenant (so RLS applies to every statement):
 *   1. rows stream from the file through `readRow` (checks that need only the row) and are
 *      COPYed into a TEMP staging table. COPY FROM cannot target a table with row-level
 *      security (PostgreSQL refuses: "COPY FROM not supported with row-level security"), and
 *      `members` has it, forced; a TEMP table has none and writes no WAL, so this is also
 *      the fastest way in. Node holds one row and a 64 KB write buffer at a time, so memory
 *      stays flat whatever the size of the file.
 *   2. checks across rows and against the database run as set-based SQL on the staging table:
 *      duplicate phones and card numbers within the file, existing members, card numbers held
 *      by someone else, the card pool, required attributes of new members, card capacity.
 *   3. dry run: roll back. Commit: unless bad rows exist and the caller did not choose
 *      `commitGoodRows`, merge existing members, INSERT … SELECT the new ones (card numbers
 *      from `allocateCardNumbers`, in chunks), let the caller write its final state and audit
 *      entry, and COMMIT. Any failure rolls everything back: nothing partial is left.
 *
 * Row errors are handed to the sink as they are found (and the set-based ones at the end),
 * and the sink writes them on another connection, so the error report survives the rollback.
 */
export interface LoadOptions {
  mode: 'dry_run' | 'commit';
  onDuplicate: 'skip' | 'merge';
  commitGoodRows: boolean;
}

export interface LoadActor {
  tenantId: string;
  type: 'operator' | 'api_key' | 'system';
  id: string | null;
  name: string;
  ip?: string | null;
  /** org path of the actor's data scope; stores outside it cannot be assigned */
  scopePath: string;
}

export interface ErrorEntry {
  rowNo: number;
  column: string | null;
  value: string | null;
  reason: string;
}

export interface LoadCounts {
  /** data rows read (blank rows are not counted) */
  processed: number;
  /** rows with at least one error */
  failed: number;
  errorCount: number;
  /** new members (would be) created, existing members (would be) merged or skipped */
  imported: number;
  merged: number;
  skipped: number;
  bytesRead: number;
}

export interface LoadResult extends LoadCounts {
  total: number;
  outcome: 'validated' | 'committed' | 'rejected';
  /** why nothing was committed (outcome 'rejected'), or a note for a validated dry run */
  problem: { code: string; message: string } | null;
}

export interface LoadSink {
  /** Row errors, in batches: to be stored where a rollback does not reach them. */
  errors(batch: ErrorEntry[]): Promise<void>;
  /** How many more error entries are worth sending (the report is capped). */
  errorRoom(): number;
  /** The latest counts, every 8,192 rows and at each phase; the sink decides when to persist. */
  progress(counts: LoadCounts, phase: 'reading' | 'checking' | 'writing'): void;
  /** Called once no more progress will be reported: must stop writing to the import row,
   * which the main transaction is about to update. */
  quiesce(): Promise<void>;
  /** Inside the transaction, just before COMMIT: final state, audit entry. */
  beforeCommit(client: pg.PoolClient, result: LoadResult): Promise<void>;
}

export interface LoadInput {
  header: string[];
  rows: AsyncIterator<SourceRow>;
  bytesRead(): number;
  columns: ResolvedColumn[];
  headerErrors: HeaderError[];
  headerRowNo: number;
  /** demo data: fixed join times and no checks that cannot fail */
  source?: 'import' | 'demo';
}

const ERROR_BATCH = 500;
// small writes: the lines of a chunk die young instead of being promoted to the old generation
const WRITE_CHUNK = 16 * 1024;
const CARD_CHUNK = 50_000;

class Rejected extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export async function loadMembers(
  pool: pg.Pool,
  actor: LoadActor,
  input: LoadInput,
  options: LoadOptions,
  sink: LoadSink,
  signal?: AbortSignal,
): Promise<LoadResult> {
  const counts: LoadCounts = { processed: 0, failed: 0, errorCount: 0, imported: 0, merged: 0, skipped: 0, bytesRead: 0 };
  let pending: ErrorEntry[] = [];
  const report = async (entries: ErrorEntry[], force = false) => {
    for (const e of entries) {
      counts.errorCount++;
      if (sink.errorRoom() - pending.length > 0) pending.push(e);
    }
    if (pending.length >= ERROR_BATCH || (force && pending.length)) {
      const batch = pending;
      pending = [];
      await sink.errors(batch);
    }
  };

  // Header problems concern every row: a commit stops here, a dry run goes on to report rows too.
  if (input.headerErrors.length) {
    await report(input.headerErrors.map((e) => ({ rowNo: input.headerRowNo, column: e.column, value: e.value, reason: e.reason })), true);
    if (options.mode === 'commit') {
      return {
        ...counts,
        total: 0,
        outcome: 'rejected',
        problem: { code: 'import_mapping', message: `The column mapping has ${input.headerErrors.length} problem(s) (see the error report, row ${input.headerRowNo}); nothing was imported` },
      };
    }
  }

  const client = await pool.connect();
  let released = false;
  const release = (err?: Error) => {
    if (!released) client.release(err);
    released = true;
  };
  try {
    await client.query('BEGIN');
    await client.query(`select set_config('app.tenant_id', $1, true)`, [actor.tenantId]);
    // A long import must not hold locks forever if something hangs; the statements themselves
    // are bulk and may take a while.
    await client.query(`set local lock_timeout = '30s'`);
    // the set-based checks group and sort up to a million staged rows: in memory, not on disk
    await client.query(`set local work_mem = '64MB'`);
    const tx = drizzle(client) as unknown as Tx; // the same connection, inside our BEGIN: for the repo functions that take a Tx
    const ctx = await loadContext(client, tx, actor);
    await client.query(`
      create temp table import_rows (
        row_no bigint not null, phone text not null, name text, gender text, birthday date, email text,
        card_no text, store_id bigint, attributes jsonb not null, tags text[] not null, created_at timestamp,
        bad boolean not null default false, member_id bigint, member_card text
      ) on commit drop`);
    await client.query(`create temp table import_errors (row_no bigint, column_name text, value text, reason text) on commit drop`);

    // ---------------------------------------------------------------- 1. stream into staging
    const copy = client.query(copyFrom('copy import_rows (row_no, phone, name, gender, birthday, email, card_no, store_id, attributes, tags, created_at) from stdin'));
    const copyDone = new Promise<void>((resolve, reject) => {
      copy.on('finish', resolve);
      copy.on('error', reject);
    });
    copyDone.catch(() => undefined); // observed below; a failure while reading must not go unhandled
    let buffer: string[] = [];
    let buffered = 0;
    const flush = async () => {
      if (!buffered) return;
      const ok = copy.write(buffer.join(''));
      buffer = [];
      buffered = 0;
      if (!ok) await Promise.race([once(copy, 'drain'), copyDone]);
    };
    try {
      for (;;) {
        const next = await input.rows.next();
        if (next.done) break;
        const { rowNo, cells } = next.value;
        if (isBlankRow(cells)) continue;
        counts.processed++;
        const { row, errors } = readRow(cells, input.columns, rowNo, ctx);
        if (row) {
          const line = copyLine(row);
          buffer.push(line);
          buffered += line.length;
          if (buffered >= WRITE_CHUNK) await flush();
        } else {
          counts.failed++;
          await report(errors.map((e) => ({ rowNo, column: e.column, value: e.value, reason: e.reason })));
        }
        if ((counts.processed & 0x1fff) === 0) {
          if (signal?.aborted) throw new Rejected('import_interrupted', 'The import was interrupted (the server is shutting down); nothing was imported. Run it again.');
          counts.bytesRead = input.bytesRead();
          sink.progress(counts, 'reading');
        }
      }
      await flush();
      copy.end();
      await copyDone;
    } catch (err) {
      copy.destroy(err instanceof Error ? err : new Error(String(err)));
      await copyDone.catch(() => undefined);
      throw err;
    }
    counts.bytesRead = input.bytesRead();
    const total = counts.processed;
    sink.progress(counts, 'checking');

    // ---------------------------------------------------------------- 2. set-based checks
    await client.query('analyze import_rows');
    const columnOf = (target: string) => input.columns.find((c) => c.target === target)?.header ?? null;
    const setErrors = await checkStaged(client, actor.tenantId, ctx, options, columnOf, input.source === 'demo');
    const summary = await client.query<{ bad: string; fresh: string; existing: string; need_cards: string }>(`
      select count(*) filter (where bad) as bad,
             count(*) filter (where not bad and member_id is null) as fresh,
             count(*) filter (where not bad and member_id is not null) as existing,
             count(*) filter (where not bad and member_id is null and card_no is null) as need_cards
        from import_rows`);
    const s = summary.rows[0]!;
    counts.failed += Number(s.bad);
    const fresh = Number(s.fresh);
    const existing = Number(s.existing);
    const needCards = Number(s.need_cards);
    counts.imported = fresh;
    if (options.onDuplicate === 'merge') counts.merged = existing;
    else counts.skipped = existing;

    // card numbers: is there room for the new members without one?
    const capacityProblem = await cardCapacityProblem(client, actor.tenantId, ctx, needCards);

    // hand the set-based errors over before the temp tables go away; only as many as the
    // report keeps are read out, the rest are counted
    if (setErrors > 0) {
      const entries = await readSetErrors(client, Math.max(0, sink.errorRoom() - pending.length));
      await report(entries);
      counts.errorCount += setErrors - entries.length;
    }
    await report([], true);

    const result = (outcome: LoadResult['outcome'], problem: LoadResult['problem']): LoadResult => ({ ...counts, total, outcome, problem });

    if (options.mode === 'dry_run' || capacityProblem || (counts.failed > 0 && !options.commitGoodRows)) {
      await client.query('ROLLBACK');
      release();
      if (capacityProblem) return result(options.mode === 'dry_run' ? 'validated' : 'rejected', { code: 'card_capacity', message: capacityProblem });
      if (options.mode === 'dry_run') return result('validated', null);
      return result('rejected', {
        code: 'import_rows_invalid',
        message: `${counts.failed} of ${total} rows have errors (see the error report); nothing was imported. Fix them, or import the ${total - counts.failed} good rows with commitGoodRows`,
      });
    }

    // ---------------------------------------------------------------- 3. write
    sink.progress(counts, 'writing');
    const written = await writeMembers(client, tx, actor, ctx, options, needCards, input.source === 'demo');
    counts.imported = written.inserted;
    counts.merged = written.merged;
    counts.skipped = options.onDuplicate === 'skip' ? existing + (fresh - written.inserted) : fresh - written.inserted;
    const final = result('committed', null);
    await sink.quiesce();
    await sink.beforeCommit(client, final);
    await client.query('COMMIT');
    release();
    return final;
  } catch (err) {
    if (!released) {
      await client.query('ROLLBACK').catch(() => undefined);
      // a connection that failed mid-COPY is not worth reusing
      release(err instanceof Error ? err : new Error(String(err)));
    }
    if (err instanceof Rejected) return { ...counts, total: counts.processed, outcome: 'rejected', problem: { code: err.code, message: err.message } };
    throw err;
  }
}

// ---------------------------------------------------------------- context

interface LoadContext extends RowContext {
  timezone: string;
  cardMode: 'sequence' | 'pool';
  plan: CardPlan;
  cardNextSeq: number;
  required: AttributeDef[];
}

async function loadContext(client: pg.PoolClient, tx: Tx, actor: LoadActor): Promise<LoadContext> {
  const tenant = await client.query<{ timezone: string; today: string }>(
    `select timezone, (now() at time zone timezone)::date::text as today from tenants where id = $1`,
    [actor.tenantId],
  );
  const t = tenant.rows[0];
  if (!t) throw new AppError(404, 'not_found', 'Tenant not found');
  const defsRes = await client.query<AttributeDef>(
    `select key, label, type, required, options from member_attribute_defs where tenant_id = $1 order by position, key`,
    [actor.tenantId],
  );
  const settings = await getMemberSettings(tx, actor.tenantId);
  const stores = await client.query<{ id: string; code: string | null; name: string }>(
    `select id::text, code, name from org_nodes where tenant_id = $1 and kind = 'store' and path like $2`,
    [actor.tenantId, actor.scopePath.replace(/[\\%_]/g, '\\$&') + '%'],
  );
  const storesByCode = new Map<string, string>();
  const storesByName = new Map<string, string | null>();
  for (const st of stores.rows) {
    if (st.code) storesByCode.set(st.code, st.id);
    storesByName.set(st.name, storesByName.has(st.name) ? null : st.id);
  }
  const plan: CardPlan = { prefix: settings.cardPrefix, digits: settings.cardDigits, checkDigit: settings.cardCheckDigit };
  return {
    defs: new Map(defsRes.rows.map((d) => [d.key, d])),
    required: defsRes.rows.filter((d) => d.required),
    cardPlan: settings.cardMode === 'sequence' ? plan : null,
    storesByCode,
    storesByName,
    today: t.today,
    mobiles: new MobileCache(),
    timezone: t.timezone,
    cardMode: settings.cardMode,
    plan,
    cardNextSeq: settings.cardNextSeq,
  };
}

// ---------------------------------------------------------------- COPY text format

const NULL = '\\N';
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A value for COPY's text format: backslash, tab, newline and CR escaped. */
export function copyText(s: string): string {
  return /[\\\n\r\t]/.test(s) ? s.replace(/[\\\n\r\t]/g, (c) => ESCAPES[c]!) : s;
}

/** A PostgreSQL array literal of text elements, every element quoted. */
export function textArrayLiteral(items: readonly string[]): string {
  if (items.length === 0) return '{}';
  return '{' + items.map((t) => '"' + t.replace(/[\\"]/g, '\\$&') + '"').join(',') + '}';
}

function copyLine(r: StagedRow): string {
  return (
    r.rowNo + '\t' +
    r.phone + '\t' +
    (r.name === null ? NULL : copyText(r.name)) + '\t' +
    (r.gender ?? NULL) + '\t' +
    (r.birthday ?? NULL) + '\t' +
    (r.email === null ? NULL : copyText(r.email)) + '\t' +
    (r.cardNo ?? NULL) + '\t' +
    (r.storeId ?? NULL) + '\t' +
    copyText(JSON.stringify(r.attributes)) + '\t' +
    copyText(textArrayLiteral(r.tags)) + '\t' +
    (r.createdAt ?? NULL) + '\n'
  );
}

// ---------------------------------------------------------------- set-based checks

/** Each check marks rows bad and records why in import_errors, in one statement. */
async function checkStaged(
  client: pg.PoolClient,
  tenantId: string,
  ctx: LoadContext,
  options: LoadOptions,
  columnOf: (target: string) => string | null,
  trusted: boolean,
): Promise<number> {
  let n = 0;
  const mark = async (text: string, values: unknown[]) => {
    const res = await client.query(text, values);
    n += res.rowCount ?? 0;
  };
  // duplicates within the file: the first occurrence stays, the others are errors
  await mark(
    `with dups as (
       select phone, min(row_no) as first_row from import_rows where not bad group by phone having count(*) > 1),
     marked as (
       update import_rows s set bad = true from dups
        where s.phone = dups.phone and s.row_no <> dups.first_row and not s.bad
        returning s.row_no, s.phone, dups.first_row)
     insert into import_errors select row_no, $1, phone, 'appears more than once in this file (first at row ' || first_row || ')' from marked`,
    [columnOf('phone')],
  );
  if (trusted) {
    // demo data: card numbers are allocated, never given; the rest cannot fail
    await client.query(`update import_rows s set member_id = m.id, member_card = m.card_no from members m where m.tenant_id = $1 and m.phone = s.phone and not s.bad`, [tenantId]);
    return n;
  }
  await mark(
    `with dups as (
       select card_no, min(row_no) as first_row from import_rows where not bad and card_no is not null group by card_no having count(*) > 1),
     marked as (
       update import_rows s set bad = true from dups
        where s.card_no = dups.card_no and s.row_no <> dups.first_row and not s.bad
        returning s.row_no, s.card_no, dups.first_row)
     insert into import_errors select row_no, $1, card_no, 'card number appears more than once in this file (first at row ' || first_row || ')' from marked`,
    [columnOf('cardNo')],
  );
  // existing members (by phone): merged or skipped later
  await client.query(
    `update import_rows s set member_id = m.id, member_card = m.card_no
       from members m where m.tenant_id = $1 and m.phone = s.phone and not s.bad`,
    [tenantId],
  );
  // a card number that another member holds
  await mark(
    `with marked as (
       update import_rows s set bad = true from members m
        where m.tenant_id = $1 and m.card_no = s.card_no and s.card_no is not null and s.member_id is null and not s.bad
        returning s.row_no, s.card_no)
     insert into import_errors select row_no, $2, card_no, 'card number already belongs to another member' from marked`,
    [tenantId, columnOf('cardNo')],
  );
  if (options.onDuplicate === 'merge') {
    await mark(
      `with marked as (
         update import_rows s set bad = true
          where s.member_id is not null and s.card_no is not null and s.card_no <> s.member_card and not s.bad
          returning s.row_no, s.card_no, s.member_card)
       insert into import_errors select row_no, $1, card_no,
              'the member with this phone already has card number ' || member_card || '; an import does not change card numbers' from marked`,
      [columnOf('cardNo')],
    );
  }
  if (ctx.cardMode === 'pool') {
    await mark(
      `with marked as (
         update import_rows s set bad = true
          where s.card_no is not null and s.member_id is null and not s.bad
            and not exists (select 1 from card_pool p where p.tenant_id = $1 and p.card_no = s.card_no and p.used_at is null)
          returning s.row_no, s.card_no)
       insert into import_errors select row_no, $2, card_no, 'is not an unused number of the card pool' from marked`,
      [tenantId, columnOf('cardNo')],
    );
  }
  // required attributes: only new members need them (a merge keeps what the member has)
  for (const def of ctx.required) {
    await mark(
      `with marked as (
         update import_rows s set bad = true
          where s.member_id is null and not s.bad and not (s.attributes ? $1)
          returning s.row_no)
       insert into import_errors select row_no, $2, '', $3 from marked`,
      [def.key, columnOf(`attributes.${def.key}`) ?? `attributes.${def.key}`, `${def.label} is required for a new member`],
    );
  }
  return n;
}

async function cardCapacityProblem(client: pg.PoolClient, tenantId: string, ctx: LoadContext, needed: number): Promise<string | null> {
  if (needed === 0) return null;
  if (ctx.cardMode === 'pool') {
    const res = await client.query<{ n: string }>(`select count(*) as n from card_pool where tenant_id = $1 and used_at is null and not special`, [tenantId]);
    const free = Number(res.rows[0]!.n);
    return free < needed ? `${needed} new members need a card number but the card pool has only ${free} free numbers: add a batch first` : null;
  }
  const room = planCapacity(ctx.plan) - ctx.cardNextSeq + 1;
  return room < needed ? `${needed} new members need a card number but the card-number plan (${describePlan(ctx.plan)}) has room for only ${Math.max(0, room)} more: widen it in the member settings` : null;
}

async function readSetErrors(client: pg.PoolClient, limit: number): Promise<ErrorEntry[]> {
  if (limit <= 0) return [];
  const res = await client.query<{ row_no: string; column_name: string | null; value: string | null; reason: string }>(
    `select row_no, column_name, value, reason from import_errors order by row_no limit $1`,
    [limit],
  );
  return res.rows.map((r) => ({ rowNo: Number(r.row_no), column: r.column_name, value: r.value, reason: r.reason }));
}

// ---------------------------------------------------------------- writing members

async function writeMembers(
  client: pg.PoolClient,
  tx: Tx,
  actor: LoadActor,
  ctx: LoadContext,
  options: LoadOptions,
  needCards: number,
  demo: boolean,
): Promise<{ inserted: number; merged: number }> {
  const tenantId = actor.tenantId;
  let merged = 0;
  if (options.onDuplicate === 'merge') {
    // File values win where the file has one; empty cells keep what the member has; tags are
    // added to the member's; attributes are merged key by key. The change history records the
    // fields before and after (src reads the rows as they were before the update).
    const res = await client.query(
      `with src as (
         select s.*, m.name as old_name, m.gender as old_gender, m.birthday as old_birthday, m.email as old_email, m.store_id as old_store_id,
                m.attributes as old_attributes, m.tags as old_tags
           from import_rows s join members m on m.tenant_id = $1 and m.id = s.member_id
          where not s.bad),
       upd as (
         update members m set
                name = coalesce(src.name, m.name),
                gender = coalesce(src.gender, m.gender),
                birthday = coalesce(src.birthday, m.birthday),
                email = coalesce(src.email, m.email),
                store_id = coalesce(src.store_id, m.store_id),
                attributes = m.attributes || src.attributes,
                tags = case when cardinality(src.tags) = 0 then m.tags else
                         array(select t from unnest(m.tags || src.tags) with ordinality u(t, o) group by t order by min(o)) end,
                updated_at = now()
           from src where m.tenant_id = $1 and m.id = src.member_id
         returning m.id)
       insert into member_changes (tenant_id, member_id, change, before, after, reason, actor_type, actor_id, actor_name)
       select $1, src.member_id, 'import_merge',
              jsonb_build_object('name', src.old_name, 'gender', src.old_gender, 'birthday', src.old_birthday, 'email', src.old_email,
                                 'storeId', src.old_store_id::text, 'attributes', src.old_attributes, 'tags', to_jsonb(src.old_tags)),
              jsonb_strip_nulls(jsonb_build_object('name', src.name, 'gender', src.gender, 'birthday', src.birthday, 'email', src.email,
                                 'storeId', src.store_id::text, 'attributes', src.attributes,
                                 'tags', case when cardinality(src.tags) = 0 then null else to_jsonb(src.tags) end)),
              $2, $3, $4, $5
         from src join upd on upd.id = src.member_id`,
      [tenantId, 'import', actor.type, actor.id, actor.name],
    );
    merged = res.rowCount ?? 0;
  }

  const joinedAt = `coalesce(s.created_at at time zone '${ctx.timezone.replace(/'/g, "''")}', now())`;
  // new members start in the lowest tier when its threshold is 0 (as at the counter)
  const tier = await startingTier(tx, tenantId);
  const columns = `tenant_id, card_no, phone, name, gender, birthday, email, store_id, attributes, tags, source, created_at, updated_at, tier_code`;
  let inserted = 0;
  // Rows that bring their own card number go first, so the allocation below sees their
  // numbers as taken.
  if (!demo) {
    const res = await client.query(
      `insert into members (${columns})
       select $1, s.card_no, s.phone, s.name, s.gender, s.birthday, s.email, s.store_id, s.attributes, s.tags, 'import', ${joinedAt}, now(), $2::text
         from import_rows s where not s.bad and s.member_id is null and s.card_no is not null
        order by s.row_no
       on conflict (tenant_id, phone) do nothing`,
      [tenantId, tier],
    );
    inserted += res.rowCount ?? 0;
    if (ctx.cardMode === 'pool') {
      await client.query(
        `update card_pool p set used_at = now() from import_rows s
          where p.tenant_id = $1 and p.card_no = s.card_no and not s.bad and s.member_id is null and p.used_at is null`,
        [tenantId],
      );
    }
  }

  if (needCards > 0) {
    // allocateCardNumbers locks the tenant's member settings row (sequence mode) until COMMIT:
    // counter registrations of this tenant wait for the rest of the import, which is why this
    // comes last. Numbers go to a temp table, matched to rows by their order in the file.
    await client.query(`create temp table import_cards (rn bigint not null, card_no text not null) on commit drop`);
    for (let done = 0; done < needCards; done += CARD_CHUNK) {
      const n = Math.min(CARD_CHUNK, needCards - done);
      const numbers = await allocateCardNumbers(tx, tenantId, n);
      const copy = client.query(copyFrom('copy import_cards (rn, card_no) from stdin'));
      const finished = new Promise<void>((resolve, reject) => {
        copy.on('finish', resolve);
        copy.on('error', reject);
      });
      let text = '';
      for (let i = 0; i < numbers.length; i++) text += `${done + i + 1}\t${copyText(numbers[i]!)}\n`;
      copy.end(text);
      await finished;
    }
    const res = await client.query(
      `insert into members (${columns})
       select $1, c.card_no, s.phone, s.name, s.gender, s.birthday, s.email, s.store_id, s.attributes, s.tags, $2, ${joinedAt}, now(), $3::text
         from (select s.*, row_number() over (order by s.row_no) as rn
                 from import_rows s where not s.bad and s.member_id is null and s.card_no is null) s
         join import_cards c on c.rn = s.rn
       on conflict (tenant_id, phone) do nothing`,
      [tenantId, demo ? 'counter' : 'import', tier],
    );
    inserted += res.rowCount ?? 0;
  }
  return { inserted, merged };
}
