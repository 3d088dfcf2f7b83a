import { ArrowLeftOutlined, LockOutlined, MobileOutlined, PauseCircleOutlined, PlayCircleOutlined } from '@ant-design/icons';
import { App, Avatar, Button, Card, Col, Descriptions, Empty, Flex, Popconfirm, Row, Space, Statistic, Tabs, Tag, Timeline, Tooltip, Typography } from 'antd';
import type { TFunction } from 'i18next';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams, useSearchParams } from 'react-router-dom';
import type { AttributeDef, Member, MemberChange } from '../../../app/api/types';
import { can, useSession } from '../../../app/auth/session';
import { useFormat } from '../../../app/format';
import { ErrorResult } from '../../../ui/ErrorResult';
import { formatPhone } from '../../../ui/format';
import { Loading } from '../../../ui/Loading';
import { MemberLoyaltyActions, MemberLoyaltySummary, MemberLoyaltyTab } from '../../loyalty';
import { MemberFeedbackTab, MemberSmsTab } from '../../sms';
import { useAttributeDefs, useMember, useMemberChanges, useUpdateMember } from '../api';
import { ProfileForm, RebindPhoneModal } from './MemberForms';
import { StatusTag, TierTag, sourceLabel, useStores, valueText } from './shared';

const TABS = ['profile', 'orders', 'points', 'storedValue', 'tiers', 'sms', 'feedback', 'changes'] as const;
type Tab = (typeof TABS)[number];
const LOYALTY_TABS = ['orders', 'points', 'storedValue', 'tiers'] as const;
const isLoyaltyTab = (k: Tab): k is (typeof LOYALTY_TABS)[number] => (LOYALTY_TABS as readonly string[]).includes(k);

const FIELD_LABEL_KEYS = {
  name: 'members.name',
  gender: 'members.gender',
  birthday: 'members.birthday',
  storeId: 'members.store',
  tags: 'members.tags',
  smsOptOut: 'members.smsOptOut',
  email: 'members.email',
  emailOptOut: 'members.emailOptOut',
  status: 'members.status',
  phone: 'members.phone',
  cardNo: 'members.cardNo',
  source: 'members.source',
} as const;

/** One changed field of a history entry: label, before → after. */
interface FieldChange {
  key: string;
  label: string;
  before?: string;
  after: string;
}

function fieldChanges(t: TFunction, c: MemberChange, defs: ReadonlyMap<string, AttributeDef>, storeName: (id: string) => string): FieldChange[] {
  const before = c.before ?? {};
  const after = c.after ?? {};
  const show = (field: string, v: unknown): string => {
    if (v === null || v === undefined || v === '') return t('members.none');
    if (field === 'gender' && (v === 'male' || v === 'female' || v === 'other')) return t(`members.genders.${v}`);
    if (field === 'status' && (v === 'active' || v === 'frozen' || v === 'cancelled')) return t(`members.statuses.${v}`);
    if (field === 'storeId') return storeName(String(v));
    if (field === 'source') return sourceLabel(String(v));
    if (field === 'phone') return formatPhone(String(v));
    return valueText(t, v);
  };
  const out: FieldChange[] = [];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  for (const k of keys) {
    if (k === 'attributes') {
      const a = (before.attributes ?? {}) as Record<string, unknown>;
      const b = (after.attributes ?? {}) as Record<string, unknown>;
      for (const ak of [...new Set([...Object.keys(a), ...Object.keys(b)])]) {
        const def = defs.get(ak);
        out.push({ key: `attributes.${ak}`, label: def?.label ?? ak, before: valueText(t, a[ak], def), after: valueText(t, b[ak], def) });
      }
      continue;
    }
    const labelKey = FIELD_LABEL_KEYS[k as keyof typeof FIELD_LABEL_KEYS];
    out.push({
      key: k,
      label: labelKey ? t(labelKey) : k,
      // a registration has no "before"
      before: c.change === 'created' ? undefined : show(k, before[k]),
      after: show(k, after[k]),
    });
  }
  return out;
}

const KIND_COLOR: Record<string, string> = { created: 'green', profile: 'blue', status: 'orange', phone: 'red' };

function ChangeHistory({ memberId }: { memberId: string }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const changes = useMemberChanges(memberId);
  const defs = useAttributeDefs();
  const stores = useStores();
  const defMap = useMemo(() => new Map((defs.data ?? []).map((d) => [d.key, d])), [defs.data]);
  const rows = useMemo(() => changes.data?.pages.flatMap((p) => p.items) ?? [], [changes.data]);

  if (changes.isPending) return <Loading />;
  if (changes.error) return <ErrorResult error={changes.error} onRetry={() => void changes.refetch()} />;
  if (rows.length === 0) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('members.changes.empty')} />;

  const kindLabel = (k: string) => (k === 'created' || k === 'profile' || k === 'status' || k === 'phone' ? t(`members.changes.kinds.${k}`) : k);
  return (
    <>
      <Timeline
        data-testid="member-changes"
        items={rows.map((c) => ({
          key: c.id,
          color: KIND_COLOR[c.change] ?? 'gray',
          content: (
            <div data-testid="member-change">
              <Space wrap size={[8, 0]}>
                <Typography.Text strong>{kindLabel(c.change)}</Typography.Text>
                <Typography.Text type="secondary">{fmt.dateTime(c.createdAt)}</Typography.Text>
                <Typography.Text type="secondary">{c.actorName}</Typography.Text>
              </Space>
              {fieldChanges(t, c, defMap, stores.name).map((f) => (
                <div key={f.key}>
                  <Typography.Text type="secondary">{t('members.changes.field', { label: f.label })}</Typography.Text>
                  {f.before !== undefined ? (
                    <>
                      <Typography.Text delete type="secondary">
                        {f.before}
                      </Typography.Text>
                      {' → '}
                    </>
                  ) : null}
                  <Typography.Text>{f.after}</Typography.Text>
                </div>
              ))}
              {c.reason ? <Typography.Text type="secondary">{t('members.changes.reason', { reason: c.reason })}</Typography.Text> : null}
            </div>
          ),
        }))}
      />
      {changes.hasNextPage ? (
        <Button block loading={changes.isFetchingNextPage} onClick={() => void changes.fetchNextPage()}>
          {t('common.loadMore')}
        </Button>
      ) : null}
    </>
  );
}

function StatusAction({ member }: { member: Member }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const update = useUpdateMember();
  if (member.status === 'cancelled') return null;
  const freezing = member.status === 'active';
  const run = async () => {
    try {
      await update.mutateAsync({ id: member.id, patch: { status: freezing ? 'frozen' : 'active' } });
      message.success(freezing ? t('members.detail.frozen') : t('members.detail.unfrozen'));
    } catch (err) {
      message.error(err instanceof Error ? err.message : t('errors.generic'));
    }
  };
  return (
    <Popconfirm
      title={freezing ? t('members.detail.freezeConfirm') : t('members.detail.unfreezeConfirm')}
      description={freezing ? t('members.detail.freezeHint') : undefined}
      okText={freezing ? t('members.detail.freeze') : t('members.detail.unfreeze')}
      cancelText={t('common.cancel')}
      okButtonProps={{ danger: freezing }}
      onConfirm={run}
    >
      <Button danger={freezing} icon={freezing ? <PauseCircleOutlined /> : <PlayCircleOutlined />} loading={update.isPending}>
        {freezing ? t('members.detail.freeze') : t('members.detail.unfreeze')}
      </Button>
    </Popconfirm>
  );
}

/** Name, phone, card, tier, balances, tags, status — and the actions on the member. */
function HeaderCard({ member }: { member: Member }) {
  const { t } = useTranslation();
  const me = useSession();
  const fmt = useFormat();
  const stores = useStores();
  const [rebinding, setRebinding] = useState(false);
  const writer = can(me, 'members.write');
  return (
    <Card style={{ marginBottom: 16 }} data-testid="member-header">
      <Flex justify="space-between" align="flex-start" wrap gap="middle">
        <Flex gap="middle" align="center" style={{ minWidth: 0 }}>
          <Avatar size={56} style={{ background: '#1677ff', flex: 'none', fontSize: 24 }}>
            {(member.name ?? '?').slice(0, 1)}
          </Avatar>
          <Flex vertical gap={4} style={{ minWidth: 0 }}>
            <Space wrap size={[8, 4]} align="center">
              <Typography.Title level={4} style={{ margin: 0 }} data-testid="member-name">
                {member.name ?? t('members.noName')}
              </Typography.Title>
              <TierTag tier={member.tier} />
              <StatusTag status={member.status} />
            </Space>
            <Space wrap size={[16, 0]}>
              <Typography.Text>
                <MobileOutlined /> <span data-testid="member-phone">{formatPhone(member.phone)}</span>
                {member.piiMasked ? (
                  <Tooltip title={t('members.masked')}>
                    <LockOutlined style={{ marginInlineStart: 4, color: '#999' }} aria-label={t('members.masked')} />
                  </Tooltip>
                ) : null}
              </Typography.Text>
              <Typography.Text>
                {t('members.cardNo')} <Typography.Text strong copyable data-testid="member-card-no">{member.cardNo}</Typography.Text>
              </Typography.Text>
            </Space>
          </Flex>
        </Flex>
        {writer ? (
          <Space wrap>
            <Button icon={<MobileOutlined />} onClick={() => setRebinding(true)}>
              {t('members.detail.rebind')}
            </Button>
            <StatusAction member={member} />
          </Space>
        ) : null}
      </Flex>
      <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
        <Col xs={8} sm={6}>
          <Statistic title={t('members.points')} value={member.points} data-testid="member-points" />
        </Col>
        <Col xs={8} sm={6}>
          <Statistic title={t('members.tierPoints')} value={member.tierPoints} />
        </Col>
        <Col xs={8} sm={6}>
          <Statistic title={t('members.storedValue')} value={fmt.money(member.storedValueFen)} data-testid="member-stored-value" />
        </Col>
      </Row>
      <MemberLoyaltySummary memberId={member.id} />
      <div style={{ marginTop: 16 }}>
        <MemberLoyaltyActions member={member} />
      </div>
      <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 3 }} style={{ marginTop: 16 }}>
        <Descriptions.Item label={t('members.tags')}>
          {member.tags.length ? member.tags.map((x) => <Tag key={x}>{x}</Tag>) : '—'}
        </Descriptions.Item>
        <Descriptions.Item label={t('members.email')}>
          <span data-testid="member-email">{member.email ?? '—'}</span>
          {member.email && member.emailOptOut ? <Tag style={{ marginInlineStart: 8 }}>{t('members.emailOptOut')}</Tag> : null}
        </Descriptions.Item>
        <Descriptions.Item label={t('members.store')}>{member.storeId ? stores.name(member.storeId) : '—'}</Descriptions.Item>
        <Descriptions.Item label={t('members.source')}>{sourceLabel(member.source)}</Descriptions.Item>
        <Descriptions.Item label={t('members.createdAt')}>{fmt.dateTime(member.createdAt)}</Descriptions.Item>
      </Descriptions>
      {writer ? <RebindPhoneModal member={member} open={rebinding} onClose={() => setRebinding(false)} /> : null}
    </Card>
  );
}

/** 会员 360°: /members/:id. */
export function MemberPage() {
  const { t } = useTranslation();
  const me = useSession();
  const navigate = useNavigate();
  const { id = '' } = useParams();
  const member = useMember(id);
  // The tab lives in the URL (?tab=changes): a link or a reload opens the same view.
  const [params, setParams] = useSearchParams();
  const tab: Tab = (TABS as readonly string[]).includes(params.get('tab') ?? '') ? (params.get('tab') as Tab) : 'profile';
  const setTab = (k: Tab) => setParams(k === 'profile' ? {} : { tab: k }, { replace: true });

  const back = (
    <Button type="link" icon={<ArrowLeftOutlined />} onClick={() => navigate('/members')} style={{ paddingInline: 0, marginBottom: 8 }}>
      {t('members.detail.back')}
    </Button>
  );
  if (member.isPending) return <Loading />;
  if (member.error) {
    const status = (member.error as { status?: number }).status;
    return (
      <>
        {back}
        {status === 404 || status === 400 ? (
          <Empty description={t('members.errors.notFound')} />
        ) : (
          <ErrorResult error={member.error} onRetry={() => void member.refetch()} />
        )}
      </>
    );
  }
  const m = member.data;

  return (
    <>
      {back}
      <HeaderCard member={m} />
      <Card>
        <Tabs
          activeKey={tab}
          onChange={(k) => setTab(k as Tab)}
          destroyOnHidden
          items={TABS.filter((k) => (k !== 'sms' && k !== 'feedback') || can(me, 'sms.read')).map((k) => ({
            key: k,
            label: t(`members.detail.tabs.${k}`),
            children:
              k === 'profile' ? (
                <ProfileForm member={m} readOnly={!can(me, 'members.write')} />
              ) : k === 'changes' ? (
                <ChangeHistory memberId={m.id} />
              ) : isLoyaltyTab(k) ? (
                <MemberLoyaltyTab memberId={m.id} tab={k} />
              ) : k === 'sms' ? (
                <MemberSmsTab memberId={m.id} />
              ) : k === 'feedback' ? (
                <MemberFeedbackTab phone={m.phone} />
              ) : null,
          }))}
        />
      </Card>
    </>
  );
}
