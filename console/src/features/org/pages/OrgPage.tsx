import { ApartmentOutlined, BankOutlined, DeleteOutlined, EditOutlined, PlusOutlined, SearchOutlined, ShopOutlined } from '@ant-design/icons';
import { App, Button, Card, Col, Descriptions, Empty, Input, Row, Space, Tag, Tree, Typography } from 'antd';
import type { DataNode } from 'antd/es/tree';
import { useMemo, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { isApiError } from '../../../app/api/client';
import type { OrgKind, OrgNode } from '../../../app/api/types';
import { can, useSession } from '../../../app/auth/session';
import { useFormat } from '../../../app/format';
import { ConfirmAction } from '../../../ui/ConfirmAction';
import { ErrorResult } from '../../../ui/ErrorResult';
import { ListToolbar } from '../../../ui/ListToolbar';
import { Loading } from '../../../ui/Loading';
import { PageHeader } from '../../../ui/PageHeader';
import { buildOrgTree, useDeleteNode, useOrgNodes, type OrgTreeNode } from '../api';
import { CreateNodeModal, EditNodeModal } from './OrgForms';

const KIND_ICON: Record<OrgKind, ReactNode> = {
  headquarters: <BankOutlined />,
  region: <ApartmentOutlined />,
  store: <ShopOutlined />,
};
const KIND_COLOR: Record<OrgKind, string> = { headquarters: 'gold', region: 'blue', store: 'green' };

export function OrgPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const me = useSession();
  const fmt = useFormat();
  const nodesQuery = useOrgNodes();
  const remove = useDeleteNode();
  const manage = can(me, 'org.manage');
  const [selectedId, setSelectedId] = useState<string | undefined>();
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [q, setQ] = useState('');
  const [creatingUnder, setCreatingUnder] = useState<string | null>(null);
  const [editing, setEditing] = useState<OrgNode | null>(null);

  const nodes = useMemo(() => nodesQuery.data ?? [], [nodesQuery.data]);
  const tree = useMemo(() => buildOrgTree(nodes), [nodes]);
  const selected = nodes.find((n) => n.id === selectedId) ?? tree[0]?.node;

  /** Ids of nodes that match the search, plus their ancestors (so the match stays reachable). */
  const visible = useMemo(() => {
    const needle = q.trim().toLowerCase();
    if (!needle) return null;
    const keep = new Set<string>();
    const walk = (t: OrgTreeNode, ancestors: string[]): void => {
      if (t.node.name.toLowerCase().includes(needle) || (t.node.code ?? '').toLowerCase().includes(needle)) {
        keep.add(t.node.id);
        ancestors.forEach((a) => keep.add(a));
      }
      t.children.forEach((c) => walk(c, [...ancestors, t.node.id]));
    };
    tree.forEach((r) => walk(r, []));
    return keep;
  }, [q, tree]);

  const treeData = useMemo(() => {
    const toData = (entry: OrgTreeNode): DataNode | null => {
      if (visible && !visible.has(entry.node.id)) return null;
      const n = entry.node;
      return {
        key: n.id,
        icon: KIND_ICON[n.kind],
        title: (
          <Space size={6}>
            <span>{n.name}</span>
            {n.code ? <Typography.Text type="secondary">{n.code}</Typography.Text> : null}
            <Tag color={KIND_COLOR[n.kind]} style={{ marginInlineEnd: 0 }}>
              {t(`org.kinds.${n.kind}`)}
            </Tag>
          </Space>
        ),
        children: entry.children.map(toData).filter((d): d is DataNode => d !== null),
      };
    };
    return tree.map(toData).filter((d): d is DataNode => d !== null);
  }, [tree, visible, t]);

  const expandedKeys = nodes.filter((n) => !collapsed.has(n.id)).map((n) => n.id);

  const deleteNode = async (node: OrgNode) => {
    try {
      await remove.mutateAsync(node.id);
      message.success(t('org.deleted', { name: node.name }));
      setSelectedId(node.parentId ?? undefined);
    } catch (err) {
      const code = isApiError(err) ? err.code : '';
      message.error(
        code === 'org_has_children'
          ? t('org.hasChildren')
          : code === 'org_has_operators'
            ? t('org.hasOperators')
            : code === 'org_headquarters'
              ? t('org.hqNoDelete')
              : err instanceof Error
                ? err.message
                : t('errors.generic'),
      );
    }
  };

  const defaultParent = selected && selected.kind !== 'store' ? selected.id : (selected?.parentId ?? tree[0]?.node.id);

  if (nodesQuery.isPending) return <Loading />;
  if (nodesQuery.error) return <ErrorResult error={nodesQuery.error} onRetry={() => void nodesQuery.refetch()} />;

  const childCount = selected ? nodes.filter((n) => n.parentId === selected.id).length : 0;

  return (
    <>
      <PageHeader
        title={t('org.title')}
        subtitle={t('org.subtitle')}
        extra={
          manage ? (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreatingUnder(defaultParent ?? null)} disabled={!defaultParent}>
              {t('org.new')}
            </Button>
          ) : null
        }
      />
      <Row gutter={[16, 16]}>
        <Col xs={24} md={13} lg={14}>
          <Card>
            <ListToolbar
              filters={
                <Input
                  allowClear
                  prefix={<SearchOutlined />}
                  placeholder={t('org.searchPlaceholder')}
                  value={q}
                  onChange={(e) => setQ(e.target.value)}
                  style={{ width: 240, maxWidth: '100%' }}
                  aria-label={t('common.search')}
                />
              }
              extra={
                <Typography.Text type="secondary" data-testid="org-count">
                  {t('org.count', { count: nodes.length })}
                </Typography.Text>
              }
            />
            {treeData.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('org.empty')} />
            ) : (
              <Tree
                showIcon
                blockNode
                treeData={treeData}
                expandedKeys={visible ? [...visible] : expandedKeys}
                onExpand={(_keys, info) => {
                  const id = String(info.node.key);
                  setCollapsed((prev) => {
                    const next = new Set(prev);
                    if (info.expanded) next.delete(id);
                    else next.add(id);
                    return next;
                  });
                }}
                selectedKeys={selected ? [selected.id] : []}
                onSelect={(keys) => {
                  if (keys[0] !== undefined) setSelectedId(String(keys[0]));
                }}
                aria-label={t('org.title')}
              />
            )}
          </Card>
        </Col>
        <Col xs={24} md={11} lg={10}>
          <Card title={t('org.details')} data-testid="org-details">
            {selected ? (
              <>
                <Descriptions column={1} size="small">
                  <Descriptions.Item label={t('org.name')}>{selected.name}</Descriptions.Item>
                  <Descriptions.Item label={t('org.kind')}>
                    <Tag color={KIND_COLOR[selected.kind]}>{t(`org.kinds.${selected.kind}`)}</Tag>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('org.code')}>{selected.code ?? '—'}</Descriptions.Item>
                  <Descriptions.Item label={t('org.parent')}>{nodes.find((n) => n.id === selected.parentId)?.name ?? '—'}</Descriptions.Item>
                  <Descriptions.Item label={t('org.children')}>{childCount}</Descriptions.Item>
                  <Descriptions.Item label={t('common.createdAt')}>{fmt.dateTime(selected.createdAt)}</Descriptions.Item>
                </Descriptions>
                {manage ? (
                  <Space wrap style={{ marginTop: 12 }}>
                    <Button
                      icon={<PlusOutlined />}
                      disabled={selected.kind === 'store'}
                      title={selected.kind === 'store' ? t('org.storeNoChild') : undefined}
                      onClick={() => setCreatingUnder(selected.id)}
                    >
                      {t('org.addChild')}
                    </Button>
                    <Button icon={<EditOutlined />} onClick={() => setEditing(selected)}>
                      {t('common.edit')}
                    </Button>
                    <ConfirmAction
                      type="default"
                      icon={<DeleteOutlined />}
                      label={t('common.delete')}
                      title={t('org.deleteConfirm', { name: selected.name })}
                      description={t('org.deleteHint')}
                      okText={t('common.delete')}
                      disabled={selected.kind === 'headquarters'}
                      disabledReason={t('org.hqNoDelete')}
                      onConfirm={() => deleteNode(selected)}
                    />
                  </Space>
                ) : null}
              </>
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('org.selectHint')} />
            )}
          </Card>
        </Col>
      </Row>
      <CreateNodeModal
        open={creatingUnder !== null}
        parentId={creatingUnder ?? undefined}
        nodes={nodes}
        onClose={() => setCreatingUnder(null)}
        onCreated={(node) => {
          setCreatingUnder(null);
          setSelectedId(node.id);
        }}
      />
      <EditNodeModal node={editing} onClose={() => setEditing(null)} />
    </>
  );
}
