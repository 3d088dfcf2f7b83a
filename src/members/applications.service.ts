import { and, asc, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { startingTier } from '../loyalty/index.js';
import type { Tx } from '../platform/db/with-tenant.js';
import { decodeCursor, encodeCursor, type Page } from '../platform/http/pagination.js';
import { AppError, conflict, notFound } from '../platform/http/problem.js';
import { audit } from '../platform/tenancy/audit.js';
import { applicationFlags } from './applications.rules.js';
import { allocateCardNumbers, getMemberSettings } from './cards.repo.js';
import { memberApplications, memberChanges, members, type Gender, type MemberSource } from './schema.js';
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
  visibilityIn,
  withTierNames,
  type MemberActor,
} from './service.js';
import { applicationView, memberView, type ApplicationRow, type ApplicationView, type MemberRow, type MemberView, type Visibility } from './views.js';

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
  const vis = await visibilityIn(tx, actor);
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
  return (await joinBySmsBatch(tx, tenantId, [phone]))[0]!;
}

/**
 * Many `888`s of one tenant at once, in order, as if `joinBySms` ran for each in turn (a phone
 * that joins earlier in the list is `existing` later in it), with a handful of statements for
 * the whole list instead of about nine per join: the settings, the members already holding
 * these phones, the tier names and starting tier are read once; the card numbers are taken
 * with one counter bump (or one pool claim) for all new members, who are inserted with one
 * statement, their `created` change records with another. With application review on, each
 * new phone files an application as before (one pending application per phone).
 */
export async function joinBySmsBatch(tx: Tx, tenantId: string, phones: readonly string[]): Promise<SmsJoinResult[]> {
  if (phones.length === 0) return [];
  const actor = systemActor(tenantId, 'SMS 888');
  const e164s = phones.map((p) => parseSenderPhone(p));
  const distinct = [...new Set(e164s)];
  const holders = async (list: string[]) =>
    new Map((await tx.select().from(members).where(and(eq(members.tenantId, tenantId), inArray(members.phone, list)))).map((m) => [m.phone, m] as const));
  const byPhone = await holders(distinct);
  let vis: Visibility | null = null;
  const view = async (m: MemberRow) => memberView(m, (vis ??= await withTierNames(tx, tenantId, { pii: true })));
  const fresh = distinct.filter((p) => !byPhone.has(p));
  const joined = new Set<string>();
  const applications = new Map<string, string>();

  if (fresh.length > 0) {
    const settings = await getMemberSettings(tx, tenantId);
    if (settings.reviewApplications) {
      const pending = await tx
        .select({ id: memberApplications.id, phone: memberApplications.phone })
        .from(memberApplications)
        .where(and(eq(memberApplications.tenantId, tenantId), inArray(memberApplications.phone, fresh), eq(memberApplications.status, 'pending')))
        .orderBy(asc(memberApplications.id));
      for (const a of pending) if (!applications.has(a.phone)) applications.set(a.phone, a.id);
      for (const p of fresh) {
        if (applications.has(p)) continue;
        const { application } = await createApplication(tx, actor, { phone: p, source: 'sms' });
        applications.set(p, application.id);
      }
    } else {
      const numbers = await allocateCardNumbers(tx, tenantId, fresh.length, settings);
      const tierCode = await startingTier(tx, tenantId);
      const inserted = await tx
        .insert(members)
        .values(fresh.map((phone, i) => ({ tenantId, cardNo: numbers[i]!, phone, attributes: {}, tags: [], source: 'sms' as const, tierCode })))
        .onConflictDoNothing()
        .returning();
      if (inserted.length > 0) {
        await tx.insert(memberChanges).values(
          inserted.map((m) => ({
            tenantId,
            memberId: m.id,
            change: 'created',
            before: null,
            after: { cardNo: m.cardNo, phone: m.phone, source: 'sms' },
            reason: null,
            actorType: actor.type,
            actorId: actor.id,
            actorName: actor.name,
          })),
        );
      }
      for (const m of inserted) {
        byPhone.set(m.phone, m);
        joined.add(m.phone);
      }
      const lost = fresh.filter((p) => !byPhone.has(p));
      if (lost.length > 0) {
        // a concurrent 888 from the same phone won the race (ON CONFLICT DO NOTHING leaves
        // the transaction usable): that member is the one they get
        for (const [p, m] of await holders(lost)) byPhone.set(p, m);
        const none = lost.find((p) => !byPhone.has(p));
        if (none) throw conflict('A card number taken for an SMS join was already in use', 'card_in_use');
      }
    }
  }

  const out: SmsJoinResult[] = [];
  const seen = new Set<string>();
  for (const p of e164s) {
    const applicationId = applications.get(p);
    if (applicationId) {
      out.push({ status: 'applicant', applicationId });
      continue;
    }
    const m = byPhone.get(p)!;
    const first = joined.has(p) && !seen.has(p);
    seen.add(p);
    out.push({ status: first ? 'member' : 'existing', member: await view(m), cardNo: m.cardNo });
  }
  return out;
}
