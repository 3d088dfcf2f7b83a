import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Tx } from '../platform/db/with-tenant.js';
import type { Page } from '../platform/http/pagination.js';
import { badRequest, conflict, notFound } from '../platform/http/problem.js';
import { audit } from '../platform/tenancy/audit.js';
import { MAX_ATTRIBUTES } from './attributes.rules.js';
import { formatCardNo, planCapacity } from './card.rules.js';
import { getMemberSettings, type MemberSettingsRow } from './cards.repo.js';
import { cardPool, memberAttributeDefs, memberSettings, type AttributeType } from './schema.js';
import type { MemberActor } from './service.js';
import { attributeDefView, type AttributeDefView } from './views.js';

// ------------------------------------------------------------------ settings

export interface MemberSettingsView {
  cardMode: 'sequence' | 'pool';
  cardPrefix: string;
  cardDigits: number;
  cardCheckDigit: boolean;
  reviewApplications: boolean;
  /** read-only: the sequence number the next generated card number starts from */
  cardNextSeq: number;
  updatedAt: string;
}

const settingsView = (s: MemberSettingsRow): MemberSettingsView => ({
  cardMode: s.cardMode,
  cardPrefix: s.cardPrefix,
  cardDigits: s.cardDigits,
  cardCheckDigit: s.cardCheckDigit,
  reviewApplications: s.reviewApplications,
  cardNextSeq: s.cardNextSeq,
  updatedAt: s.updatedAt.toISOString(),
});

export async function getSettings(tx: Tx, tenantId: string): Promise<MemberSettingsView> {
  return settingsView(await getMemberSettings(tx, tenantId));
}

export type SettingsInput = Partial<Pick<MemberSettingsView, 'cardMode' | 'cardPrefix' | 'cardDigits' | 'cardCheckDigit' | 'reviewApplications'>>;

/** Fields left out keep their values. Changing the plan never reuses a number: the sequence
 * goes on, and numbers members already hold are skipped. */
export async function putSettings(tx: Tx, actor: MemberActor, input: SettingsInput): Promise<MemberSettingsView> {
  const current = await getMemberSettings(tx, actor.tenantId);
  const prefix = input.cardPrefix ?? current.cardPrefix;
  const digits = input.cardDigits ?? current.cardDigits;
  const check = input.cardCheckDigit ?? current.cardCheckDigit;
  if (prefix.length + digits + (check ? 1 : 0) > 24) {
    throw badRequest('Card numbers would be longer than 24 characters', [{ path: 'body.cardDigits', message: 'prefix + digits (+ check digit) must be at most 24 characters' }]);
  }
  const [row] = await tx
    .update(memberSettings)
    .set({ ...input, updatedAt: new Date() })
    .where(eq(memberSettings.tenantId, actor.tenantId))
    .returning();
  await audit(tx, actor, 'member.settings_update', { type: 'member_settings', id: actor.tenantId }, { ...input });
  return settingsView(row!);
}

// ------------------------------------------------------------------ card pool

export interface CardPoolEntry {
  cardNo: string;
  batch: string | null;
  special: boolean;
  createdAt: string;
  usedAt: string | null;
}

export const MAX_POOL_BATCH = 100_000;

/** Generates prefix + `from`…`from+count-1` (+ Luhn digit) into the pool, skipping numbers
 * already in the pool or held by a member. */
export async function addPoolBatch(
  tx: Tx,
  actor: MemberActor,
  input: { prefix: string; digits: number; from: number; count: number; checkDigit?: boolean; batch?: string },
): Promise<{ requested: number; added: number; skipped: number; batch: string | null; first: string; last: string }> {
  const plan = { prefix: input.prefix, digits: input.digits, checkDigit: input.checkDigit ?? false };
  if (plan.prefix.length + plan.digits + (plan.checkDigit ? 1 : 0) > 24) {
    throw badRequest('Card numbers would be longer than 24 characters', [{ path: 'body.digits', message: 'prefix + digits (+ check digit) must be at most 24 characters' }]);
  }
  const last = input.from + input.count - 1;
  if (last > planCapacity(plan)) {
    throw badRequest(`${input.count} numbers from ${input.from} do not fit in ${plan.digits} digits`, [{ path: 'body.count', message: `the last number ${last} has more than ${plan.digits} digits` }]);
  }
  const numbers = Array.from({ length: input.count }, (_, i) => formatCardNo(plan, input.from + i));
  const batch = input.batch ?? null;
  const res = await tx.execute<{ n: number }>(sql`
    with candidate as (select jsonb_array_elements_text(${JSON.stringify(numbers)}::jsonb) as card_no),
    ins as (
      insert into card_pool (tenant_id, card_no, batch, special)
      select ${actor.tenantId}, c.card_no, ${batch}, false from candidate c
       where not exists (select 1 from members m where m.tenant_id = ${actor.tenantId} and m.card_no = c.card_no)
      on conflict do nothing
      returning 1)
    select count(*)::int as n from ins`);
  const added = res.rows[0]!.n;
  await audit(tx, actor, 'member.card_pool_batch', { type: 'card_pool', id: batch ?? numbers[0]! }, { first: numbers[0], last: numbers[numbers.length - 1], added });
  return { requested: input.count, added, skipped: input.count - added, batch, first: numbers[0]!, last: numbers[numbers.length - 1]! };
}

/** One number, typically a special (lucky) number handed out only on request. */
export async function addPoolNumber(tx: Tx, actor: MemberActor, input: { cardNo: string; special?: boolean; batch?: string }): Promise<CardPoolEntry> {
  const cardNo = input.cardNo.trim().toUpperCase();
  if (!/^[A-Z0-9]{4,24}$/.test(cardNo)) throw badRequest('cardNo must be 4–24 letters or digits', [{ path: 'body.cardNo', message: 'must be 4–24 letters or digits' }]);
  const held = await tx.execute(sql`select 1 from members where tenant_id = ${actor.tenantId} and card_no = ${cardNo}`);
  if (held.rows.length > 0) throw conflict(`Card number ${cardNo} is already held by a member`, 'card_in_use');
  const rows = await tx
    .insert(cardPool)
    .values({ tenantId: actor.tenantId, cardNo, special: input.special ?? true, batch: input.batch ?? null })
    .onConflictDoNothing()
    .returning();
  if (!rows[0]) throw conflict(`Card number ${cardNo} is already in the pool`, 'card_in_pool');
  await audit(tx, actor, 'member.card_pool_add', { type: 'card_pool', id: cardNo }, { special: rows[0].special });
  return poolEntry(rows[0]);
}

const poolEntry = (r: typeof cardPool.$inferSelect): CardPoolEntry => ({
  cardNo: r.cardNo,
  batch: r.batch,
  special: r.special,
  createdAt: r.createdAt.toISOString(),
  usedAt: r.usedAt?.toISOString() ?? null,
});

/** Card numbers are the pool's key, so its cursor is the last number seen. */
const encodePoolCursor = (cardNo: string) => Buffer.from(cardNo, 'utf8').toString('base64url');
function decodePoolCursor(cursor: string | undefined): string | null {
  if (!cursor) return null;
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[A-Z0-9]{4,24}$/.test(raw)) throw badRequest('Invalid cursor', [{ path: 'querystring.cursor', message: 'is not a cursor this API issued' }]);
  return raw;
}

export async function listPool(
  tx: Tx,
  tenantId: string,
  q: { status?: 'free' | 'used'; special?: boolean; batch?: string; limit: number; cursor?: string },
): Promise<Page<CardPoolEntry>> {
  const after = decodePoolCursor(q.cursor);
  const rows = await tx
    .select()
    .from(cardPool)
    .where(
      and(
        eq(cardPool.tenantId, tenantId),
        q.status === 'free' ? sql`${cardPool.usedAt} is null` : q.status === 'used' ? sql`${cardPool.usedAt} is not null` : undefined,
        q.special !== undefined ? eq(cardPool.special, q.special) : undefined,
        q.batch !== undefined ? eq(cardPool.batch, q.batch) : undefined,
        after ? gt(cardPool.cardNo, after) : undefined,
      ),
    )
    .orderBy(asc(cardPool.cardNo))
    .limit(q.limit + 1);
  const items = rows.slice(0, q.limit).map(poolEntry);
  return { items, nextCursor: rows.length > q.limit ? encodePoolCursor(items[items.length - 1]!.cardNo) : null };
}

export async function poolCounts(tx: Tx, tenantId: string): Promise<{ free: number; freeSpecial: number; used: number; total: number }> {
  const res = await tx.execute<{ free: number; free_special: number; used: number; total: number }>(sql`
    select count(*) filter (where used_at is null and not special)::int as free,
           count(*) filter (where used_at is null and special)::int as free_special,
           count(*) filter (where used_at is not null)::int as used,
           count(*)::int as total
      from card_pool where tenant_id = ${tenantId}`);
  const r = res.rows[0]!;
  return { free: r.free, freeSpecial: r.free_special, used: r.used, total: r.total };
}

// ------------------------------------------------------------------ attribute definitions

export interface AttributeDefInput {
  key: string;
  label: string;
  type: AttributeType;
  required?: boolean;
  options?: string[];
  position?: number;
}

function checkOptions(type: AttributeType, options: string[] | undefined): string[] {
  const list = [...new Set((options ?? []).map((o) => o.trim()).filter(Boolean))];
  if (type === 'single' || type === 'multi') {
    if (list.length === 0) throw badRequest('A choice attribute needs options', [{ path: 'body.options', message: 'needs at least one option' }]);
    return list;
  }
  if (list.length > 0) throw badRequest(`A ${type} attribute has no options`, [{ path: 'body.options', message: `must be empty for type ${type}` }]);
  return [];
}

async function defRow(tx: Tx, tenantId: string, key: string) {
  const rows = await tx.select().from(memberAttributeDefs).where(and(eq(memberAttributeDefs.tenantId, tenantId), eq(memberAttributeDefs.key, key)));
  if (!rows[0]) throw notFound('Attribute');
  return rows[0];
}

export async function listAttributeDefs(tx: Tx, tenantId: string): Promise<AttributeDefView[]> {
  const rows = await tx
    .select()
    .from(memberAttributeDefs)
    .where(eq(memberAttributeDefs.tenantId, tenantId))
    .orderBy(asc(memberAttributeDefs.position), asc(memberAttributeDefs.key));
  return rows.map(attributeDefView);
}

export async function createAttributeDef(tx: Tx, actor: MemberActor, input: AttributeDefInput): Promise<AttributeDefView> {
  const options = checkOptions(input.type, input.options);
  // the settings row lock serialises definition changes, so two at 29 cannot both pass
  await getMemberSettings(tx, actor.tenantId);
  await tx.execute(sql`select 1 from member_settings where tenant_id = ${actor.tenantId} for update`);
  const [stats] = (
    await tx.execute<{ n: number; maxpos: number | null }>(
      sql`select count(*)::int as n, max(position) as maxpos from member_attribute_defs where tenant_id = ${actor.tenantId}`,
    )
  ).rows as [{ n: number; maxpos: number | null }];
  if (stats.n >= MAX_ATTRIBUTES) throw conflict(`A merchant can define at most ${MAX_ATTRIBUTES} member attributes`, 'attribute_limit');
  const rows = await tx
    .insert(memberAttributeDefs)
    .values({
      tenantId: actor.tenantId,
      key: input.key,
      label: input.label.trim(),
      type: input.type,
      required: input.required ?? false,
      options,
      position: input.position ?? (stats.maxpos ?? 0) + 1,
    })
    .onConflictDoNothing()
    .returning();
  if (!rows[0]) throw conflict(`Attribute ${input.key} already exists`, 'attribute_exists');
  await audit(tx, actor, 'member.attribute_create', { type: 'member_attribute', id: input.key }, { type: input.type, required: rows[0].required });
  return attributeDefView(rows[0]);
}

/** Label, required, options and position can change; the type cannot (values would break).
 * Removing an option does not rewrite stored values: they are checked again when next written. */
export async function updateAttributeDef(
  tx: Tx,
  actor: MemberActor,
  key: string,
  patch: { label?: string; required?: boolean; options?: string[]; position?: number },
): Promise<AttributeDefView> {
  const current = await defRow(tx, actor.tenantId, key);
  const set: Partial<typeof memberAttributeDefs.$inferInsert> = {};
  if (patch.label !== undefined) set.label = patch.label.trim();
  if (patch.required !== undefined) set.required = patch.required;
  if (patch.position !== undefined) set.position = patch.position;
  if (patch.options !== undefined) set.options = checkOptions(current.type, patch.options);
  const [row] = await tx
    .update(memberAttributeDefs)
    .set(set)
    .where(and(eq(memberAttributeDefs.tenantId, actor.tenantId), eq(memberAttributeDefs.key, key)))
    .returning();
  await audit(tx, actor, 'member.attribute_update', { type: 'member_attribute', id: key }, { ...patch });
  return attributeDefView(row!);
}

/**
 * Deletes a definition. While members hold values for it this is a 409 (with the count),
 * unless `purge` is set: then the values are removed from every member too, in the same
 * transaction. Deleting data a merchant collected should be a deliberate second step.
 */
export async function deleteAttributeDef(tx: Tx, actor: MemberActor, key: string, opts: { purge?: boolean } = {}): Promise<{ purged: number }> {
  await defRow(tx, actor.tenantId, key);
  let purged = 0;
  if (opts.purge) {
    const res = await tx.execute(sql`
      update members set attributes = attributes - ${key}::text, updated_at = now()
       where tenant_id = ${actor.tenantId} and attributes ? ${key}::text`);
    purged = res.rowCount ?? 0;
  } else {
    const used = await tx.execute(sql`select 1 from members where tenant_id = ${actor.tenantId} and attributes ? ${key}::text limit 1`);
    if (used.rows.length > 0) {
      throw conflict(`Members hold values for attribute ${key}; delete with ?purge=true to remove the values too`, 'attribute_in_use');
    }
  }
  // applications keep what the applicant sent; the key is dropped there too so approval works
  await tx.execute(sql`
    update member_applications set attributes = attributes - ${key}::text
     where tenant_id = ${actor.tenantId} and status = 'pending' and attributes ? ${key}::text`);
  await tx.delete(memberAttributeDefs).where(and(eq(memberAttributeDefs.tenantId, actor.tenantId), eq(memberAttributeDefs.key, key)));
  await audit(tx, actor, 'member.attribute_delete', { type: 'member_attribute', id: key }, { purged });
  return { purged };
}

// ------------------------------------------------------------------ tags

/** Distinct tags with how many members carry each, most used first (at most 500). */
export async function listTags(tx: Tx, tenantId: string): Promise<{ tag: string; count: number }[]> {
  const res = await tx.execute<{ tag: string; count: number }>(sql`
    select t as tag, count(*)::int as count
      from members, unnest(tags) as t
     where tenant_id = ${tenantId} and tags <> '{}'
     group by t order by count(*) desc, t limit 500`);
  return res.rows;
}
