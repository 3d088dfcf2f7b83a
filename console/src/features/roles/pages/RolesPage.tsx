import { DeleteOutlined, EditOutlined, PlusOutlined, SearchOutlined } from '@ant-design/icons';
import { App, Button, Card, Input, Popover, Space, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isApiError } from '../../../app/api/client';
import type { Role } from '../../../app/api/types';
import { can, useSession } from '../../../app/auth/session';
import { permissionLabel } from '../../../app/permissions';
import { ConfirmAction } from '../../../ui/ConfirmAction';
import { DataTable } from '../../../ui/DataTable';
import { ErrorResult } from '../../../ui/ErrorResult';
import { ListToolbar } from '../../../ui/ListToolbar';
import { PageHeader } from '../../../ui/PageHeader';
import { useDeleteRole, useRoles } from '../api';
import { RoleDrawer } from './RoleDrawer';

export function RolesPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const me = useSession();
  const roles = useRoles();
  const remove = useDeleteRole();
  const manage = can(me, 'roles.manage');
  const [q, setQ] = useState('');
  const [drawer, setDrawer] = useState<{ role: Role | null } | null>(null);

  const rows = useMemo(() => {
    const needle = q.trim().toLowerCase();
    const all = roles.data ?? [];
    return needle ? all.filter((r) => r.name.toLowerCase().includes(needle) || r.code.includes(needle)) : all;
  }, [roles.data, q]);

  const del = async (role: Role) => {
    try {
      await remove.mutateAsync(role.id);
      message.success(t('roles.deleted', { name: role.name }));
    } catch (err) {
      const code = isApiError(err) ? err.code : '';
      message.error(code === 'role_in_use' ? t('roles.inUse') : code === 'builtin_role' ? t('roles.builtinReadonly') : (err as Error).message);
    }
  };

  const columns: ColumnsType<Role> = [
    { title: t('roles.name'), dataIndex: 'name', fixed: 'left', render: (v: string) => <Typography.Text strong>{v}</Typography.Text> },
    { title: t('roles.code'), dataIndex: 'code', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
    {
      title: t('roles.type'),
      dataIndex: 'builtin',
      render: (b: boolean) => (b ? <Tag>{t('roles.builtin')}</Tag> : <Tag color="blue">{t('roles.custom')}</Tag>),
      filters: [
        { text: t('roles.builtin'), value: true },
        { text: t('roles.custom'), value: false },
      ],
      onFilter: (value, r) => r.builtin === value,
    },
    {
      title: t('roles.permissions'),
      dataIndex: 'permissions',
      render: (perms: string[]) => (
        <Popover
          title={t('roles.permissions')}
          content={
            <Space size={[4, 4]} wrap style={{ maxWidth: 360 }}>
              {perms.map((p) => (
                <Tag key={p}>{permissionLabel(p)}</Tag>
              ))}
            </Space>
          }
        >
          <Tag color="geekblue" style={{ cursor: 'default' }}>
            {t('roles.permCount', { count: perms.length })}
          </Tag>
        </Popover>
      ),
    },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_: unknown, r) =>
        manage && !r.builtin ? (
          <Space size={0}>
            <Button type="link" size="small" icon={<EditOutlined />} onClick={() => setDrawer({ role: r })}>
              {t('common.edit')}
            </Button>
            <ConfirmAction
              icon={<DeleteOutlined />}
              label={t('common.delete')}
              title={t('roles.deleteConfirm', { name: r.name })}
              okText={t('common.delete')}
              onConfirm={() => del(r)}
            />
          </Space>
        ) : (
          <Tooltip title={r.builtin ? t('roles.builtinReadonly') : undefined}>
            <Typography.Text type="secondary">—</Typography.Text>
          </Tooltip>
        ),
    },
  ];

  return (
    <>
      <PageHeader
        title={t('roles.title')}
        subtitle={t('roles.subtitle')}
        extra={
          manage ? (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setDrawer({ role: null })}>
              {t('roles.new')}
            </Button>
          ) : null
        }
      />
      <Card>
        <ListToolbar
          filters={
            <Input
              allowClear
              prefix={<SearchOutlined />}
              placeholder={t('roles.searchPlaceholder')}
              value={q}
              onChange={(e) => setQ(e.target.value)}
              style={{ width: 260, maxWidth: '100%' }}
              aria-label={t('common.search')}
            />
          }
          extra={<Typography.Text type="secondary">{t('common.total', { count: roles.data?.length ?? 0 })}</Typography.Text>}
        />
        {roles.error ? (
          <ErrorResult error={roles.error} onRetry={() => void roles.refetch()} />
        ) : (
          <DataTable<Role> columns={columns} dataSource={rows} loading={roles.isPending} emptyText={t('roles.empty')} />
        )}
      </Card>
      <RoleDrawer open={drawer !== null} role={drawer?.role ?? null} onClose={() => setDrawer(null)} />
    </>
  );
}
