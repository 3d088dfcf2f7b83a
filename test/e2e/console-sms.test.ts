/**
 * The SMS pages of the web console in a real browser against the real server (sandbox
 * gateway): the platform administrator texts a merchant's port from the simulator (888 joins,
 * 666 answers with points, anything else is feedback); the merchant answers in the feedback
 * inbox (unread badge, thread, reply) and the answer reaches the simulated phone; the message
 * log with filters and the credit; settings (opt-out hint, a reply template, an own keyword,
 * a built-in keyword refused); reports with the Excel download; a phone; English; the merchant's
 * own operator texts their own port (with a sub-code) from the simulator, a clerk only reads.
 * Screenshots: artifacts/screenshots/sms-*.png. Needs `npm run build:console` first.
 */
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPage, screenshotter } from '../support/browser.js';
import { button, choose, fieldError, login, menuItem, openFromMenu, pageWidth, reportFailure, textOf, watch } from '../support/console.js';
import { client, createTenant, loginAdmin, type Client } from '../support/http.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let browser: Browser;
/** the merchant's owner */
let context: BrowserContext;
let page: Page;
/** the platform administrator at the simulator */
let adminContext: BrowserContext;
let sim: Page;
let owner: Client;
let port: string;
const complaints: string[] = [];
const shot = screenshotter('sms');

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 });

/** Texts the merchant's port from the simulator and waits for `reply` (when one is expected). */
async function text(body: string, reply?: string) {
  const input = sim.getByLabel('短信内容', { exact: true });
  await input.fill(body);
  await button(sim, '发送').click();
  const conv = sim.getByTestId('conversation');
  await conv.getByTestId('sim-out').filter({ hasText: body }).last().waitFor();
  if (reply) await conv.getByTestId('sim-in').filter({ hasText: reply }).first().waitFor({ timeout: 15_000 });
}

beforeAll(async () => {
  server = await startTestServer();
  const adminToken = await loginAdmin(server.baseUrl);
  const t = await createTenant(server.baseUrl, adminToken, 'tea-three', '03');
  owner = t.api;
  port = t.tenant.smsPort;
  expect((await client(server.baseUrl, adminToken).post('/api/v1/platform/tenants/tea-three/sms-credit', { amountFen: 1000 })).status).toBe(200);
  const zhang = await owner.post('/api/v1/members', { phone: '13800138000', name: '张三' });
  expect(zhang.status).toBe(201);
  expect((await owner.post('/api/v1/transactions', { member: { id: zhang.body.id }, amountFen: 12_300 })).status).toBe(201);

  browser = await launchBrowser();
  ({ context: adminContext, page: sim } = await newPage(browser, server.baseUrl));
  watch(sim, complaints);
  await sim.goto('/login');
  await sim.getByLabel('用户名', { exact: true }).fill('admin');
  await sim.getByLabel('密码', { exact: true }).fill(ADMIN_PASSWORD);
  await button(sim, '登录').click();
  await sim.getByTestId('merchant-name').waitFor();

  ({ context, page } = await newPage(browser, server.baseUrl));
  watch(page, complaints);
  await login(page, 'tea-three', 'owner', 'owner-password-1');
});

afterEach(async (ctx) => {
  await reportFailure(ctx, page, shot);
  await reportFailure({ task: { ...ctx.task, name: `${ctx.task.name} (simulator)` } }, sim, shot);
});

afterAll(async () => {
  await context?.close();
  await adminContext?.close();
  await browser?.close();
  await server?.close();
});

describe('SMS pages', () => {
  it('the simulator: 888 joins, 666 tells the points, a question goes to the inbox unanswered', async () => {
    await openFromMenu(sim, '短信', '短信模拟器', '短信模拟器');
    await choose(sim, sim, '商户端口', `Merchant tea-three (${port})`);
    await sim.getByLabel('模拟手机号', { exact: true }).fill('13800138000');
    await text('666', '【Merchant tea-three】您的积分：123，等级：');
    await sim.getByLabel('模拟手机号', { exact: true }).fill('13700137000');
    await text('888', '【Merchant tea-three】欢迎加入Merchant tea-three会员！您的会员卡号：00000002');
    await text('请问晚上几点关门？');
    await shot(sim, 'simulator');
    const members = (await owner.get('/api/v1/members?phone=13700137000')).body.items;
    expect(members.map((m: any) => m.cardNo)).toEqual(['00000002']);
  });

  it('the owner sees the unread badge, reads the thread and answers; the phone gets the answer', async () => {
    // the badge is asked for when the console opens (and every half minute)
    await page.reload();
    await menuItem(page, '短信').click();
    await poll(async () => ((await page.getByTestId('inbox-badge').count()) ? textOf(page.getByTestId('inbox-badge')) : '')).toBe('1');
    // (the badge is part of the item's name)
    await page.getByRole('menuitem', { name: /反馈收件箱 1$/ }).click();
    await page.getByRole('heading', { name: '反馈收件箱', exact: true }).waitFor();
    const item = page.getByTestId('thread-item').filter({ hasText: '13700137000' });
    await item.waitFor();
    expect(squash(await item.innerText())).toContain('请问晚上几点关门？');
    await item.click();
    const thread = page.getByTestId('thread');
    await thread.getByTestId('bubble-in').filter({ hasText: '请问晚上几点关门？' }).waitFor();
    expect(squash(await thread.innerText())).toContain('查看会员');
    await page.getByLabel('回复内容', { exact: true }).fill('晚上十点关门，欢迎光临');
    await button(page, '发送回复').click();
    await page.getByText('回复已发送').waitFor();
    const out = thread.getByTestId('bubble-out').filter({ hasText: '晚上十点关门，欢迎光临' });
    await out.waitFor();
    await poll(async () => squash(await out.innerText())).toMatch(/已发送|已送达/);
    // read: the badge is gone
    await poll(() => page.getByTestId('inbox-badge').count()).toBe(0);
    await shot(page, 'inbox-thread');
    await sim.getByTestId('conversation').getByTestId('sim-in').filter({ hasText: '【Merchant tea-three】晚上十点关门，欢迎光临' }).waitFor({ timeout: 15_000 });
    await shot(sim, 'simulator-answer');
  });

  it('the message log: both directions, filters, cost and the credit left', async () => {
    await openFromMenu(page, '短信', '短信记录', '短信记录');
    const log = page.getByTestId('messages');
    await poll(async () => squash(await log.innerText())).toContain('晚上十点关门，欢迎光临');
    const text = squash(await log.innerText());
    for (const s of ['上行', '下行', '888 入会', '666 查询积分', '13700137000', '13800138000']) expect(text, s).toContain(s);
    const tenant = (await owner.get('/api/v1/tenant')).body;
    expect(tenant.creditFen).toBeLessThan(1000);
    expect(squash(await page.getByTestId('sms-credit').innerText())).toContain(`短信余额 ¥${(tenant.creditFen / 100).toFixed(2)}`);
    expect(squash(await page.getByTestId('sms-credit').innerText())).toContain(`短信端口 ${port}`);
    await shot(page, 'messages', true);
    await page.getByText('上行', { exact: true }).first().click();
    await poll(async () => squash(await log.innerText())).not.toContain('【Merchant tea-three】');
    expect(await textOf(page.getByTestId('message-count'))).toBe('已加载 3 条');
    await page.getByText('下行', { exact: true }).first().click();
    await poll(async () => squash(await log.innerText())).not.toContain('请问晚上几点关门？');
    expect(await textOf(page.getByTestId('message-count'))).toBe('已加载 3 条');
    expect(squash(await log.innerText())).toMatch(/【Merchant tea-three】晚上十点关门，欢迎光临 1 ¥0\.05 (已发送|已送达)/);
    await page.getByLabel('手机号', { exact: true }).fill('13800138000');
    await poll(() => page.getByTestId('message-count').innerText()).toBe('已加载 1 条');
  });

  it('the member page shows the member’s messages and feedback', async () => {
    const id = (await owner.get('/api/v1/members?phone=13700137000')).body.items[0].id;
    await page.goto(`/members/${id}?tab=sms`);
    const sms = page.getByTestId('member-sms');
    await poll(async () => squash(await sms.innerText())).toContain('欢迎加入Merchant tea-three会员！您的会员卡号：00000002');
    expect(squash(await sms.innerText())).toContain('请问晚上几点关门？');
    await page.getByRole('tab', { name: '反馈' }).click();
    const feedback = page.getByTestId('member-feedback');
    await feedback.getByText('请问晚上几点关门？').click();
    await page.waitForURL(/\/sms\/inbox\?thread=\d+$/);
    await page.getByTestId('thread').getByText('晚上十点关门，欢迎光临').waitFor();
  });

  it('settings: the opt-out hint, a reply template and an own keyword; a built-in keyword is refused', async () => {
    await openFromMenu(page, '短信', '短信设置', '短信设置');
    const form = page.getByTestId('sms-settings');
    await poll(() => form.getByLabel('退订提示', { exact: true }).inputValue()).toBe('回TD退订');
    expect(await form.getByLabel('免打扰开始', { exact: true }).inputValue()).toBe('21:00');
    await form.getByLabel('退订提示', { exact: true }).fill('回T退订');
    await form.getByLabel('免打扰结束', { exact: true }).fill('8点');
    await button(form, '保存设置').click();
    await fieldError(form, '格式为 时:分，如 21:00').waitFor();
    await form.getByLabel('免打扰结束', { exact: true }).fill('09:00');
    await form.getByLabel('积分查询回复（666）', { exact: true }).fill('{name}您好，您有{points}积分。');
    await button(form, '保存设置').click();
    await page.getByText('短信设置已保存').waitFor();
    const saved = (await owner.get('/api/v1/sms/settings')).body;
    expect(saved).toMatchObject({ optOutHint: '回T退订', quietHours: { start: '21:00', end: '09:00' } });
    expect(saved.templates.points).toBe('{name}您好，您有{points}积分。');

    await page.getByRole('tab', { name: '自定义关键字' }).click();
    const kw = page.getByTestId('sms-keywords');
    await kw.getByText('暂无自定义关键字').waitFor();
    await button(kw, '添加关键字').click();
    await kw.getByLabel('关键字 1', { exact: true }).fill('888');
    await kw.getByLabel('回复内容 1', { exact: true }).fill('x');
    await button(kw, '保存关键字').click();
    await fieldError(kw, '这是内置关键字，不能自定义').waitFor();
    await kw.getByLabel('关键字 1', { exact: true }).fill('menu');
    await kw.getByLabel('回复内容 1', { exact: true }).fill('今日特价：珍珠奶茶 9 元');
    await button(kw, '保存关键字').click();
    await page.getByText('关键字已保存').waitFor();
    await shot(page, 'keywords');

    await text('ＭＥＮＵ', '【Merchant tea-three】今日特价：珍珠奶茶 9 元');
    await sim.getByLabel('模拟手机号', { exact: true }).fill('13800138000');
    await text('666', '【Merchant tea-three】张三您好，您有123积分。');
  });

  it('reports: received by keyword with totals, send status, cost with the credit; Excel downloads', async () => {
    await openFromMenu(page, '短信', '短信报表', '短信报表');
    const report = page.getByTestId('report');
    await poll(async () => squash(await report.innerText())).toContain('合计');
    const text = squash(await report.innerText());
    for (const s of ['666 查询积分 2 1', '888 入会 1 1', '反馈 1 1', 'MENU 1 1', '合计 5']) expect(text, s).toContain(s);
    await shot(page, 'report-keywords');
    await page.getByText('发送状态', { exact: true }).click();
    await poll(async () => squash(await report.innerText())).toMatch(/已发送|已送达/);
    await page.getByText('费用', { exact: true }).first().click();
    await poll(async () => squash(await report.innerText())).toMatch(/合计 \d+ \d+ ¥0\.\d\d/);
    const download = page.waitForEvent('download');
    await button(page, '导出 Excel').click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^sms-cost-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const bytes = readFileSync((await file.path())!);
    expect(bytes.subarray(0, 2).toString()).toBe('PK'); // a zip: an .xlsx
    await shot(page, 'report-cost');
  });

  it('at 390x844 the inbox opens a thread full width and goes back; the log reads as cards', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/sms/inbox');
    const item = page.getByTestId('thread-item').filter({ hasText: '13700137000' });
    await item.click();
    await page.getByTestId('thread').getByText('晚上十点关门，欢迎光临').waitFor();
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    const send = await button(page, '发送回复').boundingBox();
    expect(send!.x + send!.width).toBeLessThanOrEqual(390);
    await shot(page, 'phone-thread', true);
    await button(page, '返回会话列表').click();
    await item.waitFor();
    await page.goto('/sms/messages');
    await poll(() => page.getByTestId('message-card').count()).toBeGreaterThan(5);
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-messages');
    await page.goto('/sms/simulator');
    // the owner (sms.send) may text the own port: the sub-code field is there, no read-only note
    await page.getByLabel('子码（可选）', { exact: true }).waitFor();
    expect(await page.getByText('模拟上行短信需要“发送短信”权限；这里可查看沙箱网关发给某个手机号的短信。').count()).toBe(0);
    await page.getByTestId('conversation').getByTestId('sim-in').filter({ hasText: '欢迎加入' }).waitFor();
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-simulator-operator');
  });

  it('in English the SMS pages speak English', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await button(page, '语言').click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'SMS simulator', exact: true }).waitFor();
    for (const m of ['SMS', 'Feedback inbox', 'SMS log', 'SMS reports', 'SMS settings', 'SMS simulator']) expect(await menuItem(page, m).count(), m).toBe(1);
    await openFromMenu(page, 'SMS', 'SMS reports', 'SMS reports');
    for (const n of ['Keywords', 'Send status', 'Replies', 'Cost']) await page.getByText(n, { exact: true }).first().waitFor();
    await poll(async () => squash(await page.getByTestId('report').innerText())).toContain('888 join 1 1');
    for (const h of ['Keyword', 'Messages', 'Phones']) expect(await page.getByRole('columnheader', { name: h, exact: true }).count(), h).toBe(1);
    await openFromMenu(page, 'SMS', 'SMS log', 'SMS log');
    await poll(async () => squash(await page.getByTestId('messages').innerText())).toContain('Received');
    expect(squash(await page.getByTestId('sms-credit').innerText())).toContain('SMS credit');
    await openFromMenu(page, 'SMS', 'SMS settings', 'SMS settings');
    await page.getByLabel('Points query (666)', { exact: true }).waitFor();
    await shot(page, 'english-settings', true);
    expect(complaints).toEqual([]);
  });

  it('the merchant’s operator texts their own port: 888 joins a new phone, a sub-code lands in the log; a clerk without Send SMS only reads', async () => {
    // the owner's page speaks English after the test before
    await openFromMenu(page, 'SMS', 'SMS simulator', 'SMS simulator');
    const sim2 = page.getByTestId('simulator');
    expect(squash(await sim2.innerText())).toContain(`Merchant port ${port}`);
    await page.getByLabel('Phone number', { exact: true }).fill('13500135000');
    const say = async (body: string, reply?: string) => {
      await page.getByLabel('Message', { exact: true }).fill(body);
      await button(page, 'Send').click();
      const conv = page.getByTestId('conversation');
      await conv.getByTestId('sim-out').filter({ hasText: body }).last().waitFor();
      if (reply) await conv.getByTestId('sim-in').filter({ hasText: reply }).first().waitFor({ timeout: 15_000 });
    };
    await say('888', '【Merchant tea-three】欢迎加入Merchant tea-three会员！您的会员卡号：00000003');
    expect((await owner.get('/api/v1/members?phone=13500135000')).body.items.map((m: any) => m.cardNo)).toEqual(['00000003']);
    await page.getByLabel('Sub-code (optional)', { exact: true }).fill('4x2');
    expect(await page.getByLabel('Sub-code (optional)', { exact: true }).inputValue()).toBe('42');
    await say('see you at 8');
    await poll(async () => (await owner.get('/api/v1/messages?direction=in&phone=13500135000')).body.items.find((m: any) => m.text === 'see you at 8')?.to ?? null).toBe(`${port}42`);
    const msg = (await owner.get('/api/v1/messages?direction=in&phone=13500135000')).body.items.find((m: any) => m.text === 'see you at 8');
    expect(msg).toMatchObject({ to: `${port}42`, subCode: '42' });
    await shot(page, 'simulator-operator', true);

    // a clerk (sms.read, no sms.send) sees the replies but cannot text
    const roles = (await owner.get('/api/v1/roles')).body.items;
    const hq = (await owner.get('/api/v1/org/nodes')).body.items[0].id;
    expect((await owner.post('/api/v1/operators', { username: 'smsclerk', password: 'clerk-pass-2024', name: '短信店员', roleId: roles.find((r: any) => r.code === 'clerk').id, orgNodeId: hq })).status).toBe(201);
    const clerk = await newPage(browser, server.baseUrl);
    watch(clerk.page, complaints);
    try {
      const p = clerk.page;
      await login(p, 'tea-three', 'smsclerk', 'clerk-pass-2024');
      await p.goto('/sms/simulator');
      await p.getByText('模拟上行短信需要“发送短信”权限；这里可查看沙箱网关发给某个手机号的短信。').waitFor();
      expect(await p.getByLabel('子码（可选）', { exact: true }).count()).toBe(0);
      expect(await p.getByLabel('短信内容', { exact: true }).isDisabled()).toBe(true);
      expect(await button(p, '发送').isDisabled()).toBe(true);
      await shot(p, 'simulator-clerk');
    } finally {
      await clerk.context.close();
    }
    expect(complaints).toEqual([]);
  });
});
