/**
 * SMS reports (seed 000, 常用报表): messages received by keyword, send status, replies by
 * sub-code, cost and remaining credit — as JSON and as an Excel workbook.
 */
import ExcelJS from 'exceljs';
import { sql } from 'drizzle-orm';
import type { Tx } from '../platform/db/with-tenant.js';
import { badRequest } from '../platform/http/problem.js';

export type ReportName = 'keywords' | 'status' | 'replies' | 'cost';
export const REPORT_NAMES: ReportName[] = ['keywords', 'status', 'replies', 'cost'];

export interface ReportRange {
  /** inclusive, ISO date-time or date */
  from?: string;
  /** exclusive */
  to?: string;
}

export interface Report {
  name: ReportName;
  from: string | null;
  to: string | null;
  columns: { key: string; header: string }[];
  items: Record<string, string | number | null>[];
  totals?: Record<string, string | number | null>;
}

function range(r: ReportRange): { from: Date | null; to: Date | null } {
  const parse = (v: string | undefined, path: string) => {
    if (v === undefined || v === '') return null;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw badRequest(`${path} is not a date`, [{ path: `querystring.${path}`, message: 'must be an ISO 8601 date or date-time' }]);
    return d;
  };
  const from = parse(r.from, 'from');
  const to = parse(r.to, 'to');
  if (from && to && from > to) throw badRequest('from is after to', [{ path: 'querystring.from', message: 'must not be after to' }]);
  return { from, to };
}

export async function smsReport(tx: Tx, tenantId: string, name: ReportName, r: ReportRange): Promise<Report> {
  const { from, to } = range(r);
  const when = (col: string) =>
    sql.join(
      [from ? sql`AND ${sql.raw(col)} >= ${from.toISOString()}::timestamptz` : sql``, to ? sql`AND ${sql.raw(col)} < ${to.toISOString()}::timestamptz` : sql``],
      sql` `,
    );
  const base = { name, from: from?.toISOString() ?? null, to: to?.toISOString() ?? null };
  switch (name) {
    case 'keywords': {
      const { rows } = await tx.execute<{ keyword: string; messages: number; senders: number }>(sql`
        SELECT coalesce(keyword, 'feedback') AS keyword, count(*)::int AS messages, count(DISTINCT sender)::int AS senders
          FROM sms_inbound WHERE tenant_id = ${tenantId} ${when('created_at')}
         GROUP BY 1 ORDER BY 2 DESC, 1`);
      return {
        ...base,
        columns: [
          { key: 'keyword', header: '关键字 Keyword' },
          { key: 'messages', header: '上行条数 Messages' },
          { key: 'senders', header: '手机号数 Phones' },
        ],
        items: rows,
        totals: { keyword: '合计 Total', messages: rows.reduce((s, x) => s + x.messages, 0), senders: null },
      };
    }
    case 'status': {
      const { rows } = await tx.execute<{ status: string; messages: number; segments: number; cost_fen: string }>(sql`
        SELECT CASE WHEN status = 'submitting' THEN 'queued' ELSE status END AS status, count(*)::int AS messages,
               coalesce(sum(segments), 0)::int AS segments, coalesce(sum(cost_fen) FILTER (WHERE NOT refunded), 0)::text AS cost_fen
          FROM sms_outbound WHERE tenant_id = ${tenantId} ${when('created_at')}
         GROUP BY 1 ORDER BY 1`);
      const items = rows.map((x) => ({ status: x.status, messages: x.messages, segments: x.segments, costFen: Number(x.cost_fen) }));
      return {
        ...base,
        columns: [
          { key: 'status', header: '状态 Status' },
          { key: 'messages', header: '条数 Messages' },
          { key: 'segments', header: '计费条数 Segments' },
          { key: 'costFen', header: '费用(分) Cost (fen)' },
        ],
        items,
        totals: {
          status: '合计 Total',
          messages: items.reduce((s, x) => s + x.messages, 0),
          segments: items.reduce((s, x) => s + x.segments, 0),
          costFen: items.reduce((s, x) => s + x.costFen, 0),
        },
      };
    }
    case 'replies': {
      const { rows } = await tx.execute<{ sub_code: string; label: string | null; campaign_id: string | null; replies: number; phones: number; sent: number }>(sql`
        WITH r AS (
          SELECT sub_code, count(*)::int AS replies, count(DISTINCT sender)::int AS phones
            FROM sms_inbound WHERE tenant_id = ${tenantId} AND sub_code <> '' ${when('created_at')} GROUP BY sub_code
        ), o AS (
          SELECT sub_code, count(*)::int AS sent
            FROM sms_outbound WHERE tenant_id = ${tenantId} AND sub_code <> '' AND status <> 'suppressed' ${when('created_at')} GROUP BY sub_code
        )
        SELECT coalesce(r.sub_code, o.sub_code) AS sub_code, s.label, s.campaign_id::text, coalesce(r.replies, 0) AS replies,
               coalesce(r.phones, 0) AS phones, coalesce(o.sent, 0) AS sent
          FROM r FULL JOIN o ON o.sub_code = r.sub_code
          LEFT JOIN sms_sub_codes s ON s.tenant_id = ${tenantId} AND s.code = coalesce(r.sub_code, o.sub_code)
         ORDER BY 4 DESC, 1`);
      return {
        ...base,
        columns: [
          { key: 'subCode', header: '子号 Sub-code' },
          { key: 'label', header: '用途 Label' },
          { key: 'campaignId', header: '活动 Campaign' },
          { key: 'sent', header: '发送 Sent' },
          { key: 'replies', header: '回复 Replies' },
          { key: 'phones', header: '回复手机号 Phones' },
        ],
        items: rows.map((x) => ({ subCode: x.sub_code, label: x.label ?? '', campaignId: x.campaign_id, sent: x.sent, replies: x.replies, phones: x.phones })),
      };
    }
    case 'cost': {
      const { rows } = await tx.execute<{ day: string; messages: number; segments: number; cost_fen: string; refunded_fen: string }>(sql`
        SELECT to_char(created_at AT TIME ZONE (SELECT timezone FROM tenants WHERE id = ${tenantId}), 'YYYY-MM-DD') AS day,
               count(*) FILTER (WHERE cost_fen > 0)::int AS messages,
               coalesce(sum(segments) FILTER (WHERE cost_fen > 0), 0)::int AS segments,
               coalesce(sum(cost_fen), 0)::text AS cost_fen,
               coalesce(sum(cost_fen) FILTER (WHERE refunded), 0)::text AS refunded_fen
          FROM sms_outbound WHERE tenant_id = ${tenantId} ${when('created_at')}
         GROUP BY 1 ORDER BY 1`);
      const { rows: t } = await tx.execute<{ credit_fen: string }>(sql`SELECT credit_fen::text FROM tenants WHERE id = ${tenantId}`);
      const items = rows.map((x) => ({
        day: x.day,
        messages: x.messages,
        segments: x.segments,
        costFen: Number(x.cost_fen) - Number(x.refunded_fen),
        refundedFen: Number(x.refunded_fen),
      }));
      return {
        ...base,
        columns: [
          { key: 'day', header: '日期 Day' },
          { key: 'messages', header: '条数 Messages' },
          { key: 'segments', header: '计费条数 Segments' },
          { key: 'costFen', header: '费用(分) Cost (fen)' },
          { key: 'refundedFen', header: '退回(分) Refunded (fen)' },
        ],
        items,
        totals: {
          day: '合计 Total',
          messages: items.reduce((s, x) => s + x.messages, 0),
          segments: items.reduce((s, x) => s + x.segments, 0),
          costFen: items.reduce((s, x) => s + x.costFen, 0),
          refundedFen: items.reduce((s, x) => s + x.refundedFen, 0),
          creditFen: Number(t[0]!.credit_fen),
        },
      };
    }
  }
}

/** The report as an .xlsx workbook (one sheet, header row, totals row). */
export async function reportWorkbook(report: Report): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(report.name);
  ws.columns = report.columns.map((c) => ({ header: c.header, key: c.key, width: Math.max(12, c.header.length + 4) }));
  for (const item of report.items) ws.addRow(item);
  if (report.totals) ws.addRow(report.totals);
  if (report.totals && 'creditFen' in report.totals) {
    ws.addRow({});
    ws.addRow({ [report.columns[0]!.key]: '剩余额度(分) Credit (fen)', [report.columns[1]!.key]: report.totals.creditFen });
  }
  ws.getRow(1).font = { bold: true };
  return Buffer.from(await wb.xlsx.writeBuffer());
}
