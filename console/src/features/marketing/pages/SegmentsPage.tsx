import { PlusOutlined } from '@ant-design/icons';
import { Button, Card, Flex, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { useFormat } from '../../../app/format';
import { ConfirmAction } from '../../../ui/ConfirmAction';
import { DataTable } from '../../../ui/DataTable';
import { ErrorResult } from '../../../ui/ErrorResult';
import { PageHeader } from '../../../ui/PageHeader';
import { useIsMobile } from '../../../ui/useIsMobile';
import { useDeleteSegment, useSegmentCount, useSegments, type Segment } from '../api';

/** The current size of a saved segment (each counted on its own: a slow one does not hold the list). */
function SegmentCount({ id }: { id: string }) {
  const { t } = useTranslation();
  const count = useSegmentCount(id);
  if (count.isPending) return <Typography.Text type="secondary">…</Typography.Text>;
  if (count.error) return <Typography.Text type="warning">{t('marketing.segments.countFailed')}</Typography.Text>;
  return <span data-testid="segment-count">{t('marketing.segments.members', { count: count.data.count })}</span>;
}

/** 客户细分: the merchant's saved segments with their current size. */
export function SegmentsPage() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const navigate = useNavigate();
  const mobile = useIsMobile();
  const list = useSegments();
  const del = useDeleteSegment();
  const open = (s: Segment) => navigate(`/marketing/segments/${s.id}`);
  const remove = (s: Segment) => (
    <ConfirmAction label={t('common.delete')} title={t('marketing.segments.deleteConfirm', { name: s.name })} onConfirm={() => del.mutateAsync(s.id)} />
  );
  const columns: ColumnsType<Segment> = [
    { title: t('marketing.segments.name'), dataIndex: 'name', fixed: 'left', render: (v: string, s) => <a onClick={() => open(s)}>{v}</a> },
    { title: t('marketing.segments.count'), key: 'count', render: (_: unknown, s) => <SegmentCount id={s.id} /> },
    { title: t('marketing.segments.updatedAt'), dataIndex: 'updatedAt', render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{fmt.dateTime(v)}</span> },
    { title: t('marketing.segments.updatedBy'), dataIndex: 'updatedBy' },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_: unknown, s) => (
        <Flex gap={4}>
          <Button type="link" size="small" onClick={() => open(s)}>
            {t('common.edit')}
          </Button>
          {remove(s)}
        </Flex>
      ),
    },
  ];
  return (
    <>
      <PageHeader
        title={t('marketing.segments.title')}
        subtitle={t('marketing.segments.subtitle')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/marketing/segments/new')}>
            {t('marketing.segments.new')}
          </Button>
        }
      />
      {list.error ? (
        <ErrorResult error={list.error} onRetry={() => void list.refetch()} />
      ) : mobile ? (
        <Flex vertical gap={8} data-testid="segment-list">
          {(list.data ?? []).map((s) => (
            <Card key={s.id} size="small" data-testid="segment-card" onClick={() => open(s)} style={{ cursor: 'pointer' }}>
              <Flex justify="space-between" align="center" gap={8} wrap>
                <Typography.Text strong>{s.name}</Typography.Text>
                <SegmentCount id={s.id} />
              </Flex>
              <Typography.Text type="secondary">{fmt.dateTime(s.updatedAt)}</Typography.Text>
            </Card>
          ))}
          {!list.isPending && !list.data?.length ? <Typography.Text type="secondary">{t('marketing.segments.empty')}</Typography.Text> : null}
        </Flex>
      ) : (
        <Card>
          <div data-testid="segment-list">
            <DataTable<Segment> columns={columns} dataSource={list.data ?? []} loading={list.isPending} emptyText={t('marketing.segments.empty')} />
          </div>
        </Card>
      )}
    </>
  );
}
