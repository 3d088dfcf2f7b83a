/**
 * The app side of a gateway under test (test/e2e/sms-gateway-*.test.ts): handlers that record
 * what the gateway hands over, and a poll for what arrives asynchronously.
 */
import type { DeliveryReport, GatewayHandlers, InboundSms } from '../../src/messaging/gateway.js';

/** Records inbound messages, delivery reports and protocol errors; `failNextInbound` makes the
 * next n inbound calls throw, as a down database would. */
export class Recorder implements GatewayHandlers {
  inbound: InboundSms[] = [];
  reports: DeliveryReport[] = [];
  protocolErrors: string[] = [];
  failNextInbound = 0;
  inboundAttempts = 0;
  async onInbound(sms: InboundSms): Promise<void> {
    this.inboundAttempts++;
    if (this.failNextInbound > 0) {
      this.failNextInbound--;
      throw new Error('database down');
    }
    this.inbound.push(sms);
  }
  async onDeliveryReport(report: DeliveryReport): Promise<void> {
    this.reports.push(report);
  }
  onProtocolError(_gateway: string, detail: string): void {
    this.protocolErrors.push(detail);
  }
}

/** Polls `fn` until it returns a truthy value, which it returns; throws after `timeoutMs`. */
export async function until<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
