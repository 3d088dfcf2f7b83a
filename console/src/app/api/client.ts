import type { Problem } from './types';

export const API_BASE = '/api/v1';
const CSRF_COOKIE = 'md_csrf';

/** A failed API call: the HTTP status and the problem document (status 0: no answer). */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(status: number, problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
  /** The last segment of the problem type, e.g. `extension_clash`. */
  get code(): string {
    return this.problem.type.split('/').pop() ?? '';
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

/** The CSRF token the server put in a readable cookie at login. */
export function csrfToken(): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === CSRF_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

let unauthorizedListener: (() => void) | null = null;
/** Called when any request (other than login) answers 401: the session is gone. */
export function onUnauthorized(fn: (() => void) | null) {
  unauthorizedListener = fn;
}

type Query = Record<string, string | number | boolean | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

/** The one way the console talks to the API: the session cookie, CSRF header on writes, JSON
 * in and out, problem documents turned into ApiError. */
export async function request<T>(method: string, path: string, body?: unknown, query?: Query, extraHeaders?: Record<string, string>): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = csrfToken();
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  let res: Response;
  try {
    res = await fetch(API_BASE + withQuery(path, query), {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, { type: 'network', title: 'Network error', status: 0, detail: (err as Error).message });
  }
  const text = await res.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!res.ok) {
    const problem: Problem =
      parsed && typeof parsed === 'object' && 'status' in parsed
        ? (parsed as Problem)
        : { type: 'about:blank', title: res.statusText || 'Error', status: res.status, detail: typeof parsed === 'string' ? parsed : undefined };
    if (res.status === 401 && path !== '/auth/login' && path !== '/auth/me') unauthorizedListener?.();
    throw new ApiError(res.status, problem);
  }
  return parsed as T;
}

export const http = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, undefined, query),
  post: <T>(path: string, body: unknown = {}, opts?: { idempotencyKey?: string }) =>
    request<T>('POST', path, body, undefined, opts?.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : undefined),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  del: <T = void>(path: string, query?: Query) => request<T>('DELETE', path, undefined, query),
};

/** A fresh Idempotency-Key for one value-moving action (a checkout, a top-up): a retry or a
 * double click sends the same key, so the server records the action once. Works without a
 * secure context (plain http on a shop's LAN), where crypto.randomUUID is missing. */
export function newIdempotencyKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return 'console-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
