/**
 * The bench's SMSC: a minimal SMPP 3.4 server written with the `smpp` package's server mode,
 * run as its own process (so the client's CPU time can be read without the SMSC's). The Perl
 * test SMSC (test/peers/smsc.pl) reports every PDU to its test as a JSON line and is too slow
 * to be a peer that is never the bottleneck.
 *
 *   node --import tsx bench/messaging-smsc.ts      → prints {"ev":"listening","port":N}
 *
 * It answers every submit_sm at once (message ids in hex), answers enquire_link, and on stdin
 * commands (one JSON per line):
 *   {"cmd":"mo","from":..,"to":..,"text":..,"tag":..}  deliver_sm (UCS-2) to the newest bound
 *        session; the submit_sm whose destination is `from` and text contains `expect` (if
 *        given) prints {"ev":"reply","tag":..,"ms":<latency since the MO was sent>}
 *   {"cmd":"stats"}  → {"ev":"stats","submits":N,"delivers":N,"deliverResps":N}
 */
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import smpp from 'smpp';

let submits = 0;
let deliverResps = 0;
let delivers = 0;
let nextId = 0x100000;
const sessions: smpp.Session[] = [];
/** phone → pending MO waiting for its reply */
const waiting = new Map<string, { tag: unknown; at: number; expect?: string }[]>();

const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

function textOf(pdu: smpp.PDU): string {
  const sm = pdu.short_message as { message?: unknown } | Buffer | undefined;
  if (!sm) return '';
  if (Buffer.isBuffer(sm)) return sm.toString('latin1');
  return typeof sm.message === 'string' ? sm.message : Buffer.isBuffer(sm.message) ? sm.message.toString('latin1') : '';
}

const server = smpp.createServer((session) => {
  session.on('error', () => undefined);
  session.on('bind_transceiver', (pdu: smpp.PDU) => {
    session.send(pdu.response({ system_id: 'benchsmsc' }));
    sessions.push(session);
  });
  session.on('submit_sm', (pdu: smpp.PDU) => {
    submits++;
    session.send(pdu.response({ message_id: (nextId++).toString(16) }));
    if (waiting.size) {
      const dest = String(pdu.destination_addr);
      const list = waiting.get(dest);
      if (list?.length) {
        const text = textOf(pdu);
        const i = list.findIndex((w) => !w.expect || text.includes(w.expect));
        if (i >= 0) {
          const [w] = list.splice(i, 1);
          if (!list.length) waiting.delete(dest);
          out({ ev: 'reply', tag: w!.tag, ms: performance.now() - w!.at });
        }
      }
    }
  });
  session.on('enquire_link', (pdu: smpp.PDU) => session.send(pdu.response()));
  session.on('deliver_sm_resp', () => {
    deliverResps++;
  });
  session.on('unbind', (pdu: smpp.PDU) => {
    session.send(pdu.response());
    session.close();
  });
  session.on('close', () => {
    const i = sessions.indexOf(session);
    if (i >= 0) sessions.splice(i, 1);
  });
});

server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  out({ ev: 'listening', port: typeof addr === 'object' && addr ? addr.port : 0 });
});

createInterface({ input: process.stdin }).on('line', (line) => {
  let c: { cmd: string; from?: string; to?: string; text?: string; tag?: unknown; expect?: string };
  try {
    c = JSON.parse(line) as typeof c;
  } catch {
    return;
  }
  if (c.cmd === 'stats') {
    out({ ev: 'stats', submits, delivers, deliverResps, sessions: sessions.length });
  } else if (c.cmd === 'mo') {
    const session = sessions.at(-1);
    if (!session) {
      out({ ev: 'error', detail: 'no bound session', tag: c.tag });
      return;
    }
    const from = String(c.from);
    const list = waiting.get(from) ?? [];
    list.push({ tag: c.tag, at: performance.now(), expect: c.expect });
    waiting.set(from, list);
    delivers++;
    session.deliver_sm({
      source_addr: from,
      destination_addr: String(c.to),
      esm_class: 0,
      data_coding: 8,
      short_message: Buffer.from(String(c.text), 'utf16le').swap16(),
    });
  }
});

process.stdin.on('end', () => {
  for (const s of sessions) s.destroy();
  server.close();
  process.exit(0);
});
