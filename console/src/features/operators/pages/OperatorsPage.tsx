import { EditOutlined, PlusOutlined, SearchOutlined } from '@ant-design/icons';
import { Button, Card, Input, Select, Space, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Operator } from '../../../app/api/types';
import { useFormat } from '../../../app/format';
import { DataTable } from '../../../ui/DataTable';
import { ErrorResult } from '../../../ui/ErrorResult';
import { ListToolbar } from '../../../ui/ListToolbar';
import { PageHeader } from '../../../ui/PageHeader';
import { useRoles } from '../../roles';
import { useOperators } from '../api';
import { CreateOperatorModal, EditOperatorDrawer } from './OperatorForms';

export function OperatorsPage() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const operators = useOperators();
  const roles = useRoles();
  const [q, setQ] = useState('');
  const [roleId, setRoleId] = useState<string | undefined>();
  const [status, setStatus] = useState<string | undefined>();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Operator | null>(null);

  const rows = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return (operators.data ?? []).filter(
      (o) =>
        (!needle || o.name.toLowerCase().includes(needle) || o.username.toLowerCase().includes(needle)) &&
        (!roleId || o.role.id === roleId) &&
        (!status || o.status === status),
    );
  }, [operators.data, q, roleId, status]);

  const columns: ColumnsType<Operator> = [
    { title: t('operators.name'), dataIndex: 'name', fixed: 'left', render: (v: string) => <Typography.Text strong>{v}</Typography.Text> },
    { title: t('operators.username'), dataIndex: 'username' },
    { title: t('operators.role'), key: 'role', render: (_: unknown, o) => o.role.name },
    {
      title: t('operators.orgNode'),
      key: 'org',
      render: (_: unknown, o) => (
        <Space size={4}>
          <span>{o.orgNode.name}</span>
          <Tag>{o.orgNode.kind === 'headquarters' || o.orgNode.kind === 'region' || o.orgNode.kind === 'store' ? t(`org.kinds.${o.orgNode.kind}`) : o.orgNode.kind}</Tag>
        </Space>
      ),
    },
    {
      title: t('operators.status'),
      dataIndex: 'status',
      render: (s: string) => <Tag color={s === 'active' ? 'green' : 'default'}>{s === 'active' ? t('status.active') : t('status.disabled')}</Tag>,
    },
    { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string) => fmt.dateTime(v) },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_: unknown, o) => (
        <Button type="link" size="small" icon={<EditOutlined />} onClick={() => setEditing(o)}>
          {t('common.edit')}
        </Button>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title={t('operators.title')}
        subtitle={t('operators.subtitle')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t('operators.new')}
          </Button>
        }
      />
      <Card>
        <ListToolbar
          filters={
            <>
              <Input
                allowClear
                prefix={<SearchOutlined />}
                placeholder={t('operators.searchPlaceholder')}
                value={q}
                onChange={(e) => setQ(e.target.value)}
                style={{ width: 220, maxWidth: '100%' }}
                aria-label={t('common.search')}
              />
              <Select
                allowClear
                placeholder={t('operators.allRoles')}
                value={roleId}
                onChange={setRoleId}
                options={(roles.data ?? []).map((r) => ({ value: r.id, label: r.name }))}
                style={{ width: 160 }}
              />
              <Select
                allowClear
                placeholder={t('operators.allStatus')}
                value={status}
                onChange={setStatus}
                options={[
                  { value: 'active', label: t('status.active') },
                  { value: 'disabled', label: t('status.disabled') },
                ]}
                style={{ width: 120 }}
              />
            </>
          }
          extra={<Typography.Text type="secondary">{t('common.total', { count: rows.length })}</Typography.Text>}
        />
        {operators.error ? (
          <ErrorResult error={operators.error} onRetry={() => void operators.refetch()} />
        ) : (
          <DataTable<Operator> columns={columns} dataSource={rows} loading={operators.isPending} emptyText={t('operators.empty')} />
        )}
      </Card>
      <CreateOperatorModal open={creating} onClose={() => setCreating(false)} />
      <EditOperatorDrawer operator={editing} onClose={() => setEditing(null)} />
    </>
  );
}
