import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Database } from '../platform/db/client.js';
import { installAuth } from '../platform/http/auth.js';
import { installInflightTracking } from '../platform/http/inflight.js';
import { installMetrics } from '../platform/http/metrics.js';
import { installErrorHandling, sendProblem } from '../platform/http/problem.js';
import { tenancyRoutes } from '../platform/tenancy/routes.js';
import { loyaltyRoutes } from '../loyalty/index.js';
import { membersRoutes } from '../members/index.js';
import { campaignRoutes, createCampaignRuntime, marketingRoutes, type FanoutOptions } from '../marketing/index.js';
import { careRoutes } from '../marketing/care.routes.js';
import { lotteryRoutes } from '../marketing/lottery.routes.js';
import { eventRoutes } from '../marketing/events.routes.js';
import { createEmailRuntime, createSmsRuntime, emailRoutes, messagingRoutes, type EmailDispatcherOptions, type SmsGateway } from '../messaging/index.js';
import type { DispatcherOptions } from '../messaging/dispatcher.js';
import type { Config } from './config.js';

const STATIC_EXTENSIONS = /\.(js|mjs|css|map|png|jpe?g|gif|svg|ico|webp|woff2?|ttf|json|txt|webmanifest)$/i;

export interface AppDeps {
  config: Readonly<Config>;
  database: Database;
  logger: Logger;
  /** Use this SMS gateway instead of the configured one (tests). */
  smsGateway?: SmsGateway;
  smsDispatcher?: Partial<DispatcherOptions>;
  emailDispatcher?: Partial<EmailDispatcherOptions>;
  /** Campaign fan-out settings (tests, bench). */
  campaignFanout?: Partial<FanoutOptions>;
}

/** One log line per request, when it completes, instead of Fastify's two: request logging at
 * info had cost a third of the purchase throughput (bench/loyalty.bench.ts). */
class OneLineRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, url: request.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request');
  }
}

/** Builds the whole HTTP application without listening, so tests can `inject` or listen on a
 * port of their choosing. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, database } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    logController: new OneLineRequestLog(),
    trustProxy: config.trustProxy,
    ajv: {
      // api.md: unknown fields are a 400, so never strip them silently.
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandling(app);
  // Unknown query parameters are a 400 like unknown body fields: routes that declare no
  // querystring accept none.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/v1/') && !route.schema?.querystring) {
      route.schema = { ...route.schema, querystring: { type: 'object', properties: {}, additionalProperties: false } };
    }
  });
  await app.register(cookie);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'memberdesk API',
        version: '1',
        description: 'Multi-tenant membership and CRM. Authenticate with `Authorization: Bearer <token>` (login token or API key).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());

  installAuth(app, database.pool);
  installInflightTracking(app);
  const metrics = installMetrics(app);

  app.get('/healthz', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    try {
      await database.pool.query('select 1');
      return { status: 'ok', database: 'up' };
    } catch {
      return reply.status(503).send({ status: 'unavailable', database: 'down' });
    }
  });

  await app.register(tenancyRoutes({ database, config }), { prefix: '/api/v1' });
  await app.register(loyaltyRoutes({ database }), { prefix: '/api/v1' });
  await app.register(membersRoutes({ database, config }), { prefix: '/api/v1' });
  await app.register(marketingRoutes({ database }), { prefix: '/api/v1' });
  await app.register(careRoutes({ database }), { prefix: '/api/v1' });
  await app.register(lotteryRoutes({ database }), { prefix: '/api/v1' });
  await app.register(eventRoutes({ database }), { prefix: '/api/v1' });
  await app.register((await import('../members/import/routes.js')).memberImportExportRoutes({ database, config }), { prefix: '/api/v1' });

  // SMS: the configured gateway (its HTTP callbacks, if any), the dispatcher and the inbound
  // processor start with the app and drain when it closes.
  const sms = await createSmsRuntime({ config, database, log: deps.logger, registry: metrics, gateway: deps.smsGateway, dispatcher: deps.smsDispatcher });
  app.decorate('sms', sms);
  sms.gateway.registerRoutes?.(app);
  await app.register(messagingRoutes({ database, sms }), { prefix: '/api/v1' });
  app.addHook('onReady', async () => {
    await sms.start();
  });
  app.addHook('onClose', async () => {
    await sms.stop();
  });
  // Email: the dispatcher sends through the tenant's or the deployment's SMTP server.
  const email = createEmailRuntime({ config, database, log: deps.logger, registry: metrics, dispatcher: deps.emailDispatcher });
  app.decorate('email', email);
  await app.register(emailRoutes({ database, email }), { prefix: '/api/v1' });
  app.addHook('onReady', async () => {
    await email.start();
  });
  app.addHook('onClose', async () => {
    await email.stop();
  });

  // Campaigns: the fan-out runs as pg-boss jobs (workers only with MEMBERDESK_JOBS on).
  const campaigns = createCampaignRuntime({ database, log: deps.logger, options: { work: config.jobs, ...deps.campaignFanout } });
  app.decorate('campaigns', campaigns);
  await app.register(campaignRoutes({ database, campaigns }), { prefix: '/api/v1' });
  app.addHook('onReady', async () => {
    await campaigns.start();
  });
  app.addHook('onClose', async () => {
    await campaigns.stop();
  });

  const indexHtml = path.join(config.consoleDir, 'index.html');
  const hasConsole = existsSync(indexHtml);
  if (hasConsole) {
    await app.register(fastifyStatic, {
      root: config.consoleDir,
      prefix: '/',
      wildcard: false,
      index: ['index.html'],
      cacheControl: false,
      // Vite names assets by content hash: cache them forever; the shell must be revalidated.
      // (@fastify/static 10 passes the Fastify reply here, whatever its typings say)
      setHeaders: (res, filePath) => {
        const value = filePath.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
        const target = res as unknown as { header?: (k: string, v: string) => void; setHeader?: (k: string, v: string) => void };
        if (target.header) target.header('cache-control', value);
        else target.setHeader?.('cache-control', value);
      },
    });
  } else {
    app.get('/', { config: { access: 'public' }, schema: { hide: true } }, async (_r, reply) =>
      reply.type('text/html').send('<!doctype html><title>memberdesk</title><p>The console is not built. Run <code>npm run build</code>.</p>'),
    );
  }

  app.setNotFoundHandler((request, reply) => {
    // Console routes are client-side: any other GET that is not an API path gets the app shell.
    const urlPath = request.url.split('?')[0]!;
    const looksLikeFile = urlPath.startsWith('/assets/') || STATIC_EXTENSIONS.test(urlPath);
    if (hasConsole && request.method === 'GET' && !urlPath.startsWith('/api/') && !looksLikeFile) {
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    }
    return sendProblem(reply, 404, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}`);
  });

  return app;
}
