import { PlusOutlined, ReloadOutlined, SearchOutlined } from '@ant-design/icons';
import { Button, Card, Empty, Flex, Input, Select, Space, Spin, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import { isApiError } from '../../../app/api/client';
import type { Member, MemberStatus } from '../../../app/api/types';
import { can, useSession } from '../../../app/auth/session';
import { useFormat } from '../../../app/format';
import { DataTable } from '../../../ui/DataTable';
import { ErrorResult } from '../../../ui/ErrorResult';
import { formatPhone } from '../../../ui/format';
import { ListToolbar } from '../../../ui/ListToolbar';
import { PageHeader } from '../../../ui/PageHeader';
import { useDebounced } from '../../../ui/useDebounced';
import { useIsMobile } from '../../../ui/useIsMobile';
import { lookupMember, useMemberTags, useMembers, type MemberFilter } from '../api';
import { RegisterMemberDrawer } from './MemberForms';
import { StatusTag, TierTag, useStores } from './shared';

/** 直达会员: a phone or card number straight to that member's page. */
function LookupBox() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const go = async (raw: string) => {
    const k = raw.trim();
    if (!k) return;
    setBusy(true);
    setError(null);
    try {
      const m = await lookupMember(k);
      navigate(`/members/${m.id}`);
    } catch (err) {
      setError(isApiError(err) && (err.status === 404 || err.status === 400) ? t('members.lookupNotFound', { key: k }) : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div style={{ width: 360, maxWidth: '100%' }}>
      <Input.Search
        value={key}
        onChange={(e) => {
          setKey(e.target.value);
          setError(null);
        }}
        onSearch={(v) => void go(v)}
        placeholder={t('members.lookupPlaceholder')}
        enterButton={t('members.lookup')}
        loading={busy}
        inputMode="tel"
        aria-label={t('members.lookup')}
        status={error ? 'error' : undefined}
      />
      {error ? (
        <Typography.Text type="danger" role="alert" style={{ display: 'block', marginTop: 4 }}>
          {error}
        </Typography.Text>
      ) : null}
    </div>
  );
}

/** One member as a tappable card (phones). */
function MemberCard({ m, onOpen }: { m: Member; onOpen: () => void }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  return (
    <Card
      size="small"
      hoverable
      onClick={onOpen}
      role="link"
      tabIndex={0}
      onKeyDown={(e) => e.key === 'Enter' && onOpen()}
      data-testid="member-card"
    >
      <Flex justify="space-between" align="baseline" gap="small">
        <Typography.Text strong style={{ fontSize: 16 }}>
          {m.name ?? t('members.noName')}
        </Typography.Text>
        <Typography.Text>{formatPhone(m.phone)}</Typography.Text>
      </Flex>
      <Flex justify="space-between" align="center" gap="small" wrap style={{ marginTop: 4 }}>
        <Typography.Text type="secondary">{m.cardNo}</Typography.Text>
        <Space size={4}>
          {m.status !== 'active' ? <StatusTag status={m.status} /> : null}
          <TierTag tier={m.tier} />
        </Space>
      </Flex>
      <Flex gap="middle" wrap style={{ marginTop: 4 }}>
        <span>
          {t('members.points')} <Typography.Text strong>{m.points.toLocaleString()}</Typography.Text>
        </span>
        <span>
          {t('members.storedValue')} <Typography.Text strong>{fmt.money(m.storedValueFen)}</Typography.Text>
        </span>
      </Flex>
      {m.tags.length ? (
        <div style={{ marginTop: 4 }}>
          {m.tags.map((x) => (
            <Tag key={x}>{x}</Tag>
          ))}
        </div>
      ) : null}
    </Card>
  );
}

export function MembersPage() {
  const { t } = useTranslation();
  const me = useSession();
  const fmt = useFormat();
  const navigate = useNavigate();
  const mobile = useIsMobile();
  const stores = useStores();
  const tags = useMemberTags();
  const [qInput, setQInput] = useState('');
  const q = useDebounced(qInput.trim(), 300);
  const [tag, setTag] = useState<string | undefined>();
  const [status, setStatus] = useState<MemberStatus | undefined>();
  const [storeId, setStoreId] = useState<string | undefined>();
  const [registering, setRegistering] = useState(false);
  const filter: MemberFilter = { q: q || undefined, tag, status, storeId };
  const filtered = Boolean(filter.q || tag || status || storeId);
  const list = useMembers(filter);
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const open = (m: Member) => navigate(`/members/${m.id}`);
  const writer = can(me, 'members.write');

  const columns: ColumnsType<Member> = [
    {
      title: t('members.cardNo'),
      dataIndex: 'cardNo',
      fixed: 'left',
      render: (v: string, m) => (
        <Link to={`/members/${m.id}`} onClick={(e) => e.stopPropagation()} style={{ whiteSpace: 'nowrap' }}>
          {v}
        </Link>
      ),
    },
    {
      title: t('members.name'),
      dataIndex: 'name',
      render: (v: string | null, m) => (
        <Space size={4}>
          {v ? <Typography.Text strong>{v}</Typography.Text> : <Typography.Text type="secondary">{t('members.noName')}</Typography.Text>}
          {m.status !== 'active' ? <StatusTag status={m.status} /> : null}
        </Space>
      ),
    },
    { title: t('members.phone'), dataIndex: 'phone', render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{formatPhone(v)}</span> },
    { title: t('members.tier'), dataIndex: 'tier', render: (v: Member['tier']) => <TierTag tier={v} /> },
    { title: t('members.points'), dataIndex: 'points', align: 'right', render: (v: number) => v.toLocaleString() },
    { title: t('members.storedValue'), dataIndex: 'storedValueFen', align: 'right', render: (v: number) => fmt.money(v) },
    {
      title: t('members.tags'),
      dataIndex: 'tags',
      render: (v: string[]) =>
        v.length ? (
          <Flex wrap gap={4}>
            {v.map((x) => (
              <Tag key={x} style={{ marginInlineEnd: 0 }}>
                {x}
              </Tag>
            ))}
          </Flex>
        ) : (
          '—'
        ),
    },
    { title: t('members.createdAt'), dataIndex: 'createdAt', render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{fmt.dateTime(v)}</span> },
  ];

  const emptyText = filtered ? t('members.noMatch') : t('members.empty');

  return (
    <>
      <PageHeader
        title={t('members.title')}
        subtitle={t('members.subtitle')}
        extra={
          writer ? (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setRegistering(true)}>
              {t('members.new')}
            </Button>
          ) : null
        }
      />
      <Card style={{ marginBottom: 16 }}>
        <LookupBox />
      </Card>
      <Card>
        <ListToolbar
          filters={
            <>
              <Input
                allowClear
                prefix={<SearchOutlined />}
                placeholder={t('members.searchPlaceholder')}
                value={qInput}
                onChange={(e) => setQInput(e.target.value)}
                style={{ width: mobile ? '100%' : 240, maxWidth: '100%' }}
                aria-label={t('common.search')}
                aria-describedby="member-search-hint"
              />
              <Select
                allowClear
                showSearch
                placeholder={t('members.allTags')}
                value={tag}
                onChange={setTag}
                options={(tags.data ?? []).map((x) => ({ value: x.tag, label: `${x.tag} (${x.count})` }))}
                style={{ width: 150 }}
                aria-label={t('members.tags')}
              />
              <Select
                allowClear
                placeholder={t('members.allStatus')}
                value={status}
                onChange={setStatus}
                options={(['active', 'frozen', 'cancelled'] as const).map((s) => ({ value: s, label: t(`members.statuses.${s}`) }))}
                style={{ width: 120 }}
                aria-label={t('members.status')}
              />
              {stores.options.length ? (
                <Select
                  allowClear
                  showSearch
                  optionFilterProp="label"
                  placeholder={t('members.allStores')}
                  value={storeId}
                  onChange={setStoreId}
                  options={stores.options}
                  style={{ width: 160 }}
                  aria-label={t('members.store')}
                />
              ) : null}
            </>
          }
          extra={
            <>
              <Typography.Text type="secondary" data-testid="member-count">
                {t('members.loaded', { count: rows.length })}
              </Typography.Text>
              <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void list.refetch()} />
            </>
          }
        />
        <Typography.Paragraph type="secondary" id="member-search-hint" style={{ marginTop: -4, fontSize: 12 }}>
          {t('members.searchHint')}
        </Typography.Paragraph>
        {list.error ? (
          <ErrorResult error={list.error} onRetry={() => void list.refetch()} />
        ) : mobile ? (
          <Spin spinning={list.isFetching && !list.isFetchingNextPage}>
            <Flex vertical gap={8} data-testid="member-cards">
              {rows.map((m) => (
                <MemberCard key={m.id} m={m} onOpen={() => open(m)} />
              ))}
              {!list.isPending && rows.length === 0 ? <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={emptyText} /> : null}
            </Flex>
          </Spin>
        ) : (
          <DataTable<Member>
            columns={columns}
            dataSource={rows}
            loading={list.isFetching && !list.isFetchingNextPage}
            pagination={false}
            emptyText={emptyText}
            onRow={(m) => ({ onClick: () => open(m), style: { cursor: 'pointer' } })}
          />
        )}
        {list.hasNextPage ? (
          <Button block style={{ marginTop: 12 }} loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
            {t('common.loadMore')}
          </Button>
        ) : null}
      </Card>
      {writer ? <RegisterMemberDrawer open={registering} onClose={() => setRegistering(false)} /> : null}
    </>
  );
}
