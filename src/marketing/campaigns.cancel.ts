/**
 * Cancelling a campaign for good, and deleting a draft (issue 5).
 *
 * Cancel, in the caller's tenant transaction (commit or nothing):
 * 1. Lock the campaign row (FOR UPDATE). A fan-out batch holds FOR SHARE on it for its whole
 *    transaction, so the lock waits for a batch in flight to commit and the next batch then
 *    sees 'cancelled' and stops (campaigns.fanout.ts stops at any status but 'sending').
 * 2. Status 'cancelled', finished_at. Every recipient still pending → 'cancelled'.
 * 3. The campaign's messages still waiting in the outbox and not claimed by a dispatcher are
 *    taken off it (DELETE … WHERE state = 'queued': a dispatcher's claim moves rows to
 *    'submitting' under a row lock, so a row it claims first is skipped here, and a row deleted
 *    here first is never claimed). Those messages become failed / 'cancelled', SMS refunded
 *    through the credit ledger (a row per message, as the dispatcher refunds), and their
 *    recipients 'cancelled' / 'withdrawn'. Claimed (submitting) messages are left alone.
 * Delete: drafts only; a draft put back after a failed enqueue may hold a sub-code: freed too.
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../platform/db/with-tenant.js';
import { conflict, notFound } from '../platform/http/problem.js';
import type { TenantActor } from '../platform/http/auth.js';
import { audit } from '../platform/tenancy/audit.js';
import { refundBalances, whyNotCancellable, whyNotDeletable } from './campaigns.cancel.rules.js';
import { auditActor, campaignRow, getCampaign } from './campaigns.service.js';

export interface CancelCounts {
  recipientsCancelled: number;
  messagesWithdrawn: number;
  refundedFen: number;
}

export async function cancelCampaign(tx: Tx, actor: TenantActor, id: string) {
  const t = actor.tenantId;
  const c = await campaignRow(tx, t, id, true);
  const refusal = whyNotCancellable(c.status);
  if (refusal) throw conflict(refusal.message, refusal.code);
  await tx.execute(sql`UPDATE campaigns SET status = 'cancelled', finished_at = now(), updated_at = now() WHERE tenant_id = ${t}::bigint AND id = ${id}::bigint`);
  const { rows: pending } = await tx.execute<{ n: number }>(sql`
    WITH u AS (UPDATE campaign_recipients SET status = 'cancelled', done_at = now()
                WHERE tenant_id = ${t}::bigint AND campaign_id = ${id}::bigint AND status = 'pending' RETURNING 1)
    SELECT count(*)::int AS n FROM u`);
  const withdrawn = c.channel === 'sms' ? await withdrawSms(tx, t, id) : await withdrawEmails(tx, t, id);
  let recipientsCancelled = pending[0]!.n;
  if (withdrawn.ids.length > 0) {
    const { rows } = await tx.execute<{ n: number }>(sql`
      WITH u AS (UPDATE campaign_recipients SET status = 'cancelled', reason = 'withdrawn', done_at = now()
                  WHERE tenant_id = ${t}::bigint AND campaign_id = ${id}::bigint AND status = 'sent'
                    AND message_id = ANY(${sql.param(withdrawn.ids)}::bigint[]) RETURNING 1)
      SELECT count(*)::int AS n FROM u`);
    recipientsCancelled += rows[0]!.n;
  }
  const counts: CancelCounts = { recipientsCancelled, messagesWithdrawn: withdrawn.ids.length, refundedFen: withdrawn.refundedFen };
  await audit(tx, auditActor(actor), 'campaign.cancel', { type: 'campaign', id }, { from: c.status, ...counts });
  return getCampaign(tx, t, id);
}

/** Queued, unclaimed SMS of the campaign: off the outbox, failed / cancelled, refunded. */
async function withdrawSms(tx: Tx, t: string, id: string): Promise<{ ids: string[]; refundedFen: number }> {
  // sms_outbox is a platform table (no row-level security): the tenant is named explicitly
  const { rows } = await tx.execute<{ id: string; cost_fen: string }>(sql`
    DELETE FROM sms_outbox o USING sms_outbound m
     WHERE m.tenant_id = ${t}::bigint AND m.campaign_id = ${id}::bigint AND m.status = 'queued'
       AND o.message_id = m.id AND o.tenant_id = ${t}::bigint AND o.state = 'queued'
    RETURNING o.message_id::text AS id, o.cost_fen::text`);
  if (rows.length === 0) return { ids: [], refundedFen: 0 };
  rows.sort((a, b) => Number(a.id) - Number(b.id));
  const ids = rows.map((r) => r.id);
  await tx.execute(sql`
    UPDATE sms_outbound SET status = 'failed', fail_reason = 'cancelled', final_at = now(), next_attempt_at = NULL, refunded = cost_fen > 0
     WHERE tenant_id = ${t}::bigint AND id = ANY(${sql.param(ids)}::bigint[]) AND status = 'queued'`);
  const refunds = rows.filter((r) => Number(r.cost_fen) > 0);
  const total = refunds.reduce((s, r) => s + Number(r.cost_fen), 0);
  if (total > 0) {
    const { rows: credit } = await tx.execute<{ credit_fen: string }>(
      sql`UPDATE tenants SET credit_fen = credit_fen + ${total}::bigint WHERE id = ${t}::bigint RETURNING credit_fen::text`,
    );
    const after = refundBalances(Number(credit[0]!.credit_fen) - total, refunds.map((r) => Number(r.cost_fen)));
    await tx.execute(sql`
      INSERT INTO sms_credit_ledger (tenant_id, delta_fen, balance_after_fen, reason, ref_type, ref_id)
      SELECT ${t}::bigint, r.delta, r.after, 'sms_refund', 'sms_message', r.id
        FROM unnest(${sql.param(refunds.map((r) => r.cost_fen))}::bigint[], ${sql.param(after.map(String))}::bigint[], ${sql.param(refunds.map((r) => r.id))}::text[]) AS r(delta, after, id)`);
  }
  return { ids, refundedFen: total };
}

/** Queued, unclaimed emails of the campaign: off the outbox, failed / cancelled (no cost). */
async function withdrawEmails(tx: Tx, t: string, id: string): Promise<{ ids: string[]; refundedFen: number }> {
  const { rows } = await tx.execute<{ id: string }>(sql`
    DELETE FROM email_outbox o USING email_messages m
     WHERE m.tenant_id = ${t}::bigint AND m.campaign_id = ${id}::bigint AND m.status = 'queued'
       AND o.message_id = m.id AND o.tenant_id = ${t}::bigint AND o.state = 'queued'
    RETURNING o.message_id::text AS id`);
  const ids = rows.map((r) => r.id);
  if (ids.length > 0) {
    await tx.execute(sql`
      UPDATE email_messages SET status = 'failed', fail_reason = 'cancelled', final_at = now(), next_attempt_at = NULL
       WHERE tenant_id = ${t}::bigint AND id = ANY(${sql.param(ids)}::bigint[]) AND status = 'queued'`);
  }
  return { ids, refundedFen: 0 };
}

export async function deleteCampaign(tx: Tx, actor: TenantActor, id: string): Promise<void> {
  const t = actor.tenantId;
  const c = await campaignRow(tx, t, id, true);
  const refusal = whyNotDeletable(c.status);
  if (refusal) throw conflict(refusal.message, refusal.code);
  await tx.execute(sql`DELETE FROM sms_sub_codes WHERE tenant_id = ${t}::bigint AND campaign_id = ${id}::bigint`);
  const { rows } = await tx.execute<{ id: string }>(sql`DELETE FROM campaigns WHERE tenant_id = ${t}::bigint AND id = ${id}::bigint AND status = 'draft' RETURNING id::text`);
  if (!rows[0]) throw notFound('Campaign');
  await audit(tx, auditActor(actor), 'campaign.delete', { type: 'campaign', id }, { name: c.name, channel: c.channel, subCode: c.sub_code || null });
}
