import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../../platform/db/client.js';
import { tenantActor } from '../../platform/http/auth.js';
import { IdString } from '../../platform/http/schemas.js';
import { auditExport, prepareExport, streamExport } from './service.js';

const ExportQuery = Type.Object(
  {
    format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('xlsx')], { default: 'csv' })),
    lang: Type.Optional(Type.Union([Type.Literal('zh'), Type.Literal('en')], { default: 'zh', description: 'column headers: Chinese (default) or API field names' })),
    q: Type.Optional(Type.String({ maxLength: 100 })),
    phone: Type.Optional(Type.String({ maxLength: 40 })),
    cardNo: Type.Optional(Type.String({ maxLength: 40 })),
    tier: Type.Optional(Type.String({ maxLength: 40 })),
    tag: Type.Optional(Type.String({ maxLength: 40 })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('frozen'), Type.Literal('cancelled')])),
    storeId: Type.Optional(IdString),
  },
  { additionalProperties: false },
);

export function memberExportRoutes(deps: { database: Database }): FastifyPluginAsyncTypebox {
  const { database } = deps;
  return async (app) => {
    app.get(
      '/members/export',
      {
        config: { access: 'tenant', permission: 'members.export' },
        schema: {
          tags: ['members'],
          summary: 'Export the members of a search as CSV or Excel (streamed, audited; masked without members.pii)',
          querystring: ExportQuery,
          produces: ['text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
        },
      },
      async (request, reply) => {
        const actor = tenantActor(request);
        const { format = 'csv', lang = 'zh', ...filter } = request.query;
        // the query is built (and a bad filter rejected) before the first byte goes out
        const prepared = await prepareExport(database, actor, filter);
        // `produced` is what the exporter writes; `out` goes to the client and ends only after the
        // audit entry is committed, so whoever holds a finished file can find it in the log.
        const produced = new PassThrough({ highWaterMark: 256 * 1024 });
        const out = new PassThrough({ highWaterMark: 256 * 1024 });
        produced.pipe(out, { end: false });
        produced.on('error', (err) => out.destroy(err));
        const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
        const fileName = `members-${stamp}.${format}`;
        void streamExport(database, actor, prepared, format, lang, produced)
          .then(async ({ rows, complete }) => {
            if (complete && !produced.readableEnded) await once(produced, 'end');
            await auditExport(database, actor, { format, filter, rows, masked: !prepared.canSeePii, complete });
            out.end();
          })
          .catch((err: unknown) => {
            request.log.error({ err }, 'member export: audit entry not written');
            out.destroy(err instanceof Error ? err : new Error(String(err)));
          });
        return reply
          .header('content-disposition', `attachment; filename="${fileName}"`)
          .header('cache-control', 'no-store')
          .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
          .send(out);
      },
    );
  };
}
