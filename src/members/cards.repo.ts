import { sql } from 'drizzle-orm';
import type { Tx } from '../platform/db/with-tenant.js';
import { conflict } from '../platform/http/problem.js';
import { formatCardNo, planCapacity, type CardPlan } from './card.rules.js';
import { memberSettings } from './schema.js';

export type MemberSettingsRow = typeof memberSettings.$inferSelect;

/** The tenant's member settings, created with defaults on first use (one read once they exist). */
export async function getMemberSettings(tx: Tx, tenantId: string): Promise<MemberSettingsRow> {
  const found = await tx.select().from(memberSettings).where(sql`${memberSettings.tenantId} = ${tenantId}`);
  if (found[0]) return found[0];
  await tx.insert(memberSettings).values({
    tenantId,
    cardMode: 'sequence',
    cardPrefix: '',
    cardDigits: 8,
    cardCheckDigit: false,
    cardNextSeq: 1,
    reviewApplications: false,
  }).onConflictDoNothing();
  const rows = await tx.select().from(memberSettings).where(sql`${memberSettings.tenantId} = ${tenantId}`);
  return rows[0]!;
}

const planOf = (s: MemberSettingsRow): CardPlan => ({ prefix: s.cardPrefix, digits: s.cardDigits, checkDigit: s.cardCheckDigit });

/**
 * Hands out `count` unused card numbers of the tenant's plan, inside the caller's transaction
 * (so a rolled-back registration gives its number back). Sequence mode bumps the counter under
 * the settings row lock and skips numbers already taken (imported or special cards); pool mode
 * takes the lowest free non-special numbers with SKIP LOCKED, so concurrent counters never
 * wait on each other. Numbers never repeat within a tenant: members.card_no is unique.
 */
export async function allocateCardNumbers(tx: Tx, tenantId: string, count: number, known?: MemberSettingsRow): Promise<string[]> {
  if (count <= 0) return [];
  // the plan and mode only (the counter is read under its row lock below)
  const settings = known ?? (await getMemberSettings(tx, tenantId));
  if (settings.cardMode === 'pool') {
    const res = await tx.execute<{ card_no: string }>(sql`
      update card_pool set used_at = now()
       where tenant_id = ${tenantId} and card_no in (
         select card_no from card_pool
          where tenant_id = ${tenantId} and used_at is null and not special
          order by card_no limit ${count} for update skip locked)
      returning card_no`);
    const numbers = res.rows.map((r) => r.card_no).sort();
    if (numbers.length < count) throw conflict('The card-number pool is empty: add a batch of card numbers first', 'card_pool_empty');
    return numbers;
  }

  const plan = planOf(settings);
  const out: string[] = [];
  while (out.length < count) {
    const need = count - out.length;
    const res = await tx.execute<{ first: string }>(sql`
      update member_settings set card_next_seq = card_next_seq + ${need}, updated_at = now()
       where tenant_id = ${tenantId} returning (card_next_seq - ${need})::text as first`);
    const first = Number(res.rows[0]!.first);
    if (first + need - 1 > planCapacity(plan)) {
      throw conflict(`The card-number plan is exhausted (${plan.digits} digits); widen it in the member settings`, 'card_plan_exhausted');
    }
    const candidates = Array.from({ length: need }, (_, i) => formatCardNo(plan, first + i));
    // drizzle expands a JS array into a parameter list, so pass the candidates as one JSON value
    const list = sql`(select jsonb_array_elements_text(${JSON.stringify(candidates)}::jsonb))`;
    const taken = await tx.execute<{ card_no: string }>(sql`
      select card_no from members where tenant_id = ${tenantId} and card_no in ${list}
      union all
      select card_no from card_pool where tenant_id = ${tenantId} and card_no in ${list}`);
    const takenSet = new Set(taken.rows.map((r) => r.card_no));
    out.push(...candidates.filter((c) => !takenSet.has(c)));
  }
  return out;
}
