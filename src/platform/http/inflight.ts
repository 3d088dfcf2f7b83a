import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    inflightCounted?: boolean;
  }
  interface FastifyInstance {
    /** Resolves once every request handler that started has sent (or tried to send) its reply. */
    drained(timeoutMs: number): Promise<boolean>;
  }
}

/**
 * Counts requests between the start of their handler and their reply (install it after the auth
 * hook: a request is counted from its last preHandler, so one refused or abandoned earlier is
 * never counted and never waited for). `app.close()` stops accepting and
 * waits for open sockets, but a handler whose client already went away (an abandoned login still
 * hashing) keeps running; shutdown waits for those too before it closes the database pool.
 */
export function installInflightTracking(app: FastifyInstance): void {
  let inflight = 0;
  let waiters: (() => void)[] = [];
  const done = () => {
    inflight -= 1;
    if (inflight === 0) {
      for (const w of waiters) w();
      waiters = [];
    }
  };
  app.addHook('preHandler', async (request) => {
    inflight += 1;
    request.inflightCounted = true;
  });
  // onResponse does not run for a request whose socket closed first; onSend runs whenever the
  // handler (or an error handler) produces a reply, even to a client that has left.
  app.addHook('onSend', async (request) => {
    if (request.inflightCounted) {
      request.inflightCounted = false;
      done();
    }
  });
  app.decorate('drained', (timeoutMs: number) => {
    if (inflight === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
      waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  });
}
