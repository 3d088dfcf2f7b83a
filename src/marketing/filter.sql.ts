/**
 * Compiles a checked filter (filter.rules.ts) into a parameterised SQL condition over the
 * outer table `members`. Nothing the user typed reaches the SQL text: field names map through
 * the constant table below, every value (and attribute key) is a bind parameter. Pure: the
 * clock and the merchant's timezone come in as `ctx`.
 *
 * Plans (see migrations/0011_segments.sql for the indexes):
 * - member columns compare directly, so (tenant_id, tier_code), (tenant_id, store_id), the tags
 *   GIN and the trigram indexes serve them; nullable columns are guarded (`col IS NOT NULL AND
 *   …`) so every condition is true or false, never NULL, and `not` stays the complement;
 * - purchases are `loyalty_transactions` of the member: existence questions (visited since,
 *   never visited since, visits ≥ 1) are EXISTS / NOT EXISTS, which PostgreSQL turns into semi
 *   or anti joins (nested loop over the member index, or a hash over the window, whichever is
 *   cheaper); sums and counts over a window are correlated sub-selects over the index
 *   (tenant_id, member_id, occurred_at) INCLUDE (payable_fen), evaluated after the cheaper
 *   member conditions have filtered the rows.
 */
import { sql, type SQL } from 'drizzle-orm';
import { addDays, localDate, parseDate, startOfLocalDay, type LocalDate } from '../loyalty/index.js';
import type { FilterNode, Leaf, MemberField, Op, Scalar } from './filter.rules.js';

export interface CompileContext {
  /** the instant "today" is taken from */
  now: Date;
  /** the merchant's IANA timezone */
  tz: string;
}

/** Member columns by field: constants only. `nullable` columns get an IS NOT NULL guard. */
const COLUMNS: Partial<Record<MemberField, { col: string; nullable: boolean; cast: string }>> = {
  name: { col: 'members.name', nullable: true, cast: 'text' },
  gender: { col: 'members.gender', nullable: true, cast: 'text' },
  phone: { col: 'members.phone', nullable: false, cast: 'text' },
  cardNo: { col: 'members.card_no', nullable: false, cast: 'text' },
  storeId: { col: 'members.store_id', nullable: true, cast: 'bigint' },
  smsOptOut: { col: 'members.sms_opt_out', nullable: false, cast: 'boolean' },
  status: { col: 'members.status', nullable: false, cast: 'text' },
  tier: { col: 'members.tier_code', nullable: true, cast: 'text' },
  points: { col: 'members.points', nullable: false, cast: 'bigint' },
  tierPoints: { col: 'members.tier_points', nullable: false, cast: 'bigint' },
  storedValueFen: { col: 'members.stored_value_fen', nullable: false, cast: 'bigint' },
};

const CMP: Partial<Record<Op, string>> = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' };

const TRUE = sql.raw('true');
const FALSE = sql.raw('false');

export function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

/** The member's purchases: the correlated part every purchase condition shares. */
const PURCHASES = sql.raw('loyalty_transactions p WHERE p.tenant_id = members.tenant_id AND p.member_id = members.id');

export function compileFilter(node: FilterNode, ctx: CompileContext): SQL {
  const today = localDate(ctx.now, ctx.tz);
  /** First instant of the local day `k` days before today (k < 0: after). */
  const dayStart = (k: number) => startOfLocalDay(addDays(today, -k), ctx.tz);
  const dateStart = (d: LocalDate, plus = 0) => startOfLocalDay(addDays(d, plus), ctx.tz);

  function walk(n: FilterNode): SQL {
    switch (n.kind) {
      case 'all':
        return n.items.length === 0 ? TRUE : sql`(${sql.join(n.items.map(walk), sql` AND `)})`;
      case 'any':
        return n.items.length === 0 ? FALSE : sql`(${sql.join(n.items.map(walk), sql` OR `)})`;
      case 'not':
        return sql`(NOT ${walk(n.item)})`;
      case 'cond':
        return leaf(n);
    }
  }

  function leaf(c: Leaf): SQL {
    if (c.field === 'attribute') return attribute(c.key, c.type, c.op, c.value);
    const { op, value } = c;
    if (op === 'ne') return sql`(NOT ${leaf({ ...c, op: 'eq' })})`;
    if (op === 'nin') return sql`(NOT ${leaf({ ...c, op: 'in' })})`;
    switch (c.field) {
      case 'tag':
        if (op === 'eq') return sql`(members.tags @> ARRAY[${value}::text])`;
        if (op === 'in') return sql`(members.tags && ${sql.param(value)}::text[])`;
        return value === true ? sql`(cardinality(members.tags) > 0)` : sql`(cardinality(members.tags) = 0)`;
      case 'createdAt':
        return createdAt(op, value);
      case 'birthdayMonth':
        return guarded('members.birthday', sql`date_part('month', members.birthday)::int`, 'int', op, value);
      case 'lastVisitDaysAgo':
        return lastVisit(op, value);
      case 'spendFen':
      case 'visits':
        return windowed(c.field, c.days!, op, value);
      default: {
        const spec = COLUMNS[c.field]!;
        if (op === 'contains') {
          const pattern = c.field === 'phone' || c.field === 'cardNo' ? `%${value as string}%` : `%${likeEscape(value as string)}%`;
          const like = c.field === 'name' ? sql.raw('ILIKE') : sql.raw('LIKE');
          return guard(spec, sql`${sql.raw(spec.col)} ${like} ${pattern}`);
        }
        return guarded(spec.nullable ? spec.col : null, sql.raw(spec.col), spec.cast, op, value);
      }
    }
  }

  function guard(spec: { col: string; nullable: boolean }, cond: SQL): SQL {
    return spec.nullable ? sql`(${sql.raw(spec.col)} IS NOT NULL AND ${cond})` : sql`(${cond})`;
  }

  /** eq / in / ordering / between / exists over an expression, guarded when `nullCol` may be NULL. */
  function guarded(nullCol: string | null, expr: SQL, cast: string, op: Op, value: Scalar | Scalar[]): SQL {
    if (op === 'exists') {
      if (nullCol === null) return value === true ? TRUE : FALSE;
      return value === true ? sql`(${sql.raw(nullCol)} IS NOT NULL)` : sql`(${sql.raw(nullCol)} IS NULL)`;
    }
    let cond: SQL;
    if (op === 'in') cond = sql`${expr} = ANY(${sql.param(value)}::${sql.raw(cast)}[])`;
    else if (op === 'between') {
      const [a, b] = value as Scalar[];
      cond = sql`${expr} BETWEEN ${a}::${sql.raw(cast)} AND ${b}::${sql.raw(cast)}`;
    } else cond = sql`${expr} ${sql.raw(CMP[op]!)} ${value}::${sql.raw(cast)}`;
    return nullCol === null ? sql`(${cond})` : sql`(${sql.raw(nullCol)} IS NOT NULL AND ${cond})`;
  }

  function createdAt(op: Op, value: Scalar | Scalar[]): SQL {
    const day = (v: Scalar) => parseDate(v as string)!;
    const from = (d: LocalDate) => sql`members.created_at >= ${dateStart(d)}::timestamptz`;
    const before = (d: LocalDate, plus = 0) => sql`members.created_at < ${dateStart(d, plus)}::timestamptz`;
    switch (op) {
      case 'eq':
        return sql`(${from(day(value as Scalar))} AND ${before(day(value as Scalar), 1)})`;
      case 'gte':
        return sql`(${from(day(value as Scalar))})`;
      case 'gt':
        return sql`(members.created_at >= ${dateStart(day(value as Scalar), 1)}::timestamptz)`;
      case 'lt':
        return sql`(${before(day(value as Scalar))})`;
      case 'lte':
        return sql`(${before(day(value as Scalar), 1)})`;
      default: {
        const [a, b] = value as Scalar[];
        return sql`(${from(day(a!))} AND ${before(day(b!), 1)})`;
      }
    }
  }

  const visitedSince = (k: number) => sql`EXISTS (SELECT 1 FROM ${PURCHASES} AND p.occurred_at >= ${dayStart(k)}::timestamptz)`;
  const everVisited = sql`EXISTS (SELECT 1 FROM ${PURCHASES})`;
  /** lastVisitDaysAgo ≤ k: a purchase on or after the local day k days ago. */
  const atMost = (k: number) => (k < 0 ? FALSE : visitedSince(k));
  /** lastVisitDaysAgo ≥ k: a purchase, and none on or after the local day k − 1 days ago — as
   * "the last purchase is before that day": one backward probe of the (member, time) index
   * instead of two (never-bought members: NULL, made false). */
  const atLeast = (k: number) =>
    k <= 0 ? everVisited : sql`coalesce((SELECT max(p.occurred_at) FROM ${PURCHASES}) < ${dayStart(k - 1)}::timestamptz, false)`;

  function lastVisit(op: Op, value: Scalar | Scalar[]): SQL {
    const v = value as number;
    switch (op) {
      case 'exists':
        return value === true ? everVisited : sql`(NOT ${everVisited})`;
      case 'lte':
        return atMost(v);
      case 'lt':
        return atMost(v - 1);
      case 'gte':
        return atLeast(v);
      case 'gt':
        return atLeast(v + 1);
      case 'eq':
        return sql`(${atMost(v)} AND NOT ${visitedSince(v - 1)})`;
      default: {
        const [a, b] = value as number[];
        return sql`(${atLeast(a!)} AND ${atMost(b!)})`;
      }
    }
  }

  function windowed(field: 'spendFen' | 'visits', days: number, op: Op, value: Scalar | Scalar[]): SQL {
    const since = dayStart(days - 1);
    if (field === 'visits') {
      // existence questions become semi / anti joins
      if ((op === 'gte' && value === 1) || (op === 'gt' && value === 0)) return visitedSince(days - 1);
      if ((op === 'eq' && value === 0) || (op === 'lt' && value === 1) || (op === 'lte' && value === 0)) return sql`(NOT ${visitedSince(days - 1)})`;
    }
    const agg = field === 'spendFen' ? sql.raw('coalesce(sum(p.payable_fen), 0)') : sql.raw('count(*)');
    const expr = sql`(SELECT ${agg} FROM ${PURCHASES} AND p.occurred_at >= ${since}::timestamptz)`;
    return guarded(null, expr, 'bigint', op, value);
  }

  function attribute(key: string, type: string, op: Op, value: Scalar | Scalar[]): SQL {
    const k = sql`${key}::text`;
    if (op === 'ne') return sql`(NOT ${attribute(key, type, 'eq', value)})`;
    if (op === 'nin') return sql`(NOT ${attribute(key, type, 'in', value)})`;
    const doc = (v: Scalar) => JSON.stringify({ [key]: type === 'multi' ? [v] : v });
    switch (op) {
      case 'exists':
        return value === true ? sql`(coalesce(jsonb_typeof(members.attributes -> ${k}), 'null') <> 'null')` : sql`(coalesce(jsonb_typeof(members.attributes -> ${k}), 'null') = 'null')`;
      case 'eq':
        return sql`(members.attributes @> ${doc(value as Scalar)}::jsonb)`;
      case 'in':
        return sql`(members.attributes @> ANY(${sql.param((value as Scalar[]).map(doc))}::jsonb[]))`;
      case 'contains':
        if (type === 'multi') return sql`(members.attributes @> ${doc(value as Scalar)}::jsonb)`;
        return sql`(CASE WHEN jsonb_typeof(members.attributes -> ${k}) = 'string' THEN (members.attributes ->> ${k}) ILIKE ${`%${likeEscape(value as string)}%`} ELSE false END)`;
      default: {
        // ordering on number or date attributes
        const isNumber = type === 'number';
        const jsonType = isNumber ? 'number' : 'string';
        const expr = isNumber ? sql`(members.attributes ->> ${k})::numeric` : sql`(members.attributes ->> ${k}) COLLATE "C"`;
        const cast = sql.raw(isNumber ? 'numeric' : 'text');
        let cond: SQL;
        if (op === 'between') {
          const [a, b] = value as Scalar[];
          cond = sql`${expr} BETWEEN ${a}::${cast} AND ${b}::${cast}`;
        } else cond = sql`${expr} ${sql.raw(CMP[op]!)} ${value}::${cast}`;
        return sql`(CASE WHEN jsonb_typeof(members.attributes -> ${k}) = ${jsonType} THEN ${cond} ELSE false END)`;
      }
    }
  }

  return walk(node);
}

/** `SELECT count(*)` of the tenant's members matching `cond` (RLS applies on top). */
export function countQuery(tenantId: string, cond: SQL): SQL {
  return sql`SELECT count(*)::bigint AS count FROM members WHERE members.tenant_id = ${tenantId}::bigint AND ${cond}`;
}

/**
 * Ids of the newest `limit` matching members. `id + 0` keeps the planner from walking the id
 * index backwards testing every member until `limit` match (its estimates for purchase
 * conditions are guesses, and for a rare segment the walk is a scan of the whole merchant with
 * a sub-select per row): the matches are collected with the count's plan and the newest kept,
 * so a sample never costs much more than the count.
 */
export function sampleQuery(tenantId: string, cond: SQL, limit: number): SQL {
  return sql`SELECT members.id::text AS id FROM members WHERE members.tenant_id = ${tenantId}::bigint AND ${cond} ORDER BY members.id + 0 DESC LIMIT ${limit}`;
}
