import path from 'node:path';
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
  return Object.freeze({
    port: intVar(env, 'PORT', 3000, 0, 65535),
    host: env.HOST ?? '0.0.0.0',
    dataDir: path.resolve(env.MEMBERDESK_DATA_DIR ?? './data'),
    databaseUrl: env.DATABASE_URL ? env.DATABASE_URL : null,
    embeddedPgPort: env.MEMBERDESK_PG_PORT ? intVar(env, 'MEMBERDESK_PG_PORT', 0, 1024, 65535) : null,
    adminPassword: env.MEMBERDESK_ADMIN_PASSWORD ? env.MEMBERDESK_ADMIN_PASSWORD : null,
    smsGateway: gateway,
    smsServiceNumber: serviceNumber,
    sessionTtlHours: intVar(env, 'MEMBERDESK_SESSION_TTL_HOURS', 12, 1, 24 * 90),
    bodyLimitBytes: intVar(env, 'MEMBERDESK_BODY_LIMIT', 1024 * 1024, 1024, 64 * 1024 * 1024),
    logLevel: env.LOG_LEVEL ?? 'info',
    consoleDir: env.MEMBERDESK_CONSOLE_DIR ? path.resolve(env.MEMBERDESK_CONSOLE_DIR) : path.join(packageRoot(), 'console/dist'),
    jobs: !(jobs === 'off' || jobs === '0' || jobs === 'false'),
    trustProxy: ['on', '1', 'true'].includes((env.MEMBERDESK_TRUST_PROXY ?? 'off').toLowerCase()),
  });
}
