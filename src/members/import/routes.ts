import path from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Logger } from 'pino';
import type { Config } from '../../server/config.js';
import type { Database } from '../../platform/db/client.js';
import { tenantActor, type TenantActor } from '../../platform/http/auth.js';
import { PageQuery, pageOf } from '../../platform/http/pagination.js';
import { AppError } from '../../platform/http/problem.js';
import { IdParams, IdString, Timestamp } from '../../platform/http/schemas.js';
import { memberExportRoutes } from '../export/routes.js';
import { TARGET_PATTERN, type Mapping } from './mapping.rules.js';
import { createImport, deleteImport, errorReport, getImport, listImports, startRun, stopAllRuns, type ImportActor, type ImportDeps } from './service.js';

/** Largest upload: a million members as CSV are about 80 MB. */
const MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;

/** What an upload may be sent as: the file itself is the request body (no multipart). Excel on
 * Windows labels CSV files application/vnd.ms-excel, browsers often send octet-stream. */
const FILE_TYPES = [
  'text/csv',
  'text/plain',
  'text/tab-separated-values',
  'application/csv',
  'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/octet-stream',
];

const ImportSchema = Type.Object({
  id: IdString,
  fileName: Type.String(),
  format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')]),
  encoding: Type.Union([Type.String(), Type.Null()], { description: 'csv: detected text encoding (utf-8, gb18030, utf-16le/be)' }),
  delimiter: Type.Union([Type.String(), Type.Null()]),
  sizeBytes: Type.Integer(),
  columns: Type.Array(Type.String(), { description: 'header row, made unique ("备注", "备注 (2)")' }),
  sample: Type.Array(Type.Array(Type.String()), { description: 'first data rows (phone/name masked without members.pii)' }),
  suggestedMapping: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]), {
    description: 'column → field suggested from the headers; null = known and ignored; a column missing here needs a decision',
  }),
  status: Type.Union([
    Type.Literal('uploaded'),
    Type.Literal('validating'),
    Type.Literal('validated'),
    Type.Literal('importing'),
    Type.Literal('completed'),
    Type.Literal('failed'),
  ]),
  mode: Type.Union([Type.Literal('dry_run'), Type.Literal('commit'), Type.Null()]),
  options: Type.Union([
    Type.Object({
      mapping: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])),
      onDuplicate: Type.String(),
      commitGoodRows: Type.Boolean(),
    }),
    Type.Null(),
  ]),
  progress: Type.Object({
    total: Type.Union([Type.Integer(), Type.Null()], { description: 'data rows in the file, once read' }),
    processed: Type.Integer(),
    imported: Type.Integer({ description: 'new members created (a dry run: that would be created)' }),
    skipped: Type.Integer(),
    merged: Type.Integer(),
    failed: Type.Integer({ description: 'rows with errors' }),
    percent: Type.Integer(),
  }),
  errorCount: Type.Integer(),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  createdBy: Type.String(),
  createdAt: Timestamp,
  startedAt: Type.Union([Timestamp, Type.Null()]),
  finishedAt: Type.Union([Timestamp, Type.Null()]),
});

const RunBody = Type.Object(
  {
    mapping: Type.Optional(
      Type.Record(Type.String({ maxLength: 200 }), Type.Union([Type.String({ pattern: TARGET_PATTERN }), Type.Null()]), {
        maxProperties: 500,
        description: 'file column → phone | name | gender | birthday | email | cardNo | storeCode | storeName | tags | createdAt | attributes.<key>, or null to ignore; columns left out use suggestedMapping',
      }),
    ),
    onDuplicate: Type.Optional(Type.Union([Type.Literal('skip'), Type.Literal('merge')], { default: 'skip', description: 'a phone that is already a member' })),
    commitGoodRows: Type.Optional(Type.Boolean({ default: false, description: 'false: all or nothing; true: import the good rows, report the bad ones' })),
  },
  { additionalProperties: false },
);

const UploadQuery = Type.Object(
  {
    fileName: Type.Optional(Type.String({ maxLength: 200 })),
    encoding: Type.Optional(Type.Union([Type.Literal('utf-8'), Type.Literal('gb18030'), Type.Literal('utf-16le'), Type.Literal('utf-16be')], { description: 'overrides detection (csv)' })),
    delimiter: Type.Optional(Type.Union([Type.Literal(','), Type.Literal(';'), Type.Literal('\t'), Type.Literal('|')], { description: 'overrides detection (csv)' })),
  },
  { additionalProperties: false },
);

const importActor = (a: TenantActor): ImportActor => ({ ...a, permissions: a.permissions });
/** The caller as the import service sees it. The import services manage their own connections
 * and transactions (an import outlives its request), so `inTenant`'s one transaction does not fit. */
const callerOf = (request: FastifyRequest): ImportActor => importActor(tenantActor(request));

export function memberImportExportRoutes(deps: { database: Database; config: Readonly<Config>; log?: Logger }): FastifyPluginAsyncTypebox {
  return async (app) => {
    const importDeps: ImportDeps = {
      database: deps.database,
      dir: path.join(deps.config.dataDir, 'imports'),
      log: deps.log ?? (app.log as unknown as Logger),
      maxBytes: MAX_UPLOAD_BYTES,
    };
    // Leave the body unread: the handler streams it to disk (this parser applies to the routes
    // of this plugin only).
    app.addContentTypeParser(FILE_TYPES, (_request, payload, done) => done(null, payload));
    app.addHook('onClose', async () => stopAllRuns());

    const access = { access: 'tenant', permission: 'members.import' } as const;

    app.post(
      '/members/imports',
      {
        config: access,
        bodyLimit: MAX_UPLOAD_BYTES,
        schema: {
          tags: ['members'],
          summary: 'Upload a CSV or .xlsx file of members (the file is the request body)',
          description:
            'Send the file itself as the body (Content-Type text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet or application/octet-stream). ' +
            'The format and, for CSV, the encoding (UTF-8 with or without BOM, GBK/GB18030, UTF-16) and delimiter are detected. Answers with the header, a sample and a suggested mapping.',
          querystring: UploadQuery,
          consumes: FILE_TYPES,
          response: { 201: ImportSchema },
        },
      },
      async (request, reply) => {
        const actor = callerOf(request);
        const body = request.body as unknown;
        if (!(body instanceof Readable)) {
          throw new AppError(415, 'import_body', 'Send the file itself as the request body (Content-Type text/csv or the .xlsx type), not JSON or a form');
        }
        const view = await createImport(importDeps, actor, body, request.query);
        return reply.status(201).send(view);
      },
    );

    app.get(
      '/members/imports',
      { config: access, schema: { tags: ['members'], summary: 'Imports of this merchant, newest first', querystring: Type.Object(PageQuery, { additionalProperties: false }), response: { 200: pageOf(ImportSchema) } } },
      async (request) => listImports(importDeps, callerOf(request), { limit: request.query.limit ?? 50, cursor: request.query.cursor }),
    );

    app.get(
      '/members/imports/:id',
      { config: access, schema: { tags: ['members'], summary: 'State and progress of an import (poll it while it runs)', params: IdParams, response: { 200: ImportSchema } } },
      async (request) => getImport(importDeps, callerOf(request), request.params.id),
    );

    for (const [suffix, mode] of [['dry-run', 'dry_run'], ['commit', 'commit']] as const) {
      app.post(
        `/members/imports/:id/${suffix}`,
        {
          config: access,
          schema: {
            tags: ['members'],
            summary: mode === 'dry_run' ? 'Validate every row and report errors; imports nothing' : 'Import the file (all or nothing unless commitGoodRows)',
            params: IdParams,
            body: RunBody,
            response: { 202: ImportSchema },
          },
        },
        async (request, reply) => {
          const actor = callerOf(request);
          const body = request.body;
          const view = await startRun(importDeps, actor, request.params.id, mode, {
            mapping: (body.mapping ?? {}) as Mapping,
            onDuplicate: body.onDuplicate ?? 'skip',
            commitGoodRows: body.commitGoodRows ?? false,
          });
          return reply.status(202).send(view);
        },
      );
    }

    app.get(
      '/members/imports/:id/errors.csv',
      {
        config: access,
        schema: { tags: ['members'], summary: 'The error report of the latest run: row, column, value, reason (CSV)', params: IdParams, produces: ['text/csv'] },
      },
      async (request, reply) => {
        const actor = callerOf(request);
        const lines = errorReport(importDeps, actor, request.params.id);
        // read the first chunk here, so a missing import is a 404 and not a broken download
        const first = await lines.next();
        const body = Readable.from(
          (async function* () {
            if (!first.done) yield first.value;
            yield* lines;
          })(),
        );
        return reply
          .header('content-disposition', `attachment; filename="import-${request.params.id}-errors.csv"`)
          .type('text/csv; charset=utf-8')
          .send(body);
      },
    );

    app.delete(
      '/members/imports/:id',
      { config: access, schema: { tags: ['members'], summary: 'Discard an import and its uploaded file', params: IdParams } },
      async (request, reply) => {
        await deleteImport(importDeps, callerOf(request), request.params.id);
        return reply.status(204).send();
      },
    );

    await app.register(memberExportRoutes({ database: deps.database }));
  };
}
