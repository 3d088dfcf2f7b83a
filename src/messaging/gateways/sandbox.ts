/**
 * The sandbox gateway (MEMBERDESK_SMS_GATEWAY=sandbox, the default): nothing leaves the
 * machine. It keeps what was submitted (the newest 20,000 messages, in memory) for
 * `GET /api/v1/sandbox/sms/outbox`, reports each message delivered shortly after submit, and
 * takes simulated inbound messages from `POST /api/v1/sandbox/sms/inbound`.
 *
 * Like an SMSC that deduplicates by the client's reference, a second submit of the same
 * memberdesk message id returns the first gateway id and is not recorded again.
 *
 * Test numbers (for the console's simulator and the tests):
 *   199 0000 xxxx  refused at submit (PermanentGatewayError) — the message fails and is refunded
 *   199 0001 xxxx  accepted, then a delivery report "failed" (UNDELIV)
 *   199 0002 xxxx  a transient error on the first attempt (retried), then accepted
 */
import type { Logger } from 'pino';
import {
  PermanentGatewayError,
  TransientGatewayError,
  type DeliveryState,
  type GatewayHandlers,
  type InboundSms,
  type OutboundSms,
  type SmsGateway,
  type SubmitResult,
} from '../gateway.js';

export interface SandboxRecord {
  seq: number;
  messageId: string;
  gatewayMessageId: string;
  from: string;
  to: string;
  text: string;
  segments: number;
  status: 'sent' | 'delivered' | 'failed';
  createdAt: Date;
}

const CAPACITY = 20_000;

export class SandboxGateway implements SmsGateway {
  readonly name = 'sandbox' as const;
  private handlers: GatewayHandlers | null = null;
  private records: SandboxRecord[] = [];
  private byMessageId = new Map<string, SandboxRecord>();
  private seq = 0;
  private readonly stamp = Date.now().toString(36);
  private timers = new Set<NodeJS.Timeout>();
  private transientSeen = new Set<string>();
  private readonly dlrDelayMs: number;
  private readonly log: Logger | undefined;

  constructor(opts: { dlrDelayMs?: number; log?: Logger } = {}) {
    this.dlrDelayMs = opts.dlrDelayMs ?? 50;
    this.log = opts.log;
  }

  async start(handlers: GatewayHandlers): Promise<void> {
    this.handlers = handlers;
  }

  async submit(sms: OutboundSms): Promise<SubmitResult> {
    const again = this.byMessageId.get(sms.id);
    if (again) return { gatewayMessageId: again.gatewayMessageId };
    if (sms.to.startsWith('1990000')) throw new PermanentGatewayError('sandbox: destination refused', 'sandbox_refused');
    if (sms.to.startsWith('1990002') && !this.transientSeen.has(sms.id)) {
      this.transientSeen.add(sms.id);
      throw new TransientGatewayError('sandbox: throttled, try again', 10);
    }
    const seq = ++this.seq;
    const rec: SandboxRecord = {
      seq,
      messageId: sms.id,
      gatewayMessageId: `sbx-${this.stamp}-${seq}`,
      from: sms.from,
      to: sms.to,
      text: sms.text,
      segments: sms.segments,
      status: 'sent',
      createdAt: new Date(),
    };
    this.records.push(rec);
    this.byMessageId.set(sms.id, rec);
    if (this.records.length > CAPACITY) {
      const old = this.records.splice(0, this.records.length - CAPACITY);
      for (const o of old) this.byMessageId.delete(o.messageId);
    }
    if (sms.wantReport) {
      const state: DeliveryState = sms.to.startsWith('1990001') ? 'failed' : 'delivered';
      const t = setTimeout(() => {
        this.timers.delete(t);
        rec.status = state;
        void this.handlers
          ?.onDeliveryReport({
            gatewayMessageId: rec.gatewayMessageId,
            state,
            detail: state === 'failed' ? 'stat:UNDELIV err:001' : 'stat:DELIVRD err:000',
            at: new Date(),
            gateway: 'sandbox',
          })
          .catch((err: unknown) => this.log?.error({ err }, 'sandbox: delivery report handler failed'));
      }, this.dlrDelayMs);
      this.timers.add(t);
    }
    return { gatewayMessageId: rec.gatewayMessageId };
  }

  /** A simulated mobile-originated message; resolves once memberdesk has stored it. */
  async inject(sms: Omit<InboundSms, 'gateway' | 'receivedAt'> & { receivedAt?: Date }): Promise<void> {
    if (!this.handlers) throw new Error('sandbox gateway is not started');
    await this.handlers.onInbound({ ...sms, receivedAt: sms.receivedAt ?? new Date(), gateway: 'sandbox' });
  }

  /** A delivery report as an SMSC would send it (tests: unknown ids, out-of-order reports). */
  async report(gatewayMessageId: string, state: DeliveryState): Promise<void> {
    await this.handlers?.onDeliveryReport({ gatewayMessageId, state, at: new Date(), gateway: 'sandbox' });
  }

  /** Submitted messages, newest first. */
  list(q: { to?: string; since?: Date; before?: number; limit: number; match?: (r: SandboxRecord) => boolean }): SandboxRecord[] {
    const out: SandboxRecord[] = [];
    for (let i = this.records.length - 1; i >= 0 && out.length < q.limit; i--) {
      const r = this.records[i]!;
      if (q.before !== undefined && r.seq >= q.before) continue;
      if (q.since && r.createdAt < q.since) break;
      if (q.to !== undefined && r.to !== q.to) continue;
      if (q.match && !q.match(r)) continue;
      out.push(r);
    }
    return out;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.handlers = null;
  }
}
