/**
 * Email (issue 5): the whole sending path against a loopback SMTP server (test/peers/smtp.ts in
 * count-only mode, in this process): POST /api/v1/email/send (template rendering, message and
 * outbox rows, 202) by 16 HTTP clients for S seconds, while the dispatcher claims batches and
 * sends them over pooled SMTP connections (3 per server). Figures: accepted requests/s and their
 * latency, messages/s from the first request to the last message the SMTP server accepted, the
 * drain time after the load stops, and server CPU (Node.js + PostgreSQL) per message.
 * Quick mode: seconds; figures not representative.
 */
import { performance } from 'node:perf_hooks';
import { SmtpSink } from '../test/peers/smtp.js';
import {
  api,
  clockTicksPerSecond,
  createMerchant,
  login,
  newDataDirPath,
  OWNER_PASSWORD,
  OWNER_USERNAME,
  removeDir,
  reportServerProblems,
  runLoad,
  serverCpuTicks,
  sleep,
  startServer,
  type BenchContext,
  type Benchmark,
  type Figure,
} from './support.js';

const ADMIN_PASSWORD = 'bench-admin-password-1';
const CONNECTIONS = 16;

const cpuOf = (pid: number) => {
  const t = serverCpuTicks(pid);
  return { node: t.node, pg: [...t.postgres.values()].reduce((a, b) => a + b, 0) };
};

async function run(ctx: BenchContext): Promise<Figure[]> {
  const seconds = ctx.quick ? 2 : 15;
  const sink = await SmtpSink.start({ countOnly: true });
  const dataDir = newDataDirPath('memberdesk-bench-email');
  const server = await startServer({
    label: 'email',
    dataDir,
    adminPassword: ADMIN_PASSWORD,
    env: { MEMBERDESK_SMTP_HOST: '127.0.0.1', MEMBERDESK_SMTP_PORT: String(sink.port), MEMBERDESK_EMAIL_FROM: 'noreply@bench.test', LOG_LEVEL: 'warn' },
  });
  try {
    await server.waitHealthy(180_000);
    const merchant = await createMerchant(server.baseUrl, ADMIN_PASSWORD, 'email');
    const token = await login(server.baseUrl, OWNER_USERNAME, OWNER_PASSWORD, merchant.slug);
    const cpu0 = cpuOf(server.pid);
    const start = performance.now();
    ctx.progress(`email: POST /email/send by ${CONNECTIONS} clients for ${seconds} s`);
    const load = await runLoad({
      url: `${server.baseUrl}/api/v1/email/send`,
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      json: { to: 'member@example.cn', subject: '会员日 8 折优惠 {merchant}', body: '亲爱的会员：\n\n本周六会员日全场 8 折，欢迎光临 {merchant}。' },
      connections: CONNECTIONS,
      durationSeconds: seconds,
    });
    const loadEnd = performance.now();
    // autocannon stops counting at the deadline with up to one request per client in flight, so
    // the number queued is read from the email log (every message once), not from its count
    const call = api(server.baseUrl, token);
    let expected = 0;
    for (let cursor: string | null = null; ; ) {
      const page: { status: number; body: { items: unknown[]; nextCursor: string | null } } = await call('GET', `/api/v1/email/messages?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      expected += page.body.items.length;
      cursor = page.body.nextCursor;
      if (!cursor) break;
    }
    const until = Date.now() + 120_000;
    while (sink.accepted < expected && Date.now() < until) await sleep(50);
    if (sink.accepted < expected) ctx.observe(`email: the SMTP server got ${sink.accepted} of ${expected} queued messages within 120 s`);
    if (load.non2xx > 0 || load.errors > 0) ctx.observe(`email: ${load.non2xx} non-2xx answers and ${load.errors} errors during the load`);
    await sleep(300);
    if (sink.duplicates > 0 || sink.seen.size !== expected) {
      ctx.observe(`email: ${expected} queued, the SMTP server got ${sink.seen.size} distinct messages and ${sink.duplicates} duplicates`);
    }
    const cpu1 = cpuOf(server.pid);
    const elapsed = (sink.lastAcceptedAt - start) / 1000;
    const tick = 1e6 / clockTicksPerSecond();
    const n = Math.max(1, sink.accepted);
    reportServerProblems(ctx, server);
    return [
      { name: 'email: POST /email/send accepted', value: load.requestsPerSecond, unit: 'req/s', note: `${CONNECTIONS} clients, ${seconds} s, ${load.ok2xx} accepted` },
      { name: 'email: POST /email/send p50', value: load.p50, unit: 'ms' },
      { name: 'email: POST /email/send p99', value: load.p99, unit: 'ms' },
      {
        name: 'email: sent end to end (first request → last accepted by the SMTP server)',
        value: sink.accepted / Math.max(0.001, elapsed),
        unit: 'msg/s',
        note: `${sink.accepted} messages, ${sink.duplicates} duplicates`,
      },
      { name: 'email: drain after the load stopped', value: Math.max(0, (sink.lastAcceptedAt - loadEnd) / 1000), unit: 's' },
      { name: 'email: server CPU per message (Node.js)', value: ((cpu1.node - cpu0.node) * tick) / n, unit: 'µs' },
      { name: 'email: server CPU per message (PostgreSQL)', value: ((cpu1.pg - cpu0.pg) * tick) / n, unit: 'µs' },
    ];
  } finally {
    await server.stop().catch(() => undefined);
    await sink.close();
    removeDir(dataDir);
  }
}

export const benchmark: Benchmark = {
  name: 'email',
  description: 'Email sending path (API → outbox → dispatcher → SMTP) against a loopback SMTP server',
  run,
};
export default benchmark;
