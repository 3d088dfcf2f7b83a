/**
 * Kannel 1.4.5 for the tests: bearerbox + smsbox (Debian `kannel`) and fakesmsc (Debian
 * `kannel-extras`) with a generated configuration in a temp folder, on free loopback ports.
 * MO goes in through fakesmsc's stdin (one line per message); the MTs Kannel delivers to its
 * "SMSC" are read from fakesmsc's output (`Got message N: <from to type data>`, -v 0 only).
 * Throws when a peer cannot start: in CI the packages are installed.
 *
 * The configuration follows /work/shared/design/sms-notes.md: no global-sender, sendsms-user
 * max-messages high enough for 500 characters, sms-service with max-messages = 0 and
 * mo-recode, http-request-retry so a memberdesk restart loses no MO/DLR, empty reply-* texts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

const BEARERBOX = '/usr/sbin/bearerbox';
const SMSBOX = '/usr/sbin/smsbox';
const FAKESMSC = '/usr/lib/kannel/test/fakesmsc';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface FakeSmscMessage {
  from: string;
  to: string;
  type: string;
  /** Raw data field as printed (URL-encoded for binary types). */
  data: string;
  /** The data as bytes (URL-decoded), UDH removed. */
  bytes: Buffer;
  /** Decoded text (UCS-2 / text types; Latin-1 for binary), UDH removed. */
  text: string;
  udh: Buffer | null;
}

function urlBytes(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '+') out.push(0x20);
    else if (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(...Buffer.from(s[i]!, 'latin1'));
  }
  return Buffer.from(out);
}

/**
 * Parses what fakesmsc prints for a received message: `from to text|data|ucs-2 data`, or
 * `from to udh <udh> text|data|ucs-2 <data>` for a part with a UDH. Binary data ("data") is
 * URL-encoded; `bytes` has it raw (a UCS-2 part with a UDH is printed as "data").
 */
export function parseFakeSmscLine(inner: string): FakeSmscMessage | null {
  const m = /^(\S+) (\S+) (\S+) ?(.*)$/s.exec(inner);
  if (!m) return null;
  const [, from, to, first, rest0] = m as unknown as [string, string, string, string, string];
  let type = first;
  let udh: Buffer | null = null;
  let data = rest0;
  if (first === 'udh' || first.startsWith('udh-')) {
    const sp = rest0.indexOf(' ');
    udh = urlBytes(sp < 0 ? rest0 : rest0.slice(0, sp));
    data = sp < 0 ? '' : rest0.slice(sp + 1);
    const coding = /^(text|data|ucs-2|ucs2) (.*)$/s.exec(data);
    if (coding) {
      type = coding[1]!;
      data = coding[2]!;
    } else type = first === 'udh' ? 'data' : first.slice(4);
  }
  const bytes = type === 'text' ? Buffer.from(data, 'latin1') : urlBytes(data);
  let text: string;
  if (type === 'ucs-2' || type === 'ucs2') text = Buffer.from(bytes).swap16().toString('utf16le');
  else if (type === 'text') text = data;
  else text = bytes.toString('latin1');
  return { from, to, type, data, bytes, text, udh };
}

export interface KannelHarnessOptions {
  /** The sms-service get-url (Kannel escapes such as %p %P %b %C %c %T allowed). */
  moGetUrl: string;
  username?: string;
  password?: string;
  /** sendsms-user max-messages (default 10). */
  maxMessages?: number;
}

export class KannelHarness {
  readonly received: FakeSmscMessage[] = [];
  private readonly procs: ChildProcess[] = [];
  private fake: ChildProcess | null = null;

  private constructor(
    readonly dir: string,
    readonly sendsmsUrl: string,
    readonly username: string,
    readonly password: string,
  ) {}

  static async start(opts: KannelHarnessOptions): Promise<KannelHarness> {
    for (const bin of [BEARERBOX, SMSBOX, FAKESMSC]) {
      if (!existsSync(bin)) throw new Error(`${bin} is missing: install Debian's kannel and kannel-extras (.ci/run does)`);
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'memberdesk-kannel-'));
    const [adminPort, boxPort, fakePort, sendsmsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const username = opts.username ?? 'memberdesk';
    const password = opts.password ?? 'kannel-test-password';
    const q = (s: string) => `"${s.replace(/"/g, '\\"')}"`;
    const conf = [
      'group = core',
      `admin-port = ${adminPort}`,
      'admin-password = kannel-admin-test',
      'admin-deny-ip = "*.*.*.*"',
      'admin-allow-ip = "127.0.0.1"',
      `smsbox-port = ${boxPort}`,
      'smsbox-interface = 127.0.0.1',
      'box-deny-ip = "*.*.*.*"',
      'box-allow-ip = "127.0.0.1"',
      `log-file = ${q(path.join(dir, 'bearerbox.log'))}`,
      'log-level = 0',
      'dlr-storage = internal',
      '',
      'group = smsc',
      'smsc = fake',
      'smsc-id = FAKE',
      `port = ${fakePort}`,
      'connect-allow-ip = 127.0.0.1',
      '',
      'group = smsbox',
      'bearerbox-host = 127.0.0.1',
      `bearerbox-port = ${boxPort}`,
      `sendsms-port = ${sendsmsPort}`,
      'sendsms-interface = 127.0.0.1',
      'mo-recode = true',
      'http-request-retry = 5',
      'http-queue-delay = 1',
      'reply-couldnotfetch = ""',
      'reply-couldnotrepresent = ""',
      'reply-requestfailed = ""',
      'reply-emptymessage = ""',
      `log-file = ${q(path.join(dir, 'smsbox.log'))}`,
      'log-level = 0',
      '',
      'group = sendsms-user',
      `username = ${username}`,
      `password = ${password}`,
      `max-messages = ${opts.maxMessages ?? 10}`,
      'concatenation = true',
      'user-allow-ip = "127.0.0.1"',
      '',
      'group = sms-service',
      'keyword = default',
      'catch-all = true',
      'max-messages = 0',
      'concatenation = true',
      'omit-empty = true',
      `get-url = ${q(opts.moGetUrl)}`,
      '',
    ].join('\n');
    const confPath = path.join(dir, 'kannel.conf');
    writeFileSync(confPath, conf);
    const h = new KannelHarness(dir, `http://127.0.0.1:${sendsmsPort}/cgi-bin/sendsms`, username, password);
    try {
      h.spawn(BEARERBOX, ['-v', '2', confPath], 'bearerbox.out');
      await h.waitForLog('bearerbox.log', /MAIN: Start-up done/, 15_000);
      h.spawn(SMSBOX, ['-v', '2', confPath], 'smsbox.out');
      h.startFake(fakePort);
      await h.waitForLog('bearerbox.log', /Fakesmsc client connected/, 15_000);
      await h.waitForLog('smsbox.log', /Connected to bearerbox/, 15_000);
      await h.waitForSendsms(15_000);
    } catch (err) {
      await h.stop(true);
      throw err;
    }
    return h;
  }

  private spawn(bin: string, args: string[], logName: string): ChildProcess {
    const p = spawn(bin, args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    // bearerbox and smsbox do not notice when the test process goes away: take them along
    const reap = () => {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    };
    process.once('exit', reap);
    p.once('exit', () => process.removeListener('exit', reap));
    let out = '';
    const keep = (d: Buffer) => {
      out += d.toString();
      if (out.length > 200_000) out = out.slice(-100_000);
      writeFileSync(path.join(this.dir, logName), out);
    };
    p.stdout!.on('data', keep);
    p.stderr!.on('data', keep);
    this.procs.push(p);
    return p;
  }

  private fakePort = 0;
  private sentCount = 0;

  /** Disconnects the fake SMSC (Kannel then queues MT) until startFakeAgain(). */
  async stopFake(): Promise<void> {
    const p = this.fake;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    await exited;
    this.fake = null;
    await this.waitForLog('bearerbox.log', /EOF from fakesmsc client|fakesmsc.*(closing|disconnect)/i, 10_000);
  }

  async startFakeAgain(): Promise<void> {
    const before = (this.log('bearerbox.log').match(/Fakesmsc client connected/g) ?? []).length;
    this.startFake(this.fakePort);
    const deadline = Date.now() + 15_000;
    while ((this.log('bearerbox.log').match(/Fakesmsc client connected/g) ?? []).length <= before) {
      if (Date.now() > deadline) throw new Error('fakesmsc did not reconnect to bearerbox');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private startFake(port: number): void {
    this.fakePort = port;
    const p = spawn(FAKESMSC, ['-H', '127.0.0.1', '-r', String(port), '-i', '0.01', '-v', '0'], { cwd: this.dir, stdio: ['pipe', 'pipe', 'pipe'] });
    this.fake = p;
    this.procs.push(p);
    p.stdin!.on('error', () => undefined); // EPIPE after it exited must not take the test process down
    const onLine = (line: string) => {
      if (/fakesmsc: sent message \d+/.test(line)) this.sentCount++;
      const m = /Got message \d+: <(.*)>\s*$/s.exec(line);
      if (!m) return;
      const msg = parseFakeSmscLine(m[1]!);
      if (msg) this.received.push(msg);
    };
    createInterface({ input: p.stdout! }).on('line', onLine);
    createInterface({ input: p.stderr! }).on('line', onLine);
  }

  private log(name: string): string {
    try {
      return readFileSync(path.join(this.dir, name), 'utf8');
    } catch {
      return '';
    }
  }

  private async waitForLog(name: string, re: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this.log(name))) {
      const dead = this.procs.find((p) => p.exitCode !== null);
      if (dead) throw new Error(`Kannel: ${String(dead.spawnfile)} exited with ${dead.exitCode}: ${this.log('bearerbox.out')}${this.log('smsbox.out')}`);
      if (Date.now() > deadline) throw new Error(`Kannel: ${re} not in ${name} within ${timeoutMs} ms (${this.dir})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async waitForSendsms(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const res = await fetch(`${this.sendsmsUrl}?username=x&password=y&to=1&text=x`);
        await res.text();
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`Kannel sendsms not answering at ${this.sendsmsUrl}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private injectQueue: Promise<void> = Promise.resolve();

  /**
   * One MO through fakesmsc: type text (plain), ucs2 (URL-encoded UTF-16BE), udh-text (udh
   * then text). fakesmsc handles one line per read, so a line goes out only after fakesmsc
   * reported the previous one sent.
   */
  injectMo(from: string, to: string, text: string, opts: { udh?: Buffer } = {}): Promise<void> {
    let line: string;
    const hex = (b: Buffer) => [...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('');
    if (opts.udh) line = `${from} ${to} udh-text ${hex(opts.udh)} ${text}`;
    else if (/^[\x20-\x7e]*$/.test(text)) line = `${from} ${to} text ${text}`;
    else line = `${from} ${to} ucs2 ${hex(Buffer.from(text, 'utf16le').swap16())}`;
    this.injectQueue = this.injectQueue.then(async () => {
      // one line at a time: the next only after fakesmsc said it sent this one
      const sent = this.sentCount;
      this.fake!.stdin!.write(`${line}\n`);
      const deadline = Date.now() + 10_000;
      while (this.sentCount === sent) {
        if (Date.now() > deadline) throw new Error(`fakesmsc did not send: ${line}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    });
    return this.injectQueue;
  }

  async waitReceived(n: number, timeoutMs = 10_000): Promise<FakeSmscMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < n) {
      if (Date.now() > deadline) {
        throw new Error(`fakesmsc received ${this.received.length}/${n} within ${timeoutMs} ms; smsbox log tail: ${this.log('smsbox.log').slice(-1500)}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.received.slice(0, n);
  }

  smsboxLog(): string {
    return this.log('smsbox.log');
  }

  async stop(keepDir = false): Promise<void> {
    for (const p of [...this.procs].reverse()) {
      if (p.exitCode !== null || p.signalCode !== null) continue;
      const exited = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
