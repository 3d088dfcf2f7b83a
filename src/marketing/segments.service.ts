/**
 * Segments: saved filters, their live counts and sample members. Counts run as the app role in
 * the caller's tenant transaction (row-level security applies) under a statement timeout, so a
 * pathological filter cannot hold the database.
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { tierNames } from '../loyalty/index.js';
import { loadAttributeDefs, memberView, members, visibility, type MemberActor, type MemberView } from '../members/index.js';
import type { Tx } from '../platform/db/with-tenant.js';
import { AppError, badRequest, conflict, notFound } from '../platform/http/problem.js';
import { audit } from '../platform/tenancy/audit.js';
import { attributeKeys, checkFilter, type FilterNode } from './filter.rules.js';
import { compileFilter, countQuery, sampleQuery } from './filter.sql.js';
import { segments } from './schema.js';

/** Longest a count or sample may run. */
export const COUNT_TIMEOUT_MS = 10_000;
export const SAMPLE_SIZE = 10;
export const MAX_SEGMENTS = 500;

export interface SegmentActor extends MemberActor {
  id: string;
  type: 'operator' | 'api_key';
}

export interface SegmentView {
  id: string;
  name: string;
  filter: unknown;
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedAt: string;
}

type SegmentRow = typeof segments.$inferSelect;
const view = (r: SegmentRow): SegmentView => ({
  id: r.id,
  name: r.name,
  filter: r.filter,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  updatedBy: r.updatedBy,
  updatedAt: r.updatedAt.toISOString(),
});

/** Checks `filter` against the merchant's attributes; a 400 naming every problem otherwise. */
export async function parseFilter(tx: Tx, tenantId: string, filter: unknown, path = 'body.filter'): Promise<FilterNode> {
  const defs = attributeKeys(filter).size > 0 ? await loadAttributeDefs(tx, tenantId) : [];
  const checked = checkFilter(filter, defs, path);
  if (!checked.ok) throw badRequest(`Invalid filter: ${checked.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, checked.errors);
  return checked.node;
}

/** The merchant's timezone, and limits for the statements that follow in this transaction
 * (one round trip). */
async function prepareCount(tx: Tx, tenantId: string, timeoutMs = COUNT_TIMEOUT_MS): Promise<string> {
  const { rows } = await tx.execute<{ timezone: string }>(
    sql`SELECT timezone, set_config('statement_timeout', ${String(timeoutMs)}, true), set_config('work_mem', '32MB', true) FROM tenants WHERE id = ${tenantId}::bigint`,
  );
  return rows[0]?.timezone ?? 'Asia/Shanghai';
}

function slowFilter(err: unknown, timeoutMs = COUNT_TIMEOUT_MS): never {
  if ((err as { code?: string }).code === '57014' || (err as { cause?: { code?: string } }).cause?.code === '57014') {
    throw new AppError(422, 'filter_too_slow', `Counting this filter took longer than ${timeoutMs / 1000} s; narrow it (for example by tier, store or tag)`);
  }
  throw err;
}

/** How many of the tenant's members match, as of `now`; 422 filter_too_slow after `timeoutMs`. */
export async function countMatching(tx: Tx, tenantId: string, node: FilterNode, now = new Date(), timeoutMs = COUNT_TIMEOUT_MS): Promise<number> {
  const cond = compileFilter(node, { now, tz: await prepareCount(tx, tenantId, timeoutMs) });
  try {
    const { rows } = await tx.execute<{ count: string }>(countQuery(tenantId, cond));
    return Number(rows[0]!.count);
  } catch (err) {
    slowFilter(err, timeoutMs);
  }
}

export async function preview(tx: Tx, actor: MemberActor, filter: unknown): Promise<{ count: number; sample: MemberView[] }> {
  const node = await parseFilter(tx, actor.tenantId, filter);
  const now = new Date();
  const cond = compileFilter(node, { now, tz: await prepareCount(tx, actor.tenantId) });
  try {
    const { rows: c } = await tx.execute<{ count: string }>(countQuery(actor.tenantId, cond));
    const count = Number(c[0]!.count);
    if (count === 0) return { count, sample: [] };
    const { rows: ids } = await tx.execute<{ id: string }>(sampleQuery(actor.tenantId, cond, SAMPLE_SIZE));
    const rows = ids.length
      ? await tx
          .select()
          .from(members)
          .where(and(eq(members.tenantId, actor.tenantId), inArray(members.id, ids.map((r) => r.id))))
          .orderBy(desc(members.id))
      : [];
    const names = await tierNames(tx, actor.tenantId);
    const vis = { ...visibility(actor), tierName: (code: string) => names[code] ?? code };
    return { count, sample: rows.map((r) => memberView(r, vis)) };
  } catch (err) {
    slowFilter(err);
  }
}

async function segmentRow(tx: Tx, tenantId: string, id: string): Promise<SegmentRow> {
  const [row] = await tx.select().from(segments).where(and(eq(segments.tenantId, tenantId), eq(segments.id, id)));
  if (!row) throw notFound('Segment');
  return row;
}

function nameTaken(err: unknown, name: string): never {
  const e = err as { code?: string; constraint?: string; cause?: { code?: string; constraint?: string } };
  const code = e.code ?? e.cause?.code;
  if (code === '23505') throw conflict(`A segment named ${name} already exists`, 'segment_name_taken', [{ path: 'body.name', message: 'is already used by another segment' }]);
  throw err;
}

const auditActor = (a: SegmentActor) => ({ tenantId: a.tenantId, type: a.type, id: a.id, name: a.name, ip: a.ip ?? null });

export async function createSegment(tx: Tx, actor: SegmentActor, input: { name: string; filter: unknown }): Promise<SegmentView> {
  const name = input.name.trim();
  if (!name) throw badRequest('name must not be blank', [{ path: 'body.name', message: 'must not be blank' }]);
  await parseFilter(tx, actor.tenantId, input.filter);
  const [{ n }] = (await tx.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM segments WHERE tenant_id = ${actor.tenantId}::bigint`)).rows as [{ n: number }];
  if (n >= MAX_SEGMENTS) throw conflict(`A merchant may keep at most ${MAX_SEGMENTS} segments; delete some first`, 'too_many_segments');
  let row: SegmentRow;
  try {
    [row] = (await tx
      .insert(segments)
      .values({ tenantId: actor.tenantId, name, filter: input.filter, createdBy: actor.name, updatedBy: actor.name })
      .returning()) as [SegmentRow];
  } catch (err) {
    nameTaken(err, name);
  }
  await audit(tx, auditActor(actor), 'segment.create', { type: 'segment', id: row.id }, { name });
  return view(row);
}

export async function listSegments(tx: Tx, tenantId: string): Promise<SegmentView[]> {
  const rows = await tx.select().from(segments).where(eq(segments.tenantId, tenantId)).orderBy(desc(segments.id)).limit(MAX_SEGMENTS);
  return rows.map(view);
}

export async function getSegment(tx: Tx, tenantId: string, id: string): Promise<SegmentView> {
  return view(await segmentRow(tx, tenantId, id));
}

export async function updateSegment(tx: Tx, actor: SegmentActor, id: string, input: { name: string; filter: unknown }): Promise<SegmentView> {
  await segmentRow(tx, actor.tenantId, id);
  const name = input.name.trim();
  if (!name) throw badRequest('name must not be blank', [{ path: 'body.name', message: 'must not be blank' }]);
  await parseFilter(tx, actor.tenantId, input.filter);
  let row: SegmentRow;
  try {
    [row] = (await tx
      .update(segments)
      .set({ name, filter: input.filter, updatedBy: actor.name, updatedAt: new Date() })
      .where(and(eq(segments.tenantId, actor.tenantId), eq(segments.id, id)))
      .returning()) as [SegmentRow];
  } catch (err) {
    nameTaken(err, name);
  }
  await audit(tx, auditActor(actor), 'segment.update', { type: 'segment', id }, { name });
  return view(row);
}

export async function deleteSegment(tx: Tx, actor: SegmentActor, id: string): Promise<void> {
  const row = await segmentRow(tx, actor.tenantId, id);
  await tx.delete(segments).where(and(eq(segments.tenantId, actor.tenantId), eq(segments.id, id)));
  await audit(tx, auditActor(actor), 'segment.delete', { type: 'segment', id }, { name: row.name });
}

/** The current count of a saved segment. Its filter is checked again: an attribute it names may
 * have been deleted since (a 400 then says which). */
export async function segmentCount(tx: Tx, tenantId: string, id: string): Promise<{ id: string; count: number; countedAt: string }> {
  const row = await segmentRow(tx, tenantId, id);
  let node: FilterNode;
  try {
    node = await parseFilter(tx, tenantId, row.filter, 'segment.filter');
  } catch (err) {
    if (err instanceof AppError) throw conflict(`The saved filter no longer fits this merchant's attributes: ${err.message}`, 'segment_filter_stale', err.errors);
    throw err;
  }
  const now = new Date();
  return { id, count: await countMatching(tx, tenantId, node, now), countedAt: now.toISOString() };
}
