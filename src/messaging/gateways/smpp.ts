/**
 * SMPP 3.4 transceiver gateway.
 *
 * The `smpp` package (0.5.1) encodes the PDUs we send; framing, sequencing, the window, response
 * timeouts, enquire_link both ways, reconnect with back-off, the rate limit, splitting and the
 * bounded decoding of deliver_sm (smpp-pdu.ts) are ours: the package's Session has none of them
 * and stops reading for good after a PDU it cannot parse.
 *
 * - One bind_transceiver at a time; submits wait (bounded by `linkWaitMs`) for a bind, then
 *   fail with TransientGatewayError.
 * - At most `window` submit_sm without a submit_sm_resp; at most `ratePerSecond` submit_sm per
 *   second (0 = no limit). A submit_sm_resp that does not come within `responseTimeoutMs` is a
 *   TransientGatewayError.
 * - Long texts go out as concatenated parts (UDH 05 00 03 ref total seq), one submit_sm per
 *   part; the first part goes alone, so a refusal there leaves nothing sent. Delivery receipts
 *   are requested on the first part only: its message_id is the gatewayMessageId, and the
 *   receipts of the other parts would be reports for ids the pipeline does not know (billing is
 *   by counted segments anyway).
 * - deliver_sm: receipts → onDeliveryReport, anything else → onInbound (UCS-2/GSM-7 decoded,
 *   concatenated parts reassembled by UDH/SAR reference). deliver_sm_resp goes out only after
 *   the handler resolved (ESME_RX_T_APPN if it threw, so the SMSC redelivers). The parts of a
 *   concatenated MO before the last are acknowledged when they arrive (an SMSC with a window
 *   of one would otherwise never send the next part); a group still incomplete after
 *   `reassemblyTimeoutMs` (or at stop) is handed over with the parts that came.
 * - Malformed PDUs: onProtocolError; a PDU whose framing cannot be trusted drops the link
 *   (reconnect follows), never a throw.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import smpp from 'smpp';
import {
  PermanentGatewayError,
  TransientGatewayError,
  type GatewayHandlers,
  type OutboundSms,
  type SmsGateway,
  type SubmitResult,
} from '../gateway.js';
import {
  CMD,
  DecodeError,
  STATUS,
  decodeDeliverSm,
  decodeMo,
  isReceipt,
  isTransientStatus,
  parseReceipt,
  readHeader,
  readSubmitRespMessageId,
  statusName,
  type DeliverSm,
} from './smpp-pdu.js';
import { concatUdh, encodeForSubmit } from './smpp-text.js';

export interface SmppGatewayOptions {
  host: string;
  port: number;
  systemId: string;
  password: string;
  systemType?: string;
  /** Outstanding submit_sm without response (default 10). */
  window?: number;
  /** submit_sm per second on this bind; 0 = unlimited (default 0). */
  ratePerSecond?: number;
  /** Wait for a submit_sm_resp / bind_resp / enquire_link_resp (default 10 s). */
  responseTimeoutMs?: number;
  /** enquire_link interval while bound (default 30 s). */
  enquireLinkMs?: number;
  /** Reconnect back-off: first delay, doubled up to the maximum (defaults 250 ms, 30 s). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** How long a submit waits for the link to be bound before a TransientGatewayError (default 5 s). */
  linkWaitMs?: number;
  /** stop(): how long to wait for outstanding submits and inbound handlers (default 10 s). */
  stopTimeoutMs?: number;
  /** A concatenated MO still missing parts after this long is handed over as it is (default 2 min). */
  reassemblyTimeoutMs?: number;
  /** Source/destination TON and NPI (defaults 0/0: unknown, as Chinese SP links usually want). */
  sourceTon?: number;
  sourceNpi?: number;
  destTon?: number;
  destNpi?: number;
  log?: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  /** The rate limiter's clock (tests give their own). */
  pacingClock?: PacingClock;
}

export interface PacingClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: PacingClock = { now: () => performance.now(), sleep: (ms) => sleep(ms) };

type Pending = {
  kind: 'submit' | 'bind' | 'enquire' | 'unbind';
  deadline: number;
  resolve: (r: { status: number; pdu: Buffer }) => void;
  reject: (e: Error) => void;
};

interface MoGroup {
  from: string;
  to: string;
  parts: (string | undefined)[];
  received: number;
  firstAt: number;
}

const silentLog = { info() {}, warn() {}, error() {}, debug() {} };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class SmppGateway implements SmsGateway {
  readonly name = 'smpp' as const;
  private readonly o: Required<Omit<SmppGatewayOptions, 'log' | 'systemType' | 'pacingClock'>> & { systemType: string };
  private readonly clock: PacingClock;
  private readonly log: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  private handlers: GatewayHandlers | null = null;

  private socket: net.Socket | null = null;
  private readBuf: Buffer = Buffer.alloc(0);
  private bound = false;
  private stopping = false;
  private stopped = false;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private reconnectAttempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private enquireTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private boundWaiters: (() => void)[] = [];

  private windowUsed = 0;
  private windowWaiters: ((ok: boolean) => void)[] = [];
  private nextSendAt = 0;
  private concatRef = Math.floor(Math.random() * 256);

  private inboundInFlight = 0;
  private readonly moGroups = new Map<string, MoGroup>();

  /** Counters for diagnostics and tests. */
  readonly stats = { binds: 0, reconnects: 0, submitted: 0, protocolErrors: 0, maxOutstanding: 0 };

  constructor(options: SmppGatewayOptions) {
    this.o = {
      host: options.host,
      port: options.port,
      systemId: options.systemId,
      password: options.password,
      systemType: options.systemType ?? '',
      window: Math.max(1, options.window ?? 10),
      ratePerSecond: Math.max(0, options.ratePerSecond ?? 0),
      responseTimeoutMs: options.responseTimeoutMs ?? 10_000,
      enquireLinkMs: options.enquireLinkMs ?? 30_000,
      reconnectMinMs: options.reconnectMinMs ?? 250,
      reconnectMaxMs: options.reconnectMaxMs ?? 30_000,
      linkWaitMs: options.linkWaitMs ?? 5_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
      reassemblyTimeoutMs: options.reassemblyTimeoutMs ?? 120_000,
      sourceTon: options.sourceTon ?? 0,
      sourceNpi: options.sourceNpi ?? 0,
      destTon: options.destTon ?? 0,
      destNpi: options.destNpi ?? 0,
    };
    this.log = options.log ?? silentLog;
    this.clock = options.pacingClock ?? realClock;
  }

  get isBound(): boolean {
    return this.bound;
  }

  async start(handlers: GatewayHandlers): Promise<void> {
    this.handlers = handlers;
    this.stopping = false;
    this.stopped = false;
    const sweepEvery = Math.max(50, Math.min(1000, Math.floor(this.o.responseTimeoutMs / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), sweepEvery);
    this.connect();
    try {
      await this.waitBound(this.o.linkWaitMs);
    } catch {
      this.log.warn({ host: this.o.host, port: this.o.port }, 'SMPP: not bound yet at start; retrying in the background');
    }
  }

  async submit(sms: OutboundSms): Promise<SubmitResult> {
    if (this.stopping || this.stopped) throw new TransientGatewayError('SMPP gateway is stopping');
    const enc = encodeForSubmit(sms.text);
    const total = enc.parts.length;
    if (total > sms.segments) {
      throw new PermanentGatewayError(`text needs ${total} parts but ${sms.segments} were billed`, 'segments');
    }
    if (total > 255) throw new PermanentGatewayError('text too long for one concatenated message', 'too_long');
    const ref = total > 1 ? (this.concatRef = (this.concatRef + 1) & 0xff) : 0;
    const fields = (i: number) => ({
      service_type: '',
      source_addr_ton: this.o.sourceTon,
      source_addr_npi: this.o.sourceNpi,
      source_addr: sms.from,
      dest_addr_ton: this.o.destTon,
      dest_addr_npi: this.o.destNpi,
      destination_addr: sms.to,
      esm_class: total > 1 ? 0x40 : 0,
      registered_delivery: sms.wantReport && i === 0 ? 1 : 0,
      data_coding: enc.dataCoding,
      short_message: total > 1 ? Buffer.concat([concatUdh(ref, total, i + 1), enc.parts[i]!]) : enc.parts[i]!,
    });
    const first = await this.submitPart(fields(0));
    if (total > 1) {
      const rest = await Promise.allSettled(enc.parts.slice(1).map((_, k) => this.submitPartRetrying(fields(k + 1))));
      const failed = rest.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length) {
        // Part 1 went out: a retry of the whole message would send it twice.
        throw new PermanentGatewayError(
          `${failed.length} of ${total} parts refused after part 1 was accepted: ${String((failed[0]!.reason as Error).message)}`,
          'partial',
        );
      }
    }
    return { gatewayMessageId: first };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopping = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const until = performance.now() + this.o.stopTimeoutMs;
    while ((this.windowUsed > 0 || this.inboundInFlight > 0) && performance.now() < until) await sleep(10);
    for (const w of this.windowWaiters.splice(0)) w(false);
    for (const w of this.boundWaiters.splice(0)) w();
    for (const key of [...this.moGroups.keys()]) await this.flushGroup(key, 'stop');
    if (this.bound && this.socket) {
      try {
        await this.request('unbind', this.encode('unbind', {}), Math.min(2000, this.o.responseTimeoutMs));
      } catch {
        // the link is going away anyway
      }
    }
    this.stopped = true;
    this.bound = false;
    if (this.enquireTimer) clearInterval(this.enquireTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.enquireTimer = null;
    this.sweepTimer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          socket.destroy();
          resolve();
        }, 1000);
        socket.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        socket.end();
      });
    }
    this.failPending(new TransientGatewayError('SMPP gateway stopped'));
  }

  // ---- connection ---------------------------------------------------------------------

  private connect(): void {
    if (this.stopping || this.stopped) return;
    const socket = net.connect({ host: this.o.host, port: this.o.port });
    socket.setNoDelay(true);
    this.socket = socket;
    this.readBuf = Buffer.alloc(0);
    socket.on('connect', () => {
      this.request(
        'bind',
        this.encode('bind_transceiver', {
          system_id: this.o.systemId,
          password: this.o.password,
          system_type: this.o.systemType,
          interface_version: 0x34,
          addr_ton: 0,
          addr_npi: 0,
          address_range: '',
        }),
        this.o.responseTimeoutMs,
      ).then(
        ({ status }) => {
          if (socket !== this.socket) return;
          if (status !== 0) {
            this.log.error({ status: statusName(status) }, 'SMPP: bind_transceiver refused');
            this.dropLink(socket);
            return;
          }
          this.bound = true;
          this.stats.binds++;
          this.reconnectAttempt = 0;
          this.log.info({ host: this.o.host, port: this.o.port }, 'SMPP: bound (transceiver)');
          this.nextSendAt = 0;
          if (this.enquireTimer) clearInterval(this.enquireTimer);
          this.enquireTimer = setInterval(() => this.enquire(socket), this.o.enquireLinkMs);
          for (const w of this.boundWaiters.splice(0)) w();
        },
        (err: Error) => {
          if (socket !== this.socket) return;
          this.log.warn({ err: err.message }, 'SMPP: bind failed');
          this.dropLink(socket);
        },
      );
    });
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.socket) return;
      this.onData(socket, chunk);
    });
    socket.on('error', (err) => {
      this.log.warn({ err: err.message, host: this.o.host, port: this.o.port }, 'SMPP: socket error');
    });
    socket.on('close', () => {
      if (socket !== this.socket && this.socket !== null) return;
      const wasBound = this.bound;
      this.bound = false;
      this.socket = null;
      if (this.enquireTimer) clearInterval(this.enquireTimer);
      this.enquireTimer = null;
      this.failPending(new TransientGatewayError('SMPP link lost before the response'));
      if (wasBound) this.log.warn('SMPP: link lost');
      this.scheduleReconnect();
    });
  }

  /** We give up on this connection: not bound from now on (submits wait for the next bind). */
  private dropLink(socket: net.Socket): void {
    if (socket === this.socket) this.bound = false;
    socket.destroy();
  }

  private scheduleReconnect(): void {
    if (this.stopping || this.stopped || this.reconnectTimer) return;
    const base = Math.min(this.o.reconnectMaxMs, this.o.reconnectMinMs * 2 ** this.reconnectAttempt);
    const delay = Math.round(base * (0.75 + Math.random() * 0.25));
    this.reconnectAttempt = Math.min(this.reconnectAttempt + 1, 30);
    this.stats.reconnects++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private enquire(socket: net.Socket): void {
    if (!this.bound || socket !== this.socket) return;
    this.request('enquire', this.encode('enquire_link', {}), this.o.responseTimeoutMs).catch(() => {
      if (socket === this.socket) {
        this.log.warn('SMPP: no enquire_link_resp; dropping the link');
        this.dropLink(socket);
      }
    });
  }

  private waitBound(ms: number): Promise<void> {
    if (this.bound) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        if (this.bound) resolve();
        else reject(new TransientGatewayError('SMPP link is down'));
      };
      const timer = setTimeout(() => {
        const i = this.boundWaiters.indexOf(done);
        if (i >= 0) this.boundWaiters.splice(i, 1);
        reject(new TransientGatewayError('SMPP link is down', this.o.reconnectMinMs));
      }, ms);
      this.boundWaiters.push(done);
    });
  }

  // ---- sending ------------------------------------------------------------------------

  private nextSeq(): number {
    this.seq = this.seq >= 0x7fffffff ? 1 : this.seq + 1;
    return this.seq;
  }

  /** The `smpp` package's encoder; our sequence numbers. */
  private encode(command: string, fields: Record<string, unknown>, sequence?: number, status = 0): { seq: number; buf: Buffer } {
    const seq = sequence ?? this.nextSeq();
    const pdu = new smpp.PDU(command, { ...fields, sequence_number: seq, command_status: status });
    return { seq, buf: pdu.toBuffer() };
  }

  private request(kind: Pending['kind'], msg: { seq: number; buf: Buffer }, timeoutMs: number): Promise<{ status: number; pdu: Buffer }> {
    const socket = this.socket;
    if (!socket || socket.destroyed || !socket.writable) return Promise.reject(new TransientGatewayError('SMPP link is down'));
    return new Promise((resolve, reject) => {
      this.pending.set(msg.seq, { kind, deadline: performance.now() + timeoutMs, resolve, reject });
      socket.write(msg.buf);
    });
  }

  private failPending(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }

  private sweep(): void {
    const now = performance.now();
    for (const [seq, p] of this.pending) {
      if (p.deadline <= now) {
        this.pending.delete(seq);
        p.reject(new TransientGatewayError(`no response to ${p.kind} within ${this.o.responseTimeoutMs} ms`));
      }
    }
    for (const [key, g] of this.moGroups) {
      if (now - g.firstAt >= this.o.reassemblyTimeoutMs) void this.flushGroup(key, 'timeout');
    }
  }

  private async acquireWindow(): Promise<void> {
    if (this.windowUsed < this.o.window) {
      this.windowUsed++;
      if (this.windowUsed > this.stats.maxOutstanding) this.stats.maxOutstanding = this.windowUsed;
      return;
    }
    const ok = await new Promise<boolean>((resolve) => this.windowWaiters.push(resolve));
    if (!ok) throw new TransientGatewayError('SMPP gateway is stopping');
  }

  private releaseWindow(): void {
    const next = this.windowWaiters.shift();
    if (next) next(true); // the slot passes on
    else this.windowUsed--;
  }

  private async pace(): Promise<void> {
    if (this.o.ratePerSecond <= 0) return;
    const now = this.clock.now();
    const at = Math.max(now, this.nextSendAt);
    this.nextSendAt = at + 1000 / this.o.ratePerSecond;
    if (at - now > 0) await this.clock.sleep(at - now);
  }

  /** One submit_sm; resolves with the message_id, throws Transient/PermanentGatewayError. */
  private async submitPart(fields: Record<string, unknown>): Promise<string> {
    if (!this.bound) await this.waitBound(this.o.linkWaitMs);
    if (this.windowUsed < this.o.window && this.windowWaiters.length === 0) {
      this.windowUsed++;
      if (this.windowUsed > this.stats.maxOutstanding) this.stats.maxOutstanding = this.windowUsed;
    } else {
      await this.acquireWindow();
    }
    try {
      if (this.o.ratePerSecond > 0) await this.pace();
      if (!this.bound) await this.waitBound(this.o.linkWaitMs);
      const { status, pdu } = await this.request('submit', this.encode('submit_sm', fields), this.o.responseTimeoutMs);
      if (status === 0) {
        this.stats.submitted++;
        return readSubmitRespMessageId(pdu);
      }
      const name = statusName(status);
      if (isTransientStatus(status)) {
        throw new TransientGatewayError(`SMSC answered ${name}`, status === STATUS.ESME_RTHROTTLED ? 1000 : undefined);
      }
      throw new PermanentGatewayError(`SMSC refused the message: ${name}`, name);
    } catch (err) {
      if (err instanceof DecodeError) {
        this.protocolError(`submit_sm_resp: ${err.message}`);
        throw new TransientGatewayError(`unreadable submit_sm_resp: ${err.message}`);
      }
      throw err;
    } finally {
      this.releaseWindow();
    }
  }

  /** Parts after the first: a transient refusal is retried here (a few times, backing off). */
  private async submitPartRetrying(fields: Record<string, unknown>): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.submitPart(fields);
      } catch (err) {
        if (!(err instanceof TransientGatewayError) || attempt >= 4 || this.stopping) throw err;
        await sleep(Math.min(5000, 200 * 2 ** attempt));
      }
    }
  }

  // ---- receiving ----------------------------------------------------------------------

  private onData(socket: net.Socket, chunk: Buffer): void {
    this.readBuf = this.readBuf.length ? Buffer.concat([this.readBuf, chunk]) : chunk;
    let off = 0;
    while (this.readBuf.length - off >= 4) {
      const len = this.readBuf.readUInt32BE(off);
      if (len < 16 || len > 65536) {
        this.protocolError(`PDU with command_length ${len}: framing lost, dropping the link`);
        this.readBuf = Buffer.alloc(0);
        this.dropLink(socket);
        return;
      }
      if (this.readBuf.length - off < len) break;
      const pdu = this.readBuf.subarray(off, off + len);
      off += len;
      try {
        this.dispatch(socket, pdu);
      } catch (err) {
        this.protocolError(`unhandled PDU: ${(err as Error).message}`);
      }
    }
    this.readBuf = off === this.readBuf.length ? Buffer.alloc(0) : Buffer.from(this.readBuf.subarray(off));
  }

  private send(socket: net.Socket, msg: { buf: Buffer }): void {
    if (!socket.destroyed && socket.writable) socket.write(msg.buf);
  }

  private dispatch(socket: net.Socket, pdu: Buffer): void {
    const h = readHeader(pdu);
    if (h.commandId & 0x80000000) {
      const p = this.pending.get(h.sequence);
      if (h.commandId === CMD.generic_nack) {
        this.protocolError(`generic_nack ${statusName(h.status)} for sequence ${h.sequence}`);
      }
      if (!p) {
        if (h.commandId !== CMD.generic_nack) this.log.debug({ seq: h.sequence }, 'SMPP: response for no outstanding request (late or unknown)');
        return;
      }
      const expected: Record<Pending['kind'], number> = {
        submit: CMD.submit_sm_resp,
        bind: CMD.bind_transceiver_resp,
        enquire: CMD.enquire_link_resp,
        unbind: CMD.unbind_resp,
      };
      if (h.commandId !== expected[p.kind] && h.commandId !== CMD.generic_nack) {
        this.protocolError(`response 0x${h.commandId.toString(16)} to a ${p.kind} (sequence ${h.sequence})`);
        return;
      }
      this.pending.delete(h.sequence);
      p.resolve({ status: h.commandId === CMD.generic_nack && h.status === 0 ? STATUS.ESME_RSYSERR : h.status, pdu });
      return;
    }
    switch (h.commandId) {
      case CMD.enquire_link:
        this.send(socket, this.encode('enquire_link_resp', {}, h.sequence));
        return;
      case CMD.unbind:
        this.send(socket, this.encode('unbind_resp', {}, h.sequence));
        this.bound = false;
        this.log.warn('SMPP: the SMSC unbound us');
        socket.end();
        return;
      case CMD.deliver_sm:
        this.onDeliverSm(socket, pdu, h.sequence);
        return;
      default:
        this.protocolError(`unexpected command 0x${h.commandId.toString(16)}`);
        this.send(socket, this.encode('generic_nack', {}, h.sequence, STATUS.ESME_RINVCMDID));
    }
  }

  private protocolError(detail: string): void {
    this.stats.protocolErrors++;
    this.log.warn({ detail }, 'SMPP: protocol error');
    try {
      this.handlers?.onProtocolError('smpp', detail);
    } catch {
      // a counter must not take the link down
    }
  }

  private respondDeliver(socket: net.Socket, sequence: number, status: number): void {
    this.send(socket, this.encode('deliver_sm_resp', { message_id: '' }, sequence, status));
  }

  private onDeliverSm(socket: net.Socket, pdu: Buffer, sequence: number): void {
    let d: DeliverSm;
    try {
      d = decodeDeliverSm(pdu);
    } catch (err) {
      this.protocolError(`deliver_sm: ${(err as Error).message}`);
      this.respondDeliver(socket, sequence, STATUS.ESME_RX_P_APPN);
      return;
    }
    const handlers = this.handlers;
    if (!handlers) {
      this.respondDeliver(socket, sequence, STATUS.ESME_RX_T_APPN);
      return;
    }
    if (isReceipt(d)) {
      const receipt = parseReceipt(d);
      if (!receipt) {
        this.protocolError(`delivery receipt without a usable id or state: ${JSON.stringify(d.message.toString('latin1').slice(0, 160))}`);
        this.respondDeliver(socket, sequence, STATUS.ESME_ROK); // redelivering it would not help
        return;
      }
      this.track(
        handlers.onDeliveryReport({ gatewayMessageId: receipt.messageId, state: receipt.state, detail: receipt.detail, at: new Date(), gateway: 'smpp' }),
        socket,
        sequence,
      );
      return;
    }
    let part;
    try {
      part = decodeMo(d);
    } catch (err) {
      this.protocolError(`MO deliver_sm: ${(err as Error).message}`);
      this.respondDeliver(socket, sequence, STATUS.ESME_RX_P_APPN);
      return;
    }
    if (!part.concat) {
      this.track(
        handlers.onInbound({ from: part.from, to: part.to, text: part.text, receivedAt: new Date(), gateway: 'smpp', raw: { dataCoding: d.dataCoding, esmClass: d.esmClass } }),
        socket,
        sequence,
      );
      return;
    }
    const { ref, total, seq } = part.concat;
    const key = `${part.from}|${part.to}|${ref}|${total}`;
    let g = this.moGroups.get(key);
    if (!g) {
      g = { from: part.from, to: part.to, parts: new Array<string | undefined>(total).fill(undefined), received: 0, firstAt: performance.now() };
      this.moGroups.set(key, g);
    }
    if (g.parts[seq - 1] === undefined) g.received++;
    g.parts[seq - 1] = part.text;
    if (g.received < total) {
      this.respondDeliver(socket, sequence, STATUS.ESME_ROK);
      return;
    }
    const text = g.parts.join('');
    this.track(
      handlers
        .onInbound({ from: g.from, to: g.to, text, receivedAt: new Date(), gateway: 'smpp', raw: { dataCoding: d.dataCoding, concat: { ref, total } } })
        .then(() => {
          this.moGroups.delete(key);
        }),
      socket,
      sequence,
    );
  }

  private async flushGroup(key: string, why: 'timeout' | 'stop'): Promise<void> {
    const g = this.moGroups.get(key);
    if (!g || !this.handlers) return;
    this.moGroups.delete(key);
    this.protocolError(`concatenated MO from ${g.from} incomplete (${g.received}/${g.parts.length} parts) at ${why}; handed over as it is`);
    try {
      await this.handlers.onInbound({
        from: g.from,
        to: g.to,
        text: g.parts.map((p) => p ?? '…').join(''),
        receivedAt: new Date(),
        gateway: 'smpp',
        raw: { incomplete: true, parts: g.parts.length, received: g.received },
      });
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'SMPP: an incomplete concatenated MO could not be handed over');
    }
  }

  /** deliver_sm_resp once the handler settled: OK, or ESME_RX_T_APPN so the SMSC retries. */
  private track(work: Promise<void>, socket: net.Socket, sequence: number): void {
    this.inboundInFlight++;
    work.then(
      () => {
        this.inboundInFlight--;
        this.respondDeliver(socket, sequence, STATUS.ESME_ROK);
      },
      (err: unknown) => {
        this.inboundInFlight--;
        this.log.error({ err: (err as Error)?.message }, 'SMPP: handler failed; asking the SMSC to redeliver');
        this.respondDeliver(socket, sequence, STATUS.ESME_RX_T_APPN);
      },
    );
  }
}
