/**
 * The campaign pages of the web console in a real browser against the real server with the
 * campaign fan-out running (small batches with a pause between them, so progress is visible):
 * the owner creates an SMS campaign for a saved segment with a variable inserted by its button;
 * the draft's estimate equals what the API estimates for the same campaign and the preview
 * shows the sample member's text with characters and billed parts; sending without credit
 * shows the 409 plainly and changes nothing; after a top-up it is sent and the page follows
 * it to 已完成 with sent = recipients − suppressed; a second campaign is paused and resumed
 * from its page; settings (approval, frequency cap); English; a phone at 390x844.
 * Screenshots: artifacts/screenshots/campaigns-*.png. Needs `npm run build:console` first.
 */
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPage, screenshotter } from '../support/browser.js';
import { seedMembers, startCampaignApp } from '../support/campaigns.js';
import { button, choose, login, menuItem, openFromMenu, pageWidth, reportFailure, watch } from '../support/console.js';
import { client, createTenant, loginAdmin, type Client } from '../support/http.js';
import type { SmsApp } from '../support/sms.js';
import { createTestDatabase, type TestDatabase } from '../support/test-db.js';

let database: TestDatabase;
let dbOwner: pg.Client;
let app: SmsApp;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let owner: Client;
let admin: Client;
let segmentId = '';
let firstId = '';
const complaints: string[] = [];
const shot = screenshotter('campaigns');
const SLUG = 'camp-ui';
const TEMPLATE = '亲爱的{name}，本周会员日全场八折';

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
const poll = <T>(fn: () => T | Promise<T>, timeout = 20_000) => expect.poll(fn, { timeout, interval: 200 });
const statOf = async (key: string) => Number((await page.getByTestId(`stat-${key}`).locator('.ant-statistic-content').innerText()).replace(/[^\d]/g, ''));

beforeAll(async () => {
  database = await createTestDatabase();
  dbOwner = new pg.Client({ connectionString: database.url });
  await dbOwner.connect();
  // batches of 2 with 700 ms between them: a 9-recipient campaign takes a few seconds
  app = await startCampaignApp(database, { campaignFanout: { batchSize: 2, pauseBetweenBatchesMs: 700 }, smsDispatcher: { batchSize: 100 } });
  admin = client(app.baseUrl, await loginAdmin(app.baseUrl));
  const t = await createTenant(app.baseUrl, (await loginAdmin(app.baseUrl)), SLUG, '52');
  owner = t.api;
  // no quiet hours, so marketing goes out whatever the time of the test; no credit yet
  expect((await owner.put('/api/v1/sms/settings', { quietHours: { start: '00:00', end: '00:00' } })).status).toBe(200);
  // 10 members tagged promo, two of them opted out (suppressed); 2 others not in the segment
  await seedMembers(dbOwner, t.tenant.id, 10, { prefix: '520', tag: 'promo', name: (i) => `会员${i}`, optOut: (i) => i % 5 === 0 });
  await seedMembers(dbOwner, t.tenant.id, 2, { prefix: '521', tag: 'other' });
  const seg = await owner.post('/api/v1/segments', { name: '促销会员', filter: { all: [{ field: 'tag', op: 'eq', value: 'promo' }] } });
  expect(seg.status, JSON.stringify(seg.body)).toBe(201);
  segmentId = seg.body.id;

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
  await dbOwner?.end();
  await database?.drop();
});

describe('campaign pages', () => {
  it('creates a campaign for a saved segment; the estimate equals the API’s; no credit is a clear 409; after a top-up it completes', async () => {
    await openFromMenu(page, '营销', '营销活动', '营销活动');
    await page.getByText('还没有营销活动').waitFor();
    await button(page, '新建活动').click();
    await page.getByRole('heading', { name: '新建营销活动', exact: true }).waitFor();
    await page.getByLabel('活动名称', { exact: true }).fill('会员日促销');
    await choose(page, page, '客户细分', '促销会员');
    const area = page.getByLabel('内容模板', { exact: true });
    await area.fill('亲爱的');
    await button(page, '{name}').click();
    await area.press('End');
    await area.pressSequentially('，本周会员日全场八折');
    expect(await area.inputValue()).toBe(TEMPLATE);
    expect(squash(await page.getByTestId('template-chars').innerText())).toContain(`模板 ${[...TEMPLATE].length} 字`);
    // the live preview: the segment's sample member, as the API renders the unsaved campaign
    const live = await owner.post('/api/v1/campaigns/preview', { channel: 'sms', segmentId, template: TEMPLATE, marketing: true });
    expect(live.status, JSON.stringify(live.body)).toBe(200);
    const livePreview = page.getByTestId('live-preview');
    await poll(async () => squash(await livePreview.innerText())).toContain(squash(live.body.text));
    expect(squash(await livePreview.getByTestId('preview-characters').innerText())).toBe(`${live.body.characters} 字`);
    expect(squash(await livePreview.getByTestId('preview-segments').innerText())).toBe(`${live.body.segments} 条计费`);
    // an unknown variable is named while typing
    await area.pressSequentially('{nmae}');
    await poll(async () => squash(await livePreview.innerText())).toContain('nmae');
    for (let i = 0; i < 6; i++) await area.press('Backspace');
    await poll(async () => squash(await livePreview.innerText())).toContain(squash(live.body.text));
    await shot(page, 'create-form', true);
    await button(page, '创建并预估').click();
    await page.getByRole('heading', { name: /会员日促销/ }).waitFor();
    await page.getByText('活动“会员日促销”已创建').waitFor();
    firstId = page.url().split('/').pop()!;

    // the same campaign estimated by the API (a second draft) gives the same figures
    const twin = await owner.post('/api/v1/campaigns', { name: 'API twin', channel: 'sms', segmentId, template: TEMPLATE, marketing: true });
    expect(twin.status, JSON.stringify(twin.body)).toBe(201);
    const est = twin.body.estimate as { recipients: number; suppressed: number; segments: number; costFen: number };
    expect(est).toMatchObject({ recipients: 10, suppressed: 2 });
    const estimate = page.getByTestId('campaign-estimate');
    await poll(async () => squash(await estimate.innerText())).toContain('当前短信余额');
    const text = squash(await estimate.innerText());
    expect(text).toContain(`收件人 ${est.recipients}`);
    expect(text).toContain(`不发送（退订、频次、无邮箱） ${est.suppressed}`);
    expect(text).toContain(`计费条数 ${est.segments}`);
    const price = (await owner.get('/api/v1/tenant')).body.smsPriceFen as number;
    expect(est.costFen).toBe(est.segments * price);
    expect(text).toContain(`预计费用 ¥${(est.costFen / 100).toFixed(2)}`);
    expect(text).toContain('当前短信余额 ¥0.00');
    expect(text).toContain(`发送后余额 -¥${(est.costFen / 100).toFixed(2)}`);
    // the preview: the sample member's text, its characters and billed parts as the API says
    const api = (await owner.post(`/api/v1/campaigns/${firstId}/preview`, {})).body;
    const preview = page.getByTestId('campaign-preview');
    await poll(async () => squash(await preview.innerText())).toContain(`${api.characters} 字`);
    expect(squash(await page.getByTestId('preview-text').innerText())).toBe(squash(api.text));
    expect(api.text).toMatch(/亲爱的会员\d，本周会员日全场八折/);
    expect(squash(await page.getByTestId('preview-segments').innerText())).toBe(`${api.segments} 条计费`);
    await shot(page, 'draft', true);

    // no credit: 409 shown in words, nothing changes
    await button(page, '发送').click();
    await page.getByText('确定发送“会员日促销”吗？').waitFor();
    await button(page.locator('.ant-popover'), '发送').click();
    const alert = page.getByTestId('campaign-error');
    await alert.waitFor();
    expect(squash(await alert.innerText())).toContain(`短信余额不足：本次预计费用 ¥${(est.costFen / 100).toFixed(2)}，当前余额 ¥0.00`);
    expect((await owner.get(`/api/v1/campaigns/${firstId}`)).body.status).toBe('draft');
    await shot(page, 'no-credit');

    // top up, send, watch it run to the end
    expect((await admin.post(`/api/v1/platform/tenants/${SLUG}/sms-credit`, { amountFen: 100_000 })).status).toBe(200);
    await page.reload();
    await poll(async () => squash(await page.getByTestId('campaign-estimate').innerText())).toContain('当前短信余额 ¥1,000.00');
    await button(page, '发送').click();
    await button(page.locator('.ant-popover'), '发送').click();
    await page.getByText('已开始发送').waitFor();
    const bar = page.getByTestId('campaign-stats');
    await bar.waitFor();
    await poll(async () => squash(await page.getByTestId('campaign-status').first().innerText()), 5_000).toMatch(/发送中|已完成/);
    await shot(page, 'sending');
    await poll(async () => squash(await page.getByTestId('campaign-status').first().innerText()), 30_000).toBe('已完成');
    await poll(async () => statOf('queued')).toBe(0);
    const sent = est.recipients - est.suppressed;
    expect(await statOf('sent')).toBe(sent);
    expect(await statOf('recipients')).toBe(est.recipients);
    expect(await statOf('suppressed')).toBe(est.suppressed);
    expect(squash(await page.getByTestId('campaign-sent-of').innerText())).toBe(`已发 ${sent} / ${est.recipients}`);
    expect(squash(await page.getByTestId('suppressed-by').innerText())).toContain('已退订 2');
    const stats = (await owner.get(`/api/v1/campaigns/${firstId}`)).body.stats;
    expect(stats).toMatchObject({ sent, suppressed: est.suppressed, recipients: est.recipients });
    // results: the messaged group is the 8 who got it (read again once the campaign is done)
    const results = page.getByTestId('campaign-results');
    await poll(async () => squash(await results.getByRole('row').filter({ hasText: '已发送会员' }).innerText())).toMatch(/^已发送会员 8 0 0 ¥0\.00 0\.0% ¥0\.00$/);
    expect((await owner.get(`/api/v1/campaigns/${firstId}/results`)).body.recipients.members).toBe(8);
    expect(squash(await page.getByTestId('campaign-lift').innerText())).toBe('没有对照组，无法计算提升');
    await shot(page, 'done', true);

    // the list: status and live figures
    await openFromMenu(page, '营销', '营销活动', '营销活动');
    const row = page.getByRole('row').filter({ hasText: '会员日促销' });
    await poll(async () => squash(await row.innerText())).toContain(`已发 ${sent} / ${est.recipients}`);
    expect(squash(await row.innerText())).toContain('已完成');
    expect(squash(await page.getByRole('row').filter({ hasText: 'API twin' }).innerText())).toContain('草稿');
    expect(complaints).toEqual([]);
  });

  it('pauses and resumes a sending campaign from its page', async () => {
    // settings first: a cap of 1 would suppress everyone who got the first campaign
    await openFromMenu(page, '营销', '营销活动', '营销活动');
    await button(page, '活动设置').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('频次上限：每位会员最多收到（条，0 = 不限）', { exact: true }).fill('10');
    await dialog.getByLabel('统计天数', { exact: true }).fill('7');
    await button(dialog, '保存').click();
    await page.getByText('活动设置已保存').waitFor();
    expect((await owner.get('/api/v1/campaigns/settings')).body).toEqual({ needsApproval: false, frequencyCap: { messages: 10, days: 7 } });

    const c = await owner.post('/api/v1/campaigns', { name: '周末提醒', channel: 'sms', segmentId, template: '{name}，周末见', marketing: true, holdoutPct: 20 });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    await page.goto(`/marketing/campaigns/${c.body.id}`);
    await page.getByTestId('campaign-estimate').getByText('对照组在发送时抽取，实际发送人数会少于预估').waitFor();
    await button(page, '发送').click();
    await button(page.locator('.ant-popover'), '发送').click();
    // the first batch went out (the snapshot, hold-out drawn, is taken): pause in the gap
    await poll(async () => statOf('sent'), 10_000).toBeGreaterThan(0);
    await button(page, '暂停').click();
    await poll(async () => squash(await page.getByTestId('campaign-status').first().innerText())).toBe('已暂停');
    const paused = (await owner.get(`/api/v1/campaigns/${c.body.id}`)).body;
    expect(paused.status).toBe('paused');
    // 20 % of 10 held out; the pause stopped it before the end
    expect(paused.stats.holdout).toBe(2);
    expect(paused.stats.sent).toBeLessThan(paused.stats.recipients - paused.stats.suppressed);
    await shot(page, 'paused');
    await button(page, '继续发送').click();
    await poll(async () => squash(await page.getByTestId('campaign-status').first().innerText()), 30_000).toBe('已完成');
    await poll(async () => statOf('queued')).toBe(0);
    const done = (await owner.get(`/api/v1/campaigns/${c.body.id}`)).body.stats;
    expect(done.holdout).toBe(2);
    expect(done.sent).toBe(done.recipients - done.suppressed);
    expect(await statOf('sent')).toBe(done.sent);
    expect(await statOf('holdout')).toBe(2);
    // the results compare the 8 messaged-or-suppressed recipients with the 2 held out
    await poll(async () => squash(await page.getByTestId('campaign-results').innerText())).toContain('对照组');
    expect(squash(await page.getByTestId('campaign-lift').innerText())).toMatch(/^提升：人均消费/);
    expect(complaints).toEqual([]);
  });

  it('at 390x844 the list reads as cards and the campaign page has no sideways scroll', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/marketing/campaigns');
    const card = page.getByTestId('campaign-card').filter({ hasText: '会员日促销' });
    await poll(async () => squash(await card.innerText())).toContain('已发 8 / 10');
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-list', true);
    await card.click();
    await page.getByTestId('campaign-stats').waitFor();
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-campaign', true);
    await page.goto('/marketing/campaigns/new');
    await page.getByRole('heading', { name: '新建营销活动', exact: true }).waitFor();
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    const create = await button(page, '创建并预估').boundingBox();
    expect(create!.x + create!.width).toBeLessThanOrEqual(390);
    await shot(page, 'phone-create', true);
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(complaints).toEqual([]);
  });

  it('in English the campaign pages speak English', async () => {
    await page.goto('/marketing/campaigns');
    await button(page, '语言').click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Campaigns', exact: true }).waitFor();
    expect(await menuItem(page, 'Campaigns').count()).toBe(1);
    const row = page.getByRole('row').filter({ hasText: '会员日促销' });
    await poll(async () => squash(await row.innerText())).toContain('8 of 10 sent');
    expect(squash(await row.innerText())).toContain('Completed');
    await row.getByText('会员日促销').click();
    await page.getByTestId('campaign-stats').waitFor();
    expect(squash(await page.getByTestId('campaign-stats').innerText())).toContain('Opted out 2');
    await page.getByTestId('campaign-results').getByText('Results against the hold-out').waitFor();
    await page.goto('/marketing/campaigns/new');
    await page.getByRole('heading', { name: 'New campaign', exact: true }).waitFor();
    await button(page, 'Create and estimate').click();
    expect(await page.locator('.ant-form-item-explain-error').count()).toBeGreaterThan(0);
    await shot(page, 'english-create', true);
    // back to Chinese for whoever runs next in this context
    await button(page, 'Language').click();
    await page.getByRole('menuitem', { name: '简体中文' }).click();
    expect(complaints).toEqual([]);
  });
});
