import path from 'node:path';
import { parseEmailAddress } from '../members/email.rules.js';
import { packageRoot } from '../platform/paths.js';

/**
 * Every setting memberdesk reads from the environment, in one frozen object.
 * The README's configuration table is generated from the same descriptions (see `configDocs`).
 */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  embeddedPgPort: number | null;
  adminPassword: string | null;
  smsGateway: 'sandbox' | 'smpp' | 'kannel';
  smsServiceNumber: string;
  /** Base URL under which an SMS gateway (Kannel) reaches this server for its callbacks. */
  publicUrl: string;
  smpp: {
    host: string;
    port: number;
    systemId: string;
    password: string;
    systemType: string;
    window: number;
    ratePerSecond: number;
    enquireLinkSeconds: number;
  };
  kannel: {
    sendsmsUrl: string;
    username: string;
    password: string;
    callbackSecret: string;
  };
  /** The deployment's SMTP server, used for email of tenants without one of their own. */
  smtp: {
    host: string | null;
    port: number;
    secure: boolean;
    user: string;
    password: string;
    /** From address of email sent through this server (tenants choose the display name). */
    from: string | null;
    /** Merchants' own SMTP servers may be on loopback / private addresses. */
    allowPrivateTenantHosts: boolean;
  };
  sessionTtlHours: number;
  bodyLimitBytes: number;
  logLevel: string;
  consoleDir: string;
  jobs: boolean;
  trustProxy: boolean;
}

interface VarDoc {
  name: string;
  default: string;
  description: string;
  secret?: boolean;
}

export const configDocs: VarDoc[] = [
  { name: 'PORT', default: '3000', description: 'HTTP port for the console and the API.' },
  { name: 'HOST', default: '0.0.0.0', description: 'Address the HTTP server binds to.' },
  {
    name: 'MEMBERDESK_DATA_DIR',
    default: './data',
    description: 'Folder of the embedded PostgreSQL cluster (used when DATABASE_URL is unset).',
  },
  {
    name: 'DATABASE_URL',
    default: '(unset)',
    description: 'Use this PostgreSQL server instead of the embedded one, e.g. postgres://user@host:5432/db.',
    secret: true,
  },
  {
    name: 'MEMBERDESK_PG_PORT',
    default: '(free port)',
    description: 'Port of the embedded PostgreSQL on 127.0.0.1; by default a free port is picked at each start.',
  },
  {
    name: 'MEMBERDESK_ADMIN_PASSWORD',
    default: '(random, printed once)',
    description: 'Password of the platform administrator `admin`, set on first start only.',
    secret: true,
  },
  { name: 'MEMBERDESK_SMS_GATEWAY', default: 'sandbox', description: 'SMS gateway: sandbox, smpp or kannel.' },
  {
    name: 'MEMBERDESK_SMS_SERVICE_NUMBER',
    default: '1065702160',
    description: 'Service number; a merchant port is this number followed by its extension.',
  },
  {
    name: 'MEMBERDESK_PUBLIC_URL',
    default: 'http://127.0.0.1:$PORT',
    description: 'Base URL under which the SMS gateway (Kannel) reaches memberdesk for MO and delivery-report callbacks.',
  },
  { name: 'MEMBERDESK_SMPP_HOST', default: '127.0.0.1', description: 'SMPP gateway: the SMSC host.' },
  { name: 'MEMBERDESK_SMPP_PORT', default: '2775', description: 'SMPP gateway: the SMSC port.' },
  { name: 'MEMBERDESK_SMPP_SYSTEM_ID', default: '(required for smpp)', description: 'SMPP gateway: system_id of the bind_transceiver.' },
  { name: 'MEMBERDESK_SMPP_PASSWORD', default: '(empty)', description: 'SMPP gateway: password of the bind.', secret: true },
  { name: 'MEMBERDESK_SMPP_SYSTEM_TYPE', default: '(empty)', description: 'SMPP gateway: system_type of the bind, if the SMSC wants one.' },
  {
    name: 'MEMBERDESK_SMPP_WINDOW',
    default: '10',
    description: 'SMPP gateway: submit_sm outstanding without a submit_sm_resp at most (1–1000).',
  },
  {
    name: 'MEMBERDESK_SMPP_RATE',
    default: '100',
    description: 'SMPP gateway: submit_sm per second on the bind, as contracted with the carrier (0 = no limit).',
  },
  { name: 'MEMBERDESK_SMPP_ENQUIRE_LINK_SECONDS', default: '30', description: 'SMPP gateway: enquire_link interval.' },
  {
    name: 'MEMBERDESK_KANNEL_SENDSMS_URL',
    default: 'http://127.0.0.1:13013/cgi-bin/sendsms',
    description: "Kannel gateway: smsbox's sendsms URL.",
  },
  { name: 'MEMBERDESK_KANNEL_USERNAME', default: '(required for kannel)', description: 'Kannel gateway: sendsms-user username.' },
  { name: 'MEMBERDESK_KANNEL_PASSWORD', default: '(required for kannel)', description: 'Kannel gateway: sendsms-user password.', secret: true },
  {
    name: 'MEMBERDESK_KANNEL_CALLBACK_SECRET',
    default: '(required for kannel)',
    description: "Kannel gateway: shared secret in Kannel's MO get-url and dlr-url (16+ characters of A-Z a-z 0-9 . _ ~ -).",
    secret: true,
  },
  {
    name: 'MEMBERDESK_SMTP_HOST',
    default: '(unset)',
    description: "Email: the deployment's SMTP server, used by merchants without their own; unset = only merchants with their own SMTP server send email.",
  },
  { name: 'MEMBERDESK_SMTP_PORT', default: '587', description: 'Email: port of the deployment SMTP server.' },
  {
    name: 'MEMBERDESK_SMTP_SECURE',
    default: 'off',
    description: 'Email: on = implicit TLS (port 465); off = plain connection upgraded with STARTTLS when the server offers it.',
  },
  { name: 'MEMBERDESK_SMTP_USER', default: '(empty)', description: 'Email: user name on the deployment SMTP server (empty = no authentication).' },
  { name: 'MEMBERDESK_SMTP_PASSWORD', default: '(empty)', description: 'Email: password on the deployment SMTP server.', secret: true },
  {
    name: 'MEMBERDESK_EMAIL_FROM',
    default: '(required with MEMBERDESK_SMTP_HOST)',
    description: "Email: From address of email sent through the deployment SMTP server (the merchant's name is the display name, its reply-to the Reply-To).",
  },
  {
    name: 'MEMBERDESK_SMTP_TENANT_PRIVATE',
    default: 'off',
    description: "Email: on = merchants' own SMTP servers may be on loopback, private or link-local addresses (off: refused, so a merchant cannot reach internal services).",
  },
  { name: 'MEMBERDESK_SESSION_TTL_HOURS', default: '12', description: 'Lifetime of a login token.' },
  { name: 'MEMBERDESK_BODY_LIMIT', default: '1048576', description: 'Largest accepted JSON body in bytes (413 above).' },
  { name: 'MEMBERDESK_JOBS', default: 'on', description: 'Run the pg-boss job workers in this process (on/off).' },
  {
    name: 'MEMBERDESK_TRUST_PROXY',
    default: 'off',
    description: 'Behind a TLS-terminating proxy: trust X-Forwarded-* (client IP, https), so cookies are marked Secure.',
  },
  { name: 'MEMBERDESK_CONSOLE_DIR', default: './console/dist', description: 'Folder of the built console served at `/`.' },
  { name: 'LOG_LEVEL', default: 'info', description: 'pino log level (trace, debug, info, warn, error, silent).' },
];

export class ConfigError extends Error {}

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const gateway = env.MEMBERDESK_SMS_GATEWAY ?? 'sandbox';
  if (gateway !== 'sandbox' && gateway !== 'smpp' && gateway !== 'kannel') {
    throw new ConfigError(`MEMBERDESK_SMS_GATEWAY must be sandbox, smpp or kannel, got "${gateway}"`);
  }
  const serviceNumber = env.MEMBERDESK_SMS_SERVICE_NUMBER ?? '1065702160';
  if (!/^\d{3,16}$/.test(serviceNumber)) {
    throw new ConfigError('MEMBERDESK_SMS_SERVICE_NUMBER must be 3–16 digits');
  }
  const jobs = (env.MEMBERDESK_JOBS ?? 'on').toLowerCase();
  const port = intVar(env, 'PORT', 3000, 0, 65535);
  const publicUrl = (env.MEMBERDESK_PUBLIC_URL || `http://127.0.0.1:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(publicUrl)) {
    throw new ConfigError(`MEMBERDESK_PUBLIC_URL must be an http(s) base URL, got "${publicUrl}"`);
  }
  const smpp = {
    host: env.MEMBERDESK_SMPP_HOST || '127.0.0.1',
    port: intVar(env, 'MEMBERDESK_SMPP_PORT', 2775, 1, 65535),
    systemId: env.MEMBERDESK_SMPP_SYSTEM_ID ?? '',
    password: env.MEMBERDESK_SMPP_PASSWORD ?? '',
    systemType: env.MEMBERDESK_SMPP_SYSTEM_TYPE ?? '',
    window: intVar(env, 'MEMBERDESK_SMPP_WINDOW', 10, 1, 1000),
    ratePerSecond: intVar(env, 'MEMBERDESK_SMPP_RATE', 100, 0, 1_000_000),
    enquireLinkSeconds: intVar(env, 'MEMBERDESK_SMPP_ENQUIRE_LINK_SECONDS', 30, 1, 3600),
  };
  const kannel = {
    sendsmsUrl: env.MEMBERDESK_KANNEL_SENDSMS_URL || 'http://127.0.0.1:13013/cgi-bin/sendsms',
    username: env.MEMBERDESK_KANNEL_USERNAME ?? '',
    password: env.MEMBERDESK_KANNEL_PASSWORD ?? '',
    callbackSecret: env.MEMBERDESK_KANNEL_CALLBACK_SECRET ?? '',
  };
  if (gateway === 'smpp') {
    // SMPP 3.4: system_id ≤ 15 octets, password ≤ 8
    if (!/^[\x21-\x7e]{1,15}$/.test(smpp.systemId)) throw new ConfigError('MEMBERDESK_SMPP_SYSTEM_ID is required for the smpp gateway (1–15 printable characters)');
    if (smpp.password.length > 8) throw new ConfigError('MEMBERDESK_SMPP_PASSWORD must be at most 8 characters (SMPP 3.4)');
  }
  if (gateway === 'kannel') {
    if (!/^https?:\/\//.test(kannel.sendsmsUrl)) throw new ConfigError('MEMBERDESK_KANNEL_SENDSMS_URL must be an http(s) URL');
    if (!kannel.username || !kannel.password) {
      throw new ConfigError('MEMBERDESK_KANNEL_USERNAME and MEMBERDESK_KANNEL_PASSWORD are required for the kannel gateway');
    }
    if (!/^[A-Za-z0-9._~-]{16,200}$/.test(kannel.callbackSecret)) {
      throw new ConfigError('MEMBERDESK_KANNEL_CALLBACK_SECRET is required for the kannel gateway: 16–200 characters of A-Z a-z 0-9 . _ ~ -');
    }
  }
  const smtpSecure = (env.MEMBERDESK_SMTP_SECURE ?? 'off').toLowerCase();
  if (!['on', 'off', '1', '0', 'true', 'false'].includes(smtpSecure)) throw new ConfigError(`MEMBERDESK_SMTP_SECURE must be on or off, got "${env.MEMBERDESK_SMTP_SECURE}"`);
  const smtp = {
    host: env.MEMBERDESK_SMTP_HOST ? env.MEMBERDESK_SMTP_HOST : null,
    port: intVar(env, 'MEMBERDESK_SMTP_PORT', 587, 1, 65535),
    secure: ['on', '1', 'true'].includes(smtpSecure),
    user: env.MEMBERDESK_SMTP_USER ?? '',
    password: env.MEMBERDESK_SMTP_PASSWORD ?? '',
    from: env.MEMBERDESK_EMAIL_FROM ? env.MEMBERDESK_EMAIL_FROM.trim() : null,
    allowPrivateTenantHosts: ['on', '1', 'true'].includes((env.MEMBERDESK_SMTP_TENANT_PRIVATE ?? 'off').toLowerCase()),
  };
  if (smtp.host !== null) {
    if (!/^[A-Za-z0-9.:[\]-]{1,253}$/.test(smtp.host)) throw new ConfigError(`MEMBERDESK_SMTP_HOST must be a host name or IP address, got "${smtp.host}"`);
    if (!smtp.from || !parseEmailAddress(smtp.from).ok) throw new ConfigError('MEMBERDESK_EMAIL_FROM must be an email address when MEMBERDESK_SMTP_HOST is set');
    smtp.from = (parseEmailAddress(smtp.from) as { address: string }).address;
  }
  return Object.freeze({
    port,
    host: env.HOST ?? '0.0.0.0',
    dataDir: path.resolve(env.MEMBERDESK_DATA_DIR ?? './data'),
    databaseUrl: env.DATABASE_URL ? env.DATABASE_URL : null,
    embeddedPgPort: env.MEMBERDESK_PG_PORT ? intVar(env, 'MEMBERDESK_PG_PORT', 0, 1024, 65535) : null,
    adminPassword: env.MEMBERDESK_ADMIN_PASSWORD ? env.MEMBERDESK_ADMIN_PASSWORD : null,
    smsGateway: gateway,
    smsServiceNumber: serviceNumber,
    publicUrl,
    smpp,
    kannel,
    smtp,
    sessionTtlHours: intVar(env, 'MEMBERDESK_SESSION_TTL_HOURS', 12, 1, 24 * 90),
    bodyLimitBytes: intVar(env, 'MEMBERDESK_BODY_LIMIT', 1024 * 1024, 1024, 64 * 1024 * 1024),
    logLevel: env.LOG_LEVEL ?? 'info',
    consoleDir: env.MEMBERDESK_CONSOLE_DIR ? path.resolve(env.MEMBERDESK_CONSOLE_DIR) : path.join(packageRoot(), 'console/dist'),
    jobs: !(jobs === 'off' || jobs === '0' || jobs === 'false'),
    trustProxy: ['on', '1', 'true'].includes((env.MEMBERDESK_TRUST_PROXY ?? 'off').toLowerCase()),
  });
}
