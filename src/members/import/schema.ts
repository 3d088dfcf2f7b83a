import { sql } from 'drizzle-orm';
import { jsonb, pgPolicy, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { amount, id, identity } from '../../platform/db/columns.js';

// Source of truth: migrations/0004_member_imports.sql. These declarations type the queries.
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const tenantIsolation = pgPolicy('tenant_isolation', {
  using: sql`tenant_id = app_tenant_id()`,
  withCheck: sql`tenant_id = app_tenant_id()`,
});

export type ImportStatus = 'uploaded' | 'validating' | 'validated' | 'importing' | 'completed' | 'failed';
export type ImportMode = 'dry_run' | 'commit';

export const memberImports = pgTable(
  'member_imports',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    fileName: text('file_name').notNull(),
    format: text('format').$type<'csv' | 'xlsx'>().notNull(),
    encoding: text('encoding').$type<'utf-8' | 'gb18030' | 'utf-16le' | 'utf-16be'>(),
    delimiter: text('delimiter'),
    sizeBytes: amount('size_bytes').notNull(),
    filePath: text('file_path').notNull(),
    columns: text('columns').array().notNull(),
    sample: jsonb('sample').$type<string[][]>().notNull(),
    suggestedMapping: jsonb('suggested_mapping').$type<Record<string, string | null>>().notNull(),
    status: text('status').$type<ImportStatus>().notNull(),
    mode: text('mode').$type<ImportMode>(),
    phase: text('phase').$type<'reading' | 'checking' | 'writing'>(),
    options: jsonb('options').$type<Record<string, unknown>>(),
    totalRows: amount('total_rows'),
    processed: amount('processed').notNull(),
    imported: amount('imported').notNull(),
    skipped: amount('skipped').notNull(),
    merged: amount('merged').notNull(),
    failed: amount('failed').notNull(),
    errorCount: amount('error_count').notNull(),
    bytesRead: amount('bytes_read').notNull(),
    error: jsonb('error').$type<{ code: string; message: string } | null>(),
    createdByType: text('created_by_type').notNull(),
    createdById: id('created_by_id'),
    createdByName: text('created_by_name').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
    heartbeatAt: ts('heartbeat_at'),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);

export const memberImportErrors = pgTable(
  'member_import_errors',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    importId: id('import_id').notNull(),
    rowNo: amount('row_no').notNull(),
    columnName: text('column_name'),
    value: text('value'),
    reason: text('reason').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);

export type MemberImportRow = typeof memberImports.$inferSelect;
