import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import ExcelJS from 'exceljs';
import type { Database } from '../../platform/db/client.js';
import { withTenant } from '../../platform/db/with-tenant.js';
import type { TenantActor } from '../../platform/http/auth.js';
import { audit } from '../../platform/tenancy/audit.js';
import type { AttributeDef } from '../attributes.rules.js';
import { members } from '../schema.js';
import { searchMembersWhere, type MemberSearchParams } from '../search.js';
import { csvLine, exportCells, exportHeaders, type ExportLang, type ExportRow } from './format.rules.js';

export type ExportFormat = 'csv' | 'xlsx';

const FETCH = 2000;
const dialect = new PgDialect();

export interface PreparedExport {
  text: string;
  params: unknown[];
  defs: AttributeDef[];
  canSeePii: boolean;
}

/**
 * Builds the export query before any byte is sent, so a bad filter is still a clean 400.
 * The filter is the member search's own (`searchMembersWhere`), narrowed to the stores of the
 * operator's data scope when that scope is not the whole merchant.
 */
export async function prepareExport(database: Database, actor: TenantActor, filter: MemberSearchParams): Promise<PreparedExport> {
  const where = searchMembersWhere(actor.tenantId, filter);
  const wholeTenant = actor.scopePath.split('/').filter(Boolean).length <= 1;
  const scope: SQL = wholeTenant
    ? sql`true`
    : sql`${members.storeId} in (select id from org_nodes where tenant_id = ${actor.tenantId} and path like ${actor.scopePath.replace(/[\\%_]/g, '\\$&') + '%'})`;
  const { defs, timezone } = await withTenant(database.db, actor.tenantId, async (tx) => {
    const d = await tx.execute<AttributeDef & Record<string, unknown>>(
      sql`select key, label, type, required, options from member_attribute_defs where tenant_id = ${actor.tenantId} order by position, key`,
    );
    const t = await tx.execute<{ timezone: string }>(sql`select timezone from tenants where id = ${actor.tenantId}`);
    return { defs: d.rows, timezone: t.rows[0]?.timezone ?? 'Asia/Shanghai' };
  });
  const query = sql`
    select ${members.cardNo} as card_no, ${members.phone} as phone, ${members.email} as email, ${members.name} as name, ${members.gender} as gender,
           ${members.birthday}::text as birthday, n.name as store_name, ${members.tierCode} as tier_code,
           ${members.points}::text as points, ${members.tierPoints}::text as tier_points,
           ${members.storedValueFen}::text as stored_value_fen, ${members.smsOptOut} as sms_opt_out,
           ${members.status} as status, ${members.tags} as tags, ${members.attributes} as attributes,
           to_char(${members.createdAt} at time zone ${timezone}, 'YYYY-MM-DD HH24:MI:SS') as created_local
      from ${members}
      left join org_nodes n on n.tenant_id = ${members.tenantId} and n.id = ${members.storeId}
     where ${where} and ${scope}
     order by ${members.id} desc`;
  const q = dialect.sqlToQuery(query);
  return { text: q.sql, params: q.params, defs, canSeePii: actor.permissions.has('members.pii') };
}

/** Waits until `out` has room (the client reads slower than we produce). */
async function room(out: Writable): Promise<void> {
  if (out.writableNeedDrain) await Promise.race([once(out, 'drain'), once(out, 'close')]);
  if (out.destroyed) throw new Error('the client went away');
}

/**
 * Streams the members matching the prepared query into `out` as CSV or xlsx, reading them
 * through a server-side cursor, 2,000 at a time, inside one read-only snapshot: memory stays
 * flat for any number of members and the file is consistent. Returns the rows written and
 * whether the file was finished (the client may go away mid-way).
 */
export async function streamExport(database: Database, actor: TenantActor, prepared: PreparedExport, format: ExportFormat, lang: ExportLang, out: Writable): Promise<{ rows: number; complete: boolean }> {
  const client = await database.pool.connect();
  let rows = 0;
  let failed: Error | undefined;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`select set_config('app.tenant_id', $1, true)`, [actor.tenantId]);
    await client.query(`declare member_export no scroll cursor for ${prepared.text}`, prepared.params);
    const headers = exportHeaders(prepared.defs, lang);

    if (format === 'csv') {
      out.write('\ufeff' + csvLine(headers)); // BOM: Excel then reads UTF-8 Chinese correctly
      for (;;) {
        const batch = await client.query<ExportRow>(`fetch ${FETCH} from member_export`);
        if (batch.rows.length === 0) break;
        let text = '';
        for (const r of batch.rows) text += csvLine(exportCells(r, prepared.defs, lang, prepared.canSeePii));
        rows += batch.rows.length;
        out.write(text);
        await room(out);
      }
      out.end();
    } else {
      const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
      const ws = wb.addWorksheet(lang === 'zh' ? '会员' : 'members');
      ws.addRow(headers).commit();
      for (;;) {
        const batch = await client.query<ExportRow>(`fetch ${FETCH} from member_export`);
        if (batch.rows.length === 0) break;
        // every cell is text: phone and card numbers must not turn into numbers in Excel
        for (const r of batch.rows) ws.addRow(exportCells(r, prepared.defs, lang, prepared.canSeePii)).commit();
        rows += batch.rows.length;
        await room(out);
      }
      ws.commit();
      await wb.commit();
    }
    await client.query('COMMIT');
  } catch (err) {
    failed = err instanceof Error ? err : new Error(String(err));
    await client.query('ROLLBACK').catch(() => undefined);
    out.destroy(failed);
  } finally {
    client.release(failed);
  }
  return { rows, complete: !failed };
}

/** Who exported what: the filter, the format, how many rows, whether masked, whether complete. */
export async function auditExport(
  database: Database,
  actor: TenantActor,
  detail: { format: ExportFormat; filter: MemberSearchParams; rows: number; masked: boolean; complete: boolean },
): Promise<void> {
  await withTenant(database.db, actor.tenantId, (tx) => audit(tx, actor, 'member.export', null, { ...detail }));
}
