/**
 * The Kannel gateway against Kannel 1.4.5 itself (bearerbox + smsbox + fakesmsc, Debian's
 * kannel and kannel-extras), on loopback ports, with the gateway's callback routes served by
 * Fastify the way the app registers them.
 */
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PermanentGatewayError, TransientGatewayError } from '../../src/messaging/gateway.js';
import { KANNEL_DLR_PATH, KANNEL_MO_PATH, KannelGateway, kannelMoGetUrl } from '../../src/messaging/gateways/kannel.js';
import { KannelHarness, freePort } from '../peers/kannel.js';
import { Recorder, until } from '../support/gateway.js';

const SECRET = 'kannel-callback-secret-0123456789';
const PORT = '106570216001';
let app: FastifyInstance;
let base: string;
let kannel: KannelHarness;
let gw: KannelGateway;
const rec = new Recorder();
let nextId = 5000;

function sms(to: string, text: string, segments = 1) {
  return { id: String(nextId++), from: PORT, to, text, segments, wantReport: true };
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  app = Fastify();
  kannel = await KannelHarness.start({ moGetUrl: kannelMoGetUrl(base, SECRET) });
  gw = new KannelGateway({ sendsmsUrl: kannel.sendsmsUrl, username: kannel.username, password: kannel.password, callbackSecret: SECRET, publicUrl: base });
  gw.registerRoutes(app);
  await app.listen({ host: '127.0.0.1', port });
  await gw.start(rec);
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await kannel?.stop();
  await app?.close();
});

beforeEach(() => {
  rec.protocolErrors = [];
});

describe('Kannel gateway against bearerbox + smsbox + fakesmsc', () => {
  it('sends GSM and Chinese text from the merchant port and gets accepted + delivered reports', async () => {
    const before = kannel.received.length;
    const a = sms('13800138000', 'Your card no. is 8001');
    const b = sms('13800138001', '【悦享会】您的会员卡号是8001，回TD退订');
    expect(await gw.submit(a)).toEqual({ gatewayMessageId: a.id });
    expect(await gw.submit(b)).toEqual({ gatewayMessageId: b.id });
    const got = (await kannel.waitReceived(before + 2)).slice(before);
    const byTo = new Map(got.map((m) => [m.to, m]));
    expect(byTo.get('13800138000')).toMatchObject({ from: PORT, text: 'Your card no. is 8001' });
    expect(byTo.get('13800138001')).toMatchObject({ from: PORT, type: 'ucs-2', text: '【悦享会】您的会员卡号是8001，回TD退订' });
    for (const id of [a.id, b.id]) {
      await until(`delivered report for ${id}`, () => rec.reports.some((r) => r.gatewayMessageId === id && r.state === 'delivered'), 15_000);
      expect(rec.reports.some((r) => r.gatewayMessageId === id && r.state === 'accepted')).toBe(true);
    }
    expect(rec.reports[0]).toMatchObject({ gateway: 'kannel' });
    expect(rec.protocolErrors).toEqual([]);
  });

  it('sends a long Chinese message as concatenated parts that reassemble to the original', async () => {
    const before = kannel.received.length;
    const text = '【悦享会】' + '尊敬的会员您好，本周六全场八折，积分双倍，欢迎光临各门店选购。'.repeat(5) + '回TD退订';
    const parts = Math.ceil(text.length / 67);
    await gw.submit(sms('13800138002', text, parts));
    const got = (await kannel.waitReceived(before + parts)).slice(before);
    expect(got.every((m) => m.udh && m.udh.length === 6 && m.udh[4] === parts)).toBe(true);
    const ordered = [...got].sort((x, y) => x.udh![5]! - y.udh![5]!);
    expect(ordered.map((m) => Buffer.from(m.bytes).swap16().toString('utf16le')).join('')).toBe(text);
  });

  it('receives MO: plain text to an extended port, Chinese (UCS-2) and a concatenated message', async () => {
    void kannel.injectMo('13912345678', '10657021600188', '888');
    void kannel.injectMo('13912345678', '106570216001', '你好，我想查询积分');
    void kannel.injectMo('13912345679', '106570216001', 'second half', { udh: Buffer.from([5, 0, 3, 9, 2, 2]) });
    await kannel.injectMo('13912345679', '106570216001', 'first half, ', { udh: Buffer.from([5, 0, 3, 9, 2, 1]) });
    await until('three MO', () => rec.inbound.length >= 3, 15_000);
    const texts = new Map(rec.inbound.map((m) => [m.text, m]));
    expect(texts.get('888')).toMatchObject({ from: '13912345678', to: '10657021600188', gateway: 'kannel' });
    expect(texts.get('你好，我想查询积分')).toMatchObject({ from: '13912345678', to: '106570216001' });
    expect(texts.get('first half, second half')).toMatchObject({ from: '13912345679' });
    expect(rec.protocolErrors).toEqual([]);
  });

  it('answers 503 when the MO handler fails, and Kannel calls again (the MO is not lost)', async () => {
    const before = rec.inbound.length;
    const attempts = rec.inboundAttempts;
    rec.failNextInbound = 1;
    await kannel.injectMo('13912345670', '106570216001', '666');
    await until('MO after the retry', () => rec.inbound.length > before, 20_000);
    expect(rec.inbound.at(-1)).toMatchObject({ text: '666', from: '13912345670' });
    expect(rec.inboundAttempts - attempts).toBe(2);
  });

  it('refuses callbacks without the secret (401) or with a wrong one (403)', async () => {
    const q = 'from=13912345678&to=106570216001&text=888';
    expect((await fetch(`${base}${KANNEL_MO_PATH}?${q}`)).status).toBe(401);
    expect((await fetch(`${base}${KANNEL_MO_PATH}?${q}&secret=not-the-secret-at-all`)).status).toBe(403);
    expect((await fetch(`${base}${KANNEL_DLR_PATH}?id=1&type=1&secret=`)).status).toBe(401);
    expect((await fetch(`${base}${KANNEL_DLR_PATH}?id=1&type=1&secret=${SECRET}x`)).status).toBe(403);
    expect(rec.protocolErrors).toEqual([]);
  });

  it('answers garbage callbacks with 400, counts them, and never 500', async () => {
    const inbound = rec.inbound.length;
    const reports = rec.reports.length;
    const bad = [
      `${KANNEL_MO_PATH}?secret=${SECRET}&from=&to=106570216001&text=888`,
      `${KANNEL_MO_PATH}?secret=${SECRET}&from=13912345678&to=%P&text=888`,
      `${KANNEL_MO_PATH}?secret=${SECRET}&from=13912345678&to=106570216001`,
      `${KANNEL_MO_PATH}?secret=${SECRET}&from=13912345678&to=106570216001&text=%FF%FE&charset=UTF-8`,
      `${KANNEL_MO_PATH}?secret=${SECRET}&from=13912345678&to=106570216001&text=abc&charset=UTF-16BE`,
      `${KANNEL_MO_PATH}?secret=${SECRET}&from=13912345678&to=106570216001&text=x&charset=EBCDIC`,
      `${KANNEL_DLR_PATH}?secret=${SECRET}&id=abc&type=1`,
      `${KANNEL_DLR_PATH}?secret=${SECRET}&id=12&type=%d`,
      `${KANNEL_DLR_PATH}?secret=${SECRET}&id=12&type=3`,
      `${KANNEL_DLR_PATH}?secret=${SECRET}&id=12`,
      `${KANNEL_DLR_PATH}?secret=${SECRET}&id=12%00&type=1`,
    ];
    for (const url of bad) {
      const res = await fetch(`${base}${url}`);
      expect(res.status, url).toBe(400);
    }
    expect(rec.protocolErrors).toHaveLength(bad.length);
    expect(rec.inbound).toHaveLength(inbound);
    expect(rec.reports).toHaveLength(reports);
  });

  it('never answers a callback with a 5xx, whatever the query (property)', async () => {
    const value = fc.oneof(fc.string(), fc.constantFrom(SECRET, '13912345678', '106570216001', '1', '8', '%d', '%', '%zz', '%00', '+'));
    const name = fc.constantFrom('secret', 'from', 'to', 'text', 'charset', 'coding', 'id', 'type', 'reply', 'ts', 'x', '');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(KANNEL_MO_PATH, KANNEL_DLR_PATH), fc.array(fc.tuple(name, value), { maxLength: 8 }), async (route, pairs) => {
        const q = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v.includes('%') ? v : encodeURIComponent(v)}`).join('&');
        const res = await fetch(`${base}${route}?${q}`);
        await res.text();
        expect(res.status, `${route}?${q}`).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });

  it('a delivery report for any of our ids is passed on (unknown ids are the pipeline’s problem)', async () => {
    const res = await fetch(`${base}${KANNEL_DLR_PATH}?secret=${SECRET}&id=999999&type=2&reply=${encodeURIComponent('id:x stat:UNDELIV err:001')}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(rec.reports.at(-1)).toMatchObject({ gatewayMessageId: '999999', state: 'failed' });
    expect(rec.reports.at(-1)!.detail).toMatch(/UNDELIV/);
  });

  it('while Kannel has no SMSC it queues ("3: Queued for later delivery"): accepted, and delivered once the SMSC is back', async () => {
    await kannel.stopFake();
    const before = kannel.received.length;
    // what Kannel answers now (the gateway hides it)
    const raw = await fetch(`${kannel.sendsmsUrl}?${new URLSearchParams({ username: kannel.username, password: kannel.password, from: PORT, to: '13800138006', text: 'x' })}`);
    expect(raw.status).toBe(202);
    expect(await raw.text()).toMatch(/^3: Queued for later delivery/);
    const m = sms('13800138005', 'queued while the SMSC is away');
    expect(await gw.submit(m)).toEqual({ gatewayMessageId: m.id });
    await kannel.startFakeAgain();
    const got = await until('the queued message at fakesmsc', () => kannel.received.slice(before).find((x) => x.to === '13800138005'), 90_000);
    expect(got.text).toBe('queued while the SMSC is away');
  }, 120_000);

  it('wrong sendsms credentials are permanent, an unreachable Kannel is transient', async () => {
    const wrong = new KannelGateway({ sendsmsUrl: kannel.sendsmsUrl, username: kannel.username, password: 'wrong', callbackSecret: SECRET, publicUrl: base });
    await expect(wrong.submit(sms('13800138003', 'x'))).rejects.toBeInstanceOf(PermanentGatewayError);
    const closedPort = await freePort();
    const down = new KannelGateway({ sendsmsUrl: `http://127.0.0.1:${closedPort}/cgi-bin/sendsms`, username: 'u', password: 'p', callbackSecret: SECRET, publicUrl: base });
    await expect(down.submit(sms('13800138004', 'x'))).rejects.toBeInstanceOf(TransientGatewayError);
  });
});
