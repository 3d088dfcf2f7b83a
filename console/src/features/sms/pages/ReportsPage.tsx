import { DownloadOutlined } from '@ant-design/icons';
import { Button, Card, DatePicker, Segmented, Table, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { API_BASE } from '../../../app/api/client';
import { useFormat } from '../../../app/format';
import { tDynamic } from '../../../app/i18n';
import { ErrorResult } from '../../../ui/ErrorResult';
import { ListToolbar } from '../../../ui/ListToolbar';
import { PageHeader } from '../../../ui/PageHeader';
import { useReport } from '../api';
import { REPORT_NAMES, type ReportName } from '../types';
import { CreditBar, keywordLabel } from './shared';

const MONEY = new Set(['costFen', 'refundedFen', 'creditFen']);

/** 短信报表: received by keyword, send status, replies by sub-code, cost; each as Excel too. */
export function ReportsPage() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const [name, setName] = useState<ReportName>('keywords');
  const [dates, setDates] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  const range = {
    from: dates?.[0] ? dates[0].startOf('day').toISOString() : undefined,
    to: dates?.[1] ? dates[1].add(1, 'day').startOf('day').toISOString() : undefined,
  };
  const report = useReport(name, range);
  const qs = new URLSearchParams({ format: 'xlsx', ...(range.from ? { from: range.from } : {}), ...(range.to ? { to: range.to } : {}) });
  const cell = (key: string, v: string | number | null | undefined) => {
    if (v === null || v === undefined) return '';
    if (MONEY.has(key) && typeof v === 'number') return fmt.money(v);
    if (key === 'keyword' && typeof v === 'string') return keywordLabel(v);
    if (key === 'status' && typeof v === 'string') return tDynamic(`sms.statuses.${v}`, v);
    return typeof v === 'number' ? v.toLocaleString() : v;
  };
  const r = report.data;
  const rows = (r?.items ?? []).map((x, i) => ({ ...x, __key: String(i) }));
  const totals = r?.totals;
  return (
    <>
      <PageHeader title={t('sms.reports.title')} subtitle={t('sms.reports.subtitle')} />
      <CreditBar />
      <Card>
        <ListToolbar
          filters={
            <>
              <Segmented<ReportName> value={name} onChange={setName} options={REPORT_NAMES.map((n) => ({ value: n, label: t(`sms.reports.names.${n}`) }))} />
              <DatePicker.RangePicker value={dates} onChange={(v) => setDates(v as [Dayjs | null, Dayjs | null] | null)} aria-label={t('sms.reports.range')} />
            </>
          }
          extra={
            <a href={`${API_BASE}/sms/reports/${name}?${qs.toString()}`} download>
              <Button icon={<DownloadOutlined />}>{t('sms.reports.excel')}</Button>
            </a>
          }
        />
        {report.error ? (
          <ErrorResult error={report.error} onRetry={() => void report.refetch()} />
        ) : (
          <Table
            data-testid="report"
            size="middle"
            rowKey="__key"
            loading={report.isFetching}
            dataSource={rows}
            pagination={false}
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: t('sms.reports.empty') }}
            columns={(r?.columns ?? []).map((c, i) => ({
              key: c.key,
              dataIndex: c.key,
              title: tDynamic(`sms.reports.columns.${c.key}`, c.header),
              fixed: i === 0 ? ('left' as const) : undefined,
              align: typeof r?.items[0]?.[c.key] === 'number' ? ('right' as const) : undefined,
              render: (v: string | number | null) => cell(c.key, v),
            }))}
            summary={() =>
              totals ? (
                <Table.Summary.Row>
                  {(r?.columns ?? []).map((c, i) => (
                    <Table.Summary.Cell key={c.key} index={i} align={typeof totals[c.key] === 'number' ? 'right' : undefined}>
                      <Typography.Text strong>{i === 0 ? t('sms.reports.total') : cell(c.key, totals[c.key])}</Typography.Text>
                    </Table.Summary.Cell>
                  ))}
                </Table.Summary.Row>
              ) : null
            }
          />
        )}
      </Card>
    </>
  );
}
