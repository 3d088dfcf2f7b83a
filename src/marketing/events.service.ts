/**
 * Member events (活动管理, product.md §6): an event with its targets (a segment's filter, copied
 * at create like a campaign's), the SMS invitation from the event's own sub-code, sign-ups (the
 * console, or any reply to that sub-code — `signUpBySms`, called by messaging/inbound.service.ts
 * in its batch transaction), attendance with activity points through the loyalty ledger, and
 * the results. Everything but the points runs in the caller's tenant transaction (RLS).
 *
 * Capacity: every sign-up locks the event row (`FOR UPDATE`) before counting, so concurrent
 * sign-ups queue per event and the count never passes the capacity; the primary key
 * (tenant, event, member) makes one sign-up per member.
 *
 * Points, once per member and event: attendance rows are inserted `ON CONFLICT DO NOTHING` with
 * the points owed; each owed row is paid by `awardPoints` with the reference
 * `event:<id>:attend:<member>` (its idempotency key: a second award replays the first), and the
 * operation id is written back. Recording attendance again pays only rows still unpaid.
 */
import { sql, type SQL } from 'drizzle-orm';
import type pg from 'pg';
import { awardPoints, type LedgerActor } from '../loyalty/index.js';
import { maskName, maskPhone } from '../members/index.js';
import { allocateSubCode, sendSms, smsContext } from '../messaging/index.js';
import type { Db } from '../platform/db/client.js';
import { withTenant, type Tx } from '../platform/db/with-tenant.js';
import type { TenantActor } from '../platform/http/auth.js';
import { badRequest, conflict, notFound, type FieldError } from '../platform/http/problem.js';
import { audit } from '../platform/tenancy/audit.js';
import { CLOSED_REPLY, DEFAULT_CONFIRMATION, FULL_REPLY, checkEvent, localDateTime, renderEventTemplate, signupState, type EventValues } from './events.rules.js';
import { compileFilter } from './filter.sql.js';
import { getSegment, parseFilter } from './segments.service.js';

export interface EventInput {
  name: string;
  description?: string;
  place?: string;
  startsAt: string;
  endsAt: string;
  capacity?: number | null;
  signupDeadline?: string | null;
  segmentId?: string;
  filter?: unknown;
  invitation: string;
  confirmation?: string | null;
  points?: number;
}

export interface EventView {
  id: string;
  name: string;
  description: string;
  place: string;
  startsAt: string;
  endsAt: string;
  capacity: number | null;
  signupDeadline: string | null;
  segmentId: string | null;
  filter: unknown;
  invitation: string;
  confirmation: string;
  points: number;
  subCode: string | null;
  invitedAt: string | null;
  signedUp: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: string;
  name: string;
  description: string;
  place: string;
  starts_at: Date;
  ends_at: Date;
  capacity: number | null;
  signup_deadline: Date | null;
  segment_id: string | null;
  filter: unknown;
  invitation: string;
  confirmation: string;
  points: number;
  sub_code: string | null;
  invited_at: Date | null;
  signed_up: number;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = sql`e.id::text, e.name, e.description, e.place, e.starts_at, e.ends_at, e.capacity, e.signup_deadline, e.segment_id::text, e.filter,
  e.invitation, e.confirmation, e.points, e.sub_code, e.invited_at, e.created_by, e.created_at, e.updated_at,
  (SELECT count(*)::int FROM event_signups s WHERE s.tenant_id = e.tenant_id AND s.event_id = e.id) AS signed_up`;

const d = (v: Date | string) => (v instanceof Date ? v : new Date(v));
const iso = (v: Date | string | null) => (v === null ? null : d(v).toISOString());

const view = (r: Row): EventView => ({
  id: r.id,
  name: r.name,
  description: r.description,
  place: r.place,
  startsAt: iso(r.starts_at)!,
  endsAt: iso(r.ends_at)!,
  capacity: r.capacity,
  signupDeadline: iso(r.signup_deadline),
  segmentId: r.segment_id,
  filter: r.filter,
  invitation: r.invitation,
  confirmation: r.confirmation,
  points: r.points,
  subCode: r.sub_code,
  invitedAt: iso(r.invited_at),
  signedUp: r.signed_up,
  createdBy: r.created_by,
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
});

const auditActor = (a: TenantActor) => ({ tenantId: a.tenantId, type: a.type, id: a.id, name: a.name, ip: a.ip ?? null });

async function eventRow(tx: Tx, tenantId: string, id: string, lock = false): Promise<Row> {
  // the lock first, in its own statement, so the read below (a new snapshot) sees what the
  // previous holder committed, its sign-up count included
  if (lock) await tx.execute(sql`SELECT 1 FROM events WHERE tenant_id = ${tenantId}::bigint AND id = ${id}::bigint FOR UPDATE`);
  const { rows } = await tx.execute<Row & Record<string, unknown>>(sql`
    SELECT ${COLUMNS} FROM events e WHERE e.tenant_id = ${tenantId}::bigint AND e.id = ${id}::bigint`);
  if (!rows[0]) throw notFound('Event');
  return dated(rows[0]);
}

/** Raw SQL answers timestamps as text: make them dates. */
function dated(r: Row): Row {
  return { ...r, starts_at: d(r.starts_at), ends_at: d(r.ends_at), signup_deadline: r.signup_deadline === null ? null : d(r.signup_deadline), invited_at: r.invited_at === null ? null : d(r.invited_at) };
}

async function tenantTimezone(tx: Tx, tenantId: string): Promise<string> {
  const { rows } = await tx.execute<{ timezone: string }>(sql`SELECT timezone FROM tenants WHERE id = ${tenantId}::bigint`);
  return rows[0]?.timezone ?? 'Asia/Shanghai';
}

/** Checks an event body; the filter (given or a segment's) is checked like a segment's. */
async function checked(tx: Tx, tenantId: string, input: EventInput) {
  const errors: FieldError[] = [];
  const name = input.name.trim();
  if (!name) errors.push({ path: 'body.name', message: 'must not be blank' });
  if ((input.segmentId === undefined) === (input.filter === undefined)) errors.push({ path: 'body.segmentId', message: 'give exactly one of segmentId and filter' });
  const date = (v: string, path: string) => {
    const x = new Date(v);
    if (Number.isNaN(x.getTime())) errors.push({ path, message: 'must be a date-time' });
    return x;
  };
  const startsAt = date(input.startsAt, 'body.startsAt');
  const endsAt = date(input.endsAt, 'body.endsAt');
  const signupDeadline = input.signupDeadline ? date(input.signupDeadline, 'body.signupDeadline') : null;
  if (!errors.length) errors.push(...checkEvent({ startsAt, endsAt, signupDeadline, invitation: input.invitation, confirmation: input.confirmation ?? null }));
  if (errors.length) throw badRequest(`Invalid event: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
  let filter = input.filter;
  if (input.segmentId !== undefined) filter = (await getSegment(tx, tenantId, input.segmentId)).filter;
  else await parseFilter(tx, tenantId, filter);
  return {
    name,
    description: input.description ?? '',
    place: input.place ?? '',
    startsAt: startsAt.toISOString(),
    endsAt: endsAt.toISOString(),
    signupDeadline: signupDeadline?.toISOString() ?? null,
    capacity: input.capacity ?? null,
    segmentId: input.segmentId ?? null,
    filter: JSON.stringify(filter),
    invitation: input.invitation,
    confirmation: input.confirmation ?? DEFAULT_CONFIRMATION,
    points: input.points ?? 0,
  };
}

export async function createEvent(tx: Tx, actor: TenantActor, input: EventInput): Promise<EventView> {
  const v = await checked(tx, actor.tenantId, input);
  const { rows } = await tx.execute<{ id: string }>(sql`
    INSERT INTO events (tenant_id, name, description, place, starts_at, ends_at, capacity, signup_deadline, segment_id, filter, invitation, confirmation, points, created_by)
    VALUES (${actor.tenantId}::bigint, ${v.name}, ${v.description}, ${v.place}, ${v.startsAt}::timestamptz, ${v.endsAt}::timestamptz, ${v.capacity}::int,
            ${v.signupDeadline}::timestamptz, ${v.segmentId}::bigint, ${v.filter}::jsonb, ${v.invitation}, ${v.confirmation}, ${v.points}, ${actor.name})
    RETURNING id::text`);
  const id = rows[0]!.id;
  await audit(tx, auditActor(actor), 'event.create', { type: 'event', id }, { name: v.name });
  return view(await eventRow(tx, actor.tenantId, id));
}

export async function updateEvent(tx: Tx, actor: TenantActor, id: string, input: EventInput): Promise<EventView> {
  const before = await eventRow(tx, actor.tenantId, id, true);
  const v = await checked(tx, actor.tenantId, input);
  if (v.capacity !== null && v.capacity < before.signed_up) {
    throw badRequest(`capacity ${v.capacity} is below the ${before.signed_up} members signed up`, [{ path: 'body.capacity', message: `must be at least ${before.signed_up} (signed up)` }]);
  }
  await tx.execute(sql`
    UPDATE events SET name = ${v.name}, description = ${v.description}, place = ${v.place}, starts_at = ${v.startsAt}::timestamptz, ends_at = ${v.endsAt}::timestamptz,
           capacity = ${v.capacity}::int, signup_deadline = ${v.signupDeadline}::timestamptz, segment_id = ${v.segmentId}::bigint, filter = ${v.filter}::jsonb,
           invitation = ${v.invitation}, confirmation = ${v.confirmation}, points = ${v.points}, updated_at = now()
     WHERE tenant_id = ${actor.tenantId}::bigint AND id = ${id}::bigint`);
  await audit(tx, auditActor(actor), 'event.update', { type: 'event', id }, { name: v.name });
  return view(await eventRow(tx, actor.tenantId, id));
}

export async function listEvents(tx: Tx, tenantId: string): Promise<EventView[]> {
  const { rows } = await tx.execute<Row & Record<string, unknown>>(sql`SELECT ${COLUMNS} FROM events e WHERE e.tenant_id = ${tenantId}::bigint ORDER BY e.starts_at DESC, e.id DESC LIMIT 500`);
  return rows.map((r) => view(dated(r)));
}

export const getEvent = async (tx: Tx, tenantId: string, id: string) => view(await eventRow(tx, tenantId, id));

/** Deletes an event nobody attended (its invitations and sign-ups go with it). */
export async function deleteEvent(tx: Tx, actor: TenantActor, id: string): Promise<void> {
  const e = await eventRow(tx, actor.tenantId, id, true);
  const { rows } = await tx.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM event_attendance WHERE tenant_id = ${actor.tenantId}::bigint AND event_id = ${id}::bigint`);
  if (rows[0]!.n > 0) throw conflict('Attendance has been recorded for this event; it cannot be deleted', 'event_has_attendance');
  await tx.execute(sql`DELETE FROM events WHERE tenant_id = ${actor.tenantId}::bigint AND id = ${id}::bigint`);
  await audit(tx, auditActor(actor), 'event.delete', { type: 'event', id }, { name: e.name });
}

// ------------------------------------------------------------------ invitation
const PAGE = 500;

export interface InviteResult {
  subCode: string;
  /** members the filter matches now who had not been invited yet */
  targeted: number;
  queued: number;
  optedOut: number;
  failed: number;
  alreadyInvited: number;
}

/**
 * Invites the members the event's filter matches now and who were not invited before: a
 * marketing SMS from the port + the event's sub-code (allocated on the first invite). Members
 * who opted out of SMS marketing are not messaged at all (counted `optedOut`). Runs in the
 * request's transaction, in pages of 500 by member id (the event row is locked, so two invites
 * at once do not both message a member).
 */
export async function inviteEvent(tx: Tx, actor: TenantActor, id: string, now = new Date()): Promise<InviteResult> {
  const tenantId = actor.tenantId;
  const e = await eventRow(tx, tenantId, id, true);
  if (now.getTime() > e.ends_at.getTime()) throw conflict('The event is over', 'event_over');
  let subCode = e.sub_code;
  if (!subCode) {
    subCode = (await allocateSubCode(tx, tenantId, { label: `event ${id}: ${e.name}`.slice(0, 100) })).code;
    await tx.execute(sql`UPDATE events SET sub_code = ${subCode}, invited_at = now(), updated_at = now() WHERE tenant_id = ${tenantId}::bigint AND id = ${id}::bigint`);
  }
  const tz = await tenantTimezone(tx, tenantId);
  const node = await parseFilter(tx, tenantId, e.filter, 'event.filter');
  const cond: SQL = compileFilter(node, { now, tz });
  const ctx = await smsContext(tx, tenantId);
  const { rows: already } = await tx.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM event_invitations WHERE tenant_id = ${tenantId}::bigint AND event_id = ${id}::bigint`);
  const out: InviteResult = { subCode, targeted: 0, queued: 0, optedOut: 0, failed: 0, alreadyInvited: already[0]!.n };
  const base: EventValues = { merchant: ctx.name, event: e.name, place: e.place, startsAt: localDateTime(e.starts_at, tz) };
  let after = '0';
  for (;;) {
    const { rows } = await tx.execute<{ id: string; name: string | null; card_no: string; phone: string; sms_opt_out: boolean }>(sql`
      SELECT members.id::text AS id, members.name, members.card_no, members.phone, members.sms_opt_out
        FROM members
       WHERE members.tenant_id = ${tenantId}::bigint AND members.id > ${after}::bigint AND members.status = 'active' AND ${cond}
         AND NOT EXISTS (SELECT 1 FROM event_invitations i WHERE i.tenant_id = members.tenant_id AND i.event_id = ${id}::bigint AND i.member_id = members.id)
       ORDER BY members.id LIMIT ${PAGE}`);
    if (!rows.length) break;
    after = rows[rows.length - 1]!.id;
    for (const m of rows) {
      out.targeted++;
      if (m.sms_opt_out) {
        out.optedOut++;
        await tx.execute(sql`INSERT INTO event_invitations (tenant_id, event_id, member_id, status, fail_reason) VALUES (${tenantId}::bigint, ${id}::bigint, ${m.id}::bigint, 'suppressed', 'opted_out')`);
        continue;
      }
      const text = renderEventTemplate(e.invitation, { ...base, name: m.name ?? '', cardNo: m.card_no });
      let status: string;
      let reason: string | null;
      let messageId: string | null = null;
      try {
        const r = await sendSms(tx, { tenantId, to: m.phone, text, kind: 'marketing', memberId: m.id, subCode, textPath: 'event.invitation', context: ctx });
        status = r.status;
        reason = r.failReason;
        messageId = r.id;
      } catch (err) {
        // a text that renders too long for this member: recorded, the others are still invited
        if ((err as { status?: number }).status !== 400) throw err;
        status = 'failed';
        reason = 'text_too_long';
      }
      if (status === 'queued') out.queued++;
      else if (reason === 'opted_out') out.optedOut++;
      else out.failed++;
      await tx.execute(sql`
        INSERT INTO event_invitations (tenant_id, event_id, member_id, message_id, status, fail_reason)
        VALUES (${tenantId}::bigint, ${id}::bigint, ${m.id}::bigint, ${messageId}::bigint, ${status}, ${reason})`);
    }
    if (rows.length < PAGE) break;
  }
  await audit(tx, auditActor(actor), 'event.invite', { type: 'event', id }, { ...out });
  return out;
}

// ------------------------------------------------------------------ sign-ups
type SignupOutcome = 'signed_up' | 'already' | 'closed' | 'full';

/** Signs a member up under the event's lock: the one place capacity and the deadline are decided. */
async function signUp(tx: Tx, tenantId: string, e: Row, memberId: string, via: 'sms' | 'console', by: string, now: Date): Promise<SignupOutcome> {
  const { rows: ex } = await tx.execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM event_signups WHERE tenant_id = ${tenantId}::bigint AND event_id = ${e.id}::bigint AND member_id = ${memberId}::bigint`);
  if (ex[0]!.n > 0) return 'already';
  // counted in a statement after the lock was granted (READ COMMITTED: it sees every sign-up
  // committed before; the row's own signed_up was read with the snapshot from before the wait)
  const { rows: taken } = await tx.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM event_signups WHERE tenant_id = ${tenantId}::bigint AND event_id = ${e.id}::bigint`);
  const state = signupState({ startsAt: e.starts_at, endsAt: e.ends_at, signupDeadline: e.signup_deadline, capacity: e.capacity }, taken[0]!.n, now);
  if (state !== 'open') return state;
  await tx.execute(sql`
    INSERT INTO event_signups (tenant_id, event_id, member_id, via, created_by) VALUES (${tenantId}::bigint, ${e.id}::bigint, ${memberId}::bigint, ${via}, ${by})`);
  return 'signed_up';
}

export async function signUpByConsole(tx: Tx, actor: TenantActor, id: string, memberId: string, now = new Date()) {
  const e = await eventRow(tx, actor.tenantId, id, true);
  const { rows } = await tx.execute<{ status: string }>(sql`SELECT status FROM members WHERE tenant_id = ${actor.tenantId}::bigint AND id = ${memberId}::bigint`);
  if (!rows[0]) throw badRequest('No such member', [{ path: 'body.memberId', message: 'is not a member of this merchant' }]);
  if (rows[0].status !== 'active') throw conflict(`The member is ${rows[0].status}`, 'member_not_active');
  const r = await signUp(tx, actor.tenantId, e, memberId, 'console', actor.name, now);
  if (r === 'already') throw conflict('The member has signed up already', 'already_signed_up');
  if (r === 'full') throw conflict('The event is full', 'event_full');
  if (r === 'closed') throw conflict('Sign-up for the event has closed', 'signup_closed');
  await audit(tx, auditActor(actor), 'event.signup', { type: 'event', id }, { memberId });
  return { eventId: id, memberId, via: 'console' as const };
}

export async function cancelSignup(tx: Tx, actor: TenantActor, id: string, memberId: string): Promise<void> {
  await eventRow(tx, actor.tenantId, id, true);
  const { rows } = await tx.execute<{ member_id: string }>(sql`
    DELETE FROM event_signups WHERE tenant_id = ${actor.tenantId}::bigint AND event_id = ${id}::bigint AND member_id = ${memberId}::bigint RETURNING member_id::text`);
  if (!rows[0]) throw notFound('Sign-up');
  await audit(tx, auditActor(actor), 'event.signup_cancel', { type: 'event', id }, { memberId });
}

export async function listSignups(tx: Tx, tenantId: string, id: string, pii: boolean) {
  await eventRow(tx, tenantId, id);
  const { rows } = await tx.execute<{ member_id: string; name: string | null; phone: string; card_no: string; via: string; created_at: Date; attended: boolean }>(sql`
    SELECT s.member_id::text, m.name, m.phone, m.card_no, s.via, s.created_at,
           EXISTS (SELECT 1 FROM event_attendance a WHERE a.tenant_id = s.tenant_id AND a.event_id = s.event_id AND a.member_id = s.member_id) AS attended
      FROM event_signups s JOIN members m ON m.tenant_id = s.tenant_id AND m.id = s.member_id
     WHERE s.tenant_id = ${tenantId}::bigint AND s.event_id = ${id}::bigint ORDER BY s.created_at, s.member_id`);
  return rows.map((r) => ({
    memberId: r.member_id,
    name: pii ? r.name : maskName(r.name),
    phone: pii ? r.phone : maskPhone(r.phone),
    cardNo: r.card_no,
    via: r.via,
    signedUpAt: iso(r.created_at)!,
    attended: r.attended,
  }));
}

export interface SmsSignupInput {
  tenantId: string;
  subCode: string;
  member: { id: string; name: string | null; cardNo: string } | null;
  merchant: string;
  receivedAt: Date;
}

/**
 * A reply to an event's sub-code (any text that is not a keyword): signs the member up and
 * returns the confirmation to send (or the "full" / "closed" reply). Null when the sub-code is
 * not an event's, or the sender is not a member (the message stays feedback for the inbox).
 */
export async function signUpBySms(tx: Tx, input: SmsSignupInput): Promise<{ reply: string; outcome: SignupOutcome } | null> {
  if (!input.member) return null;
  const { rows } = await tx.execute<{ id: string }>(sql`SELECT id::text FROM events WHERE tenant_id = ${input.tenantId}::bigint AND sub_code = ${input.subCode}`);
  if (!rows[0]) return null;
  const e = await eventRow(tx, input.tenantId, rows[0].id, true);
  const outcome = await signUp(tx, input.tenantId, e, input.member.id, 'sms', 'SMS', input.receivedAt);
  const tz = await tenantTimezone(tx, input.tenantId);
  const values: EventValues = { merchant: input.merchant, event: e.name, place: e.place, startsAt: localDateTime(e.starts_at, tz), name: input.member.name ?? '', cardNo: input.member.cardNo };
  const template = outcome === 'full' ? FULL_REPLY : outcome === 'closed' ? CLOSED_REPLY : e.confirmation;
  return { reply: renderEventTemplate(template, values), outcome };
}

// ------------------------------------------------------------------ attendance and points
export interface AttendanceResult {
  recorded: number;
  alreadyRecorded: number;
  pointsAwarded: number;
  membersAwarded: number;
}

/**
 * Records attendance of `memberIds` (each must be a member of the merchant, else 400 and nothing
 * is stored) and pays the points owed to them: see the file header. The recording commits
 * first; each award is its own ledger transaction.
 */
export async function recordAttendance(db: Db, pool: pg.Pool, actor: TenantActor, id: string, memberIds: string[]): Promise<AttendanceResult> {
  const unique = [...new Set(memberIds)];
  const { recorded, event } = await withTenant(db, actor.tenantId, async (tx) => {
    const e = await eventRow(tx, actor.tenantId, id, true);
    const { rows } = await tx.execute<{ id: string }>(sql`
      SELECT id::text FROM members WHERE tenant_id = ${actor.tenantId}::bigint AND id = ANY(${`{${unique.join(',')}}`}::bigint[])`);
    const known = new Set(rows.map((r) => r.id));
    const errors: FieldError[] = memberIds.flatMap((m, i) => (known.has(m) ? [] : [{ path: `body.memberIds.${i}`, message: 'is not a member of this merchant' }]));
    if (errors.length) throw badRequest(`Unknown members: ${errors.map((x) => x.path).join(', ')}`, errors);
    const { rows: ins } = await tx.execute<{ member_id: string }>(sql`
      INSERT INTO event_attendance (tenant_id, event_id, member_id, points, recorded_by)
      SELECT ${actor.tenantId}::bigint, ${id}::bigint, m, ${e.points}, ${actor.name} FROM unnest(${`{${unique.join(',')}}`}::bigint[]) AS m
      ON CONFLICT DO NOTHING RETURNING member_id::text`);
    await audit(tx, auditActor(actor), 'event.attendance', { type: 'event', id }, { recorded: ins.map((r) => r.member_id) });
    return { recorded: ins.length, event: e };
  });
  const owed = await withTenant(db, actor.tenantId, async (tx) => {
    const { rows } = await tx.execute<{ member_id: string; points: number }>(sql`
      SELECT member_id::text, points FROM event_attendance
       WHERE tenant_id = ${actor.tenantId}::bigint AND event_id = ${id}::bigint AND member_id = ANY(${`{${unique.join(',')}}`}::bigint[])
         AND points > 0 AND points_operation_id IS NULL ORDER BY member_id`);
    return rows;
  });
  const ledgerActor: LedgerActor = { type: actor.type, id: actor.id, name: actor.name };
  let pointsAwarded = 0;
  for (const o of owed) {
    const res = await awardPoints(pool, actor.tenantId, ledgerActor, o.member_id, {
      points: o.points,
      reason: `活动积分 event ${id}: ${event.name}`.slice(0, 200),
      reference: `event:${id}:attend:${o.member_id}`,
    });
    await withTenant(db, actor.tenantId, (tx) =>
      tx.execute(sql`UPDATE event_attendance SET points_operation_id = ${res.id}::bigint
                      WHERE tenant_id = ${actor.tenantId}::bigint AND event_id = ${id}::bigint AND member_id = ${o.member_id}::bigint AND points_operation_id IS NULL`),
    );
    pointsAwarded += o.points;
  }
  return { recorded, alreadyRecorded: unique.length - recorded, pointsAwarded, membersAwarded: owed.length };
}

// ------------------------------------------------------------------ results
export async function eventResults(tx: Tx, tenantId: string, id: string, days: number) {
  const e = await eventRow(tx, tenantId, id);
  const from = e.starts_at;
  const to = new Date(from.getTime() + days * 86_400_000);
  const { rows: inv } = await tx.execute<{ status: string; n: number }>(sql`
    SELECT status, count(*)::int AS n FROM event_invitations WHERE tenant_id = ${tenantId}::bigint AND event_id = ${id}::bigint GROUP BY status`);
  const { rows: su } = await tx.execute<{ via: string; n: number }>(sql`
    SELECT via, count(*)::int AS n FROM event_signups WHERE tenant_id = ${tenantId}::bigint AND event_id = ${id}::bigint GROUP BY via`);
  const { rows: at } = await tx.execute<{ attended: number; awarded: string; unpaid: number }>(sql`
    SELECT count(*)::int AS attended, coalesce(sum(points) FILTER (WHERE points_operation_id IS NOT NULL), 0)::text AS awarded,
           count(*) FILTER (WHERE points > 0 AND points_operation_id IS NULL)::int AS unpaid
      FROM event_attendance WHERE tenant_id = ${tenantId}::bigint AND event_id = ${id}::bigint`);
  const { rows: p } = await tx.execute<{ purchasers: number; purchases: number; revenue: string }>(sql`
    SELECT count(DISTINCT t.member_id)::int AS purchasers, count(t.id)::int AS purchases, coalesce(sum(t.payable_fen), 0)::text AS revenue
      FROM event_attendance a
      JOIN loyalty_transactions t ON t.tenant_id = a.tenant_id AND t.member_id = a.member_id
                                 AND t.occurred_at >= ${from.toISOString()}::timestamptz AND t.occurred_at < ${to.toISOString()}::timestamptz
     WHERE a.tenant_id = ${tenantId}::bigint AND a.event_id = ${id}::bigint`);
  const n = (rows: { n: number }[], f: (r: any) => boolean) => rows.filter(f).reduce((s, r) => s + r.n, 0);
  const bySms = n(su, (r) => r.via === 'sms');
  const byConsole = n(su, (r) => r.via === 'console');
  return {
    id,
    days,
    from: from.toISOString(),
    to: to.toISOString(),
    invited: n(inv, (r) => r.status === 'queued'),
    notInvited: { optedOut: n(inv, (r) => r.status === 'suppressed'), failed: n(inv, (r) => r.status === 'failed') },
    signedUp: { total: bySms + byConsole, sms: bySms, console: byConsole },
    attended: at[0]!.attended,
    pointsAwarded: Number(at[0]!.awarded),
    pointsPending: at[0]!.unpaid,
    attendees: { purchasers: p[0]!.purchasers, purchases: p[0]!.purchases, revenueFen: Number(p[0]!.revenue) },
  };
}
