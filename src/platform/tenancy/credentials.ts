import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;

// OWASP's scrypt floor (N=2^17 is the recommendation; 2^15 keeps a 2-core machine responsive at
// dozens of logins per second while still costing an attacker ~32 MiB per guess).
const PARAMS = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEYLEN = 32;

/** Format: scrypt$N$r$p$salt$hash (base64url), so parameters can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, KEYLEN, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 256 * 1024 * 1024,
  });
  return timingSafeEqual(actual, expected);
}

/** A password hash nobody knows, verified against when the user does not exist so that the
 * answer takes as long as for a real user. */
let dummyHash: Promise<string> | null = null;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}

export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** API keys carry their tenant id so the key can be looked up under that tenant's row-level
 * security: `mdk_<tenantId>_<secret>`. */
export function newApiKey(tenantId: string): string {
  return `mdk_${tenantId}_${randomBytes(32).toString('base64url')}`;
}

export function parseApiKey(key: string): { tenantId: string } | null {
  const m = /^mdk_(\d{1,19})_[A-Za-z0-9_-]{43}$/.exec(key);
  return m ? { tenantId: m[1]! } : null;
}

export function randomPassword(): string {
  return randomBytes(12).toString('base64url');
}
