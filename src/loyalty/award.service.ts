/**
 * Points awarded by another capability (marketing: attending an event) — through the ledger
 * like a manual adjustment (reason, reference, audit), exactly once per `reference`: the
 * reference is the movement's idempotency key, so a second call with the same reference and
 * amount replays the first result and moves nothing (the same reference with another amount
 * is a 409 `idempotency_key_reused`; the reason is not part of the identity). Keys are kept as
 * long as loyalty keeps idempotency keys, so callers also record that they paid.
 */
import type pg from 'pg';
import { adjustPoints, type PointsMovementResult } from './balance.service.js';
import { idempotencyOf } from './idempotency.js';
import type { LedgerActor } from './ledger.repo.js';

export interface AwardInput {
  points: number;
  reason: string;
  /** what earned them, unique per award, e.g. `event:12:attend:345` */
  reference: string;
}

export async function awardPoints(pool: pg.Pool, tenantId: string, actor: LedgerActor, memberId: string, input: AwardInput, now = new Date()): Promise<PointsMovementResult> {
  const idem = idempotencyOf(tenantId, `award:${input.reference}`, 'AWARD', input.reference, { memberId, points: input.points });
  const out = await adjustPoints(pool, tenantId, actor, null, memberId, { delta: input.points, reason: input.reason }, idem, now);
  return out.body;
}
