import { and, eq, sql, type SQL } from 'drizzle-orm';
import { badRequest } from '../platform/http/problem.js';
import { normalizeMobile } from './phone.rules.js';
import { members, type MemberStatus } from './schema.js';

/** The filters of `GET /members` (and of the export, which reuses them). All optional. */
export interface MemberSearchParams {
  /** A fragment of name, phone (digits, national or E.164 form) or card number. */
  q?: string;
  /** Exact phone, in any accepted form (normalised to E.164). */
  phone?: string;
  /** Exact card number (case-insensitive). */
  cardNo?: string;
  tier?: string;
  tag?: string;
  status?: MemberStatus;
  storeId?: string;
}

/** Fragments shorter than this cannot use a trigram index (pg_trgm needs 3 characters). */
export const MIN_FRAGMENT = 3;

/** Escapes LIKE wildcards so a fragment is matched literally. */
export function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

/** What a `q` fragment can match: decided once, so the SQL stays one shape per kind of input. */
export interface FragmentPlan {
  /** name ILIKE '%…%' (≥ 3 characters) */
  nameContains: string | null;
  /** name LIKE '…%' (1–2 characters: a surname; served by the btree name index) */
  namePrefix: string | null;
  /** phone LIKE '%digits%' */
  phoneDigits: string | null;
  /** card_no LIKE '%…%' (upper-cased) */
  cardContains: string | null;
  /** card_no = … (short fragments only match a whole card number) */
  cardExact: string | null;
}

/**
 * Splits a search fragment into the conditions that can match it.
 * - digits (with the usual phone punctuation) search phone and card number, never names;
 *   `+86 138-0013` and `0086138` become the digits of the E.164 form (`86138…`), so national
 *   forms (`138…`) and international ones both match as substrings of `+86138…`;
 * - letters/digits search name and card number; anything else only the name;
 * - fragments under 3 characters cannot use pg_trgm: they match a name prefix (a surname,
 *   `张`) or an exact card number, both through btree indexes.
 * @example planFragment('138 0013') → { phoneDigits: '1380013', cardContains: '1380013', nameContains: null, … }
 */
export function planFragment(raw: string): FragmentPlan | null {
  const q = raw.trim().replace(/\s+/g, ' ');
  if (!q) return null;
  const plan: FragmentPlan = { nameContains: null, namePrefix: null, phoneDigits: null, cardContains: null, cardExact: null };
  const phoneish = /^[+0-9 ()\-.]+$/.test(q) && /[0-9]/.test(q);
  const compact = q.replace(/[ \-.]/g, '').toUpperCase();
  const cardish = /^[A-Z0-9]+$/.test(compact);
  if (phoneish) {
    let digits = q.replace(/[^0-9]/g, '');
    if (/^\+|^00/.test(q.trim())) digits = digits.replace(/^00/, '');
    if (digits.length >= MIN_FRAGMENT) plan.phoneDigits = digits;
  }
  if ([...q].length >= MIN_FRAGMENT) {
    if (!phoneish) plan.nameContains = q;
    if (cardish && compact.length >= MIN_FRAGMENT) plan.cardContains = compact;
  } else {
    if (!phoneish) plan.namePrefix = q;
    if (cardish) plan.cardExact = compact;
  }
  return plan;
}

function fragmentCondition(plan: FragmentPlan): SQL {
  const ors: SQL[] = [];
  if (plan.nameContains) ors.push(sql`${members.name} ilike ${'%' + likeEscape(plan.nameContains) + '%'}`);
  if (plan.namePrefix) ors.push(sql`${members.name} like ${likeEscape(plan.namePrefix) + '%'}`);
  if (plan.phoneDigits) ors.push(sql`${members.phone} like ${'%' + plan.phoneDigits + '%'}`);
  if (plan.cardContains) ors.push(sql`${members.cardNo} like ${'%' + likeEscape(plan.cardContains) + '%'}`);
  if (plan.cardExact) ors.push(sql`${members.cardNo} = ${plan.cardExact}`);
  if (ors.length === 0) return sql`false`;
  return sql`(${sql.join(ors, sql` or `)})`;
}

/**
 * Whether the filters are selective but badly estimated, so that a page should collect the
 * matches through their index and sort them (ORDER BY id + 0) rather than let the planner walk
 * the id index backwards filtering every row. pg_trgm's LIKE estimates are guesses and tag
 * estimates for rare tags are too high, so the planner walks, which for a rare fragment or tag
 * is a scan of the whole merchant. A fragment counts as selective from 3 characters of text (a
 * name) or 4 digits; 3 digits (`138`) and 1–2 character name prefixes are common enough that
 * the walk finds a page at once, and the btree prefix has real statistics anyway.
 */
export function prefersMatchScan(params: MemberSearchParams): boolean {
  if (params.tag !== undefined) return true;
  if (params.q === undefined) return false;
  const plan = planFragment(params.q);
  if (!plan) return false;
  return plan.nameContains !== null || (plan.phoneDigits?.length ?? 0) >= 4 || (plan.cardContains?.length ?? 0) >= 4;
}

/**
 * The WHERE condition of a member search, for `GET /members` and the member export.
 * Every branch is served by an index: `q` by the pg_trgm GIN indexes on name, phone and
 * card_no (or the btree name index for 1–2 characters), `phone`/`cardNo` by the unique keys,
 * `tag` by the GIN index on tags, `tier` by (tenant_id, tier_code, id). Add keyset
 * pagination (`id < cursor order by id desc`) around it.
 * Throws a 400 (path `querystring.phone`) for a phone that is not a valid mobile number.
 */
export function searchMembersWhere(tenantId: string, params: MemberSearchParams): SQL {
  const conds: (SQL | undefined)[] = [eq(members.tenantId, tenantId)];
  if (params.q !== undefined && params.q.trim() !== '') {
    const plan = planFragment(params.q);
    if (plan) conds.push(fragmentCondition(plan));
  }
  if (params.phone !== undefined) {
    const p = normalizeMobile(params.phone);
    if (!p.ok) throw badRequest(`phone ${p.reason}`, [{ path: 'querystring.phone', message: p.reason }]);
    conds.push(eq(members.phone, p.e164));
  }
  if (params.cardNo !== undefined) conds.push(eq(members.cardNo, params.cardNo.trim().toUpperCase()));
  if (params.tier !== undefined) conds.push(eq(members.tierCode, params.tier));
  if (params.tag !== undefined) conds.push(sql`${members.tags} @> array[${params.tag}]::text[]`);
  if (params.status !== undefined) conds.push(eq(members.status, params.status));
  if (params.storeId !== undefined) conds.push(eq(members.storeId, params.storeId));
  return and(...conds)!;
}
