import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import type { Database } from '../../platform/db/client.js';
import { withTenant } from '../../platform/db/with-tenant.js';
import { AppError, notFound } from '../../platform/http/problem.js';
import type { AttributeDef } from '../attributes.rules.js';
import { csvLine } from '../export/format.rules.js';
import { DEMO_ATTRIBUTES, DEMO_STORES, demoHeader, demoRows, type DemoStore } from './demo.rules.js';
import { loadMembers, textArrayLiteral, type LoadActor, type LoadCounts, type LoadResult } from './load.js';
import { resolveColumns, suggestMapping } from './mapping.rules.js';
import type { SourceRow } from './source.js';

export interface DemoTenant {
  tenantId: string;
  slug: string;
  scopePath: string;
  stores: DemoStore[];
  defs: AttributeDef[];
}

/** Finds the tenant and gives it what demo members need: a few stores and attributes, created
 * only when it has none. */
export async function prepareDemoTenant(database: Database, slug: string): Promise<DemoTenant> {
  const t = await database.pool.query<{ id: string }>(`select id::text from tenants where slug = $1`, [slug]);
  const tenantId = t.rows[0]?.id;
  if (!tenantId) throw notFound(`Merchant "${slug}"`);
  return withTenant(database.db, tenantId, async (tx) => {
    const hq = await tx.execute<{ id: string; path: string }>(sql`select id::text, path from org_nodes where tenant_id = ${tenantId} and parent_id is null`);
    const root = hq.rows[0];
    if (!root) throw new AppError(409, 'no_headquarters', `Merchant "${slug}" has no headquarters node`);
    let stores = (await tx.execute<{ code: string | null; name: string }>(sql`select code, name from org_nodes where tenant_id = ${tenantId} and kind = 'store' order by id`)).rows;
    if (stores.length === 0) {
      for (const s of DEMO_STORES) {
        await tx.execute(sql`insert into org_nodes (tenant_id, parent_id, kind, name, code) values (${tenantId}, ${root.id}, 'store', ${s.name}, ${s.code})`);
      }
      stores = DEMO_STORES;
    }
    let defs = (await tx.execute<AttributeDef & Record<string, unknown>>(sql`select key, label, type, required, options from member_attribute_defs where tenant_id = ${tenantId} order by position, key`)).rows;
    if (defs.length === 0) {
      let position = 1;
      for (const d of DEMO_ATTRIBUTES) {
        await tx.execute(sql`insert into member_attribute_defs (tenant_id, key, label, type, required, options, position)
                              values (${tenantId}, ${d.key}, ${d.label}, ${d.type}, false, ${textArrayLiteral(d.options)}::text[], ${position++})`);
      }
      defs = DEMO_ATTRIBUTES as (AttributeDef & Record<string, unknown>)[];
    }
    return {
      tenantId,
      slug,
      scopePath: root.path,
      // stores without a code cannot be named in demo rows
      stores: stores.filter((s): s is DemoStore => !!s.code),
      defs: defs.map((d) => ({ key: d.key, label: d.label, type: d.type, required: d.required, options: d.options })),
    };
  });
}

/**
 * Adds `count` demo members through the import's bulk loader (COPY into staging, then one
 * INSERT … SELECT), so a million take seconds, not hours. Phones that are members already
 * (a second run with the same seed) are skipped.
 */
export async function generateDemoMembers(
  database: Database,
  tenant: DemoTenant,
  count: number,
  opts: { seed: number; onProgress?: (counts: LoadCounts, phase: string) => void },
): Promise<LoadResult> {
  const header = demoHeader(tenant.defs);
  const { columns, errors } = resolveColumns(header, {}, suggestMapping(header, tenant.defs));
  if (errors.length) throw new Error(`demo header does not map: ${errors.map((e) => `${e.column}: ${e.reason}`).join('; ')}`);
  const gen = demoRows(0, count, { seed: opts.seed, stores: tenant.stores, defs: tenant.defs, now: new Date() });
  let rowNo = 1;
  const rows: AsyncIterator<SourceRow> = {
    async next() {
      const n = gen.next();
      if (n.done) return { done: true, value: undefined };
      rowNo++;
      return { done: false, value: { rowNo, cells: n.value } };
    },
  };
  const actor: LoadActor = { tenantId: tenant.tenantId, type: 'system', id: null, name: 'demo data', scopePath: tenant.scopePath };
  const problems: string[] = [];
  const result = await loadMembers(
    database.pool,
    actor,
    { header, rows, bytesRead: () => 0, columns, headerErrors: [], headerRowNo: 1, source: 'demo' },
    { mode: 'commit', onDuplicate: 'skip', commitGoodRows: true },
    {
      async errors(batch) {
        for (const e of batch) if (problems.length < 5) problems.push(`row ${e.rowNo} ${e.column}: ${e.reason}`);
      },
      errorRoom: () => 5 - problems.length,
      progress: (c, phase) => opts.onProgress?.(c, phase),
      quiesce: async () => undefined,
      async beforeCommit(client: pg.PoolClient, r: LoadResult) {
        await client.query(
          `insert into audit_log (tenant_id, actor_type, actor_name, action, detail) values ($1, 'system', 'demo data', 'member.demo_data', $2)`,
          [tenant.tenantId, JSON.stringify({ requested: count, created: r.imported, skipped: r.skipped, seed: opts.seed })],
        );
      },
    },
  );
  if (result.outcome !== 'committed') throw new Error(`demo data not written: ${result.problem?.message ?? 'unknown'}`);
  if (problems.length) throw new Error(`demo rows were rejected (a bug): ${problems.join('; ')}`);
  return result;
}

/** Writes `count` demo rows as a UTF-8 CSV file (for the benchmark and for trying the import). */
export async function writeDemoCsv(file: string, count: number, opts: { seed: number; stores: readonly DemoStore[]; defs: readonly AttributeDef[]; now?: Date }): Promise<number> {
  const out = createWriteStream(file);
  const header = demoHeader(opts.defs);
  out.write(csvLine(header));
  let chunk = '';
  let bytes = 0;
  for (const cells of demoRows(0, count, { seed: opts.seed, stores: opts.stores, defs: opts.defs, now: opts.now ?? new Date() })) {
    chunk += csvLine(cells);
    if (chunk.length > 256 * 1024) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  bytes += Buffer.byteLength(chunk);
  out.end(chunk);
  await once(out, 'finish');
  return bytes;
}
