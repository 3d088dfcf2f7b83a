import { ADMIN_PASSWORD } from './test-server.js';

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A thin fetch wrapper: real HTTP, JSON in and out. */
export function client(baseUrl: string, token?: string) {
  async function call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res<T>> {
    const h: Record<string, string> = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    if (body !== undefined) h['content-type'] = 'application/json';
    const res = await fetch(baseUrl + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
  return {
    get: <T = any>(path: string, headers?: Record<string, string>) => call<T>('GET', path, undefined, headers),
    post: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => call<T>('POST', path, body ?? {}, headers),
    patch: <T = any>(path: string, body: unknown) => call<T>('PATCH', path, body),
    put: <T = any>(path: string, body: unknown) => call<T>('PUT', path, body),
    del: <T = any>(path: string) => call<T>('DELETE', path),
    call,
  };
}

export type Client = ReturnType<typeof client>;

export async function login(baseUrl: string, username: string, password: string, tenant?: string): Promise<string> {
  const res = await client(baseUrl).post('/api/v1/auth/login', tenant ? { username, password, tenant } : { username, password });
  if (res.status !== 200) throw new Error(`login ${username}@${tenant ?? 'platform'} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token;
}

export const loginAdmin = (baseUrl: string) => login(baseUrl, 'admin', ADMIN_PASSWORD);

/** Creates a merchant through the platform API and logs its owner in. */
export async function createTenant(baseUrl: string, adminToken: string, slug: string, smsExtension: string) {
  const res = await client(baseUrl, adminToken).post('/api/v1/platform/tenants', {
    slug,
    name: `Merchant ${slug}`,
    smsExtension,
    admin: { username: 'owner', password: 'owner-password-1' },
  });
  if (res.status !== 201) throw new Error(`create tenant ${slug}: ${res.status} ${JSON.stringify(res.body)}`);
  const token = await login(baseUrl, 'owner', 'owner-password-1', slug);
  return { tenant: res.body, token, api: client(baseUrl, token) };
}
