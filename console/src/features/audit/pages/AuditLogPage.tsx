import { ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Select, Space, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AuditEntry } from '../../../app/api/types';
import { useFormat } from '../../../app/format';
import { tDynamic } from '../../../app/i18n';
import { DataTable } from '../../../ui/DataTable';
import { ErrorResult } from '../../../ui/ErrorResult';
import { ListToolbar } from '../../../ui/ListToolbar';
import { PageHeader } from '../../../ui/PageHeader';
import { AUDIT_ACTIONS, useAuditLog } from '../api';

const actionLabel = (a: string) => tDynamic(`audit.actions.${a.replace(/\./g, '_')}`, a);
const ACTOR_COLOR: Record<string, string> = { platform: 'purple', operator: 'blue', api_key: 'cyan', system: 'default' };

/** `{amountFen: 123450, name: 'x'}` → 'amountFen: ¥1,234.50, name: x'. */
function detailText(d: Record<string, unknown>, money: (fen: number) => string): string {
  return Object.entries(d)
    .map(([k, v]) => `${k}: ${typeof v === 'number' && k.endsWith('Fen') ? money(v) : typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

export function AuditLogPage() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const [action, setAction] = useState<string | undefined>();
  const log = useAuditLog({ action });
  const rows = useMemo(() => log.data?.pages.flatMap((p) => p.items) ?? [], [log.data]);

  const columns: ColumnsType<AuditEntry> = [
    { title: t('audit.time'), dataIndex: 'createdAt', fixed: 'left', render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{fmt.dateTime(v)}</span> },
    {
      title: t('audit.actor'),
      key: 'actor',
      render: (_: unknown, e) => (
        <Space size={4}>
          <Tag color={ACTOR_COLOR[e.actorType] ?? 'default'}>{tDynamic(`audit.actorTypes.${e.actorType}`, e.actorType)}</Tag>
          <span>{e.actorName}</span>
        </Space>
      ),
    },
    {
      title: t('audit.action'),
      dataIndex: 'action',
      render: (a: string) => (
        <Space orientation="vertical" size={0}>
          <span data-testid="audit-action">{actionLabel(a)}</span>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {a}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('audit.target'),
      key: 'target',
      render: (_: unknown, e) => (e.targetType ? `${tDynamic(`audit.targets.${e.targetType}`, e.targetType)} #${e.targetId ?? ''}` : '—'),
    },
    {
      title: t('audit.detail'),
      dataIndex: 'detail',
      render: (d: Record<string, unknown>) => {
        const text = detailText(d, (fen) => fmt.money(fen));
        return text ? (
          <Typography.Text ellipsis={{ tooltip: text }} style={{ maxWidth: 320 }}>
            {text}
          </Typography.Text>
        ) : (
          '—'
        );
      },
    },
    { title: t('audit.ip'), dataIndex: 'ip', render: (ip: string | null) => ip ?? '—' },
  ];

  return (
    <>
      <PageHeader title={t('audit.title')} subtitle={t('audit.subtitle')} />
      <Card>
        <ListToolbar
          filters={
            <Select
              allowClear
              placeholder={t('audit.allActions')}
              value={action}
              onChange={setAction}
              options={AUDIT_ACTIONS.map((a) => ({ value: a, label: actionLabel(a) }))}
              style={{ width: 200 }}
              aria-label={t('audit.action')}
            />
          }
          extra={
            <>
              <Typography.Text type="secondary" data-testid="audit-count">
                {t('audit.loaded', { count: rows.length })}
              </Typography.Text>
              <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void log.refetch()} />
            </>
          }
        />
        {log.error ? (
          <ErrorResult error={log.error} onRetry={() => void log.refetch()} />
        ) : (
          <DataTable<AuditEntry> columns={columns} dataSource={rows} loading={log.isPending} emptyText={t('audit.empty')} pagination={false} />
        )}
        {log.hasNextPage ? (
          <Button block style={{ marginTop: 12 }} loading={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()}>
            {t('common.loadMore')}
          </Button>
        ) : null}
      </Card>
    </>
  );
}
