import { sql } from 'drizzle-orm';
import { jsonb, pgPolicy, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { id, identity } from '../platform/db/columns.js';

// Source of truth: migrations/0011_segments.sql. These declarations type the queries.
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const tenantIsolation = pgPolicy('tenant_isolation', {
  using: sql`tenant_id = app_tenant_id()`,
  withCheck: sql`tenant_id = app_tenant_id()`,
});

export const segments = pgTable(
  'segments',
  {
    tenantId: id('tenant_id').notNull(),
    id: identity('id'),
    name: text('name').notNull(),
    filter: jsonb('filter').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedBy: text('updated_by').notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), tenantIsolation],
);
