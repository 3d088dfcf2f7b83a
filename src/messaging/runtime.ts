/**
 * The SMS runtime of one server process: the configured gateway, the dispatcher, the inbound
 * processor and the delivery-report handler, started when the app is ready and stopped (drained)
 * when it closes.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import type { Database } from '../platform/db/client.js';
import type { Config } from '../server/config.js';
import { configureMessaging } from './config.js';
import { Dispatcher, type DispatcherOptions } from './dispatcher.js';
import { deliveryReportHandler } from './dlr.service.js';
import type { InboundSms, SmsGateway } from './gateway.js';
import { createGateway } from './gateways/index.js';
import { SandboxGateway } from './gateways/sandbox.js';
import { inboundProcessor, type InboundProcessor } from './inbound.service.js';

export interface SmsRuntime {
  gateway: SmsGateway;
  /** The sandbox gateway when it is the configured one (its outbox and inbound routes). */
  sandbox: SandboxGateway | null;
  dispatcher: Dispatcher;
  inbound: InboundProcessor;
  /** Stores an inbound message durably, then processes it (gateways call this). */
  handleInbound(sms: InboundSms): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface SmsRuntimeDeps {
  config: Readonly<Config>;
  database: Database;
  log: Logger;
  registry?: Registry;
  /** Use this gateway instead of the configured one (tests). */
  gateway?: SmsGateway;
  dispatcher?: Partial<DispatcherOptions>;
}

/** The one place a gateway is chosen: `createGateway` (gateways/index.ts) from the configuration. */
export async function createConfiguredGateway(config: Readonly<Config>, log: Logger): Promise<SmsGateway> {
  return createGateway(config, log);
}

export async function createSmsRuntime(deps: SmsRuntimeDeps): Promise<SmsRuntime> {
  configureMessaging({ serviceNumber: deps.config.smsServiceNumber });
  const log = deps.log.child({ component: 'sms' });
  const gateway = deps.gateway ?? (await createConfiguredGateway(deps.config, log));
  const { pool, db } = deps.database;
  const dispatcher = new Dispatcher({ pool, gateway, log, registry: deps.registry, ...deps.dispatcher });
  const inbound = inboundProcessor({ db, pool, log, registry: deps.registry });
  const onDeliveryReport = deliveryReportHandler({ pool, log, registry: deps.registry, settled: (id) => dispatcher.settled(id) });
  const protocolErrors = new Counter({
    name: 'memberdesk_sms_protocol_errors_total',
    help: 'Garbage from an SMS gateway peer (malformed PDU, bad callback)',
    labelNames: ['gateway'] as const,
    registers: deps.registry ? [deps.registry] : [],
  });
  let started = false;
  const handleInbound = async (sms: InboundSms) => {
    await inbound.handle(sms);
  };
  return {
    gateway,
    sandbox: gateway instanceof SandboxGateway ? gateway : null,
    dispatcher,
    inbound,
    handleInbound,
    async start() {
      if (started) return;
      started = true;
      await gateway.start({
        onInbound: handleInbound,
        onDeliveryReport: async (r) => {
          await onDeliveryReport(r);
        },
        onProtocolError: (gw, detail) => {
          protocolErrors.inc({ gateway: gw });
          log.warn({ gateway: gw, detail }, 'SMS gateway protocol error');
        },
      });
      await dispatcher.start();
      // also picks up anything staged but not processed before a restart
      inbound.start();
    },
    async stop() {
      if (!started) return;
      started = false;
      await inbound.stop();
      await dispatcher.stop();
      await gateway.stop();
    },
  };
}
