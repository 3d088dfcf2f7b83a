/**
 * Starts test/peers/smsc.pl (Net::SMPP from Debian's libnet-smpp-perl) on a free loopback port
 * and talks to it: commands on stdin, events on stdout (one JSON object per line).
 * It throws when the peer cannot start: in CI the package is installed, so a missing peer is
 * a failure, not a skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface SmscEvent {
  ev: string;
  [k: string]: unknown;
}

export interface SubmitEvent extends SmscEvent {
  ev: 'submit';
  seq: number;
  source: string;
  dest: string;
  esm_class: number;
  data_coding: number;
  registered_delivery: number;
  sm_hex: string;
  message_id: string | null;
  status: number;
  outstanding: number;
}

export class PerlSmsc {
  readonly events: SmscEvent[] = [];
  private waiters: { pred: (e: SmscEvent) => boolean; resolve: (e: SmscEvent) => void }[] = [];
  private nextId = 1;
  stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<PerlSmsc> {
    const child = spawn('perl', [path.join(here, 'smsc.pl'), '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.on('error', () => undefined); // EPIPE after it exited must not take the test process down
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const lines = createInterface({ input: child.stdout! });
    const first = await new Promise<SmscEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`test SMSC did not start within 10 s: ${stderr}`)), 10_000);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`cannot run perl for the test SMSC: ${e.message}`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`test SMSC exited with ${code} (is libnet-smpp-perl installed?): ${stderr}`));
      });
      lines.once('line', (line) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as SmscEvent);
        } catch {
          reject(new Error(`test SMSC said: ${line} ${stderr}`));
        }
      });
    });
    if (first.ev !== 'listening') throw new Error(`test SMSC: unexpected first event ${JSON.stringify(first)}`);
    const smsc = new PerlSmsc(child, first.port as number);
    child.removeAllListeners('exit');
    child.stderr!.on('data', (d: Buffer) => {
      smsc.stderr += d.toString();
    });
    lines.on('line', (line) => {
      let e: SmscEvent;
      try {
        e = JSON.parse(line) as SmscEvent;
      } catch {
        e = { ev: 'garbage', line };
      }
      smsc.events.push(e);
      for (const w of [...smsc.waiters]) {
        if (w.pred(e)) {
          smsc.waiters.splice(smsc.waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    });
    return smsc;
  }

  /** Waits for an event (already seen since `from`, or still to come). */
  waitFor<T extends SmscEvent = SmscEvent>(pred: (e: SmscEvent) => boolean, timeoutMs = 10_000, from = 0): Promise<T> {
    const seen = this.events.slice(from).find(pred);
    if (seen) return Promise.resolve(seen as T);
    return new Promise<T>((resolve, reject) => {
      const w = { pred, resolve: resolve as (e: SmscEvent) => void };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`test SMSC: event not seen within ${timeoutMs} ms; last events: ${JSON.stringify(this.events.slice(-5))} ${this.stderr}`));
      }, timeoutMs);
      w.resolve = (e) => {
        clearTimeout(timer);
        (resolve as (e: SmscEvent) => void)(e);
      };
      this.waiters.push(w);
    });
  }

  /** Waits until `n` events match (counting from `from`). */
  async waitCount(pred: (e: SmscEvent) => boolean, n: number, timeoutMs = 10_000, from = 0): Promise<SmscEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.events.slice(from).filter(pred);
      if (got.length >= n) return got;
      if (Date.now() > deadline) throw new Error(`test SMSC: ${got.length}/${n} events within ${timeoutMs} ms; last: ${JSON.stringify(this.events.slice(-3))} ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  submits(from = 0): SubmitEvent[] {
    return this.events.slice(from).filter((e): e is SubmitEvent => e.ev === 'submit');
  }

  /** Sends a command and waits for its ack; an "error" event for it rejects. */
  async command(cmd: Record<string, unknown>): Promise<void> {
    const id = this.nextId++;
    const done = this.waitFor((e) => (e.ev === 'ack' || e.ev === 'error') && e.id === id);
    this.child.stdin!.write(`${JSON.stringify({ ...cmd, id })}\n`);
    const e = await done;
    if (e.ev === 'error') throw new Error(`test SMSC refused ${JSON.stringify(cmd)}: ${String(e.detail)}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin!.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(t);
  }
}

/** short_message hex of a submit → UDH (if esm_class 0x40) and decoded text. */
export function decodeSubmit(s: SubmitEvent): { udh: Buffer | null; text: string } {
  const sm = Buffer.from(s.sm_hex, 'hex');
  let body = sm;
  let udh: Buffer | null = null;
  if (s.esm_class & 0x40) {
    udh = sm.subarray(0, sm[0]! + 1);
    body = sm.subarray(sm[0]! + 1);
  }
  const text = s.data_coding === 8 ? Buffer.from(body).swap16().toString('utf16le') : body.toString('latin1');
  return { udh, text };
}
