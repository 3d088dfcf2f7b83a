/**
 * Idempotency-Key handling for value-moving requests (api.md Conventions): a retry with the same
 * key and body gets the first result and changes nothing; the same key with another body is a
 * 409. Keys are per tenant (table loyalty_idempotency, primary key (tenant_id, key)).
 *
 * Concurrent first use: the request takes a transaction-scoped advisory lock on (tenant, key)
 * in its first round trip, so 50 simultaneous retries queue behind the first; each then reads
 * the key in a statement that starts after the lock is granted, i.e. after the first committed,
 * and replays its stored response. The primary key stays the final guard. Failed requests roll
 * back their key with everything else: nothing is remembered for a request that left no trace.
 */
import { createHash } from 'node:crypto';
import { conflict } from '../platform/http/problem.js';

export interface IdempotencyRequest {
  key: string;
  /** sha-256 of method, path and canonical body */
  hash: Buffer;
  /** advisory lock id for (tenant, key) */
  lockKey: bigint;
}

/** What a value-moving request answered; only successes (201) are stored and replayed. */
export interface Outcome<T> {
  status: 201;
  body: T;
}

/** JSON with object keys sorted, so the same body in another key order hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Two 32-bit FNV-1a-style hashes as one 64-bit lock id: cheap, and a collision only makes two
 * unrelated keys queue behind each other. */
function lockKeyOf(text: string): bigint {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return BigInt.asIntN(64, (BigInt(a >>> 0) << 32n) | BigInt(b >>> 0));
}

export function idempotencyOf(tenantId: string, key: string | undefined, method: string, path: string, body: unknown): IdempotencyRequest | null {
  if (key === undefined) return null;
  const hash = createHash('sha256').update(`${method} ${path}\n${canonicalJson(body ?? null)}`).digest();
  const lockKey = lockKeyOf(`loyalty-idem:${tenantId}:${key}`);
  return { key, hash, lockKey };
}

/** The stored outcome for a retry, null for a first use, or 409 for a reused key. */
export function replayOf(idem: IdempotencyRequest | null, row: { idem_hash?: Buffer | null; idem_status?: number | null; idem_response?: unknown } | undefined): Outcome<any> | null {
  if (!idem || !row?.idem_hash) return null;
  if (!row.idem_hash.equals(idem.hash)) {
    throw conflict('This Idempotency-Key was already used for a different request', 'idempotency_key_reused');
  }
  return { status: (row.idem_status ?? 201) as 201, body: row.idem_response };
}

/** Columns and join that read the key alongside the member lock (alias `i`). */
export const IDEM_COLUMNS = 'i.request_hash AS idem_hash, i.status AS idem_status, i.response AS idem_response';
