import { Type } from 'typebox';
import { badRequest } from './problem.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** `?limit=&cursor=` as api.md fixes them: default 50, at most 500. */
export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
};

export const pageOf = <T extends import('typebox').TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

/** Cursors are opaque to clients: the last id seen, base64url-encoded. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | null {
  if (!cursor) return null;
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^\d{1,19}$/.test(raw)) throw badRequest('Invalid cursor', [{ path: 'querystring.cursor', message: 'is not a cursor this API issued' }]);
  return raw;
}
