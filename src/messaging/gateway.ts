/**
 * The seam between memberdesk's SMS pipeline and whatever carries the messages: the sandbox
 * (default, nothing leaves the machine), an SMPP 3.4 SMSC, or Kannel's smsbox HTTP interface.
 *
 * The pipeline (outbox, credit, routing, keywords) knows only this interface. A gateway knows
 * nothing about tenants: it submits what it is given and reports what arrives.
 */
import type { FastifyInstance } from 'fastify';

/** One outbound message as the pipeline hands it over: already signed, counted and billed. */
export interface OutboundSms {
  /** memberdesk's own message id (decimal string); gateways may use it as a correlation ref. */
  id: string;
  /** Sender address: the merchant's port, with a sub-code when replies must be matched. */
  from: string;
  /** Destination handset number, digits only (e.g. "13800138000"). */
  to: string;
  /** The whole text (signature included). The gateway splits it into parts itself. */
  text: string;
  /** Billed segments as memberdesk counted them (encoding.rules.ts); the gateway must not exceed it. */
  segments: number;
  /** Ask for delivery reports. */
  wantReport: boolean;
}

export interface SubmitResult {
  /**
   * The gateway's id for the message (SMPP message_id of the first part, Kannel's our own id).
   * Delivery reports carry it back.
   */
  gatewayMessageId: string;
}

/** Thrown by submit(): the message may be retried later (throttled, link down, window timeout). */
export class TransientGatewayError extends Error {
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
    this.name = 'TransientGatewayError';
  }
}

/** Thrown by submit(): the SMSC refused this message for good (bad destination, ...). */
export class PermanentGatewayError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'PermanentGatewayError';
  }
}

/** A mobile-originated message as it arrived (text already decoded to a JS string). */
export interface InboundSms {
  /** Handset number of the sender. */
  from: string;
  /** Full destination address the member texted, e.g. "10657021600188" (port + sub-code). */
  to: string;
  text: string;
  /** When the gateway received it. */
  receivedAt: Date;
  /** Which gateway; free-form diagnostics (raw PDU fields) for the log. */
  gateway: string;
  raw?: Record<string, unknown>;
}

export type DeliveryState = 'accepted' | 'delivered' | 'failed';

export interface DeliveryReport {
  gatewayMessageId: string;
  state: DeliveryState;
  /** Raw stat/err from the receipt, e.g. "UNDELIV", "err:001". */
  detail?: string;
  at: Date;
  gateway: string;
}

export interface GatewayHandlers {
  /**
   * Called for every MO. The gateway acknowledges to its peer only after this resolves, so a
   * crash before it resolves means the peer redelivers (never a lost inbound message).
   */
  onInbound(sms: InboundSms): Promise<void>;
  /** Called for every delivery report; unknown ids are the pipeline's problem (logged, counted). */
  onDeliveryReport(report: DeliveryReport): Promise<void>;
  /** Garbage from the peer (malformed PDU, bad callback): counted and logged, never thrown. */
  onProtocolError(gateway: string, detail: string): void;
}

export interface SmsGateway {
  readonly name: 'sandbox' | 'smpp' | 'kannel';
  /**
   * HTTP callbacks the gateway needs (Kannel's MO get-url/post-url and dlr-url), registered by
   * the app under /api/v1/gateways/<name>/… before it starts listening. Public routes: the
   * gateway checks its own shared secret.
   */
  registerRoutes?(app: FastifyInstance): void;
  /** Connect/bind and start delivering inbound messages and reports to the handlers. */
  start(handlers: GatewayHandlers): Promise<void>;
  /**
   * Submit one message (all its parts). Resolves when the SMSC accepted it (submit_resp OK /
   * HTTP 202). Many submits may be outstanding at once; the gateway applies its own window and
   * rate limit and makes callers wait.
   */
  submit(sms: OutboundSms): Promise<SubmitResult>;
  /** Wait for outstanding submits to settle (bounded), then unbind/close. */
  stop(): Promise<void>;
}
