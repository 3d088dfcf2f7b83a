/**
 * Campaign fan-out: one SMS campaign to every member of a merchant (1,000,000; quick: 20,000)
 * through the real server (embedded PostgreSQL, pg-boss job, sandbox gateway): the estimate at
 * creation, the fan-out rate (snapshot + batches of 500, each one transaction queuing its
 * messages), the end-to-end rate until the dispatcher has submitted every message to the
 * sandbox SMSC, and the peak RSS of the server process while it runs.
 *
 *   npm run bench -- --quick --only campaigns     # 20,000 recipients
 *   npm run bench -- --only campaigns             # 1,000,000 recipients
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { api, createMerchant, freePort, login, newDataDirPath, removeDir, reportServerProblems, serverMemory, sleep, startServer, type Benchmark, type Figure } from './support.js';

const BENCH_ADMIN_PASSWORD = 'bench-admin-password-1';

function socketDirOf(dataDir: string, port: number): string | null {
  const dir = path.join(dataDir, 'pg');
  return existsSync(path.join(dir, `.s.PGSQL.${port}`)) ? dir : null;
}

export const benchmark: Benchmark = {
  name: 'campaigns',
  description: 'Campaign fan-out to 1,000,000 recipients (quick: 20,000) into the sandbox gateway: estimate time, messages per second (queued, and submitted to the SMSC), peak RSS of the server.',
  async run(ctx) {
    const figures: Figure[] = [];
    const n = ctx.quick ? 20_000 : 1_000_000;
    const dataDir = newDataDirPath();
    const pgPort = await freePort();
    const server = await startServer({ label: 'campaigns-embedded', dataDir, adminPassword: BENCH_ADMIN_PASSWORD, env: { MEMBERDESK_PG_PORT: String(pgPort), LOG_LEVEL: 'warn' } });
    let peakRssKiB = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const m = serverMemory(server.pid);
        if (Number.isFinite(m.nodeRssKiB)) peakRssKiB = Math.max(peakRssKiB, m.nodeRssKiB);
        await sleep(200);
      }
    })();
    try {
      await server.waitHealthy();
      const password = readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
      const socket = socketDirOf(dataDir, pgPort);
      const ownerUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/memberdesk${socket ? `?host=${encodeURIComponent(socket)}` : ''}`;
      const merchant = await createMerchant(server.baseUrl, BENCH_ADMIN_PASSWORD, 'camp');
      const admin = api(server.baseUrl, await login(server.baseUrl, 'admin', BENCH_ADMIN_PASSWORD));
      const credit = await admin('POST', `/api/v1/platform/tenants/${merchant.slug}/sms-credit`, { amountFen: n * 5 * 3 });
      if (credit.status !== 200) throw new Error(`credit: ${credit.status} ${JSON.stringify(credit.body)}`);
      const call = api(server.baseUrl, await login(server.baseUrl, merchant.ownerUsername, merchant.ownerPassword, merchant.slug));
      const quiet = await call('PUT', '/api/v1/sms/settings', { quietHours: { start: '00:00', end: '00:00' } });
      if (quiet.status !== 200) throw new Error(`sms settings: ${quiet.status}`);

      const owner = new pg.Client({ connectionString: ownerUrl });
      await owner.connect();
      try {
        const t0 = performance.now();
        await owner.query(
          `INSERT INTO members (tenant_id, card_no, phone, name, tags, source)
           SELECT $1, lpad(g::text, 10, '0'), '+86' || (13000000000 + g)::text, '会员' || g, '{promo}', 'import' FROM generate_series(1, $2::int) g`,
          [merchant.id, n],
        );
        await owner.query('VACUUM ANALYZE members');
        ctx.progress(`${n} members in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

        const t1 = performance.now();
        const created = await call<{ id: string; estimate: { recipients: number; costFen: number } }>('POST', '/api/v1/campaigns', {
          name: 'bench',
          channel: 'sms',
          filter: { all: [{ field: 'tag', op: 'eq', value: 'promo' }] },
          template: '{name}您好，本周会员日全场8折',
          marketing: true,
        });
        if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
        const estimateS = (performance.now() - t1) / 1000;
        figures.push({ name: 'create with estimate', value: estimateS, unit: 's', note: `${created.body.estimate.recipients} recipients, ${created.body.estimate.costFen} fen` });

        const id = created.body.id;
        const t2 = performance.now();
        const sent = await call('POST', `/api/v1/campaigns/${id}/send`);
        if (sent.status !== 202) throw new Error(`send: ${sent.status} ${JSON.stringify(sent.body)}`);
        const sendS = (performance.now() - t2) / 1000;
        figures.push({ name: 'POST /send (estimate again, credit check)', value: sendS, unit: 's' });
        let queuedAt = 0;
        let submittedAt = 0;
        let lastLog = 0;
        const deadline = Date.now() + (ctx.quick ? 300_000 : 4 * 3_600_000);
        for (;;) {
          const g = await call<{ status: string; stats: { recipients: number; queued: number; sent: number } }>('GET', `/api/v1/campaigns/${id}`);
          if (g.status !== 200) throw new Error(`get: ${g.status}`);
          const now = performance.now();
          if (!queuedAt && g.body.status === 'done') queuedAt = now;
          if (g.body.status === 'done' && g.body.stats.queued === 0 && g.body.stats.sent === n) {
            submittedAt = now;
            break;
          }
          if (now - lastLog > 10_000) {
            ctx.progress(`${g.body.status}: recipients ${g.body.stats.recipients}, queued ${g.body.stats.queued}, sent ${g.body.stats.sent}`);
            lastLog = now;
          }
          if (Date.now() > deadline) throw new Error(`not done in time: ${JSON.stringify(g.body)}`);
          await sleep(ctx.quick ? 250 : 2_000);
        }
        const fanoutS = (queuedAt - t2) / 1000;
        const e2eS = (submittedAt - t2) / 1000;
        figures.push({ name: 'fan-out (snapshot + batches queued)', value: n / fanoutS, unit: 'messages/s', note: `${n} recipients in ${fanoutS.toFixed(1)} s (status polled every ${ctx.quick ? 0.25 : 2} s)` });
        figures.push({ name: 'end to end (submitted to the sandbox SMSC)', value: n / e2eS, unit: 'messages/s', note: `${n} in ${e2eS.toFixed(1)} s` });
        const dup = await owner.query<{ n: number; members: number }>(
          `SELECT count(*)::int AS n, count(DISTINCT member_id)::int AS members FROM sms_outbound WHERE tenant_id = $1 AND campaign_id = $2`,
          [merchant.id, id],
        );
        if (dup.rows[0]!.n !== n || dup.rows[0]!.members !== n) ctx.observe(`messages ${dup.rows[0]!.n} for ${dup.rows[0]!.members} members; expected ${n} each`);
      } finally {
        await owner.end();
      }
      sampling = false;
      await sampler;
      figures.push({ name: 'peak RSS of the server (node) during the run', value: peakRssKiB / 1024, unit: 'MiB', note: 'sampled every 200 ms' });
      reportServerProblems(ctx, server);
      return figures;
    } finally {
      sampling = false;
      if (!server.exitInfo) await server.stop();
      removeDir(dataDir);
    }
  },
};
