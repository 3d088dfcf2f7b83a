import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Tx } from '../platform/db/with-tenant.js';
import { decodeCursor, encodeCursor, type Page } from '../platform/http/pagination.js';
import { AppError, conflict, notFound } from '../platform/http/problem.js';
import { audit } from '../platform/tenancy/audit.js';
import { applicationFlags } from './applications.rules.js';
import { getMemberSettings } from './cards.repo.js';
import { memberApplications, members, type Gender, type MemberSource } from './schema.js';
import {
  checkAttributes,
  checkBirthday,
  checkStore,
  loadAttributeDefs,
  normalizeTags,
  parsePhone,
  parseSenderPhone,
  registerMember,
  systemActor,
  visibility,
  type MemberActor,
} from './service.js';
import { applicationView, memberView, type ApplicationRow, type ApplicationView, type MemberView } from './views.js';

export type ApplicationSource = Exclude<MemberSource, 'import' | 'application'>;

export interface ApplicationInput {
  phone: string;
  name?: string | null;
  gender?: Gender | null;
  birthday?: string | null;
  storeId?: string | null;
  attributes?: Record<string, unknown>;
  tags?: string[];
  source?: ApplicationSource;
}

async function applicationRow(tx: Tx, tenantId: string, id: string, lock = false): Promise<ApplicationRow> {
  const q = tx.select().from(memberApplications).where(and(eq(memberApplications.tenantId, tenantId), eq(memberApplications.id, id)));
  const rows = lock ? await q.for('update') : await q;
  if (!rows[0]) throw notFound('Application');
  return rows[0];
}

/**
 * Files a join application. Unknown attributes and wrong types are a 400 as everywhere;
 * missing key data and duplicates are not errors but flags for the reviewer. When the tenant
 * does not review applications, it is approved at once in the same transaction (a phone that
 * is already a member is then a 409 and nothing is stored).
 */
export async function createApplication(tx: Tx, actor: MemberActor, input: ApplicationInput): Promise<{ application: ApplicationView; member: MemberView | null }> {
  const tenantId = actor.tenantId;
  const phone = parsePhone(input.phone);
  checkBirthday(input.birthday);
  const defs = await loadAttributeDefs(tx, tenantId);
  const attributes = Object.fromEntries(Object.entries(checkAttributes(defs, input.attributes, { partial: true })).filter(([, v]) => v !== null));
  await checkStore(tx, tenantId, input.storeId);
  const name = input.name?.trim() || null;
  const birthday = input.birthday ?? null;

  const [facts] = (
    await tx.execute<{ member: boolean; pending: number; same: number }>(sql`
      select exists (select 1 from members where tenant_id = ${tenantId} and phone = ${phone}) as member,
             (select count(*)::int from member_applications where tenant_id = ${tenantId} and phone = ${phone} and status = 'pending') as pending,
             (case when ${name}::text is null or ${birthday}::date is null then 0 else
               (select count(*)::int from members where tenant_id = ${tenantId} and name = ${name} and birthday = ${birthday}::date)
             + (select count(*)::int from member_applications
                 where tenant_id = ${tenantId} and name = ${name} and birthday = ${birthday}::date and status = 'pending') end) as same`)
  ).rows as [{ member: boolean; pending: number; same: number }];
  const flags = applicationFlags({ name, birthday, attributes }, defs, {
    phoneIsMember: facts.member,
    phonePendingApplications: facts.pending,
    sameNameBirthday: facts.same,
  });

  const source: ApplicationSource = input.source ?? (actor.type === 'api_key' ? 'api' : 'counter');
  const [row] = await tx
    .insert(memberApplications)
    .values({
      tenantId,
      phone,
      name,
      gender: input.gender ?? null,
      birthday,
      storeId: input.storeId ?? null,
      attributes,
      tags: normalizeTags(input.tags) ?? [],
      source,
      flags,
    })
    .returning();
  const settings = await getMemberSettings(tx, tenantId);
  if (settings.reviewApplications) return { application: applicationView(row!, visibility(actor)), member: null };
  return approve(tx, actor, row!, {});
}

/** The request body of an approval has no phone: a phone taken meanwhile is reported on the
 * application, not on a form field. */
async function registerApplicant(tx: Tx, actor: MemberActor, app: ApplicationRow, opts: { cardNo?: string }) {
  try {
    return await registerMember(
      tx,
      actor,
      {
        phone: app.phone,
        name: app.name,
        gender: app.gender,
        birthday: app.birthday,
        storeId: app.storeId,
        attributes: app.attributes,
        tags: app.tags,
        cardNo: opts.cardNo,
      },
      app.source,
      // the reviewer saw the missing_required_attributes flag and approved anyway
      { requireAttributes: false, reason: `application ${app.id}` },
    );
  } catch (err) {
    if (err instanceof AppError && err.code === 'phone_registered') {
      const holder = /member (\S+)$/.exec(err.message)?.[1] ?? 'unknown';
      throw new AppError(409, 'phone_registered', `The applicant's phone became member ${holder} meanwhile`);
    }
    throw err;
  }
}

async function approve(tx: Tx, actor: MemberActor, app: ApplicationRow, opts: { cardNo?: string }): Promise<{ application: ApplicationView; member: MemberView }> {
  const member = await registerApplicant(tx, actor, app, opts);
  const [row] = await tx
    .update(memberApplications)
    .set({ status: 'approved', memberId: member.id, decidedAt: new Date(), decidedBy: actor.name })
    .where(and(eq(memberApplications.tenantId, actor.tenantId), eq(memberApplications.id, app.id)))
    .returning();
  if (actor.type !== 'system') {
    await audit(tx, actor, 'member.application_approve', { type: 'member_application', id: app.id }, { memberId: member.id, cardNo: member.cardNo });
  }
  const vis = visibility(actor);
  return { application: applicationView(row!, vis), member: memberView(member, vis) };
}

/** Approves a pending application: the member is created with a card (and, once the loyalty
 * capability assigns them, the starting tier). 409 when decided already or when the phone
 * became a member meanwhile. */
export async function approveApplication(tx: Tx, actor: MemberActor, id: string, opts: { cardNo?: string } = {}) {
  const app = await applicationRow(tx, actor.tenantId, id, true);
  if (app.status !== 'pending') throw conflict(`This application was already ${app.status}`, 'application_decided');
  return approve(tx, actor, app, opts);
}

export async function rejectApplication(tx: Tx, actor: MemberActor, id: string, reason: string): Promise<ApplicationView> {
  const app = await applicationRow(tx, actor.tenantId, id, true);
  if (app.status !== 'pending') throw conflict(`This application was already ${app.status}`, 'application_decided');
  const [row] = await tx
    .update(memberApplications)
    .set({ status: 'rejected', reason, decidedAt: new Date(), decidedBy: actor.name })
    .where(and(eq(memberApplications.tenantId, actor.tenantId), eq(memberApplications.id, id)))
    .returning();
  await audit(tx, actor, 'member.application_reject', { type: 'member_application', id }, { reason });
  return applicationView(row!, visibility(actor));
}

export async function getApplication(tx: Tx, actor: MemberActor, id: string): Promise<ApplicationView> {
  return applicationView(await applicationRow(tx, actor.tenantId, id), visibility(actor));
}

export async function listApplications(
  tx: Tx,
  actor: MemberActor,
  q: { status?: 'pending' | 'approved' | 'rejected'; limit: number; cursor?: string },
): Promise<Page<ApplicationView>> {
  const after = decodeCursor(q.cursor);
  const rows = await tx
    .select()
    .from(memberApplications)
    .where(
      and(
        eq(memberApplications.tenantId, actor.tenantId),
        q.status ? eq(memberApplications.status, q.status) : undefined,
        after ? lt(memberApplications.id, after) : undefined,
      ),
    )
    .orderBy(desc(memberApplications.id))
    .limit(q.limit + 1);
  const vis = visibility(actor);
  const items = rows.slice(0, q.limit).map((r) => applicationView(r, vis));
  return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!.id) : null };
}

export interface SmsJoinResult {
  /** 'member': joined now; 'applicant': waiting for review; 'existing': already a member */
  status: 'member' | 'applicant' | 'existing';
  member?: MemberView;
  cardNo?: string;
  applicationId?: string;
}

/**
 * The `888` keyword: join by SMS, inside the caller's (tenant-bound) transaction. The phone
 * is the sender's address (`+8613800138000`, `8613800138000` or `13800138000`). A second
 * 888 from a pending applicant files nothing new. Views are unmasked (the reply goes to the
 * member's own phone).
 */
export async function joinBySms(tx: Tx, tenantId: string, phone: string): Promise<SmsJoinResult> {
  const actor = systemActor(tenantId, 'SMS 888');
  const e164 = parseSenderPhone(phone);
  const existing = async (): Promise<SmsJoinResult | null> => {
    const rows = await tx.select().from(members).where(and(eq(members.tenantId, tenantId), eq(members.phone, e164)));
    const m = rows[0];
    return m ? { status: 'existing', member: memberView(m, { pii: true }), cardNo: m.cardNo } : null;
  };
  const found = await existing();
  if (found) return found;
  const settings = await getMemberSettings(tx, tenantId);
  if (settings.reviewApplications) {
    const pending = await tx
      .select({ id: memberApplications.id })
      .from(memberApplications)
      .where(and(eq(memberApplications.tenantId, tenantId), eq(memberApplications.phone, e164), eq(memberApplications.status, 'pending')))
      .limit(1);
    if (pending[0]) return { status: 'applicant', applicationId: pending[0].id };
    const { application } = await createApplication(tx, actor, { phone: e164, source: 'sms' });
    return { status: 'applicant', applicationId: application.id };
  }
  try {
    const m = await registerMember(tx, actor, { phone: e164 }, 'sms', { requireAttributes: false });
    return { status: 'member', member: memberView(m, { pii: true }), cardNo: m.cardNo };
  } catch (err) {
    // a concurrent 888 from the same phone won the race (ON CONFLICT DO NOTHING leaves the
    // transaction usable)
    if (err instanceof AppError && err.code === 'phone_registered') {
      const again = await existing();
      if (again) return again;
    }
    throw err;
  }
}

