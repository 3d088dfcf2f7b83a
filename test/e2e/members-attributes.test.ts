import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** Merchant-defined attributes: definitions, typed validation naming the attribute, the
 * limit of 30, deletion; and tags. */
let server: TestServer;
let api: Client;

beforeAll(async () => {
  server = await startTestServer();
  const admin = await loginAdmin(server.baseUrl);
  api = (await createTenant(server.baseUrl, admin, 'fashion', '51')).api;
});
afterAll(async () => server?.close());

describe('attribute definitions', () => {
  it('defines attributes of every type, listed in form order', async () => {
    const defs = [
      { key: 'size', label: '尺码', type: 'single', options: ['S', 'M', 'L'], required: true },
      { key: 'hobbies', label: '爱好', type: 'multi', options: ['tea', 'golf'] },
      { key: 'income', label: '月收入', type: 'number' },
      { key: 'anniversary', label: '纪念日', type: 'date' },
      { key: 'married', label: '已婚', type: 'boolean' },
      { key: 'company', label: '公司', type: 'text' },
    ];
    for (const d of defs) {
      const res = await api.post('/api/v1/members/attributes', d);
      expect(res.status, d.key).toBe(201);
    }
    const list = (await api.get('/api/v1/members/attributes')).body;
    expect(list.nextCursor).toBeNull();
    expect(list.items.map((d: any) => d.key)).toEqual(defs.map((d) => d.key));
    expect(list.items[0]).toMatchObject({ key: 'size', label: '尺码', type: 'single', required: true, options: ['S', 'M', 'L'], position: 1 });
  });

  it('rejects bad definitions', async () => {
    expect((await api.post('/api/v1/members/attributes', { key: 'size', label: 'again', type: 'text' })).status).toBe(409);
    expect((await api.post('/api/v1/members/attributes', { key: 'Size!', label: 'x', type: 'text' })).status).toBe(400);
    expect((await api.post('/api/v1/members/attributes', { key: 'colour', label: 'x', type: 'single' })).status).toBe(400); // no options
    expect((await api.post('/api/v1/members/attributes', { key: 'colour', label: 'x', type: 'text', options: ['a'] })).status).toBe(400);
    expect((await api.post('/api/v1/members/attributes', { key: 'colour', label: 'x', type: 'color' })).status).toBe(400);
    expect((await api.patch('/api/v1/members/attributes/size', { type: 'text' })).status).toBe(400); // the type cannot change
    expect((await api.patch('/api/v1/members/attributes/nope', { label: 'x' })).status).toBe(404);
  });

  it('validates member values, naming the attribute', async () => {
    const ok = await api.post('/api/v1/members', {
      phone: '13800000001',
      attributes: { size: 'M', hobbies: ['tea', 'tea'], income: 12000, anniversary: '2015-06-01', married: true, company: '星巴克' },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.attributes).toEqual({ size: 'M', hobbies: ['tea'], income: 12000, anniversary: '2015-06-01', married: true, company: '星巴克' });

    const cases: [Record<string, unknown>, string][] = [
      [{ size: 'XL' }, 'size'],
      [{ size: 'M', hobbies: 'tea' }, 'hobbies'],
      [{ size: 'M', income: '12000' }, 'income'],
      [{ size: 'M', anniversary: '2021-02-30' }, 'anniversary'],
      [{ size: 'M', married: 'yes' }, 'married'],
      [{ size: 'M', colour: 'red' }, 'colour'], // unknown key
      [{ company: 'x' }, 'size'], // required missing
    ];
    for (const [attributes, key] of cases) {
      const res = await api.post('/api/v1/members', { phone: '13800000002', attributes });
      expect(res.status, JSON.stringify(attributes)).toBe(400);
      expect(res.body.errors.map((e: any) => e.path)).toContain(`body.attributes.${key}`);
      expect(res.body.detail).toContain(key);
    }
    expect((await api.get('/api/v1/members/lookup?key=13800000002')).status).toBe(404);
  });

  it('merges attributes on PATCH (null clears one) and records the keys that changed', async () => {
    const m = (await api.get('/api/v1/members/lookup?key=13800000001')).body;
    const res = await api.patch(`/api/v1/members/${m.id}`, { attributes: { income: 15000, company: null } });
    expect(res.status).toBe(200);
    expect(res.body.attributes).toEqual({ size: 'M', hobbies: ['tea'], income: 15000, anniversary: '2015-06-01', married: true });
    expect((await api.patch(`/api/v1/members/${m.id}`, { attributes: { size: null } })).status).toBe(400); // required
    expect((await api.patch(`/api/v1/members/${m.id}`, { attributes: { income: 'lots' } })).body.errors[0].path).toBe('body.attributes.income');
    const change = (await api.get(`/api/v1/members/${m.id}/changes`)).body.items[0];
    expect(change).toMatchObject({ change: 'profile', before: { attributes: { income: 12000, company: '星巴克' } }, after: { attributes: { income: 15000, company: null } } });
  });

  it('allows at most 30 definitions', async () => {
    const have = (await api.get('/api/v1/members/attributes')).body.items.length;
    for (let i = have; i < 30; i++) expect((await api.post('/api/v1/members/attributes', { key: `extra_${i}`, label: `Extra ${i}`, type: 'text' })).status).toBe(201);
    const over = await api.post('/api/v1/members/attributes', { key: 'one_too_many', label: 'x', type: 'text' });
    expect(over.status).toBe(409);
    expect(over.body.detail).toContain('30');
  });

  it('deletes an unused definition; one in use needs ?purge=true, which removes the values', async () => {
    expect((await api.del('/api/v1/members/attributes/extra_29')).status).toBe(204);
    const inUse = await api.del('/api/v1/members/attributes/income');
    expect(inUse.status).toBe(409);
    expect((await api.call('DELETE', '/api/v1/members/attributes/income?purge=true')).status).toBe(204);
    const m = (await api.get('/api/v1/members/lookup?key=13800000001')).body;
    expect(m.attributes.income).toBeUndefined();
    expect((await api.get('/api/v1/members/attributes')).body.items.map((d: any) => d.key)).not.toContain('income');
    expect((await api.get('/api/v1/audit-log?action=member.attribute_delete')).body.items).toHaveLength(2);
  });

  it('edits label, required flag and options', async () => {
    const res = await api.patch('/api/v1/members/attributes/size', { label: 'Size', required: false, options: ['S', 'M', 'L', 'XL'] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ label: 'Size', required: false, options: ['S', 'M', 'L', 'XL'] });
    expect((await api.post('/api/v1/members', { phone: '13800000003', attributes: { size: 'XL' } })).status).toBe(201);
  });
});

describe('tags', () => {
  it('lists tags in use with counts, most used first', async () => {
    await api.post('/api/v1/members', { phone: '13800000011', tags: ['vip', '  vip ', 'wine'] });
    await api.post('/api/v1/members', { phone: '13800000012', tags: ['vip'] });
    const res = await api.get('/api/v1/members/tags');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [{ tag: 'vip', count: 2 }, { tag: 'wine', count: 1 }], nextCursor: null });
  });

  it('refuses oversize tags', async () => {
    expect((await api.post('/api/v1/members', { phone: '13800000013', tags: ['x'.repeat(33)] })).status).toBe(400);
    expect((await api.post('/api/v1/members', { phone: '13800000013', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) })).status).toBe(400);
    expect((await api.post('/api/v1/members', { phone: '13800000013', tags: [''] })).status).toBe(400);
  });
});
