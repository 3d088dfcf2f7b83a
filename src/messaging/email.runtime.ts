/**
 * The email runtime of one server process: the deployment's SMTP settings and the dispatcher,
 * started when the app is ready and drained when it closes (like the SMS runtime).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Database } from '../platform/db/client.js';
import type { Config } from '../server/config.js';
import { configureEmail } from './email.config.js';
import { EmailDispatcher, type EmailDispatcherOptions } from './email.dispatcher.js';

export interface EmailRuntime {
  dispatcher: EmailDispatcher;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface EmailRuntimeDeps {
  config: Readonly<Config>;
  database: Database;
  log: Logger;
  registry?: Registry;
  dispatcher?: Partial<EmailDispatcherOptions>;
}

export function createEmailRuntime(deps: EmailRuntimeDeps): EmailRuntime {
  const { smtp, publicUrl } = deps.config;
  configureEmail({
    smtp: smtp.host && smtp.from ? { host: smtp.host, port: smtp.port, secure: smtp.secure, user: smtp.user, password: smtp.password, from: smtp.from } : null,
    publicUrl,
    allowPrivateTenantSmtp: smtp.allowPrivateTenantHosts,
  });
  const dispatcher = new EmailDispatcher({ pool: deps.database.pool, log: deps.log, registry: deps.registry, ...deps.dispatcher });
  let started = false;
  return {
    dispatcher,
    async start() {
      if (started) return;
      started = true;
      await dispatcher.start();
    },
    async stop() {
      if (!started) return;
      started = false;
      await dispatcher.stop();
    },
  };
}
