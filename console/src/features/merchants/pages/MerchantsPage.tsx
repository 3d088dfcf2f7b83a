import { EditOutlined, PlusOutlined, ReloadOutlined, SearchOutlined, WalletOutlined } from '@ant-design/icons';
import { Button, Card, Input, Space, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Tenant } from '../../../app/api/types';
import { useFormat } from '../../../app/format';
import { DataTable } from '../../../ui/DataTable';
import { ErrorResult } from '../../../ui/ErrorResult';
import { ListToolbar } from '../../../ui/ListToolbar';
import { PageHeader } from '../../../ui/PageHeader';
import { useIsMobile } from '../../../ui/useIsMobile';
import { useMerchants } from '../api';
import { CreateMerchantModal, EditMerchantDrawer, TopUpModal } from './MerchantForms';

export function MerchantsPage() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const mobile = useIsMobile();
  const list = useMerchants();
  const [q, setQ] = useState('');
  const [creating, setCreating] = useState(false);
  const [topUp, setTopUp] = useState<Tenant | null>(null);
  const [editing, setEditing] = useState<Tenant | null>(null);

  const all = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const rows = useMemo(() => {
    const needle = q.trim().toLowerCase();
    if (!needle) return all;
    return all.filter((m) => m.name.toLowerCase().includes(needle) || m.slug.includes(needle) || m.smsExtension.includes(needle));
  }, [all, q]);

  const columns: ColumnsType<Tenant> = [
    {
      title: t('merchants.name'),
      dataIndex: 'name',
      fixed: 'left',
      render: (name: string, m) => (
        <Space orientation="vertical" size={0}>
          <Typography.Text strong>{name}</Typography.Text>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {m.slug}
          </Typography.Text>
        </Space>
      ),
      sorter: (a, b) => a.name.localeCompare(b.name),
    },
    {
      title: t('merchants.smsPort'),
      dataIndex: 'smsPort',
      render: (port: string, m) => (
        <Space orientation="vertical" size={0}>
          <span>{port}</span>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('merchants.smsExtension')} {m.smsExtension}
          </Typography.Text>
        </Space>
      ),
      sorter: (a, b) => a.smsExtension.localeCompare(b.smsExtension),
    },
    {
      title: t('merchants.credit'),
      dataIndex: 'creditFen',
      align: 'right',
      render: (fen: number, m) => <span data-testid={`credit-${m.slug}`}>{fmt.money(fen, m.currency)}</span>,
      sorter: (a, b) => a.creditFen - b.creditFen,
    },
    { title: t('home.smsPrice'), dataIndex: 'smsPriceFen', align: 'right', render: (fen: number, m) => fmt.money(fen, m.currency) },
    {
      title: t('merchants.status'),
      dataIndex: 'status',
      render: (s: string) => <Tag color={s === 'active' ? 'green' : 'orange'}>{s === 'active' ? t('status.active') : t('status.suspended')}</Tag>,
    },
    { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string, m) => <span style={{ whiteSpace: 'nowrap' }}>{fmt.dateTime(v, m.timezone)}</span> },
    {
      title: t('common.actions'),
      key: 'actions',
      fixed: mobile ? undefined : 'right',
      render: (_: unknown, m) => (
        <Space size={0}>
          <Button type="link" size="small" icon={<WalletOutlined />} onClick={() => setTopUp(m)}>
            {t('merchants.topUp')}
          </Button>
          <Button type="link" size="small" icon={<EditOutlined />} onClick={() => setEditing(m)}>
            {t('common.edit')}
          </Button>
        </Space>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title={t('merchants.title')}
        subtitle={t('merchants.subtitle')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t('merchants.new')}
          </Button>
        }
      />
      <Card>
        <ListToolbar
          filters={
            <Input
              allowClear
              prefix={<SearchOutlined />}
              placeholder={t('merchants.searchPlaceholder')}
              value={q}
              onChange={(e) => setQ(e.target.value)}
              style={{ width: 280, maxWidth: '100%' }}
              aria-label={t('common.search')}
            />
          }
          extra={
            <>
              <Typography.Text type="secondary" data-testid="merchant-count">
                {t('merchants.count', { count: all.length })}
              </Typography.Text>
              <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void list.refetch()} />
            </>
          }
        />
        {list.error ? (
          <ErrorResult error={list.error} onRetry={() => void list.refetch()} />
        ) : (
          <DataTable<Tenant>
            columns={columns}
            dataSource={rows}
            loading={list.isPending}
            emptyText={t('merchants.empty')}
          />
        )}
        {list.hasNextPage ? (
          <Button block style={{ marginTop: 12 }} loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
            {t('common.loadMore')}
          </Button>
        ) : null}
      </Card>
      <CreateMerchantModal open={creating} onClose={() => setCreating(false)} />
      <TopUpModal tenant={topUp} onClose={() => setTopUp(null)} />
      <EditMerchantDrawer tenant={editing} onClose={() => setEditing(null)} />
    </>
  );
}
