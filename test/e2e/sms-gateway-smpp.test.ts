/**
 * The SMPP gateway against an SMSC we did not write: Net::SMPP (Debian's libnet-smpp-perl),
 * run as test/peers/smsc.pl on a loopback port.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PermanentGatewayError, TransientGatewayError } from '../../src/messaging/gateway.js';
import { SmppGateway, type PacingClock, type SmppGatewayOptions } from '../../src/messaging/gateways/smpp.js';
import { PerlSmsc, decodeSubmit } from '../peers/smsc.js';
import { Recorder, until } from '../support/gateway.js';

const PORT = '106570216001';
let smsc: PerlSmsc;
let gw: SmppGateway | null = null;
let rec: Recorder;
let nextId = 1;

function sms(to: string, text: string, segments = 1, wantReport = true) {
  return { id: String(nextId++), from: PORT, to, text, segments, wantReport };
}

async function startGateway(over: Partial<SmppGatewayOptions> = {}): Promise<SmppGateway> {
  rec = new Recorder();
  gw = new SmppGateway({
    host: '127.0.0.1',
    port: smsc.port,
    systemId: 'memberdesk',
    password: 'secret1',
    window: 10,
    enquireLinkMs: 60_000,
    reconnectMinMs: 50,
    reconnectMaxMs: 500,
    ...over,
  });
  const from = smsc.events.length;
  await gw.start(rec);
  expect(gw.isBound).toBe(true);
  // the SMSC's report of this bind has been read, so later counts of binds start after it
  await smsc.waitFor((e) => e.ev === 'bind', 5000, from);
  return gw;
}

beforeAll(async () => {
  smsc = await PerlSmsc.start();
});
afterAll(async () => {
  await smsc?.stop();
});
beforeEach(async () => {
  await smsc.command({ cmd: 'config', throttle: [], fail: [], receipts: true, delayMs: 0, omitNul: false, receiptText: true });
});
afterEach(async () => {
  await gw?.stop();
  gw = null;
});

describe('SMPP gateway against Net::SMPP', () => {
  it('binds as a transceiver with the configured credentials and unbinds on stop', async () => {
    const from = smsc.events.length;
    const g = await startGateway();
    const bind = await smsc.waitFor((e) => e.ev === 'bind', 5000, from);
    expect(bind).toMatchObject({ system_id: 'memberdesk', password: 'secret1' });
    await g.stop();
    gw = null;
    await smsc.waitFor((e) => e.ev === 'unbind', 5000, from);
  });

  it('submits GSM text with data_coding 0 and Chinese with data_coding 8, and reports delivery', async () => {
    const g = await startGateway();
    const from = smsc.events.length;
    const a = await g.submit(sms('13800138000', 'Your card no. is 8001 (reply TD to stop)!'));
    const b = await g.submit(sms('13800138001', '【悦享会】您的会员卡号是8001，回TD退订'));
    await smsc.waitCount((e) => e.ev === 'submit', 2, 5000, from);
    const subs = smsc.submits(from);
    expect(subs).toHaveLength(2);
    expect(subs[0]).toMatchObject({ source: PORT, dest: '13800138000', data_coding: 0, esm_class: 0, registered_delivery: 1 });
    expect(decodeSubmit(subs[0]!).text).toBe('Your card no. is 8001 (reply TD to stop)!');
    expect(subs[1]).toMatchObject({ dest: '13800138001', data_coding: 8, esm_class: 0 });
    expect(decodeSubmit(subs[1]!).text).toBe('【悦享会】您的会员卡号是8001，回TD退订');
    expect(a.gatewayMessageId).toBe(subs[0]!.message_id);
    expect(b.gatewayMessageId).toBe(subs[1]!.message_id);
    await until('two receipts', () => rec.reports.length >= 2);
    expect(rec.reports.map((r) => [r.gatewayMessageId, r.state]).sort()).toEqual(
      [
        [a.gatewayMessageId, 'delivered'],
        [b.gatewayMessageId, 'delivered'],
      ].sort(),
    );
    expect(rec.reports[0]!.detail).toMatch(/stat:DELIVRD/);
    // every receipt was acknowledged only after the handler, with status 0
    await smsc.waitCount((e) => e.ev === 'deliver_sm_resp' && e.status === 0, 2, 5000, from);
  });

  it('reports a failed delivery (stat:UNDELIV) and parses a receipt id without its NUL', async () => {
    const g = await startGateway();
    await smsc.command({ cmd: 'config', fail: ['13700000009'], omitNul: true });
    const r = await g.submit(sms('13700000009', '【悦享会】测试'));
    const report = await until('failed receipt', () => rec.reports.find((x) => x.gatewayMessageId === r.gatewayMessageId));
    expect(report.state).toBe('failed');
    expect(report.detail).toMatch(/UNDELIV/);
    // the same with the message_state TLV only (no receipt text)
    await smsc.command({ cmd: 'config', receiptText: false, omitNul: false });
    const r2 = await g.submit(sms('13900000123', '【悦享会】测试二'));
    const report2 = await until('failed receipt 2', () => rec.reports.find((x) => x.gatewayMessageId === r2.gatewayMessageId));
    expect(report2.state).toBe('failed');
    expect(rec.protocolErrors).toEqual([]);
  });

  it('splits a long Chinese message into UDH parts that reassemble to the original, receipt on part 1 only', async () => {
    const g = await startGateway();
    const text = '【悦享会】' + '尊敬的会员您好，本周六全场八折，积分双倍，欢迎光临各门店选购。'.repeat(6) + '回TD退订';
    expect(text.length).toBeGreaterThan(134);
    const segments = Math.ceil(text.length / 67);
    const from = smsc.events.length;
    const r = await g.submit(sms('13800138002', text, segments));
    await smsc.waitCount((e) => e.ev === 'submit', segments, 5000, from);
    const subs = smsc.submits(from);
    expect(subs).toHaveLength(segments);
    const decoded = subs.map((s) => ({ s, ...decodeSubmit(s) }));
    const refs = new Set(decoded.map((d) => d.udh!.toString('hex').slice(0, 8)));
    expect(refs.size).toBe(1);
    for (const d of decoded) {
      expect(d.s.esm_class & 0x40).toBe(0x40);
      expect(d.s.data_coding).toBe(8);
      expect(d.udh!.length).toBe(6);
      expect(d.udh![4]).toBe(segments);
      expect(d.text.length).toBeLessThanOrEqual(67);
    }
    const ordered = [...decoded].sort((x, y) => x.udh![5]! - y.udh![5]!);
    expect(ordered.map((d) => d.udh![5])).toEqual(Array.from({ length: segments }, (_, i) => i + 1));
    expect(ordered.map((d) => d.text).join('')).toBe(text);
    expect(decoded.filter((d) => d.s.registered_delivery === 1).map((d) => d.udh![5])).toEqual([1]);
    expect(r.gatewayMessageId).toBe(ordered[0]!.s.message_id);
  });

  it('never sends more parts than were billed', async () => {
    const g = await startGateway();
    const from = smsc.events.length;
    await expect(g.submit(sms('13800138003', '长'.repeat(200), 2))).rejects.toBeInstanceOf(PermanentGatewayError);
    expect(smsc.submits(from)).toHaveLength(0);
  });

  it('turns ESME_RTHROTTLED into a TransientGatewayError', async () => {
    const g = await startGateway();
    await smsc.command({ cmd: 'config', throttle: ['13800000058'] });
    const err = await g.submit(sms('13800000058', 'hello')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientGatewayError);
    expect((err as Error).message).toMatch(/ESME_RTHROTTLED/);
    // the link stays usable
    await expect(g.submit(sms('13800000059', 'hello'))).resolves.toMatchObject({ gatewayMessageId: expect.any(String) });
  });

  it('keeps at most `window` submits outstanding at the SMSC', async () => {
    const g = await startGateway({ window: 4 });
    // the SMSC answers each submit 150 ms after reading it: long enough for the gateway to
    // fill its window even on a busy machine
    await smsc.command({ cmd: 'config', delayMs: 150, receipts: false });
    await smsc.command({ cmd: 'stats', reset: true });
    const from = smsc.events.length;
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => g.submit(sms(`1380000${String(i).padStart(4, '0')}`, `msg ${i}`))));
    expect(new Set(results.map((r) => r.gatewayMessageId)).size).toBe(24);
    await smsc.waitCount((e) => e.ev === 'submit', 24, 5000, from);
    const outstanding = smsc.submits(from).map((s) => s.outstanding);
    expect(Math.max(...outstanding)).toBe(4); // reached, never exceeded
    expect(g.stats.maxOutstanding).toBe(4);
  });

  it('paces submit_sm to the configured rate, on its own clock', async () => {
    // a clock the test moves: time stands still until it advances it
    let now = 0;
    const sleepers: { until: number; wake: () => void }[] = [];
    const clock: PacingClock = {
      now: () => now,
      sleep: (ms) => new Promise<void>((wake) => sleepers.push({ until: now + ms, wake })),
    };
    const advance = (ms: number) => {
      now += ms;
      for (const s of sleepers.filter((x) => x.until <= now)) {
        sleepers.splice(sleepers.indexOf(s), 1);
        s.wake();
      }
    };
    const g = await startGateway({ ratePerSecond: 10, pacingClock: clock });
    await smsc.command({ cmd: 'config', receipts: false });
    const from = smsc.events.length;
    const all = Promise.all(Array.from({ length: 5 }, (_, i) => g.submit(sms(`1381111000${i}`, `paced ${i}`))));
    await smsc.waitCount((e) => e.ev === 'submit', 1, 5000, from);
    await until('the others waiting for the clock', () => sleepers.length === 4);
    expect(smsc.submits(from)).toHaveLength(1); // the clock has not moved: nothing else may go
    expect(sleepers.map((x) => x.until)).toEqual([100, 200, 300, 400]); // 10/s: one every 100 ms
    advance(100);
    await smsc.waitCount((e) => e.ev === 'submit', 2, 5000, from);
    advance(300);
    await all;
    expect(smsc.submits(from)).toHaveLength(5);
  });

  it('answers the SMSC enquire_link', async () => {
    await startGateway();
    const from = smsc.events.length;
    await smsc.command({ cmd: 'enquire' });
    await smsc.waitFor((e) => e.ev === 'enquire_link_resp', 5000, from);
  });

  it('sends enquire_link on its interval', async () => {
    await startGateway({ enquireLinkMs: 100 });
    const from = smsc.events.length;
    await smsc.waitCount((e) => e.ev === 'enquire_link', 2, 5000, from);
  });

  it('receives Chinese MO (UCS-2) and a concatenated MO sent out of order, acknowledging after the handler', async () => {
    await startGateway();
    const from = smsc.events.length;
    await smsc.command({ cmd: 'mo', from: '13912345678', to: '10657021600188', text: '888', coding: 'gsm' });
    await smsc.command({ cmd: 'mo', from: '13912345678', to: '106570216001', text: '你好，我想查询积分', coding: 'ucs2' });
    const long = '我对上周在门店的购物体验非常满意，店员服务热情周到，希望以后能多推出一些会员专属活动，谢谢！'.repeat(3);
    await smsc.command({ cmd: 'mo', from: '13912345679', to: '1065702160017', text: long, coding: 'ucs2', parts: 3, reverse: true });
    await until('three inbound', () => rec.inbound.length >= 3);
    const byText = new Map(rec.inbound.map((m) => [m.text, m]));
    expect(byText.get('888')).toMatchObject({ from: '13912345678', to: '10657021600188', gateway: 'smpp' });
    expect(byText.get('你好，我想查询积分')).toMatchObject({ to: '106570216001' });
    expect(byText.get(long)).toMatchObject({ from: '13912345679', to: '1065702160017' });
    await smsc.waitCount((e) => e.ev === 'deliver_sm_resp' && e.status === 0, 5, 5000, from);
    expect(rec.protocolErrors).toEqual([]);
  });

  it('hands over a concatenated MO whose last part never comes, with the parts that came', async () => {
    await startGateway({ reassemblyTimeoutMs: 300, responseTimeoutMs: 400 });
    await smsc.command({ cmd: 'mo', from: '13912345671', to: '106570216001', text: '第一部分内容第二部分内容', coding: 'ucs2', parts: 2, only: [1] });
    const got = await until('the incomplete MO', () => rec.inbound.find((m) => m.from === '13912345671'));
    expect(got.text).toBe('第一部分内容…');
    expect(got.raw).toMatchObject({ incomplete: true, parts: 2, received: 1 });
    expect(rec.protocolErrors.join('\n')).toMatch(/incomplete/);
  });

  it('asks the SMSC to redeliver an MO when the handler fails (never lost)', async () => {
    await startGateway();
    rec.failNextInbound = 1;
    const from = smsc.events.length;
    await smsc.command({ cmd: 'mo', from: '13912345670', to: '106570216001', text: '666', coding: 'gsm' });
    const resp = await smsc.waitFor((e) => e.ev === 'deliver_sm_resp', 5000, from);
    expect(resp.status).toBe(0x64); // ESME_RX_T_APPN
    expect(rec.inbound).toHaveLength(0);
  });

  it('counts malformed PDUs and garbage receipts, answers them, and keeps working', async () => {
    const g = await startGateway();
    const from = smsc.events.length;
    await smsc.command({ cmd: 'malformed', kind: 'deliver_sm' });
    await smsc.command({ cmd: 'malformed', kind: 'receipt' });
    await smsc.command({ cmd: 'malformed', kind: 'unknown_cmd' });
    await until('three protocol errors', () => rec.protocolErrors.length >= 3);
    expect(rec.protocolErrors.join('\n')).toMatch(/short_message/);
    await smsc.waitFor((e) => e.ev === 'generic_nack' && e.status === 3, 5000, from);
    await smsc.waitFor((e) => e.ev === 'deliver_sm_resp' && e.status === 0x65, 5000, from);
    await expect(g.submit(sms('13800138004', 'still here'))).resolves.toMatchObject({ gatewayMessageId: expect.any(String) });
    expect(rec.reports.filter((r) => r.gatewayMessageId === 'undefined')).toEqual([]);
  });

  it('drops a link whose framing is broken and binds again', async () => {
    const g = await startGateway();
    const binds = smsc.events.filter((e) => e.ev === 'bind').length;
    await smsc.command({ cmd: 'malformed', kind: 'framing' });
    await until('protocol error', () => rec.protocolErrors.some((d) => /framing/.test(d)));
    await smsc.waitCount((e) => e.ev === 'bind', binds + 1, 10_000);
    await until('bound again', () => g.isBound);
    await expect(g.submit(sms('13800138005', 'after framing error'))).resolves.toBeTruthy();
  });

  it('reconnects with back-off after the SMSC drops the link; submits during the outage are transient', async () => {
    const g = await startGateway({ linkWaitMs: 100, reconnectMinMs: 1000, reconnectMaxMs: 2000 });
    const binds = smsc.events.filter((e) => e.ev === 'bind').length;
    await smsc.command({ cmd: 'drop' });
    await until('link down', () => !g.isBound);
    const during = await g.submit(sms('13800138006', 'during outage')).catch((e: unknown) => e);
    expect(during).toBeInstanceOf(TransientGatewayError);
    await smsc.waitCount((e) => e.ev === 'bind', binds + 1, 10_000);
    await until('bound again', () => g.isBound);
    await expect(g.submit(sms('13800138007', 'after outage'))).resolves.toBeTruthy();
    expect(g.stats.binds).toBe(2);
  });

  it('rebinds after the SMSC unbinds', async () => {
    const g = await startGateway();
    const binds = smsc.events.filter((e) => e.ev === 'bind').length;
    await smsc.command({ cmd: 'unbind' });
    await smsc.waitCount((e) => e.ev === 'bind', binds + 1, 10_000);
    await until('bound again', () => g.isBound);
    await expect(g.submit(sms('13800138008', 'after unbind'))).resolves.toBeTruthy();
  });

  it('stop waits for outstanding submits to be answered', async () => {
    const g = await startGateway();
    await smsc.command({ cmd: 'config', delayMs: 300, receipts: false });
    const inflight = Promise.all([g.submit(sms('13800138009', 'a')), g.submit(sms('13800138010', 'b'))]);
    await smsc.waitCount((e) => e.ev === 'submit' && (e.dest === '13800138009' || e.dest === '13800138010'), 2, 5000);
    await g.stop();
    gw = null;
    await expect(inflight).resolves.toHaveLength(2);
    await expect(g.submit(sms('13800138011', 'c'))).rejects.toBeInstanceOf(TransientGatewayError);
  });
});
