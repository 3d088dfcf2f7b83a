import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinBySms } from '../../src/members/index.js';
import { withTenant } from '../../src/platform/db/with-tenant.js';
import { createTenant, loginAdmin, type Client } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** The joining workflow: applications, flags, review, approval and rejection; joining by SMS. */
let server: TestServer;
let api: Client;
let direct: Client;
let tenantId: string;
let directTenantId: string;

beforeAll(async () => {
  server = await startTestServer();
  const admin = await loginAdmin(server.baseUrl);
  const t = await createTenant(server.baseUrl, admin, 'reviewed', '71');
  api = t.api;
  tenantId = t.tenant.id;
  const d = await createTenant(server.baseUrl, admin, 'open-door', '72');
  direct = d.api;
  directTenantId = d.tenant.id;
  expect((await api.put('/api/v1/members/settings', { reviewApplications: true })).status).toBe(200);
  expect((await api.post('/api/v1/members/attributes', { key: 'size', label: '尺码', type: 'single', options: ['S', 'M'], required: true })).status).toBe(201);
});
afterAll(async () => server?.close());

describe('with review on', () => {
  let first: any;

  it('queues an application with the flags for missing key data', async () => {
    const res = await api.post('/api/v1/member-applications', { phone: '13800138001', source: 'h5' });
    expect(res.status).toBe(201);
    first = res.body;
    expect(first).toMatchObject({ phone: '+8613800138001', status: 'pending', source: 'h5', memberId: null, member: null });
    expect(first.flags).toEqual(['missing_name', 'missing_birthday', 'missing_required_attributes']);
    expect((await api.get('/api/v1/members/lookup?key=13800138001')).status).toBe(404);
  });

  it('flags duplicate applications by phone and by name + birthday, and phones that are members', async () => {
    const dupPhone = await api.post('/api/v1/member-applications', { phone: '138 0013 8001', name: '王小明', birthday: '1992-03-04', attributes: { size: 'S' } });
    expect(dupPhone.body.flags).toEqual(['duplicate_phone_application']);
    const dupPerson = await api.post('/api/v1/member-applications', { phone: '13800138002', name: '王小明', birthday: '1992-03-04', attributes: { size: 'M' } });
    expect(dupPerson.body.flags).toEqual(['duplicate_name_birthday']);
    await api.post('/api/v1/members', { phone: '13800138009', name: '会员', attributes: { size: 'S' } });
    const member = await api.post('/api/v1/member-applications', { phone: '13800138009', name: '新人', birthday: '2000-01-01', attributes: { size: 'S' } });
    expect(member.body.flags).toEqual(['duplicate_phone_member']);
    // approving it would create a second member with the same phone
    const approve = await api.post(`/api/v1/member-applications/${member.body.id}/approve`, {});
    expect(approve.status).toBe(409);
    expect((await api.get(`/api/v1/member-applications/${member.body.id}`)).body.status).toBe('pending');
  });

  it('rejects bad input as a registration would', async () => {
    expect((await api.post('/api/v1/member-applications', { phone: '010-62345678' })).status).toBe(400);
    const badAttr = await api.post('/api/v1/member-applications', { phone: '13800138003', attributes: { size: 'XXL' } });
    expect(badAttr.status).toBe(400);
    expect(badAttr.body.errors[0].path).toBe('body.attributes.size');
    expect((await api.post('/api/v1/member-applications', { phone: '13800138003', source: 'import' })).status).toBe(400);
  });

  it('lists the pending queue, newest first', async () => {
    const res = await api.get('/api/v1/member-applications?status=pending');
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBe(4);
    expect(res.body.items.at(-1).id).toBe(first.id);
  });

  it('approval creates the member with a card; a second approval is a conflict', async () => {
    const res = await api.post(`/api/v1/member-applications/${first.id}/approve`);
    expect(res.status).toBe(200);
    expect(res.body.application).toMatchObject({ id: first.id, status: 'approved', memberId: res.body.member.id });
    expect(res.body.member).toMatchObject({ phone: '+8613800138001', source: 'h5', tier: null });
    expect(res.body.member.cardNo).toMatch(/^\d{8}$/);
    expect((await api.post(`/api/v1/member-applications/${first.id}/approve`)).status).toBe(409);
    expect((await api.post(`/api/v1/member-applications/${first.id}/reject`, { reason: 'x' })).status).toBe(409);
    // the duplicate-phone application can no longer be approved: the phone became a member
    const dup = (await api.get('/api/v1/member-applications?status=pending')).body.items.find((a: any) => a.phone === '+8613800138001');
    const again = await api.post(`/api/v1/member-applications/${dup.id}/approve`, {});
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain(res.body.member.id);
    expect(again.body.errors).toBeUndefined(); // the approval body has no phone field to point at
    const created = (await api.get(`/api/v1/members/${res.body.member.id}/changes`)).body.items[0];
    expect(created).toMatchObject({ change: 'created', reason: `application ${first.id}` });
  });

  it('rejection keeps the record with the reason', async () => {
    const dup = (await api.get('/api/v1/member-applications?status=pending')).body.items.find((a: any) => a.phone === '+8613800138001');
    const res = await api.post(`/api/v1/member-applications/${dup.id}/reject`, { reason: '重复申请' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'rejected', reason: '重复申请', memberId: null });
    expect(res.body.decidedBy).toBeTruthy();
    expect((await api.get('/api/v1/member-applications?status=rejected')).body.items.map((a: any) => a.id)).toEqual([dup.id]);
    expect((await api.get('/api/v1/audit-log?action=member.application_reject')).body.items).toHaveLength(1);
  });

  it('joinBySms files an application once and answers an existing member with the card', async () => {
    const a = await withTenant(server.database.db, tenantId, (tx) => joinBySms(tx, tenantId, '8613700137000'));
    expect(a.status).toBe('applicant');
    expect(a.applicationId).toMatch(/^\d+$/);
    const again = await withTenant(server.database.db, tenantId, (tx) => joinBySms(tx, tenantId, '+8613700137000'));
    expect(again).toEqual({ status: 'applicant', applicationId: a.applicationId });
    const app = (await api.get(`/api/v1/member-applications/${a.applicationId}`)).body;
    expect(app).toMatchObject({ source: 'sms', phone: '+8613700137000' });
    const member = (await api.get('/api/v1/members/lookup?key=13800138009')).body;
    const existing = await withTenant(server.database.db, tenantId, (tx) => joinBySms(tx, tenantId, '13800138009'));
    expect(existing).toMatchObject({ status: 'existing', cardNo: member.cardNo });
    expect(existing.member?.id).toBe(member.id);
  });
});

describe('with review off', () => {
  it('approves an application at once and it carries the member id', async () => {
    const res = await direct.post('/api/v1/member-applications', { phone: '13900139001', name: '直通' });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('approved');
    expect(res.body.memberId).toBe(res.body.member.id);
    expect(res.body.member.name).toBe('直通');
    // a phone that is already a member: 409, nothing stored
    const dup = await direct.post('/api/v1/member-applications', { phone: '13900139001' });
    expect(dup.status).toBe(409);
    expect(dup.body.detail).toContain(res.body.member.id);
    expect((await direct.get('/api/v1/member-applications')).body.items).toHaveLength(1);
  });

  it('joinBySms makes a member with a card number at once, and is idempotent', async () => {
    const r = await withTenant(server.database.db, directTenantId, (tx) => joinBySms(tx, directTenantId, '13900139002'));
    expect(r.status).toBe('member');
    expect(r.cardNo).toMatch(/^\d{8}$/);
    expect(r.member).toMatchObject({ phone: '+8613900139002', source: 'sms', cardNo: r.cardNo });
    const again = await withTenant(server.database.db, directTenantId, (tx) => joinBySms(tx, directTenantId, '13900139002'));
    expect(again).toMatchObject({ status: 'existing', cardNo: r.cardNo });
    const races = await Promise.all(
      Array.from({ length: 5 }, () => withTenant(server.database.db, directTenantId, (tx) => joinBySms(tx, directTenantId, '13900139003'))),
    );
    expect(races.filter((x) => x.status === 'member')).toHaveLength(1);
    expect(new Set(races.map((x) => x.cardNo)).size).toBe(1);
    await expect(withTenant(server.database.db, directTenantId, (tx) => joinBySms(tx, directTenantId, 'hello'))).rejects.toMatchObject({ status: 400 });
  });
});
