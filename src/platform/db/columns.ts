import { sql } from 'drizzle-orm';
import { customType } from 'drizzle-orm/pg-core';

/** bigint ids travel as decimal strings: exact beyond 2^53 and what the API returns. */
export const id = customType<{ data: string; driverData: string }>({
  dataType: () => 'bigint',
  fromDriver: (v) => String(v),
});

/** Money (fen) and points: bigint in the database, a JS number in code (safe below 2^53). */
export const amount = customType<{ data: number; driverData: string }>({
  dataType: () => 'bigint',
  fromDriver: (v) => Number(v),
  toDriver: (v) => String(v),
});

/** `GENERATED ALWAYS AS IDENTITY` columns (declared in the SQL migrations): inserts leave them
 * out, so drizzle must treat them as having a default. */
export const identity = (name: string) => id(name).notNull().default(sql`DEFAULT`);
