/**
 * End to end over Kannel: the real app with the Kannel gateway, Kannel's sms-service get-url and
 * dlr-url pointing at the app's callback routes. A member texts 888 through fakesmsc → the reply
 * with the card number reaches fakesmsc; Kannel's delivery reports move the message to delivered.
 *
 * The app listens on a port it picks, but Kannel's URLs are fixed before it starts: a small TCP
 * forwarder on a known port stands in front of the app.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KannelGateway, kannelMoGetUrl } from '../../src/messaging/gateways/kannel.js';
import { createTestDatabase } from '../support/test-db.js';
import { eventually, smsTenant, startApp, type SmsApp, type SmsTenant } from '../support/sms.js';
import { KannelHarness, freePort } from '../peers/kannel.js';

const SECRET = 'e2e-kannel-secret-0123456789';
let kannel: KannelHarness;
let app: SmsApp;
let shop: SmsTenant;
let forwarder: net.Server;
let dropDb: () => Promise<void>;

function forward(port: number, target: () => number): Promise<net.Server> {
  const srv = net.createServer((c) => {
    const up = net.connect(target(), '127.0.0.1');
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  return new Promise((resolve) => srv.listen(port, '127.0.0.1', () => resolve(srv)));
}

beforeAll(async () => {
  const publicPort = await freePort();
  const publicUrl = `http://127.0.0.1:${publicPort}`;
  let appPort = 0;
  forwarder = await forward(publicPort, () => appPort);
  kannel = await KannelHarness.start({ moGetUrl: kannelMoGetUrl(publicUrl, SECRET) });
  const gateway = new KannelGateway({ sendsmsUrl: kannel.sendsmsUrl, username: kannel.username, password: kannel.password, callbackSecret: SECRET, publicUrl });
  const database = await createTestDatabase();
  dropDb = () => database.drop();
  app = await startApp(database, { smsGateway: gateway });
  appPort = Number(new URL(app.baseUrl).port);
  shop = await smsTenant(app.baseUrl, 'kannel-shop', '42', 10_000);
}, 90_000);

afterAll(async () => {
  await app?.close();
  await dropDb?.();
  await kannel?.stop();
  forwarder?.close();
});

describe('SMS over Kannel end to end', { timeout: 90_000 }, () => {
  it('888 texted through fakesmsc creates the member; the reply with the card number reaches fakesmsc and is delivered', async () => {
    const before = kannel.received.length;
    await kannel.injectMo('13812300021', `${shop.port}7`, '888'); // with a sub-code after the port
    const reply = await eventually(async () => kannel.received.slice(before).find((m) => m.to === '13812300021') ?? null, 'the reply at fakesmsc', 30_000);
    expect(reply.from).toBe(shop.port);
    const members = await shop.api.get('/api/v1/members?phone=13812300021');
    expect(members.body.items).toHaveLength(1);
    const cardNo = members.body.items[0].cardNo as string;
    expect(reply.text).toBe(`【Merchant kannel-shop】欢迎加入Merchant kannel-shop会员！您的会员卡号：${cardNo}`);
    const out = await eventually(async () => {
      const r = await shop.api.get('/api/v1/messages?direction=out&phone=13812300021');
      return r.body.items[0]?.status === 'delivered' ? r.body.items[0] : null;
    }, 'the reply delivered', 30_000);
    expect(out).toMatchObject({ segments: 1, costFen: 5 });
    const inbound = await shop.api.get('/api/v1/messages?direction=in&phone=13812300021');
    expect(inbound.body.items[0]).toMatchObject({ text: '888', keyword: '888' });
  });

  it('the callback routes live in the real app: wrong secret 403, garbage 400, never 500', async () => {
    const mo = `${app.baseUrl}/api/v1/gateways/kannel/mo`;
    expect((await fetch(`${mo}?secret=wrong-secret-wrong-secret&from=1&to=2&text=x`)).status).toBe(403);
    expect((await fetch(`${mo}?from=1&to=2&text=x`)).status).toBe(401);
    expect((await fetch(`${mo}?secret=${SECRET}&from=abc&to=&text=`)).status).toBe(400);
    expect((await fetch(`${app.baseUrl}/api/v1/gateways/kannel/dlr?secret=${SECRET}&id=1&type=banana`)).status).toBe(400);
    const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/memberdesk_sms_protocol_errors_total\{gateway="kannel"\} [2-9]/);
  });
});
