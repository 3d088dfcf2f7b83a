/**
 * The SMS lottery and automated care pages of the web console in a real browser against the
 * real server. Lottery: the owner creates one (two answers, two prizes, reply templates),
 * entries arrive as SMS through the sandbox (`POST /sms/sandbox/inbound`: valid, wrong answer,
 * a repeat), the draw is refused while the window is open, the window is closed by editing it,
 * the draw shows its seed and entries hash (equal to the API's) and verifies, winners are
 * listed and one is marked collected. Care: the five rules as cards; the birthday rule is
 * switched on and run now, its send shows in the log; switched off again. English; a phone.
 * Screenshots: artifacts/screenshots/lottery-care-*.png. Needs `npm run build:console` first.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPage, screenshotter } from '../support/browser.js';
import { startCampaignApp } from '../support/campaigns.js';
import { button, login, menuItem, openFromMenu, pageWidth, reportFailure, watch } from '../support/console.js';
import { client, createTenant, loginAdmin, type Client } from '../support/http.js';
import { eventually, type SmsApp } from '../support/sms.js';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';

let database: TestDatabase;
let app: SmsApp;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let owner: Client;
let lotteryId = '';
const complaints: string[] = [];
const shot = screenshotter('lottery-care');
const SLUG = 'lot-ui';
const TZ = 'Asia/Shanghai';

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
const poll = <T>(fn: () => T | Promise<T>, timeout = 15_000) => expect.poll(fn, { timeout, interval: 200 });
/** `YYYY-MM-DDTHH:mm` in the merchant's timezone, `minutes` from now. */
function local(minutes: number): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(Date.now() + minutes * 60_000))
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}
const sms = async (from: string, text: string) => {
  const r = await owner.post('/api/v1/sms/sandbox/inbound', { from, text });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
};

beforeAll(async () => {
  database = await createTestDatabase();
  app = await startCampaignApp(database, { smsDispatcher: { batchSize: 100 } });
  const adminToken = await loginAdmin(app.baseUrl);
  const t = await createTenant(app.baseUrl, adminToken, SLUG, '53');
  owner = t.api;
  expect((await client(app.baseUrl, adminToken).post(`/api/v1/platform/tenants/${SLUG}/sms-credit`, { amountFen: 100_000 })).status).toBe(200);
  expect((await owner.put('/api/v1/sms/settings', { quietHours: { start: '00:00', end: '00:00' } })).status).toBe(200);
  // a member whose birthday is today in the merchant's timezone, one whose birthday is not
  const today = local(0).slice(5, 10);
  const other = today.startsWith('01') ? '02-10' : '01-10';
  expect((await owner.post('/api/v1/members', { phone: '13953000001', name: '寿星', birthday: `1990-${today}` })).status).toBe(201);
  expect((await owner.post('/api/v1/members', { phone: '13953000002', name: '路人', birthday: `1991-${other}` })).status).toBe(201);

  browser = await launchBrowser();
  ({ context, page } = await newPage(browser, app.baseUrl));
  watch(page, complaints);
  await login(page, SLUG, 'owner', 'owner-password-1');
}, 60_000);

afterEach(async (ctx) => {
  await reportFailure(ctx, page, shot);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await app?.close();
  await database?.drop();
});

describe('SMS lottery', () => {
  it('creates a lottery; SMS entries arrive; the draw waits for the window, then shows its audit data and verifies; a prize is collected', async () => {
    await openFromMenu(page, '营销', '短信抽奖', '短信抽奖');
    await page.getByText('还没有短信抽奖').waitFor();
    await button(page, '新建抽奖').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('名称', { exact: true }).fill('周年庆抽奖');
    const answers = dialog.getByLabel('答案', { exact: true });
    await answers.fill('红色');
    await answers.press('Enter');
    await answers.fill('red');
    await answers.press('Enter');
    await dialog.getByLabel('开始时间', { exact: true }).fill(local(-60));
    await dialog.getByLabel('奖品名称 1', { exact: true }).fill('一等奖');
    await button(dialog, '添加奖品').click();
    await dialog.getByLabel('奖品名称 2', { exact: true }).fill('二等奖');
    await dialog.getByLabel('数量 2', { exact: true }).fill('2');
    // the reply templates come filled in; the winner's names the prize
    expect(await dialog.getByLabel('中奖通知', { exact: true }).inputValue()).toContain('{prize}');
    await shot(page, 'lottery-form', true);
    await button(dialog, '保存').click();
    await page.getByRole('heading', { name: /周年庆抽奖/ }).waitFor();
    lotteryId = page.url().split('/').pop()!;
    const api = (await owner.get(`/api/v1/lotteries/${lotteryId}`)).body;
    expect(api).toMatchObject({ name: '周年庆抽奖', answers: ['红色', 'red'], entriesPerPhone: 1, membersOnly: false, prizes: [{ name: '一等奖', count: 1 }, { name: '二等奖', count: 2 }], status: 'open' });
    expect(squash(await page.getByTestId('lottery-status').innerText())).toBe('进行中');

    // entries by SMS: four valid (one in full-width capitals), a wrong answer, a repeat
    await sms('13911110001', 'cj#红色');
    await sms('13911110002', 'cj#ＲＥＤ');
    await sms('13911110003', 'cj#red');
    await sms('13911110004', 'cj#红 色');
    await sms('13911110005', 'cj#蓝色');
    await sms('13911110001', 'cj#red');
    await eventually(async () => (await owner.get(`/api/v1/lotteries/${lotteryId}`)).body.attempts === 6, 'six attempts', 15_000);
    await page.reload();
    await poll(async () => squash(await page.getByTestId('lottery-entry-count').innerText())).toBe('4');
    const entries = page.getByTestId('lottery-entries');
    await poll(async () => (await entries.getByRole('row').count()) - 1).toBe(6);
    expect(squash(await entries.innerText())).toContain('答案错误');
    expect(squash(await entries.innerText())).toContain('重复参与');

    // the window is still open: the draw says so and nothing is drawn
    await button(page, '开奖').click();
    await button(page.locator('.ant-popover'), '开奖').click();
    await page.getByTestId('lottery-error').getByText('参与时间还没结束，结束后才能开奖').waitFor();
    expect((await owner.get(`/api/v1/lotteries/${lotteryId}/draw`)).status).toBe(404);

    // close the window by editing its end
    await button(page, '编辑').click();
    const edit = page.getByRole('dialog');
    expect(await edit.getByLabel('名称', { exact: true }).inputValue()).toBe('周年庆抽奖');
    await edit.getByLabel('结束时间', { exact: true }).fill(local(-1));
    await button(edit, '保存').click();
    await poll(async () => squash(await page.getByTestId('lottery-status').innerText())).toBe('已结束');

    await button(page, '开奖').click();
    await page.getByText('从 4 个有效参与中随机抽出中奖者并发送中奖短信；只能开奖一次').waitFor();
    await button(page.locator('.ant-popover'), '开奖').click();
    await page.getByText('已开奖，3 位中奖者已收到短信').waitFor();
    const draw = (await owner.get(`/api/v1/lotteries/${lotteryId}/draw`)).body;
    expect(draw.seed).toMatch(/^[0-9a-f]{64}$/);
    await poll(async () => squash(await page.getByTestId('draw-seed').innerText())).toBe(draw.seed);
    expect(squash(await page.getByTestId('draw-hash').innerText())).toBe(draw.entriesHash);
    expect(squash(await page.getByTestId('lottery-draw').innerText())).toContain(draw.algorithm);
    await button(page, '验证开奖').click();
    await page.getByTestId('draw-verify').getByText('验证通过：用保存的种子和参与记录重新计算，中奖者一致').waitFor();
    expect(await button(page, '开奖').count()).toBe(0);
    await shot(page, 'lottery-drawn', true);

    // winners: three, in rank order, the prizes in list order; one collects
    await page.getByRole('tab', { name: '中奖名单' }).click();
    const winners = page.getByTestId('lottery-winners');
    await poll(async () => (await winners.getByRole('row').count()) - 1).toBe(3);
    const rows = (await winners.getByRole('row').allInnerTexts()).slice(1).map(squash);
    expect(rows.map((r) => r.split(' ')[0])).toEqual(['1', '2', '3']);
    expect(rows[0]).toContain('一等奖');
    expect(rows[1]).toContain('二等奖');
    expect(rows[2]).toContain('二等奖');
    await button(winners.getByRole('row').nth(1), '领奖').click();
    await button(page.locator('.ant-popover'), '确定').click();
    await poll(async () => squash(await winners.getByRole('row').nth(1).innerText())).toContain('已领奖');
    const apiWinners = (await owner.get(`/api/v1/lotteries/${lotteryId}/winners`)).body.items;
    expect(apiWinners.filter((w: { collectedAt: string | null }) => w.collectedAt !== null).map((w: { rank: number }) => w.rank)).toEqual([1]);
    // each winner got the winner template (with its prize) by SMS
    for (const w of apiWinners as { phone: string; prize: string }[]) {
      const out = await eventually(async () => (await owner.get(`/api/v1/messages?direction=out&phone=${w.phone}`)).body.items.find((m: { text: string }) => m.text.includes('恭喜')), `winner SMS to ${w.phone}`);
      expect(out.text).toContain(w.prize);
    }
    await shot(page, 'lottery-winners', true);
    expect(complaints).toEqual([]);
  });
});

describe('automated care', () => {
  it('shows the five rules; the birthday rule switched on and run now greets today’s birthday; switched off again', async () => {
    await openFromMenu(page, '营销', '客户关怀', '客户关怀');
    for (const k of ['生日祝福', '沉睡会员提醒', '升级祝贺', '积分变动通知', '积分到期提醒']) await page.getByRole('region', { name: k }).waitFor();
    await page.getByText('还没有发送记录').waitFor();
    const card = page.getByRole('region', { name: '生日祝福' });
    expect(squash(await card.innerText())).toContain('已关闭');
    await card.getByRole('switch', { name: '生日祝福 开启' }).click();
    const template = card.getByLabel('内容模板', { exact: true });
    await template.fill('生日快乐，');
    await button(card, '{name}').click();
    expect(await template.inputValue()).toBe('生日快乐，{name}');
    await card.getByLabel('提前天数', { exact: true }).fill('0');
    await button(card, '保存').click();
    await page.getByText('“生日祝福”已保存').waitFor();
    await poll(async () => squash(await card.innerText())).toContain('已开启');
    const rule = (await owner.get('/api/v1/care/rules')).body.items.find((r: { kind: string }) => r.kind === 'birthday');
    expect(rule).toMatchObject({ enabled: true, channel: 'sms', template: '生日快乐，{name}', days: 0 });

    await button(page, '立即执行').click();
    await button(page.locator('.ant-popover'), '立即执行').click();
    await page.getByText('已执行：发送 1 条').waitFor();
    const sends = page.getByTestId('care-sends');
    await poll(async () => squash(await sends.innerText())).toContain('寿星');
    expect(squash(await sends.innerText())).not.toContain('路人');
    expect((await owner.get('/api/v1/care/sends')).body.items.map((s: { memberName: string }) => s.memberName)).toEqual(['寿星']);
    // a second run greets nobody again
    await button(page, '立即执行').click();
    await button(page.locator('.ant-popover'), '立即执行').click();
    await page.getByText('已执行：发送 0 条').waitFor();
    await shot(page, 'care', true);

    await card.getByRole('switch', { name: '生日祝福 开启' }).click();
    await button(card, '保存').click();
    await poll(async () => squash(await card.innerText())).toContain('已关闭');
    expect((await owner.get('/api/v1/care/rules')).body.items.find((r: { kind: string }) => r.kind === 'birthday').enabled).toBe(false);
    expect(complaints).toEqual([]);
  });
});

describe('phone and English', () => {
  it('at 390x844 the lottery and care pages have no sideways scroll', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/marketing/lotteries');
    await page.getByTestId('lottery-card').filter({ hasText: '周年庆抽奖' }).click();
    await page.getByTestId('lottery-summary').waitFor();
    await page.getByTestId('entry-card').first().waitFor();
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-lottery', true);
    await page.goto('/marketing/care');
    await page.getByRole('region', { name: '生日祝福' }).waitFor();
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-care', true);
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(complaints).toEqual([]);
  });

  it('in English the lottery and care pages speak English', async () => {
    await page.goto('/marketing/lotteries');
    await button(page, '语言').click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'SMS lottery', exact: true }).waitFor();
    expect(await menuItem(page, 'Automated care').count()).toBe(1);
    const row = page.getByRole('row').filter({ hasText: '周年庆抽奖' });
    expect(squash(await row.innerText())).toContain('Drawn');
    expect(squash(await row.innerText())).toContain('一等奖 × 1');
    await openFromMenu(page, 'Marketing', 'Automated care', 'Automated care');
    await page.getByRole('region', { name: 'Birthday greeting' }).waitFor();
    expect(squash(await page.getByTestId('care-sends').innerText())).toContain('Birthday greeting');
    await shot(page, 'english-care', true);
    await button(page, 'Language').click();
    await page.getByRole('menuitem', { name: '简体中文' }).click();
    expect(complaints).toEqual([]);
  });
});
