/**
 * Cancelling and deleting campaigns in the web console, in a real browser against the real
 * server: a scheduled campaign is cancelled from its page after a confirmation that says unsent
 * messages will not go out and are refunded, and shows 已取消; a paused campaign whose messages
 * wait for the end of quiet hours is cancelled and its figures show the cancelled recipients and
 * withdrawn messages, the whole cost back on the credit; a draft is deleted and is gone from the
 * list; a phone at 390x844; English once.
 * Screenshots: artifacts/screenshots/campaigns-cancel-*.png. Needs `npm run build:console` first.
 */
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPage, screenshotter } from '../support/browser.js';
import { seedMembers, startCampaignApp } from '../support/campaigns.js';
import { button, login, pageWidth, reportFailure, watch } from '../support/console.js';
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
let tenantId = '';
const complaints: string[] = [];
const shot = screenshotter('campaigns-cancel');
const SLUG = 'cancel-ui';
const TAG = { all: [{ field: 'tag', op: 'eq', value: 'promo' }] };

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
const poll = <T>(fn: () => T | Promise<T>, timeout = 20_000) => expect.poll(fn, { timeout, interval: 200 });
const statOf = async (key: string) => Number((await page.getByTestId(`stat-${key}`).locator('.ant-statistic-content').innerText()).replace(/[^\d]/g, ''));
const status = async () => squash(await page.getByTestId('campaign-status').first().innerText());
const credit = async () => Number((await dbOwner.query(`SELECT credit_fen FROM tenants WHERE id = $1`, [tenantId])).rows[0].credit_fen);
const later = () => new Date(Date.now() + 3_600_000).toISOString();

beforeAll(async () => {
  database = await createTestDatabase();
  dbOwner = new pg.Client({ connectionString: database.url });
  await dbOwner.connect();
  // batches of 2 with 2 s between them: a campaign can be paused after its first batch
  app = await startCampaignApp(database, { campaignFanout: { batchSize: 2, pauseBetweenBatchesMs: 2_000 } });
  const token = await loginAdmin(app.baseUrl);
  const t = await createTenant(app.baseUrl, token, SLUG, '53');
  owner = t.api;
  tenantId = t.tenant.id;
  expect((await client(app.baseUrl, token).post(`/api/v1/platform/tenants/${SLUG}/sms-credit`, { amountFen: 10_000 })).status).toBe(200);
  // quiet hours around now: marketing SMS wait in the outbox (queued, not claimed)
  const hh = (h: number) => `${String(((h % 24) + 24) % 24).padStart(2, '0')}:00`;
  const local = new Date().getUTCHours() + 8; // Asia/Shanghai
  expect((await owner.put('/api/v1/sms/settings', { quietHours: { start: hh(local - 1), end: hh(local + 2) } })).status).toBe(200);
  await seedMembers(dbOwner, tenantId, 10, { prefix: '530', tag: 'promo', name: (i) => `会员${i}` });

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

describe('cancel and delete in the console', () => {
  let scheduledId = '';

  it('cancels a scheduled campaign from its page after a clear confirmation', async () => {
    const c = await owner.post('/api/v1/campaigns', { name: '下周预告', channel: 'sms', filter: TAG, template: '{name}，下周见', marketing: true, scheduleAt: later() });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    scheduledId = c.body.id;
    expect((await owner.post(`/api/v1/campaigns/${scheduledId}/send`)).body.status).toBe('scheduled');
    await page.goto(`/marketing/campaigns/${scheduledId}`);
    await poll(status).toBe('已排期');
    await button(page, '取消活动').click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('.ant-modal-confirm-title').getByText('确定取消活动“下周预告”吗？').waitFor();
    expect(squash(await dialog.innerText())).toContain('尚未发出的消息将不再发送，其费用退回短信余额');
    await shot(page, 'confirm');
    // keeping it changes nothing
    await button(dialog, '不取消').click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await owner.get(`/api/v1/campaigns/${scheduledId}`)).body.status).toBe('scheduled');
    await button(page, '取消活动').click();
    await button(page.getByRole('dialog'), '取消活动').click();
    await page.getByText('活动已取消').waitFor();
    await poll(status).toBe('已取消');
    expect(await statOf('cancelled')).toBe(0);
    expect(await button(page, '取消活动').count()).toBe(0);
    expect(await button(page, '继续发送').count()).toBe(0);
    expect((await owner.get(`/api/v1/campaigns/${scheduledId}`)).body.status).toBe('cancelled');
    expect(complaints).toEqual([]);
  });

  it('cancels a paused campaign: the figures show the cancelled recipients and withdrawn messages, the cost is refunded', async () => {
    const before = await credit();
    const c = await owner.post('/api/v1/campaigns', { name: '夜间促销', channel: 'sms', filter: TAG, template: '{name}，夜间特惠', marketing: true });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    const id = c.body.id as string;
    expect((await owner.post(`/api/v1/campaigns/${id}/send`)).status).toBe(202);
    // the first batch is queued (held for quiet hours): pause in the gap before the next
    await poll(async () => (await owner.get(`/api/v1/campaigns/${id}`)).body.stats.heldForQuietHours, 15_000).toBeGreaterThan(0);
    expect((await owner.post(`/api/v1/campaigns/${id}/pause`)).status).toBe(200);
    const paused = (await owner.get(`/api/v1/campaigns/${id}`)).body;
    const held = paused.stats.heldForQuietHours as number;
    expect(held).toBeLessThan(10);
    expect(await credit()).toBeLessThan(before);
    await page.goto(`/marketing/campaigns/${id}`);
    await poll(status).toBe('已暂停');
    await button(page, '取消活动').click();
    await button(page.getByRole('dialog'), '取消活动').click();
    await poll(status).toBe('已取消');
    await poll(async () => statOf('cancelled')).toBe(10);
    expect(await statOf('cancelledMessages')).toBe(held);
    expect(await statOf('queued')).toBe(0);
    expect(await statOf('sent')).toBe(0);
    expect(await statOf('failed')).toBe(0);
    expect((await owner.get(`/api/v1/campaigns/${id}`)).body.stats).toMatchObject({ recipients: 10, queued: 0, cancelled: 10, cancelledMessages: held });
    expect(await credit()).toBe(before);
    await shot(page, 'cancelled', true);
    // the list shows it cancelled too
    await page.goto('/marketing/campaigns');
    await poll(async () => squash(await page.getByRole('row').filter({ hasText: '夜间促销' }).innerText())).toContain('已取消');
    expect(complaints).toEqual([]);
  });

  it('deletes a draft after a confirmation; it is gone from the list', async () => {
    const d = await owner.post('/api/v1/campaigns', { name: '不要的草稿', channel: 'sms', filter: TAG, template: 'x', marketing: true });
    expect(d.status).toBe(201);
    await page.goto(`/marketing/campaigns/${d.body.id}`);
    await poll(status).toBe('草稿');
    await button(page, '删除').click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('.ant-modal-confirm-title').getByText('删除草稿“不要的草稿”吗？').waitFor();
    await button(dialog, '删除').click();
    await page.getByText('草稿“不要的草稿”已删除').waitFor();
    await page.getByRole('heading', { name: '营销活动', exact: true }).waitFor();
    await page.getByRole('row').filter({ hasText: '夜间促销' }).waitFor();
    expect(await page.getByRole('row').filter({ hasText: '不要的草稿' }).count()).toBe(0);
    expect((await owner.get(`/api/v1/campaigns/${d.body.id}`)).status).toBe(404);
    expect(complaints).toEqual([]);
  });

  it('at 390x844 the cancel button fits and the cancelled page has no sideways scroll', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const c = await owner.post('/api/v1/campaigns', { name: '手机排期', channel: 'sms', filter: TAG, template: 'y', marketing: true, scheduleAt: later() });
    expect((await owner.post(`/api/v1/campaigns/${c.body.id}/send`)).status).toBe(202);
    await page.goto(`/marketing/campaigns/${c.body.id}`);
    await poll(status).toBe('已排期');
    const box = await button(page, '取消活动').boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    await button(page, '取消活动').click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('.ant-modal-confirm-title').waitFor();
    const dbox = await dialog.boundingBox();
    expect(dbox!.x + dbox!.width).toBeLessThanOrEqual(390);
    await shot(page, 'phone-confirm');
    await button(dialog, '取消活动').click();
    await poll(status).toBe('已取消');
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    await shot(page, 'phone-cancelled', true);
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(complaints).toEqual([]);
  });

  it('in English: Cancelled, Cancel campaign and Delete', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto('/marketing/campaigns');
    await button(page, '语言').click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Campaigns', exact: true }).waitFor();
    await poll(async () => squash(await page.getByRole('row').filter({ hasText: '下周预告' }).innerText())).toContain('Cancelled');
    const c = await owner.post('/api/v1/campaigns', { name: 'English draft', channel: 'sms', filter: TAG, template: 'z', marketing: true, scheduleAt: later() });
    await page.goto(`/marketing/campaigns/${c.body.id}`);
    await poll(status).toBe('Draft');
    await button(page, 'Delete').click();
    await page.getByRole('dialog').locator('.ant-modal-confirm-title').getByText('Delete the draft “English draft”?').waitFor();
    await button(page.getByRole('dialog'), 'Cancel').click();
    expect((await owner.post(`/api/v1/campaigns/${c.body.id}/send`)).status).toBe(202);
    await page.reload();
    await poll(status).toBe('Scheduled');
    await button(page, 'Cancel campaign').click();
    const dialog = page.getByRole('dialog');
    expect(squash(await dialog.innerText())).toContain('Messages not sent yet will not go out, and their cost is refunded');
    await button(dialog, 'Cancel campaign').click();
    await page.getByText('Campaign cancelled').waitFor();
    await poll(status).toBe('Cancelled');
    expect(squash(await page.getByTestId('campaign-stats').innerText())).toContain('Cancelled (not sent)');
    await shot(page, 'english');
    await button(page, 'Language').click();
    await page.getByRole('menuitem', { name: '简体中文' }).click();
    expect(complaints).toEqual([]);
  });
});
