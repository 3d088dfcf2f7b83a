import { PlusOutlined, SearchOutlined, StopOutlined } from '@ant-design/icons';
import { App, Button, Card, Input, Popover, Space, Switch, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiKey, ApiKeyCreated } from '../../../app/api/types';
import { useFormat } from '../../../app/format';
import { permissionLabel } from '../../../app/permissions';
import { ConfirmAction } from '../../../ui/ConfirmAction';
import { DataTable } from '../../../ui/DataTable';
import { ErrorResult } from '../../../ui/ErrorResult';
import { ListToolbar } from '../../../ui/ListToolbar';
import { PageHeader } from '../../../ui/PageHeader';
import { useApiKeys, useRevokeApiKey } from '../api';
import { CreateApiKeyModal, NewKeyModal } from './ApiKeyForms';

export function ApiKeysPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const fmt = useFormat();
  const keys = useApiKeys();
  const revoke = useRevokeApiKey();
  const [q, setQ] = useState('');
  const [showRevoked, setShowRevoked] = useState(false);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);

  const rows = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return (keys.data ?? []).filter(
      (k) => (showRevoked || !k.revokedAt) && (!needle || k.name.toLowerCase().includes(needle) || k.prefix.toLowerCase().includes(needle)),
    );
  }, [keys.data, q, showRevoked]);

  const doRevoke = async (k: ApiKey) => {
    try {
      await revoke.mutateAsync(k.id);
      message.success(t('apiKeys.revoked', { name: k.name }));
    } catch (err) {
      message.error((err as Error).message);
    }
  };

  const columns: ColumnsType<ApiKey> = [
    { title: t('apiKeys.name'), dataIndex: 'name', fixed: 'left', render: (v: string) => <Typography.Text strong>{v}</Typography.Text> },
    { title: t('apiKeys.prefix'), dataIndex: 'prefix', render: (v: string) => <Typography.Text code>{v}…</Typography.Text> },
    {
      title: t('apiKeys.permissions'),
      dataIndex: 'permissions',
      render: (perms: string[]) => (
        <Popover
          content={
            <Space size={[4, 4]} wrap style={{ maxWidth: 360 }}>
              {perms.map((p) => (
                <Tag key={p}>{permissionLabel(p)}</Tag>
              ))}
            </Space>
          }
        >
          <Tag color="geekblue">{t('roles.permCount', { count: perms.length })}</Tag>
        </Popover>
      ),
    },
    {
      title: t('apiKeys.status'),
      key: 'status',
      render: (_: unknown, k) => (k.revokedAt ? <Tag>{t('status.revoked')}</Tag> : <Tag color="green">{t('apiKeys.active')}</Tag>),
    },
    { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string) => fmt.dateTime(v) },
    { title: t('apiKeys.lastUsedAt'), dataIndex: 'lastUsedAt', render: (v: string | null) => (v ? fmt.dateTime(v) : t('apiKeys.never')) },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_: unknown, k) =>
        k.revokedAt ? (
          <Typography.Text type="secondary">{fmt.dateTime(k.revokedAt)}</Typography.Text>
        ) : (
          <ConfirmAction
            icon={<StopOutlined />}
            label={t('apiKeys.revoke')}
            title={t('apiKeys.revokeConfirm', { name: k.name })}
            description={t('apiKeys.revokeHint')}
            okText={t('apiKeys.revoke')}
            onConfirm={() => doRevoke(k)}
          />
        ),
    },
  ];

  return (
    <>
      <PageHeader
        title={t('apiKeys.title')}
        subtitle={t('apiKeys.subtitle')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t('apiKeys.new')}
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
                placeholder={t('apiKeys.searchPlaceholder')}
                value={q}
                onChange={(e) => setQ(e.target.value)}
                style={{ width: 240, maxWidth: '100%' }}
                aria-label={t('common.search')}
              />
              <Space size={6}>
                <Switch size="small" checked={showRevoked} onChange={setShowRevoked} aria-label={t('apiKeys.showRevoked')} />
                <span>{t('apiKeys.showRevoked')}</span>
              </Space>
            </>
          }
          extra={<Typography.Text type="secondary">{t('common.total', { count: rows.length })}</Typography.Text>}
        />
        {keys.error ? (
          <ErrorResult error={keys.error} onRetry={() => void keys.refetch()} />
        ) : (
          <DataTable<ApiKey> columns={columns} dataSource={rows} loading={keys.isPending} emptyText={t('apiKeys.empty')} />
        )}
      </Card>
      <CreateApiKeyModal
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(k) => {
          setCreating(false);
          setCreated(k);
        }}
      />
      <NewKeyModal created={created} onClose={() => setCreated(null)} />
    </>
  );
}
