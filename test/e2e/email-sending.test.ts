/**
 * Email through real SMTP servers (test/peers/smtp.ts): the deployment's server and a tenant's
 * own one with authentication. What arrived is parsed and checked: From, Reply-To, Subject and
 * body in Chinese (UTF-8), the unsubscribe link of marketing email; a 4xx is retried, a 5xx
 * fails the message; tenants never see each other's email; bad input queues nothing.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';
import { client } from '../support/http.js';
import { eventually, type SmsApp } from '../support/sms.js';
import { emailTenant, startEmailApp, type EmailTenant } from '../support/email.js';
import { SmtpSink } from '../peers/smtp.js';
import { emailContext, sendEmail } from '../../src/messaging/index.js';
import { withTenant } from '../../src/platform/db/with-tenant.js';

let database: TestDatabase;
let app: SmsApp;
let deploymentSmtp: SmtpSink;
let ownSmtp: SmtpSink;
let a: EmailTenant;
let b: EmailTenant;
let owner: pg.Client;

beforeAll(async () => {
  deploymentSmtp = await SmtpSink.start();
  ownSmtp = await SmtpSink.start({ users: { 'shop-b': 'pw-b-secret' } });
  database = await createTestDatabase();
  app = await startEmailApp(database, { smtpPort: deploymentSmtp.port });
  a = await emailTenant(app.baseUrl, 'mail-a', '61');
  b = await emailTenant(app.baseUrl, 'mail-b', '62');
  owner = new pg.Client({ connectionString: database.url });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
  await app?.close();
  await database?.drop();
  await deploymentSmtp?.close();
  await ownSmtp?.close();
});

const status = (t: EmailTenant, id: string) =>
  eventually(async () => {
    const r = await t.api.get(`/api/v1/email/messages/${id}`);
    return r.body.status !== 'queued' ? r.body : null;
  }, `email ${id} settled`);
const count = async () => (await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM email_messages')).rows[0]!.n;
const outboxCount = async () => (await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM email_outbox')).rows[0]!.n;

describe('members have an email address', () => {
  it('is validated and stored with the domain in lower case; PATCH changes and clears it', async () => {
    const id = await a.member('Li.Na@Example.COM', '李娜');
    const m = await a.api.get(`/api/v1/members/${id}`);
    expect(m.body).toMatchObject({ email: 'Li.Na@example.com', emailOptOut: false });
    const bad = await a.api.post('/api/v1/members', { phone: '13912340001', email: 'not-an-address' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(bad.body)).toContain('body.email');
    expect((await a.api.patch(`/api/v1/members/${id}`, { email: 'a@b' })).status).toBe(400);
    expect((await a.api.patch(`/api/v1/members/${id}`, { email: 'new@example.cn' })).body.email).toBe('new@example.cn');
    expect((await a.api.patch(`/api/v1/members/${id}`, { email: null })).body.email).toBeNull();
  });
});

describe('sending', () => {
  it('a service email to a member goes through the deployment SMTP server: From, Reply-To, Chinese subject and body as sent', async () => {
    const put = await a.api.put('/api/v1/email/settings', { fromName: '茶语小馆', replyTo: 'service@chayu.cn' });
    expect(put.status).toBe(200);
    expect(put.body.effective).toEqual({ from: { name: '茶语小馆', address: 'noreply@memberdesk.test' }, replyTo: 'service@chayu.cn', smtp: 'default' });
    const memberId = await a.member('zhang.wei@example.cn', '张伟');
    const r = await a.api.post('/api/v1/email/send', {
      memberId,
      subject: '{name}，您的会员卡 {cardNo} 积分通知',
      body: '亲爱的{name}：\n\n您当前积分 {points}，等级 {tier}。\n{merchant} 期待您再次光临！',
    });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ channel: 'email', status: 'queued', kind: 'service', to: 'zhang.wei@example.cn', from: { name: '茶语小馆', address: 'noreply@memberdesk.test' } });
    const done = await status(a, r.body.id);
    expect(done.status).toBe('sent');
    const [mail] = deploymentSmtp.to('zhang.wei@example.cn');
    expect(mail).toBeDefined();
    const member = (await a.api.get(`/api/v1/members/${memberId}`)).body;
    const cardNo = member.cardNo;
    expect(mail!.parsed.subject).toBe(`张伟，您的会员卡 ${cardNo} 积分通知`);
    expect(mail!.parsed.from?.value[0]).toEqual({ name: '茶语小馆', address: 'noreply@memberdesk.test' });
    expect(mail!.parsed.replyTo?.value[0]?.address).toBe('service@chayu.cn');
    expect(mail!.parsed.text?.trim()).toBe(`亲爱的张伟：\n\n您当前积分 ${member.points}，等级 ${member.tier?.name ?? ''}。\nMerchant mail-a 期待您再次光临！`);
    expect(mail!.parsed.html).toContain('<p>亲爱的张伟：</p>');
    expect(mail!.envelopeFrom).toBe('noreply@memberdesk.test');
    expect(mail!.user).toBeUndefined();
    expect(mail!.parsed.messageId).toBe(done.messageId);
    expect(mail!.raw.toString('latin1')).not.toContain('List-Unsubscribe');
    // nothing for this tenant went to the other server
    expect(ownSmtp.received).toHaveLength(0);
  });

  it("a tenant's own SMTP server: used with its credentials and From; the password is never returned", async () => {
    const noFrom = await b.api.put('/api/v1/email/settings', { smtp: { host: '127.0.0.1', port: ownSmtp.port } });
    expect(noFrom.status).toBe(400);
    const put = await b.api.put('/api/v1/email/settings', {
      fromName: '美发沙龙 B',
      fromAddress: 'hello@salon-b.cn',
      smtp: { host: '127.0.0.1', port: ownSmtp.port, user: 'shop-b', password: 'pw-b-secret' },
    });
    expect(put.status).toBe(200);
    expect(put.body.smtp).toEqual({ host: '127.0.0.1', port: ownSmtp.port, secure: false, user: 'shop-b', passwordSet: true });
    const got = await b.api.get('/api/v1/email/settings');
    expect(JSON.stringify(got.body)).not.toContain('pw-b-secret');
    expect(got.body.effective).toMatchObject({ smtp: 'tenant', from: { address: 'hello@salon-b.cn' } });
    const audit = await owner.query(`SELECT detail::text FROM audit_log WHERE action = 'email.settings_update'`);
    expect(audit.rows.map((r) => r.detail).join()).not.toContain('pw-b-secret');

    const memberId = await b.member('wang.fang@example.com', '王芳');
    const r = await b.api.post('/api/v1/email/send', { memberId, subject: '预约提醒', body: '{name}您好，明天下午三点的预约别忘了。' });
    expect(r.status).toBe(202);
    expect((await status(b, r.body.id)).status).toBe('sent');
    const [mail] = ownSmtp.to('wang.fang@example.com');
    expect(mail!.user).toBe('shop-b');
    expect(mail!.parsed.from?.value[0]).toEqual({ name: '美发沙龙 B', address: 'hello@salon-b.cn' });
    expect(mail!.parsed.text?.trim()).toBe('王芳您好，明天下午三点的预约别忘了。');
    expect(deploymentSmtp.to('wang.fang@example.com')).toHaveLength(0);

    // a PUT without the password keeps it
    expect((await b.api.put('/api/v1/email/settings', { smtp: { host: '127.0.0.1', port: ownSmtp.port, user: 'shop-b' } })).body.smtp.passwordSet).toBe(true);
    const again = await b.api.post('/api/v1/email/send', { memberId, subject: '再次提醒', body: '还是三点。' });
    expect((await status(b, again.body.id)).status).toBe('sent');
    expect(ownSmtp.to('wang.fang@example.com')).toHaveLength(2);
  });

  it('marketing email carries an unsubscribe link; after one click the member gets no more marketing email, service email still goes', async () => {
    const memberId = await a.member('chen.jing@example.cn', '陈静');
    const r = await a.api.post('/api/v1/email/send', { memberId, subject: '会员日 8 折', body: '{name}，本周六会员日全场 8 折。', marketing: true });
    expect(r.status).toBe(202);
    expect((await status(a, r.body.id)).status).toBe('sent');
    const [mail] = deploymentSmtp.to('chen.jing@example.cn');
    const text = mail!.parsed.text!;
    expect(text).toContain('陈静，本周六会员日全场 8 折。');
    const link = /(https?:\/\/\S+\/api\/v1\/email\/unsubscribe\?token=\S+)/.exec(text)![1]!;
    expect(mail!.parsed.html).toContain('/api/v1/email/unsubscribe?token=');
    expect(mail!.raw.toString('latin1')).toMatch(/List-Unsubscribe:\s+<http/);
    expect(mail!.raw.toString('latin1')).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');

    const path = link.slice(link.indexOf('/api/v1/'));
    const page = await fetch(app.baseUrl + path);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post"');
    // the one-click POST a mail client sends (RFC 8058)
    const click = await fetch(app.baseUrl + path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(click.status).toBe(200);
    expect((await a.api.get(`/api/v1/members/${memberId}`)).body.emailOptOut).toBe(true);
    const changes = await a.api.get(`/api/v1/members/${memberId}/changes`);
    expect(JSON.stringify(changes.body)).toContain('email_opt_out');
    // a tampered token changes nothing
    const forged = path.replace(/token=(\d+)\.(\d+)\./, (_m, t, id) => `token=${t}.${BigInt(id) + 1n}.`);
    expect((await fetch(app.baseUrl + forged, { method: 'POST' })).status).toBe(400);

    const again = await a.api.post('/api/v1/email/send', { memberId, subject: '会员日 8 折', body: '再提醒一次', marketing: true });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ status: 'suppressed', failReason: 'opted_out' });
    const service = await a.api.post('/api/v1/email/send', { memberId, subject: '订单已发货', body: '您的订单已发货。' });
    expect((await status(a, service.body.id)).status).toBe('sent');
    await new Promise((r) => setTimeout(r, 300));
    expect(deploymentSmtp.to('chen.jing@example.cn').map((m) => m.parsed.subject)).toEqual(['会员日 8 折', '订单已发货']);
  });

  it('a 4xx answer is retried until the server takes the message (once)', async () => {
    deploymentSmtp.respond((rcpt, n) => (rcpt === 'busy@example.cn' && n <= 2 ? { code: 451, message: '4.3.0 Mailbox busy, try later' } : null));
    const r = await a.api.post('/api/v1/email/send', { to: 'busy@example.cn', subject: '稍后重试', body: '第一次被暂缓' });
    expect(r.status).toBe(202);
    const done = await status(a, r.body.id);
    expect(done).toMatchObject({ status: 'sent', attempts: 3 });
    expect(deploymentSmtp.attempts.get('busy@example.cn')).toBe(3);
    expect(deploymentSmtp.to('busy@example.cn')).toHaveLength(1);
    deploymentSmtp.respond(() => null);
  });

  it('a 5xx answer fails the message for good, without retrying', async () => {
    deploymentSmtp.respond((rcpt) => (rcpt === 'nobody@example.cn' ? { code: 550, message: '5.1.1 No such user here' } : null));
    const r = await a.api.post('/api/v1/email/send', { to: 'nobody@example.cn', subject: '无此用户', body: '不会送达' });
    const done = await status(a, r.body.id);
    expect(done.status).toBe('failed');
    expect(done.failReason).toContain('550');
    expect(done.attempts).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(deploymentSmtp.attempts.get('nobody@example.cn')).toBe(1);
    expect(deploymentSmtp.to('nobody@example.cn')).toHaveLength(0);
    expect((await a.api.get('/api/v1/email/messages?status=failed')).body.items.map((m: { id: string }) => m.id)).toContain(r.body.id);
    deploymentSmtp.respond(() => null);
  });

  it('Idempotency-Key: a retry gets the first answer and sends once; another body is a 409', async () => {
    const body = { to: 'idem@example.cn', subject: '只发一次', body: '重试不重发' };
    const answers = await Promise.all(Array.from({ length: 5 }, () => a.api.post('/api/v1/email/send', body, { 'idempotency-key': 'email-1' })));
    for (const x of answers) expect(x.body).toEqual(answers[0]!.body);
    expect((await a.api.post('/api/v1/email/send', { ...body, body: '换了内容' }, { 'idempotency-key': 'email-1' })).status).toBe(409);
    await status(a, answers[0]!.body.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(deploymentSmtp.to('idem@example.cn')).toHaveLength(1);
  });
});

describe('sendEmail for campaigns and care rules', () => {
  it("runs in the caller's tenant transaction: a batch with one context, per-member rendering, campaignId, opted-out members suppressed; a rollback sends nothing", async () => {
    const ids = [await a.member('batch1@example.cn', '刘洋'), await a.member('batch2@example.cn', '孙丽'), await a.member('batch3@example.cn', '周杰')];
    await owner.query(`UPDATE members SET email_opt_out = true WHERE id = $1`, [ids[2]]);
    const results = await withTenant(database.db, a.id, async (tx) => {
      const context = await emailContext(tx, a.id);
      const out = [];
      for (const memberId of ids) {
        out.push(await sendEmail(tx, { tenantId: a.id, memberId, campaignId: '4242', kind: 'marketing', subject: '{name}，生日快乐', body: '{name}，{merchant} 祝您生日快乐！', context }));
      }
      return out;
    });
    expect(results.map((r) => r.status)).toEqual(['queued', 'queued', 'suppressed']);
    expect(results[0]!.subject).toBe('刘洋，生日快乐');
    await eventually(async () => (deploymentSmtp.to('batch1@example.cn').length && deploymentSmtp.to('batch2@example.cn').length ? true : null), 'batch sent');
    expect(deploymentSmtp.to('batch2@example.cn')[0]!.parsed.text).toContain('孙丽，Merchant mail-a 祝您生日快乐！');
    const logged = await a.api.get('/api/v1/email/messages?campaignId=4242');
    expect(logged.body.items.map((m: { status: string }) => m.status).sort()).toEqual(['sent', 'sent', 'suppressed']);

    const before = await count();
    await expect(
      withTenant(database.db, a.id, async (tx) => {
        await sendEmail(tx, { tenantId: a.id, memberId: ids[0], kind: 'service', subject: '回滚', body: '不会发出' });
        throw new Error('the campaign batch failed');
      }),
    ).rejects.toThrow('the campaign batch failed');
    expect(await count()).toBe(before);
    await new Promise((r) => setTimeout(r, 300));
    expect(deploymentSmtp.to('batch1@example.cn').map((m) => m.parsed.subject)).toEqual(['刘洋，生日快乐']);
  });
});

describe('tenants apart', () => {
  it("a tenant sees only its own email and cannot write to another tenant's member", async () => {
    const bMember = await b.member('only-b@example.com', '赵敏');
    const sent = await b.api.post('/api/v1/email/send', { memberId: bMember, subject: 'B 的邮件', body: '仅 B 可见' });
    expect(sent.status).toBe(202);
    expect((await a.api.get(`/api/v1/email/messages/${sent.body.id}`)).status).toBe(404);
    const listA = (await a.api.get('/api/v1/email/messages?limit=500')).body.items;
    expect(listA.some((m: { subject: string }) => m.subject === 'B 的邮件')).toBe(false);
    expect(listA.length).toBeGreaterThan(0);
    const before = await count();
    const cross = await a.api.post('/api/v1/email/send', { memberId: bMember, subject: 'x', body: 'y' });
    expect(cross.status).toBe(404);
    expect(await count()).toBe(before);
    // B's settings are not A's
    expect((await a.api.get('/api/v1/email/settings')).body.smtp).toBeNull();
  });
});

describe('bad input queues nothing', () => {
  it('invalid address, unknown fields and variables, empty subject, marketing without a member, a member without an address → 400 problem+json', async () => {
    const noEmail = await a.member(null, '无邮箱');
    const before = [await count(), await outboxCount()];
    const cases: [unknown, string][] = [
      [{ to: 'not an address', subject: 's', body: 'b' }, 'body.to'],
      [{ to: 'x@example.cn', subject: 's', body: 'b', cc: 'y@example.cn' }, 'cc'],
      [{ to: 'x@example.cn', subject: '{name} {phone}', body: 'b' }, 'body.subject'],
      [{ to: 'x@example.cn', subject: 's', body: '{coupon}' }, 'body.body'],
      [{ to: 'x@example.cn', subject: '   ', body: 'b' }, 'body.subject'],
      [{ to: 'x@example.cn', subject: 's', body: 'b', marketing: true }, 'body.memberId'],
      [{ memberId: noEmail, subject: 's', body: 'b' }, 'body.memberId'],
      [{ subject: 's', body: 'b' }, 'body.to'],
      [{ to: 'x@example.cn', subject: 's', body: 'b', marketing: 'yes' }, 'marketing'],
    ];
    for (const [body, path] of cases) {
      const r = await a.api.post('/api/v1/email/send', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(JSON.stringify(r.body), JSON.stringify(body)).toContain(path);
    }
    const settings: unknown[] = [{ fromAddress: 'nope' }, { replyTo: 'a@b' }, { smtp: { host: 'bad host!', port: 25 } }, { smtp: { host: 'x.cn', port: 70000 } }, { password: 'x' }, { fromName: 'a\nBcc: x' }];
    for (const s of settings) expect((await a.api.put('/api/v1/email/settings', s)).status, JSON.stringify(s)).toBe(400);
    expect([await count(), await outboxCount()]).toEqual(before);
  });

  it('an unknown member is a 404', async () => {
    const r = await a.api.post('/api/v1/email/send', { memberId: '999999', subject: 's', body: 'b' });
    expect(r.status).toBe(404);
  });
});

describe('permissions and masking', () => {
  it('reading needs sms.read, sending sms.send, settings sms.settings; addresses are masked without members.pii', async () => {
    const key = (await a.api.post('/api/v1/api-keys', { name: 'mail reader', permissions: ['sms.read', 'members.read'] })).body.key;
    const reader = client(app.baseUrl, key);
    const list = await reader.get('/api/v1/email/messages?limit=5');
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThan(0);
    for (const m of list.body.items) expect(m.to).toMatch(/^.\*\*\*@/);
    const memberId = await a.member('pii.check@example.cn', '钱七');
    expect((await reader.get(`/api/v1/members/${memberId}`)).body.email).toBe('p***@example.cn');
    expect((await reader.post('/api/v1/email/send', { to: 'x@example.cn', subject: 's', body: 'b' })).status).toBe(403);
    expect((await reader.put('/api/v1/email/settings', { fromName: 'x' })).status).toBe(403);
    const sender = client(app.baseUrl, (await a.api.post('/api/v1/api-keys', { name: 'mail sender', permissions: ['sms.send'] })).body.key);
    const sent = await sender.post('/api/v1/email/send', { to: 'masked@example.cn', subject: 's', body: 'b' });
    expect(sent.status).toBe(202);
    expect(sent.body.to).toBe('m***@example.cn');
  });
});
