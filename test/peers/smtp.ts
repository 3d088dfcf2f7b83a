/**
 * A real SMTP server for tests (the `smtp-server` package): listens on a free loopback port,
 * accepts what it is sent and records every message as it arrived (envelope, authenticated
 * user, raw bytes, and the message parsed by `mailparser`). Tests steer its answers:
 * - `respond(fn)`: per recipient and attempt, an SMTP reply code for RCPT TO (451 → retry, 550 → final);
 * - `dataDelayMs`: how long it takes to accept DATA;
 * - `hang`: never answer MAIL FROM (a server that went silent: nothing arrives).
 */
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerAuthentication, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  /** The user the client authenticated as (undefined: no AUTH). */
  user: string | undefined;
  raw: Buffer;
  parsed: ParsedMail;
  header(name: string): string | undefined;
}

export type Reply = { code: number; message: string } | null;

export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  /** RCPT TO attempts per recipient address. */
  readonly attempts = new Map<string, number>();
  dataDelayMs = 0;
  hang = false;
  /** MAIL FROM commands left unanswered because of `hang`. */
  hung = 0;
  /** Messages accepted (also in count-only mode, where `received` stays empty). */
  accepted = 0;
  /** When the last message was accepted (performance.now()). */
  lastAcceptedAt = 0;
  /** count-only mode: memberdesk message ids seen (X-Memberdesk-Message), and repeats of them */
  readonly seen = new Set<string>();
  duplicates = 0;
  private responder: (rcpt: string, attempt: number) => Reply = () => null;

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  /** `users`: accepted user → password (AUTH required when given). `countOnly`: accept and count,
   * keep nothing (benchmarks). */
  static async start(opts: { users?: Record<string, string>; countOnly?: boolean } = {}): Promise<SmtpSink> {
    const ref = {} as { sink: SmtpSink };
    const users = opts.users;
    const server = new SMTPServer({
      secure: false,
      disabledCommands: users ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
      authOptional: !users,
      allowInsecureAuth: true,
      disableReverseLookup: true,
      closeTimeout: 200,
      logger: false,
      size: 10 * 1024 * 1024,
      onAuth(auth: SMTPServerAuthentication, _session: SMTPServerSession, cb) {
        if (users && auth.username !== undefined && users[auth.username] === auth.password) return cb(null, { user: auth.username });
        const err = Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 });
        return cb(err);
      },
      onMailFrom(_address: SMTPServerAddress, _session: SMTPServerSession, cb) {
        if (ref.sink.hang) {
          ref.sink.hung++;
          return; // never answered
        }
        cb();
      },
      onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, cb) {
        const rcpt = address.address.toLowerCase();
        const n = (ref.sink.attempts.get(rcpt) ?? 0) + 1;
        ref.sink.attempts.set(rcpt, n);
        const reply = ref.sink.responder(rcpt, n);
        if (reply) return cb(Object.assign(new Error(reply.message), { responseCode: reply.code }));
        cb();
      },
      onData(stream, session, cb) {
        if (opts.countOnly) {
          let head = '';
          stream.on('data', (c: Buffer) => {
            if (head.length < 4096) head += c.toString('latin1');
          });
          stream.on('end', () => {
            const id = /^X-Memberdesk-Message: (\S+)/im.exec(head)?.[1];
            if (id !== undefined) {
              if (ref.sink.seen.has(id)) ref.sink.duplicates++;
              ref.sink.seen.add(id);
            }
            ref.sink.accepted++;
            ref.sink.lastAcceptedAt = performance.now();
            cb(null, `2.0.0 queued as sink-${ref.sink.accepted}`);
          });
          return;
        }
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          simpleParser(raw, (err: unknown, parsed: ParsedMail) => {
            if (err) return cb(err as Error);
            const finish = () => {
              ref.sink.accepted++;
              ref.sink.lastAcceptedAt = performance.now();
              ref.sink.received.push({
                envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                envelopeTo: session.envelope.rcptTo.map((r) => r.address),
                user: session.user as string | undefined,
                raw,
                parsed,
                header: (name) => {
                  const v = parsed.headers.get(name.toLowerCase());
                  return v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v);
                },
              });
              cb(null, `2.0.0 queued as sink-${ref.sink.received.length}`);
            };
            if (ref.sink.dataDelayMs > 0) setTimeout(finish, ref.sink.dataDelayMs);
            else finish();
          });
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    server.on('error', () => undefined);
    const port = (server.server.address() as AddressInfo).port;
    ref.sink = new SmtpSink(server, port);
    return ref.sink;
  }

  respond(fn: (rcpt: string, attempt: number) => Reply): void {
    this.responder = fn;
  }

  /** Messages that arrived for an address. */
  to(address: string): ReceivedMail[] {
    return this.received.filter((m) => m.envelopeTo.some((a) => a.toLowerCase() === address.toLowerCase()));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
