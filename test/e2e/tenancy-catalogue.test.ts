import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';
import pg from 'pg';

/** Tables that belong to the platform, not to a tenant. Everything else in `public` is
 * tenant-owned and must follow the co-location rule. Adding a table here needs a reason. */
// sms_outbox, sms_inbound_staging, sms_dispatchers: the SMS dispatcher claims across tenants and an
// inbound message is stored before its tenant is known (see migrations/0007_messaging.sql).
// email_outbox, email_dispatchers: the email dispatcher claims across tenants (0012_email.sql).
const PLATFORM_TABLES = new Set([
  'tenants',
  'platform_users',
  'auth_sessions',
  'login_failures',
  'platform_audit_log',
  'schema_migrations',
  'sms_outbox',
  'sms_inbound_staging',
  'sms_dispatchers',
  'email_outbox',
  'email_dispatchers',
]);

let database: TestDatabase;
let owner: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  owner = new pg.Client({ connectionString: database.url });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
  await database?.drop();
});

async function tenantTables(): Promise<string[]> {
  const { rows } = await owner.query<{ relname: string }>(
    `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`,
  );
  return rows.map((r) => r.relname).filter((t) => !PLATFORM_TABLES.has(t));
}

describe('every tenant-owned table follows the tenancy rule', () => {
  it('has tenant-owned tables to check', async () => {
    expect((await tenantTables()).length).toBeGreaterThanOrEqual(5);
  });

  it('carries tenant_id, in its primary key, every unique key and every foreign key', async () => {
    const problems: string[] = [];
    for (const table of await tenantTables()) {
      const cols = await owner.query(`select 1 from information_schema.columns where table_schema = 'public' and table_name = $1 and column_name = 'tenant_id'`, [table]);
      if (cols.rowCount === 0) {
        problems.push(`${table}: no tenant_id column`);
        continue;
      }
      const { rows: constraints } = await owner.query<{ conname: string; contype: string; cols: string[] }>(
        `select con.conname, con.contype,
                array(select a.attname::text from unnest(con.conkey) k join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k) as cols
           from pg_constraint con where con.conrelid = $1::regclass and con.contype in ('p', 'u', 'f')`,
        [table],
      );
      if (!constraints.some((c) => c.contype === 'p')) problems.push(`${table}: no primary key`);
      for (const c of constraints) {
        if (!c.cols.includes('tenant_id')) problems.push(`${table}: constraint ${c.conname} (${c.contype}) lacks tenant_id`);
      }
      const { rows: indexes } = await owner.query<{ indexname: string; cols: string[] }>(
        `select ic.relname as indexname,
                array(select a.attname::text from unnest(i.indkey) k join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k) as cols
           from pg_index i join pg_class ic on ic.oid = i.indexrelid
          where i.indrelid = $1::regclass and i.indisunique`,
        [table],
      );
      for (const ix of indexes) {
        if (!ix.cols.includes('tenant_id')) problems.push(`${table}: unique index ${ix.indexname} lacks tenant_id`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('has row-level security enabled, forced, and a policy on tenant_id', async () => {
    const problems: string[] = [];
    for (const table of await tenantTables()) {
      const { rows } = await owner.query<{ relrowsecurity: boolean; relforcerowsecurity: boolean }>(
        `select relrowsecurity, relforcerowsecurity from pg_class where oid = $1::regclass`,
        [table],
      );
      if (!rows[0]?.relrowsecurity) problems.push(`${table}: RLS not enabled`);
      if (!rows[0]?.relforcerowsecurity) problems.push(`${table}: RLS not forced`);
      const policies = await owner.query<{ qual: string; with_check: string | null }>(
        `select qual, with_check from pg_policies where schemaname = 'public' and tablename = $1`,
        [table],
      );
      if (policies.rowCount === 0) problems.push(`${table}: no policy`);
      for (const p of policies.rows) {
        if (!/tenant_id/.test(p.qual ?? '') || !/app_tenant_id/.test(p.qual ?? '')) problems.push(`${table}: policy does not bind tenant_id`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('runs the application as a role that owns no table and cannot bypass RLS', async () => {
    const { rows } = await owner.query<{ rolsuper: boolean; rolbypassrls: boolean }>(`select rolsuper, rolbypassrls from pg_roles where rolname = 'memberdesk_app'`);
    expect(rows[0]).toEqual({ rolsuper: false, rolbypassrls: false });
    const owned = await owner.query(`select relname from pg_class where relowner = (select oid from pg_roles where rolname = 'memberdesk_app')`);
    expect(owned.rowCount).toBe(0);
    const res = await database.pool.query<{ current_user: string }>('select current_user');
    expect(res.rows[0]!.current_user).toBe('memberdesk_app');
  });
});

describe('row-level security binds the application role', () => {
  it('shows a transaction only its tenant rows, nothing without a tenant, and refuses foreign writes', async () => {
    const t = await owner.query<{ id: string }>(
      `insert into tenants (slug, name, sms_extension) values ('rls-a', 'A', '91'), ('rls-b', 'B', '92') returning id::text`,
    );
    const [a, b] = t.rows.map((r) => r.id) as [string, string];
    await owner.query(`insert into org_nodes (tenant_id, kind, name) values ($1, 'headquarters', 'A HQ'), ($2, 'headquarters', 'B HQ')`, [a, b]);

    const c = await database.pool.connect();
    try {
      const none = await c.query('select count(*)::int as n from org_nodes');
      expect(none.rows[0].n).toBe(0);

      await c.query('begin');
      await c.query(`select set_config('app.tenant_id', $1, true)`, [a]);
      const seen = await c.query<{ name: string }>('select name from org_nodes');
      expect(seen.rows.map((r) => r.name)).toEqual(['A HQ']);
      const explicit = await c.query('select count(*)::int as n from org_nodes where tenant_id = $1', [b]);
      expect(explicit.rows[0].n).toBe(0);
      await expect(c.query(`insert into org_nodes (tenant_id, kind, name) values ($1, 'region', 'sneaky')`, [b])).rejects.toThrow(/row-level security/);
      await c.query('rollback');

      // After the transaction the setting is gone again (pooled connections cannot leak it).
      const after = await c.query('select count(*)::int as n from org_nodes');
      expect(after.rows[0].n).toBe(0);
      // The audit log is append-only for the application.
      await c.query('begin');
      await c.query(`select set_config('app.tenant_id', $1, true)`, [a]);
      await c.query(`insert into audit_log (tenant_id, actor_type, actor_name, action) values ($1, 'system', 'test', 'x')`, [a]);
      await expect(c.query(`delete from audit_log`)).rejects.toThrow(/permission denied/);
      await c.query('rollback');
    } finally {
      c.release();
    }
  });
});
