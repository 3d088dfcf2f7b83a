/**
 * SMS lottery (短信抽奖): lotteries, entries by `cj#answer`, the draw, winners. Everything runs
 * in the caller's tenant transaction (row-level security applies); entries are written by the
 * inbound SMS worker (src/messaging/inbound.service.ts) in its per-tenant batch transaction.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { maskPhone, normalizeMobile } from '../members/phone.rules.js';
import type { Tx } from '../platform/db/with-tenant.js';
import { decodeCursor, encodeCursor, type Page } from '../platform/http/pagination.js';
import { AppError, badRequest, conflict, notFound, type FieldError } from '../platform/http/problem.js';
import { audit } from '../platform/tenancy/audit.js';
import { sendSms, type SmsContext } from '../messaging/send.service.js';
import {
  DEFAULT_LOTTERY_TEMPLATES,
  DRAW_ALGORITHM,
  LOTTERY_TEMPLATE_KEYS,
  OUTCOME_TEMPLATE,
  computeDraw,
  entriesHash,
  judgeAttempt,
  normalizeAnswer,
  pickLottery,
  renderLotteryTemplate,
  totalPrizes,
  unknownLotteryVariables,
  type EntryOutcome,
  type LotteryTemplateKey,
  type Prize,
} from './lottery.rules.js';

export interface LotteryActor {
  tenantId: string;
  type: 'operator' | 'api_key';
  id: string;
  name: string;
  ip?: string | null;
  permissions: ReadonlySet<string>;
}

export interface LotteryInput {
  name: string;
  answers: string[];
  startsAt: string;
  endsAt: string;
  entriesPerPhone?: number;
  membersOnly?: boolean;
  prizes: Prize[];
  templates?: Partial<Record<LotteryTemplateKey, string>>;
}

export type LotteryPatch = Partial<LotteryInput>;

export type LotteryStatus = 'scheduled' | 'open' | 'closed' | 'drawn';

export interface LotteryView {
  id: string;
  name: string;
  answers: string[];
  startsAt: string;
  endsAt: string;
  timezone: string;
  entriesPerPhone: number;
  membersOnly: boolean;
  prizes: Prize[];
  templates: Record<LotteryTemplateKey, string>;
  status: LotteryStatus;
  entries: number;
  attempts: number;
  drawnAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedAt: string;
}

type LotteryRow = {
  id: string;
  name: string;
  answers: string[];
  answer_keys: string[];
  starts_at: Date;
  ends_at: Date;
  entries_per_phone: number;
  members_only: boolean;
  prizes: Prize[];
  templates: Partial<Record<LotteryTemplateKey, string>>;
  created_by: string;
  created_at: Date;
  updated_by: string;
  updated_at: Date;
  timezone: string;
  drawn_at: Date | null;
  valid_count?: string;
  attempt_count?: string;
};

const iso = (d: Date | string) => new Date(d).toISOString();
const auditActor = (a: LotteryActor) => ({ tenantId: a.tenantId, type: a.type, id: a.id, name: a.name, ip: a.ip ?? null });

function view(r: LotteryRow, now = new Date()): LotteryView {
  const t = now.getTime();
  const status: LotteryStatus = r.drawn_at
    ? 'drawn'
    : t < new Date(r.starts_at).getTime()
      ? 'scheduled'
      : t < new Date(r.ends_at).getTime()
        ? 'open'
        : 'closed';
  return {
    id: r.id,
    name: r.name,
    answers: r.answers,
    startsAt: iso(r.starts_at),
    endsAt: iso(r.ends_at),
    timezone: r.timezone,
    entriesPerPhone: r.entries_per_phone,
    membersOnly: r.members_only,
    prizes: r.prizes,
    templates: { ...DEFAULT_LOTTERY_TEMPLATES, ...r.templates },
    status,
    entries: Number(r.valid_count ?? 0),
    attempts: Number(r.attempt_count ?? 0),
    drawnAt: r.drawn_at ? iso(r.drawn_at) : null,
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
    updatedBy: r.updated_by,
    updatedAt: iso(r.updated_at),
  };
}

const SELECT_LOTTERY = sql`
  SELECT l.id::text, l.name, l.answers, l.answer_keys, l.starts_at, l.ends_at, l.entries_per_phone, l.members_only,
         l.prizes, l.templates, l.created_by, l.created_at, l.updated_by, l.updated_at, t.timezone, d.drawn_at,
         (SELECT count(*) FROM lottery_entries e WHERE e.tenant_id = l.tenant_id AND e.lottery_id = l.id AND e.outcome = 'valid')::text AS valid_count,
         (SELECT count(*) FROM lottery_entries e WHERE e.tenant_id = l.tenant_id AND e.lottery_id = l.id)::text AS attempt_count
    FROM lotteries l
    JOIN tenants t ON t.id = l.tenant_id
    LEFT JOIN lottery_draws d ON d.tenant_id = l.tenant_id AND d.lottery_id = l.id`;

async function lotteryRow(tx: Tx, tenantId: string, id: string, lock = false): Promise<LotteryRow> {
  if (lock) {
    const { rows } = await tx.execute<{ id: string }>(sql`SELECT id::text FROM lotteries WHERE tenant_id = ${tenantId} AND id = ${id} FOR UPDATE`);
    if (!rows[0]) throw notFound('Lottery');
  }
  const { rows } = await tx.execute<LotteryRow>(sql`${SELECT_LOTTERY} WHERE l.tenant_id = ${tenantId} AND l.id = ${id}`);
  if (!rows[0]) throw notFound('Lottery');
  return rows[0];
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:\d{2})?$/;

/** An instant from `2026-12-01T20:00` (the merchant's local time) or with `Z` / `+08:00`. */
async function instant(tx: Tx, tenantId: string, text: string, path: string): Promise<Date> {
  const m = DATE_TIME.exec(text);
  const bad = () => badRequest(`${path} is not a date-time`, [{ path, message: 'must be YYYY-MM-DDTHH:mm[:ss] (merchant time) or with Z / ±HH:mm' }]);
  if (!m) throw bad();
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const probe = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (y < 2000 || y > 2999 || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) throw bad();
  if (m[8]) {
    const at = new Date(text.replace(' ', 'T'));
    if (Number.isNaN(at.getTime())) throw bad();
    return at;
  }
  const secs = Number(`${s}.${m[7] ?? '0'}`);
  const { rows } = await tx.execute<{ at: Date }>(
    sql`SELECT make_timestamptz(${y}::int, ${mo}::int, ${d}::int, ${h}::int, ${mi}::int, ${secs}::float8, timezone) AS at FROM tenants WHERE id = ${tenantId}`,
  );
  return new Date(rows[0]!.at);
}

function checkAnswers(answers: string[]): string[] {
  const keys: string[] = [];
  const errors: FieldError[] = [];
  answers.forEach((a, i) => {
    const k = normalizeAnswer(a);
    if (k === '') errors.push({ path: `body.answers/${i}`, message: 'is empty' });
    else if (k.includes('#')) errors.push({ path: `body.answers/${i}`, message: 'must not contain #' });
    else if (!keys.includes(k)) keys.push(k);
  });
  if (errors.length) throw badRequest(`Invalid answers: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
  return keys;
}

function checkTemplates(templates: Partial<Record<string, string>> | undefined) {
  const errors: FieldError[] = [];
  for (const [k, v] of Object.entries(templates ?? {})) {
    if (!(LOTTERY_TEMPLATE_KEYS as string[]).includes(k)) errors.push({ path: `body.templates/${k}`, message: 'is not a lottery template' });
    else if (v !== undefined) {
      const unknown = unknownLotteryVariables(v);
      if (unknown.length) errors.push({ path: `body.templates/${k}`, message: `unknown variable(s) ${unknown.map((u) => `{${u}}`).join(', ')}` });
    }
  }
  if (errors.length) throw badRequest(`Invalid templates: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
}

function checkPrizes(prizes: Prize[]) {
  if (prizes.length === 0 || totalPrizes(prizes) === 0) throw badRequest('A lottery needs at least one prize', [{ path: 'body.prizes', message: 'must list at least one prize with a count of 1 or more' }]);
  const errors: FieldError[] = [];
  prizes.forEach((p, i) => {
    if (p.name.trim() === '') errors.push({ path: `body.prizes/${i}/name`, message: 'is empty' });
  });
  if (errors.length) throw badRequest('Invalid prizes', errors);
}

async function checked(tx: Tx, tenantId: string, input: LotteryInput) {
  const answerKeys = checkAnswers(input.answers);
  checkPrizes(input.prizes);
  checkTemplates(input.templates);
  const startsAt = await instant(tx, tenantId, input.startsAt, 'body.startsAt');
  const endsAt = await instant(tx, tenantId, input.endsAt, 'body.endsAt');
  if (endsAt.getTime() <= startsAt.getTime()) throw badRequest('The entry window ends before it starts', [{ path: 'body.endsAt', message: 'must be after startsAt' }]);
  return { answerKeys, startsAt, endsAt };
}

export async function createLottery(tx: Tx, actor: LotteryActor, input: LotteryInput): Promise<LotteryView> {
  const c = await checked(tx, actor.tenantId, input);
  const { rows } = await tx.execute<{ id: string }>(sql`
    INSERT INTO lotteries (tenant_id, name, answers, answer_keys, starts_at, ends_at, entries_per_phone, members_only, prizes, templates, created_by, updated_by)
    VALUES (${actor.tenantId}, ${input.name.trim()}, ${sql`ARRAY[${sql.join(input.answers.map((a) => sql`${a.trim()}`), sql`, `)}]::text[]`},
            ${sql`ARRAY[${sql.join(c.answerKeys.map((a) => sql`${a}`), sql`, `)}]::text[]`}, ${c.startsAt}, ${c.endsAt},
            ${input.entriesPerPhone ?? 1}, ${input.membersOnly ?? false}, ${JSON.stringify(input.prizes.map((p) => ({ name: p.name.trim(), count: p.count })))}::jsonb,
            ${JSON.stringify(input.templates ?? {})}::jsonb, ${actor.name}, ${actor.name})
    RETURNING id::text`);
  const id = rows[0]!.id;
  await audit(tx, auditActor(actor), 'lottery.create', { type: 'lottery', id }, { name: input.name });
  return view(await lotteryRow(tx, actor.tenantId, id));
}

export async function updateLottery(tx: Tx, actor: LotteryActor, id: string, patch: LotteryPatch): Promise<LotteryView> {
  const cur = await lotteryRow(tx, actor.tenantId, id, true);
  if (cur.drawn_at) throw conflict('The lottery has been drawn; it can no longer change', 'lottery_drawn');
  const merged: LotteryInput = {
    name: patch.name ?? cur.name,
    answers: patch.answers ?? cur.answers,
    startsAt: patch.startsAt ?? iso(cur.starts_at),
    endsAt: patch.endsAt ?? iso(cur.ends_at),
    entriesPerPhone: patch.entriesPerPhone ?? cur.entries_per_phone,
    membersOnly: patch.membersOnly ?? cur.members_only,
    prizes: patch.prizes ?? cur.prizes,
    templates: patch.templates ? { ...cur.templates, ...patch.templates } : cur.templates,
  };
  const c = await checked(tx, actor.tenantId, merged);
  await tx.execute(sql`
    UPDATE lotteries SET name = ${merged.name.trim()},
           answers = ${sql`ARRAY[${sql.join(merged.answers.map((a) => sql`${a.trim()}`), sql`, `)}]::text[]`},
           answer_keys = ${sql`ARRAY[${sql.join(c.answerKeys.map((a) => sql`${a}`), sql`, `)}]::text[]`},
           starts_at = ${c.startsAt}, ends_at = ${c.endsAt}, entries_per_phone = ${merged.entriesPerPhone ?? 1},
           members_only = ${merged.membersOnly ?? false},
           prizes = ${JSON.stringify(merged.prizes.map((p) => ({ name: p.name.trim(), count: p.count })))}::jsonb,
           templates = ${JSON.stringify(merged.templates ?? {})}::jsonb, updated_by = ${actor.name}, updated_at = now()
     WHERE tenant_id = ${actor.tenantId} AND id = ${id}`);
  await audit(tx, auditActor(actor), 'lottery.update', { type: 'lottery', id }, { fields: Object.keys(patch) });
  return view(await lotteryRow(tx, actor.tenantId, id));
}

export async function getLottery(tx: Tx, tenantId: string, id: string): Promise<LotteryView> {
  return view(await lotteryRow(tx, tenantId, id));
}

export async function listLotteries(tx: Tx, tenantId: string, q: { limit: number; cursor?: string }): Promise<Page<LotteryView>> {
  const after = decodeCursor(q.cursor);
  const { rows } = await tx.execute<LotteryRow>(
    sql`${SELECT_LOTTERY} WHERE l.tenant_id = ${tenantId} ${after ? sql`AND l.id < ${after}` : sql``} ORDER BY l.id DESC LIMIT ${q.limit + 1}`,
  );
  const items = rows.slice(0, q.limit).map((r) => view(r));
  return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!.id) : null };
}

/** Only a lottery nobody has tried to enter can be deleted (entries are its record). */
export async function deleteLottery(tx: Tx, actor: LotteryActor, id: string): Promise<void> {
  const cur = await lotteryRow(tx, actor.tenantId, id, true);
  if (Number(cur.attempt_count) > 0 || cur.drawn_at) throw conflict('The lottery has entries; it cannot be deleted', 'lottery_has_entries');
  await tx.execute(sql`DELETE FROM lotteries WHERE tenant_id = ${actor.tenantId} AND id = ${id}`);
  await audit(tx, auditActor(actor), 'lottery.delete', { type: 'lottery', id }, { name: cur.name });
}

// ---------------------------------------------------------------- entries by SMS

export interface SmsEntryInput {
  tenantId: string;
  phone: string;
  memberId: string | null;
  answer: string;
  receivedAt: Date;
  stagingId: string | null;
  /** Values for the reply. */
  merchant: string;
  memberName?: string | null;
  cardNo?: string | null;
}

export interface SmsEntryResult {
  lotteryId: string;
  entryId: string;
  outcome: EntryOutcome;
  /** Rendered reply (empty template: null). */
  reply: string | null;
}

/**
 * A `cj#answer` from `phone`: picks the lottery, judges the attempt, records it (a valid one
 * with its entry number, so a concurrent message of the same phone cannot take the same
 * number), and renders the acknowledgement. Null when the merchant has no lottery at all.
 */
export async function enterBySms(tx: Tx, input: SmsEntryInput): Promise<SmsEntryResult | null> {
  const { tenantId, phone } = input;
  const { rows: lots } = await tx.execute<{ id: string; name: string; starts_at: Date; ends_at: Date; answer_keys: string[]; entries_per_phone: number; members_only: boolean; templates: Partial<Record<LotteryTemplateKey, string>> }>(sql`
    SELECT id::text, name, starts_at, ends_at, answer_keys, entries_per_phone, members_only, templates FROM lotteries WHERE tenant_id = ${tenantId}`);
  if (lots.length === 0) return null;
  const answerKey = normalizeAnswer(input.answer);
  const lot = pickLottery(
    lots.map((l) => ({ ...l, startsAt: new Date(l.starts_at), endsAt: new Date(l.ends_at), answerKeys: l.answer_keys })),
    answerKey,
    input.receivedAt,
  )!;
  const { rows: cnt } = await tx.execute<{ n: string }>(
    sql`SELECT count(*)::text AS n FROM lottery_entries WHERE tenant_id = ${tenantId} AND lottery_id = ${lot.id} AND phone = ${phone} AND outcome = 'valid'`,
  );
  let outcome = judgeAttempt({
    at: input.receivedAt,
    startsAt: lot.startsAt,
    endsAt: lot.endsAt,
    membersOnly: lot.members_only,
    isMember: input.memberId !== null,
    answerKey,
    answerKeys: lot.answerKeys,
    validEntriesOfPhone: Number(cnt[0]!.n),
    entriesPerPhone: lot.entries_per_phone,
  });
  const answer = input.answer.slice(0, 200);
  let entryId: string | null = null;
  if (outcome === 'valid') {
    // a drawn lottery takes no more entries (its entry list is pinned by the draw's hash). The
    // draw locks the lottery FOR UPDATE: this KEY SHARE lock waits for a draw in progress, and
    // a draw that starts later waits for this transaction, so it sees this entry.
    await tx.execute(sql`SELECT 1 FROM lotteries WHERE tenant_id = ${tenantId} AND id = ${lot.id} FOR KEY SHARE`);
    const { rows: drawn } = await tx.execute<{ drawn: boolean }>(
      sql`SELECT EXISTS (SELECT 1 FROM lottery_draws WHERE tenant_id = ${tenantId} AND lottery_id = ${lot.id}) AS drawn`,
    );
    if (drawn[0]!.drawn) outcome = 'outside_window';
  }
  if (outcome === 'valid') {
    // try the free numbers in turn; a number another transaction holds makes this one wait for
    // it, then skip (ON CONFLICT DO NOTHING); none left → already entered
    for (let no = Number(cnt[0]!.n) + 1; no <= lot.entries_per_phone && entryId === null; no++) {
      const { rows } = await tx.execute<{ id: string }>(sql`
        INSERT INTO lottery_entries (tenant_id, lottery_id, phone, member_id, answer, outcome, entry_no, staging_id, received_at)
        VALUES (${tenantId}, ${lot.id}, ${phone}, ${input.memberId}, ${answer}, 'valid', ${no}, ${input.stagingId}, ${input.receivedAt})
        ON CONFLICT (tenant_id, lottery_id, phone, entry_no) DO NOTHING RETURNING id::text`);
      entryId = rows[0]?.id ?? null;
    }
    if (entryId === null) outcome = 'already_entered';
  }
  if (entryId === null) {
    const { rows } = await tx.execute<{ id: string }>(sql`
      INSERT INTO lottery_entries (tenant_id, lottery_id, phone, member_id, answer, outcome, entry_no, staging_id, received_at)
      VALUES (${tenantId}, ${lot.id}, ${phone}, ${input.memberId}, ${answer}, ${outcome}, NULL, ${input.stagingId}, ${input.receivedAt})
      RETURNING id::text`);
    entryId = rows[0]!.id;
  }
  const template = { ...DEFAULT_LOTTERY_TEMPLATES, ...lot.templates }[OUTCOME_TEMPLATE[outcome]];
  const text = renderLotteryTemplate(template, {
    lottery: lot.name,
    answer: input.answer,
    merchant: input.merchant,
    name: input.memberName ?? '',
    cardNo: input.cardNo ?? '',
    phone,
  });
  return { lotteryId: lot.id, entryId, outcome, reply: text.trim() ? text : null };
}

// ---------------------------------------------------------------- entries, draw, winners

export interface EntryView {
  id: string;
  phone: string;
  memberId: string | null;
  answer: string;
  outcome: EntryOutcome;
  entryNo: number | null;
  receivedAt: string;
}

const phoneFor = (actor: { permissions: ReadonlySet<string> }, phone: string) => (actor.permissions.has('members.pii') ? phone : maskPhone(phone));

export async function listEntries(
  tx: Tx,
  actor: LotteryActor,
  lotteryId: string,
  q: { limit: number; cursor?: string; outcome?: EntryOutcome; phone?: string },
): Promise<Page<EntryView>> {
  await lotteryRow(tx, actor.tenantId, lotteryId);
  const after = decodeCursor(q.cursor);
  let phone: string | null = null;
  if (q.phone) {
    const p = normalizeMobile(q.phone);
    if (!p.ok) throw badRequest(`phone ${p.reason}`, [{ path: 'querystring.phone', message: p.reason }]);
    phone = p.e164;
  }
  const { rows } = await tx.execute<{ id: string; phone: string; member_id: string | null; answer: string; outcome: EntryOutcome; entry_no: number | null; received_at: Date }>(sql`
    SELECT id::text, phone, member_id::text, answer, outcome, entry_no, received_at FROM lottery_entries
     WHERE tenant_id = ${actor.tenantId} AND lottery_id = ${lotteryId}
       ${q.outcome ? sql`AND outcome = ${q.outcome}` : sql``}
       ${phone ? sql`AND phone = ${phone}` : sql``}
       ${after ? sql`AND id < ${after}` : sql``}
     ORDER BY id DESC LIMIT ${q.limit + 1}`);
  const items = rows.slice(0, q.limit).map((r) => ({
    id: r.id,
    phone: phoneFor(actor, r.phone),
    memberId: r.member_id,
    answer: r.answer,
    outcome: r.outcome,
    entryNo: r.entry_no,
    receivedAt: iso(r.received_at),
  }));
  return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!.id) : null };
}

export interface WinnerView {
  id: string;
  rank: number;
  entryId: string;
  phone: string;
  memberId: string | null;
  prize: string;
  prizeIndex: number;
  messageId: string | null;
  collectedAt: string | null;
  collectedBy: string | null;
}

export interface DrawView {
  lotteryId: string;
  algorithm: string;
  seed: string;
  entryCount: number;
  entriesHash: string;
  winnerEntryIds: string[];
  drawnBy: string;
  drawnAt: string;
  winners: WinnerView[];
}

async function validEntries(tx: Tx, tenantId: string, lotteryId: string) {
  const { rows } = await tx.execute<{ id: string; phone: string; member_id: string | null }>(
    // ORDER BY the table's id: a bare `id` would name the text output column (1, 10, 2, …)
    sql`SELECT e.id::text, e.phone, e.member_id::text FROM lottery_entries e WHERE e.tenant_id = ${tenantId} AND e.lottery_id = ${lotteryId} AND e.outcome = 'valid' ORDER BY e.id`,
  );
  return rows;
}

async function winners(tx: Tx, actor: LotteryActor, lotteryId: string): Promise<WinnerView[]> {
  const { rows } = await tx.execute<{
    id: string;
    rank: number;
    entry_id: string;
    phone: string;
    member_id: string | null;
    prize_name: string;
    prize_index: number;
    message_id: string | null;
    collected_at: Date | null;
    collected_by: string | null;
  }>(sql`
    SELECT id::text, rank, entry_id::text, phone, member_id::text, prize_name, prize_index, message_id::text, collected_at, collected_by
      FROM lottery_winners WHERE tenant_id = ${actor.tenantId} AND lottery_id = ${lotteryId} ORDER BY rank`);
  return rows.map((r) => ({
    id: r.id,
    rank: r.rank,
    entryId: r.entry_id,
    phone: phoneFor(actor, r.phone),
    memberId: r.member_id,
    prize: r.prize_name,
    prizeIndex: r.prize_index,
    messageId: r.message_id,
    collectedAt: r.collected_at ? iso(r.collected_at) : null,
    collectedBy: r.collected_by,
  }));
}

type DrawRow = { algorithm: string; seed: string; entry_count: number; entries_hash: string; winner_entry_ids: string[]; drawn_by: string; drawn_at: Date };

async function drawRow(tx: Tx, tenantId: string, lotteryId: string): Promise<DrawRow | null> {
  const { rows } = await tx.execute<DrawRow>(sql`
    SELECT algorithm, seed, entry_count, entries_hash, winner_entry_ids::text[] AS winner_entry_ids, drawn_by, drawn_at
      FROM lottery_draws WHERE tenant_id = ${tenantId} AND lottery_id = ${lotteryId}`);
  return rows[0] ?? null;
}

async function drawView(tx: Tx, actor: LotteryActor, lotteryId: string, d: DrawRow): Promise<DrawView> {
  return {
    lotteryId,
    algorithm: d.algorithm,
    seed: d.seed,
    entryCount: d.entry_count,
    entriesHash: d.entries_hash,
    winnerEntryIds: d.winner_entry_ids.map(String),
    drawnBy: d.drawn_by,
    drawnAt: iso(d.drawn_at),
    winners: await winners(tx, actor, lotteryId),
  };
}

/**
 * The draw, once, after the window: a fresh 32-byte seed from `crypto.randomBytes`, the seeded
 * Fisher–Yates over the valid entries in id order, the draw and its winners stored, and each
 * winner sent the winner template (a service SMS) in the same transaction.
 */
export async function drawLottery(tx: Tx, actor: LotteryActor, lotteryId: string, now = new Date(), sms?: SmsContext): Promise<DrawView> {
  const lot = await lotteryRow(tx, actor.tenantId, lotteryId, true);
  if (lot.drawn_at) throw conflict('The lottery has already been drawn', 'already_drawn');
  if (now.getTime() < new Date(lot.ends_at).getTime()) throw conflict(`The entry window is still open (until ${iso(lot.ends_at)})`, 'lottery_open');
  const entries = await validEntries(tx, actor.tenantId, lotteryId);
  const seed = randomBytes(32);
  const draw = computeDraw(seed, entries, lot.prizes);
  await tx.execute(sql`
    INSERT INTO lottery_draws (tenant_id, lottery_id, algorithm, seed, entry_count, entries_hash, winner_entry_ids, drawn_by)
    VALUES (${actor.tenantId}, ${lotteryId}, ${draw.algorithm}, ${seed.toString('hex')}, ${draw.entryCount}, ${draw.entriesHash},
            ${`{${draw.winners.map((w) => w.entry.id).join(',')}}`}::bigint[], ${actor.name})`);
  const template = { ...DEFAULT_LOTTERY_TEMPLATES, ...lot.templates }.winner;
  const { rows: merchantRows } = await tx.execute<{ name: string }>(sql`SELECT name FROM tenants WHERE id = ${actor.tenantId}`);
  const merchant = merchantRows[0]?.name ?? '';
  const memberIds = [...new Set(draw.winners.map((w) => entries.find((e) => e.id === w.entry.id)!.member_id).filter((m): m is string => m !== null))];
  const memberInfo = new Map<string, { name: string | null; card_no: string }>();
  if (memberIds.length) {
    const { rows } = await tx.execute<{ id: string; name: string | null; card_no: string }>(
      sql`SELECT id::text, name, card_no FROM members WHERE tenant_id = ${actor.tenantId} AND id IN (${sql.join(memberIds.map((m) => sql`${m}::bigint`), sql`, `)})`,
    );
    for (const r of rows) memberInfo.set(r.id, r);
  }
  for (const w of draw.winners) {
    const entry = entries.find((e) => e.id === w.entry.id)!;
    let messageId: string | null = null;
    const m = entry.member_id ? memberInfo.get(entry.member_id) : undefined;
    const text = renderLotteryTemplate(template, { lottery: lot.name, prize: w.prize.name, merchant, phone: entry.phone, name: m?.name ?? '', cardNo: m?.card_no ?? '' });
    if (text.trim()) {
      const sent = await sendSms(tx, { tenantId: actor.tenantId, to: entry.phone, text, kind: 'service', memberId: entry.member_id, textPath: 'templates.winner', context: sms }).catch(
        (err: unknown) => {
          // a template that renders too long must not stop the draw; the winner is still listed
          if ((err as { status?: number }).status === 400) return null;
          throw err;
        },
      );
      messageId = sent?.id ?? null;
    }
    await tx.execute(sql`
      INSERT INTO lottery_winners (tenant_id, lottery_id, rank, entry_id, phone, member_id, prize_index, prize_name, message_id)
      VALUES (${actor.tenantId}, ${lotteryId}, ${w.rank}, ${entry.id}, ${entry.phone}, ${entry.member_id}, ${w.prize.index}, ${w.prize.name}, ${messageId})`);
  }
  await audit(tx, auditActor(actor), 'lottery.draw', { type: 'lottery', id: lotteryId }, { entries: draw.entryCount, winners: draw.winners.length, entriesHash: draw.entriesHash });
  return drawView(tx, actor, lotteryId, (await drawRow(tx, actor.tenantId, lotteryId))!);
}

export async function getDraw(tx: Tx, actor: LotteryActor, lotteryId: string): Promise<DrawView> {
  await lotteryRow(tx, actor.tenantId, lotteryId);
  const d = await drawRow(tx, actor.tenantId, lotteryId);
  if (!d) throw new AppError(404, 'not_drawn', 'The lottery has not been drawn yet');
  return drawView(tx, actor, lotteryId, d);
}

export interface VerifyView {
  lotteryId: string;
  verified: boolean;
  algorithm: string;
  seed: string;
  entryCount: number;
  recomputedEntryCount: number;
  entriesHash: string;
  recomputedEntriesHash: string;
  winnerEntryIds: string[];
  recomputedWinnerEntryIds: string[];
  problems: string[];
}

/** Recomputes the draw from what is stored: the current valid entries in id order (their hash
 * must match the one taken at the draw), the seed and the algorithm; the winners must match the
 * stored ones rank by rank, with their prizes. */
export async function verifyDraw(tx: Tx, actor: LotteryActor, lotteryId: string): Promise<VerifyView> {
  const lot = await lotteryRow(tx, actor.tenantId, lotteryId);
  const d = await drawRow(tx, actor.tenantId, lotteryId);
  if (!d) throw new AppError(404, 'not_drawn', 'The lottery has not been drawn yet');
  const entries = await validEntries(tx, actor.tenantId, lotteryId);
  const problems: string[] = [];
  if (d.algorithm !== DRAW_ALGORITHM) problems.push(`unknown algorithm ${d.algorithm}`);
  const re = computeDraw(Buffer.from(d.seed, 'hex'), entries, lot.prizes);
  const hash = entriesHash(entries);
  if (hash !== d.entries_hash) problems.push('the valid entries differ from the ones drawn from (hash mismatch)');
  if (entries.length !== d.entry_count) problems.push(`entry count ${entries.length} differs from ${d.entry_count} at the draw`);
  const stored = d.winner_entry_ids.map(String);
  const recomputed = re.winners.map((w) => w.entry.id);
  if (stored.join(',') !== recomputed.join(',')) problems.push('the recomputed winners differ from the stored ones');
  const listed = await winners(tx, actor, lotteryId);
  const listedIds = listed.map((w) => w.entryId);
  if (listedIds.join(',') !== stored.join(',')) problems.push('the winner list differs from the draw record');
  for (const w of listed) {
    const r = re.winners[w.rank - 1];
    if (r && (r.prize.index !== w.prizeIndex || r.prize.name !== w.prize)) problems.push(`rank ${w.rank} has prize ${w.prize}, recomputed ${r.prize.name}`);
  }
  return {
    lotteryId,
    verified: problems.length === 0,
    algorithm: d.algorithm,
    seed: d.seed,
    entryCount: d.entry_count,
    recomputedEntryCount: entries.length,
    entriesHash: d.entries_hash,
    recomputedEntriesHash: hash,
    winnerEntryIds: stored,
    recomputedWinnerEntryIds: recomputed,
    problems,
  };
}

export async function listWinners(tx: Tx, actor: LotteryActor, lotteryId: string): Promise<{ items: WinnerView[]; nextCursor: null }> {
  await lotteryRow(tx, actor.tenantId, lotteryId);
  return { items: await winners(tx, actor, lotteryId), nextCursor: null };
}

/** Records that a winner collected the prize (once: a second time is a 409). */
export async function markCollected(tx: Tx, actor: LotteryActor, lotteryId: string, winnerId: string): Promise<WinnerView> {
  const { rows } = await tx.execute<{ collected_at: Date | null }>(
    sql`SELECT collected_at FROM lottery_winners WHERE tenant_id = ${actor.tenantId} AND lottery_id = ${lotteryId} AND id = ${winnerId} FOR UPDATE`,
  );
  if (!rows[0]) throw notFound('Winner');
  if (rows[0].collected_at) throw conflict(`The prize was already collected at ${iso(rows[0].collected_at)}`, 'already_collected');
  await tx.execute(
    sql`UPDATE lottery_winners SET collected_at = now(), collected_by = ${actor.name} WHERE tenant_id = ${actor.tenantId} AND lottery_id = ${lotteryId} AND id = ${winnerId}`,
  );
  await audit(tx, auditActor(actor), 'lottery.prize_collected', { type: 'lottery_winner', id: winnerId }, { lotteryId });
  return (await winners(tx, actor, lotteryId)).find((w) => w.id === winnerId)!;
}
