import { and, asc, desc, eq, lt, sql } from 'drizzle-orm';
import { startingTier, tierNames } from '../loyalty/index.js';
import type { Tx } from '../platform/db/with-tenant.js';
import { decodeCursor, encodeCursor, type Page } from '../platform/http/pagination.js';
import { AppError, badRequest, conflict, notFound, type FieldError } from '../platform/http/problem.js';
import { audit } from '../platform/tenancy/audit.js';
import { isIsoDate, validateAttributes, type AttributeDef } from './attributes.rules.js';
import { matchesPlan } from './card.rules.js';
import { allocateCardNumbers, getMemberSettings } from './cards.repo.js';
import { parseEmailAddress } from './email.rules.js';
import { maskPhone, normalizeMobile } from './phone.rules.js';
import { cardPool, memberAttributeDefs, memberChanges, memberPiiViews, members, type Gender, type MemberSource, type MemberStatus } from './schema.js';
import { prefersMatchScan, searchMembersWhere, type MemberSearchParams } from './search.js';
import { changeView, memberView, type ChangeView, type MemberRow, type MemberView, type Visibility } from './views.js';

/**
 * Who acts on members: an operator or API key (a TenantActor satisfies this), or the system
 * itself (SMS keywords, jobs).
 */
export interface MemberActor {
  tenantId: string;
  type: 'operator' | 'api_key' | 'system';
  id: string | null;
  name: string;
  permissions: ReadonlySet<string>;
  ip?: string | null;
}

export const systemActor = (tenantId: string, name: string): MemberActor => ({ tenantId, type: 'system', id: null, name, permissions: new Set(['members.pii']) });

export const visibility = (actor: MemberActor): Visibility => ({ pii: actor.permissions.has('members.pii') });

/** What the actor sees, with the tenant's tier names (loyalty owns the tiers; an unknown code
 * shows as itself). */
export async function visibilityIn(tx: Tx, actor: MemberActor): Promise<Visibility> {
  return withTierNames(tx, actor.tenantId, visibility(actor));
}

export async function withTierNames(tx: Tx, tenantId: string, vis: Visibility): Promise<Visibility> {
  const names = await tierNames(tx, tenantId);
  return { ...vis, tierName: (code) => names[code] ?? code };
}

// ------------------------------------------------------------------ input checks (shared with applications)

export function parsePhone(raw: string, path = 'body.phone'): string {
  const r = normalizeMobile(raw);
  if (!r.ok) throw badRequest(`phone ${r.reason}`, [{ path, message: r.reason }]);
  return r.e164;
}

/** Phones as SMS gateways deliver them: `8613800138000` (no plus) is accepted too. */
export function parseSenderPhone(raw: string): string {
  const r = normalizeMobile(raw);
  if (r.ok) return r.e164;
  const digits = raw.trim();
  if (/^86\d{11}$/.test(digits)) return parsePhone('+' + digits);
  return parsePhone(raw);
}

export function checkBirthday(value: string | null | undefined, path = 'body.birthday'): void {
  if (value === null || value === undefined) return;
  if (!isIsoDate(value)) throw badRequest('birthday must be a date YYYY-MM-DD', [{ path, message: 'must be a date YYYY-MM-DD' }]);
  // "today" anywhere on earth (UTC+14): a birthday entered just after local midnight in
  // Asia/Shanghai is already the next UTC date there, and must not be refused.
  if (value < '1900-01-01' || value > new Date(Date.now() + 14 * 3600_000).toISOString().slice(0, 10)) {
    throw badRequest('birthday is out of range', [{ path, message: 'must be between 1900-01-01 and today' }]);
  }
}

export function normalizeTags(tags: readonly string[] | undefined): string[] | undefined {
  if (tags === undefined) return undefined;
  return [...new Set(tags.map((t) => t.trim()).filter(Boolean))];
}

export async function loadAttributeDefs(tx: Tx, tenantId: string): Promise<AttributeDef[]> {
  const rows = await tx
    .select()
    .from(memberAttributeDefs)
    .where(eq(memberAttributeDefs.tenantId, tenantId))
    .orderBy(asc(memberAttributeDefs.position), asc(memberAttributeDefs.key));
  return rows.map((r) => ({ key: r.key, label: r.label, type: r.type, required: r.required, options: r.options }));
}

/** Validates attribute values; a 400 naming every bad attribute (`body.attributes.<key>`). */
export function checkAttributes(
  defs: readonly AttributeDef[],
  input: Record<string, unknown> | undefined,
  opts: { partial?: boolean; path?: string } = {},
): Record<string, unknown> {
  const path = opts.path ?? 'body.attributes';
  const { values, errors } = validateAttributes(defs, input ?? {}, { partial: opts.partial });
  if (errors.length > 0) {
    const fieldErrors: FieldError[] = errors.map((e) => ({ path: `${path}.${e.key}`, message: e.message }));
    throw badRequest(`Invalid member attributes: ${errors.map((e) => `${e.key} ${e.message}`).join('; ')}`, fieldErrors);
  }
  return values;
}

/** A store (any org node) of this tenant, or a 400 pointing at the field. */
export async function checkStore(tx: Tx, tenantId: string, storeId: string | null | undefined, path = 'body.storeId'): Promise<void> {
  if (storeId === null || storeId === undefined) return;
  const res = await tx.execute(sql`select 1 from org_nodes where tenant_id = ${tenantId} and id = ${storeId}`);
  if (res.rows.length === 0) throw badRequest('storeId is not an org node of this merchant', [{ path, message: 'no such store' }]);
}

export function isUniqueViolation(err: unknown): boolean {
  for (let e: any = err; e; e = e.cause) if (e.code === '23505') return true;
  return false;
}

/** 409 naming the member that holds the phone: in `detail` (api.md) and on the field, so a
 * form can mark the phone input and offer to open that member. */
const phoneTaken = (memberId: string) =>
  new AppError(409, 'phone_registered', `This phone number is already registered to member ${memberId}`, [
    { path: 'body.phone', message: `is already registered to member ${memberId}` },
  ]);

async function memberIdByPhone(tx: Tx, tenantId: string, phone: string): Promise<string | null> {
  const rows = await tx.select({ id: members.id }).from(members).where(and(eq(members.tenantId, tenantId), eq(members.phone, phone)));
  return rows[0]?.id ?? null;
}

// ------------------------------------------------------------------ change history

export async function recordChange(
  tx: Tx,
  actor: MemberActor,
  memberId: string,
  change: string,
  before: unknown,
  after: unknown,
  reason: string | null = null,
): Promise<void> {
  await tx.insert(memberChanges).values({
    tenantId: actor.tenantId,
    memberId,
    change,
    before: before ?? null,
    after: after ?? null,
    reason,
    actorType: actor.type,
    actorId: actor.id,
    actorName: actor.name,
  });
}

// ------------------------------------------------------------------ registration

export interface RegisterInput {
  phone: string;
  name?: string | null;
  gender?: Gender | null;
  birthday?: string | null;
  email?: string | null;
  storeId?: string | null;
  attributes?: Record<string, unknown>;
  tags?: string[];
  cardNo?: string;
}

/** A member's email address as stored (domain lower-cased), or a 400 on the field. */
export function parseEmail(raw: string | null | undefined, path = 'body.email'): string | null {
  if (raw === null || raw === undefined) return null;
  const r = parseEmailAddress(raw);
  if (!r.ok) throw badRequest(`email ${r.reason}`, [{ path, message: r.reason }]);
  return r.address;
}

/**
 * Claims an explicitly requested card number: a free pool number (special ones included), or
 * a number the tenant's plan could produce that no member holds. 400 outside both, 409 taken.
 */
async function claimCardNo(tx: Tx, tenantId: string, raw: string): Promise<string> {
  const cardNo = raw.trim().toUpperCase();
  const path = 'body.cardNo';
  if (!/^[A-Z0-9]{4,24}$/.test(cardNo)) throw badRequest('cardNo must be 4–24 letters or digits', [{ path, message: 'must be 4–24 letters or digits' }]);
  const claimed = await tx
    .update(cardPool)
    .set({ usedAt: new Date() })
    .where(and(eq(cardPool.tenantId, tenantId), eq(cardPool.cardNo, cardNo), sql`${cardPool.usedAt} is null`))
    .returning({ cardNo: cardPool.cardNo });
  if (claimed.length > 0) return cardNo;
  const inPool = await tx.select({ usedAt: cardPool.usedAt }).from(cardPool).where(and(eq(cardPool.tenantId, tenantId), eq(cardPool.cardNo, cardNo)));
  if (inPool.length > 0) throw conflict(`Card number ${cardNo} is already in use`, 'card_in_use');
  const settings = await getMemberSettings(tx, tenantId);
  if (!matchesPlan({ prefix: settings.cardPrefix, digits: settings.cardDigits, checkDigit: settings.cardCheckDigit }, cardNo)) {
    throw badRequest(`Card number ${cardNo} is neither in the card pool nor in the card-number plan`, [
      { path, message: 'is outside the card-number plan and not in the pool' },
    ]);
  }
  const holder = await tx.select({ id: members.id }).from(members).where(and(eq(members.tenantId, tenantId), eq(members.cardNo, cardNo)));
  if (holder.length > 0) throw conflict(`Card number ${cardNo} is already in use`, 'card_in_use');
  return cardNo;
}

/**
 * Creates a member with a card number in the caller's transaction. Checks everything first,
 * takes the card number last (the sequence counter's row lock is then held only briefly), and
 * inserts with ON CONFLICT DO NOTHING so that a concurrent registration of the same phone
 * becomes a clean 409 naming the member that won.
 */
export async function registerMember(
  tx: Tx,
  actor: MemberActor,
  input: RegisterInput,
  source: MemberSource,
  opts: { requireAttributes?: boolean; reason?: string | null } = {},
): Promise<MemberRow> {
  const tenantId = actor.tenantId;
  const phone = parsePhone(input.phone);
  const email = parseEmail(input.email);
  checkBirthday(input.birthday);
  const defs = await loadAttributeDefs(tx, tenantId);
  const attributes = Object.fromEntries(
    Object.entries(checkAttributes(defs, input.attributes, { partial: opts.requireAttributes === false })).filter(([, v]) => v !== null),
  );
  await checkStore(tx, tenantId, input.storeId);
  const existing = await memberIdByPhone(tx, tenantId, phone);
  if (existing) throw phoneTaken(existing);

  const cardNo = input.cardNo !== undefined ? await claimCardNo(tx, tenantId, input.cardNo) : (await allocateCardNumbers(tx, tenantId, 1))[0]!;
  const inserted = await tx
    .insert(members)
    .values({
      tenantId,
      cardNo,
      phone,
      name: input.name?.trim() || null,
      gender: input.gender ?? null,
      birthday: input.birthday ?? null,
      email,
      storeId: input.storeId ?? null,
      attributes,
      tags: normalizeTags(input.tags) ?? [],
      source,
      // a member holds the highest tier they reach: the lowest, if its threshold is 0
      tierCode: await startingTier(tx, tenantId),
    })
    .onConflictDoNothing()
    .returning();
  const row = inserted[0];
  if (!row) {
    const winner = await memberIdByPhone(tx, tenantId, phone);
    if (winner) throw phoneTaken(winner);
    throw conflict(`Card number ${cardNo} is already in use`, 'card_in_use');
  }
  await recordChange(tx, actor, row.id, 'created', null, { cardNo, phone, source }, opts.reason ?? null);
  return row;
}

export async function createMember(tx: Tx, actor: MemberActor, input: RegisterInput, source: MemberSource = 'counter'): Promise<MemberView> {
  return memberView(await registerMember(tx, actor, input, source), await visibilityIn(tx, actor));
}

// ------------------------------------------------------------------ reading

async function memberRow(tx: Tx, tenantId: string, id: string, lock = false): Promise<MemberRow> {
  const q = tx.select().from(members).where(and(eq(members.tenantId, tenantId), eq(members.id, id)));
  const rows = lock ? await q.for('update') : await q;
  if (!rows[0]) throw notFound('Member');
  return rows[0];
}

/**
 * Reading one member's unmasked phone and name is audited as 'member.pii_view', at most once
 * per viewer and member per hour. Why: the audit log should answer "who looked at this
 * customer, and when" (product §2), but the console refetches a member page on every tab
 * switch and focus, and a POS looks members up all day; an entry per request would bury the
 * log. Lists and searches are not audited per member (bulk reading is the export's job, and
 * the export is audited); masked reads are not personal data and are not audited.
 */
async function notePiiView(tx: Tx, actor: MemberActor, memberId: string, via: string): Promise<void> {
  if (!actor.permissions.has('members.pii') || actor.type === 'system' || !actor.id) return;
  const fresh = await tx
    .insert(memberPiiViews)
    .values({ tenantId: actor.tenantId, viewerType: actor.type, viewerId: actor.id, memberId })
    .onConflictDoUpdate({
      target: [memberPiiViews.tenantId, memberPiiViews.viewerType, memberPiiViews.viewerId, memberPiiViews.memberId],
      set: { viewedAt: sql`now()` },
      setWhere: sql`${memberPiiViews.viewedAt} < now() - interval '1 hour'`,
    })
    .returning({ memberId: memberPiiViews.memberId });
  if (fresh.length > 0) await audit(tx, actor, 'member.pii_view', { type: 'member', id: memberId }, { via });
}

export async function getMember(tx: Tx, actor: MemberActor, id: string): Promise<MemberView> {
  const row = await memberRow(tx, actor.tenantId, id);
  await notePiiView(tx, actor, row.id, 'member');
  return memberView(row, await visibilityIn(tx, actor));
}

/** The query behind a lookup key: a phone in any accepted form or a card number. One indexed
 * query (BitmapOr over the two unique keys); a card number wins if both match. Null when the
 * key can be neither. */
export function memberByKeyQuery(tx: Tx, tenantId: string, key: string) {
  const k = key.trim();
  const p = normalizeMobile(k);
  const phone = p.ok ? p.e164 : null;
  const card = k.replace(/[\s-]/g, '').toUpperCase();
  const cardOk = /^[A-Z0-9]{4,24}$/.test(card);
  if (!phone && !cardOk) return null;
  const cond = phone && cardOk ? sql`(${members.phone} = ${phone} or ${members.cardNo} = ${card})` : phone ? eq(members.phone, phone) : eq(members.cardNo, card);
  return tx
    .select()
    .from(members)
    .where(and(eq(members.tenantId, tenantId), cond))
    .orderBy(cardOk ? sql`(${members.cardNo} = ${card}) desc` : sql`1`)
    .limit(1);
}

export async function findMemberByKey(tx: Tx, tenantId: string, key: string): Promise<MemberRow | null> {
  const q = memberByKeyQuery(tx, tenantId, key);
  return q ? ((await q)[0] ?? null) : null;
}

export async function lookupMember(tx: Tx, actor: MemberActor, key: string): Promise<MemberView> {
  const row = await findMemberByKey(tx, actor.tenantId, key);
  if (!row) throw notFound('Member');
  await notePiiView(tx, actor, row.id, 'lookup');
  return memberView(row, await visibilityIn(tx, actor));
}

/**
 * The page query of GET /members: the search condition, keyset on id, newest first. When the
 * filters are selective but badly estimated (see prefersMatchScan) the order is written
 * `id + 0`, which no index provides, so the matches are collected through the trigram / tags
 * index and the page is a top-N sort, bounded by the number of matches instead of the size of
 * the merchant.
 */
export function membersPageQuery(tx: Tx, tenantId: string, params: MemberSearchParams, after: string | null, limit: number) {
  return tx
    .select()
    .from(members)
    .where(and(searchMembersWhere(tenantId, params), after ? lt(members.id, after) : undefined))
    .orderBy(prefersMatchScan(params) ? sql`${members.id} + 0 desc` : desc(members.id))
    .limit(limit + 1);
}

export async function listMembers(
  tx: Tx,
  actor: MemberActor,
  params: MemberSearchParams & { limit: number; cursor?: string },
): Promise<Page<MemberView>> {
  const { limit, cursor, ...search } = params;
  const rows = await membersPageQuery(tx, actor.tenantId, search, decodeCursor(cursor), limit);
  const vis = await visibilityIn(tx, actor);
  const items = rows.slice(0, limit).map((r) => memberView(r, vis));
  return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.id) : null };
}

export async function listChanges(tx: Tx, actor: MemberActor, memberId: string, page: { limit: number; cursor?: string }): Promise<Page<ChangeView>> {
  await memberRow(tx, actor.tenantId, memberId);
  const after = decodeCursor(page.cursor);
  const rows = await tx
    .select()
    .from(memberChanges)
    .where(and(eq(memberChanges.tenantId, actor.tenantId), eq(memberChanges.memberId, memberId), after ? lt(memberChanges.id, after) : undefined))
    .orderBy(desc(memberChanges.id))
    .limit(page.limit + 1);
  const vis = visibility(actor);
  const items = rows.slice(0, page.limit).map((r) => changeView(r, vis));
  return { items, nextCursor: rows.length > page.limit ? encodeCursor(items[items.length - 1]!.id) : null };
}

// ------------------------------------------------------------------ changing

export interface MemberPatch {
  name?: string | null;
  gender?: Gender | null;
  birthday?: string | null;
  storeId?: string | null;
  attributes?: Record<string, unknown>;
  tags?: string[];
  smsOptOut?: boolean;
  email?: string | null;
  emailOptOut?: boolean;
  status?: MemberStatus;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Applies a partial update. Attributes merge (a null value clears one); tags replace.
 * One member_changes row records the fields that changed (before/after of those fields);
 * a status change gets a row and an audit entry of its own.
 */
export async function updateMember(tx: Tx, actor: MemberActor, id: string, patch: MemberPatch): Promise<MemberView> {
  const current = await memberRow(tx, actor.tenantId, id, true);
  checkBirthday(patch.birthday);
  if (patch.storeId !== undefined) await checkStore(tx, actor.tenantId, patch.storeId);
  const next: Partial<MemberRow> = {};
  if (patch.name !== undefined) next.name = patch.name?.trim() || null;
  if (patch.gender !== undefined) next.gender = patch.gender;
  if (patch.birthday !== undefined) next.birthday = patch.birthday;
  if (patch.storeId !== undefined) next.storeId = patch.storeId;
  if (patch.smsOptOut !== undefined) next.smsOptOut = patch.smsOptOut;
  if (patch.email !== undefined) next.email = parseEmail(patch.email);
  if (patch.emailOptOut !== undefined) next.emailOptOut = patch.emailOptOut;
  if (patch.tags !== undefined) next.tags = normalizeTags(patch.tags)!;
  if (patch.attributes !== undefined) {
    const defs = await loadAttributeDefs(tx, actor.tenantId);
    const values = checkAttributes(defs, patch.attributes, { partial: true });
    const merged: Record<string, unknown> = { ...current.attributes };
    for (const [k, v] of Object.entries(values)) {
      if (v === null) delete merged[k];
      else merged[k] = v;
    }
    next.attributes = merged;
  }

  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(next) as [keyof MemberRow, unknown][]) {
    if (k === 'attributes') {
      // only the attribute keys that changed
      const a = current.attributes;
      const b = v as Record<string, unknown>;
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (!sameJson(a[key], b[key])) {
          ((before.attributes ??= {}) as Record<string, unknown>)[key] = a[key] ?? null;
          ((after.attributes ??= {}) as Record<string, unknown>)[key] = b[key] ?? null;
        }
      }
    } else if (!sameJson(current[k], v)) {
      before[k] = current[k];
      after[k] = v;
    }
  }
  const statusChanged = patch.status !== undefined && patch.status !== current.status;
  if (Object.keys(after).length === 0 && !statusChanged) return memberView(current, await visibilityIn(tx, actor));

  const [row] = await tx
    .update(members)
    .set({ ...next, ...(statusChanged ? { status: patch.status } : {}), updatedAt: new Date() })
    .where(and(eq(members.tenantId, actor.tenantId), eq(members.id, id)))
    .returning();
  if (Object.keys(after).length > 0) await recordChange(tx, actor, id, 'profile', before, after);
  if (statusChanged) {
    await recordChange(tx, actor, id, 'status', { status: current.status }, { status: patch.status });
    await audit(tx, actor, 'member.status_change', { type: 'member', id }, { from: current.status, to: patch.status, cardNo: current.cardNo });
  }
  return memberView(row!, await visibilityIn(tx, actor));
}

/**
 * Rebinds the card to a new phone number: card number, balances, tier and history stay with
 * the member; the old number no longer finds it and may join again as someone else.
 * The same number again is a no-op (a retried request succeeds); another member's → 409.
 */
export async function changePhone(tx: Tx, actor: MemberActor, id: string, input: { phone: string; reason: string }): Promise<MemberView> {
  const phone = parsePhone(input.phone);
  const current = await memberRow(tx, actor.tenantId, id, true);
  if (current.phone === phone) return memberView(current, await visibilityIn(tx, actor));
  const holder = await memberIdByPhone(tx, actor.tenantId, phone);
  if (holder) throw phoneTaken(holder);
  let row: MemberRow | undefined;
  try {
    // a savepoint, so a concurrent registration of the same number becomes a 409, not a 500
    row = await tx.transaction(async (sp) =>
      (await sp.update(members).set({ phone, updatedAt: new Date() }).where(and(eq(members.tenantId, actor.tenantId), eq(members.id, id))).returning())[0],
    );
  } catch (err) {
    // the savepoint rolled back, so the transaction can still name the winner like any other 409
    if (isUniqueViolation(err)) throw phoneTaken((await memberIdByPhone(tx, actor.tenantId, phone)) ?? 'unknown');
    throw err;
  }
  await recordChange(tx, actor, id, 'phone', { phone: current.phone }, { phone }, input.reason);
  await audit(tx, actor, 'member.phone_change', { type: 'member', id }, {
    cardNo: current.cardNo,
    from: maskPhone(current.phone),
    to: maskPhone(phone),
    reason: input.reason,
  });
  return memberView(row!, await visibilityIn(tx, actor));
}
