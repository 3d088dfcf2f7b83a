/**
 * End to end over SMPP: the real app with the SMPP gateway bound to the Net::SMPP test SMSC.
 * A member texts 888 through the SMSC → the reply with the card number arrives at the SMSC;
 * delivery receipts move the message to delivered / failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmppGateway } from '../../src/messaging/gateways/smpp.js';
import { createTestDatabase } from '../support/test-db.js';
import { eventually, smsTenant, startApp, type SmsApp, type SmsTenant } from '../support/sms.js';
import { PerlSmsc, decodeSubmit, type SubmitEvent } from '../peers/smsc.js';

let smsc: PerlSmsc;
let app: SmsApp;
let shop: SmsTenant;
let dropDb: () => Promise<void>;

beforeAll(async () => {
  smsc = await PerlSmsc.start();
  const database = await createTestDatabase();
  dropDb = () => database.drop();
  const gateway = new SmppGateway({ host: '127.0.0.1', port: smsc.port, systemId: 'memberdesk', password: 'pw', window: 10, reconnectMinMs: 50 });
  app = await startApp(database, { smsGateway: gateway });
  shop = await smsTenant(app.baseUrl, 'smpp-shop', '41', 10_000);
});

afterAll(async () => {
  await app?.close();
  await dropDb?.();
  await smsc?.stop();
});

const submitTo = (phone: string, from: number) =>
  smsc.waitFor<SubmitEvent>((e) => e.ev === 'submit' && (e as SubmitEvent).dest === phone, 30_000, from);

describe('SMS over SMPP end to end', { timeout: 90_000 }, () => {
  it('888 texted through the SMSC creates the member; the reply with the card number reaches the SMSC and is delivered', async () => {
    const from = smsc.events.length;
    await smsc.command({ cmd: 'mo', from: '13812300011', to: `${shop.port}`, text: '888', coding: 'gsm' });
    const reply = await submitTo('13812300011', from);
    expect(reply.source).toBe(shop.port);
    expect(reply.data_coding).toBe(8);
    const members = await shop.api.get('/api/v1/members?phone=13812300011');
    expect(members.body.items).toHaveLength(1);
    const cardNo = members.body.items[0].cardNo as string;
    expect(decodeSubmit(reply).text).toBe(`【Merchant smpp-shop】欢迎加入Merchant smpp-shop会员！您的会员卡号：${cardNo}`);
    // the MO was acknowledged only after it was stored
    await smsc.waitFor((e) => e.ev === 'deliver_sm_resp' && e.status === 0, 5000, from);
    const out = await eventually(async () => {
      const r = await shop.api.get('/api/v1/messages?direction=out&phone=13812300011');
      return r.body.items[0]?.status === 'delivered' ? r.body.items[0] : null;
    }, 'the reply delivered', 30_000);
    expect(out).toMatchObject({ segments: 1, costFen: 5 });
    const inbound = await shop.api.get('/api/v1/messages?direction=in&phone=13812300011');
    expect(inbound.body.items[0]).toMatchObject({ text: '888', keyword: '888' });
  });

  it('a Chinese MO that is not a keyword lands in the inbox; a failed receipt marks the message failed', async () => {
    const from = smsc.events.length;
    await smsc.command({ cmd: 'mo', from: '13812300012', to: `${shop.port}`, text: '请问周末营业到几点？', coding: 'ucs2' });
    await smsc.waitFor((e) => e.ev === 'deliver_sm_resp' && e.status === 0, 5000, from);
    const thread = await eventually(async () => {
      const r = await shop.api.get('/api/v1/inbox');
      return r.body.items.find((t: { lastText: string }) => t.lastText === '请问周末营业到几点？') ?? null;
    }, 'the inbox thread', 30_000);
    await smsc.command({ cmd: 'config', fail: ['13812300012'] });
    const from2 = smsc.events.length;
    const answer = await shop.api.post(`/api/v1/inbox/${thread.id}/reply`, { text: '周末营业到晚上十点' });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    const sub = await submitTo('13812300012', from2);
    expect(decodeSubmit(sub).text).toBe('【Merchant smpp-shop】周末营业到晚上十点');
    await eventually(async () => {
      const r = await shop.api.get('/api/v1/messages?direction=out&phone=13812300012');
      return r.body.items[0]?.status === 'failed' ? r.body.items[0] : null;
    }, 'the reply failed', 30_000);
    await smsc.command({ cmd: 'config', fail: [] });
  });
});
