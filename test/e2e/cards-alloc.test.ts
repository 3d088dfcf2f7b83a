import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/platform/db/with-tenant.js';
import { allocateCardNumbers } from '../../src/members/cards.repo.js';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';
import pg from 'pg';

let database: TestDatabase;
let tenantId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const owner = new pg.Client({ connectionString: database.url });
  await owner.connect();
  tenantId = (await owner.query(`insert into tenants (slug, name, sms_extension) values ('cards', 'C', '9') returning id::text`)).rows[0].id;
  await owner.end();
});
afterAll(async () => database?.drop());

describe('allocateCardNumbers', () => {
  it('hands out sequence numbers, skipping taken ones, and never repeats under concurrency', async () => {
    await withTenant(database.db, tenantId, async (tx) => {
      await tx.execute(sql`insert into member_settings (tenant_id, card_prefix, card_digits) values (${tenantId}, 'M', 6)`);
      await tx.execute(sql`insert into card_pool (tenant_id, card_no, special) values (${tenantId}, 'M000002', true)`);
    });
    const first = await withTenant(database.db, tenantId, (tx) => allocateCardNumbers(tx, tenantId, 3));
    expect(first).toEqual(['M000001', 'M000003', 'M000004']);
    const batches = await Promise.all(Array.from({ length: 20 }, () => withTenant(database.db, tenantId, (tx) => allocateCardNumbers(tx, tenantId, 5))));
    const all = [...first, ...batches.flat()];
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(103);
  });

  it('takes free non-special pool numbers and says so when the pool is empty', async () => {
    await withTenant(database.db, tenantId, async (tx) => {
      await tx.execute(sql`update member_settings set card_mode = 'pool' where tenant_id = ${tenantId}`);
      await tx.execute(sql`insert into card_pool (tenant_id, card_no) values (${tenantId}, 'P0001'), (${tenantId}, 'P0002'), (${tenantId}, 'P0003')`);
    });
    const got = await Promise.all([1, 2].map(() => withTenant(database.db, tenantId, (tx) => allocateCardNumbers(tx, tenantId, 1))));
    expect(got.flat().sort()).toEqual(['P0001', 'P0002']);
    await expect(withTenant(database.db, tenantId, (tx) => allocateCardNumbers(tx, tenantId, 2))).rejects.toMatchObject({ status: 409, code: 'card_pool_empty' });
    // the failed transaction gave its number back
    expect(await withTenant(database.db, tenantId, (tx) => allocateCardNumbers(tx, tenantId, 1))).toEqual(['P0003']);
  });
});
