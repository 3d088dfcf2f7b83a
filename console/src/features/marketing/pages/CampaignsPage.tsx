import { PlusOutlined, SettingOutlined } from '@ant-design/icons';
import { Button, Card, Flex, Form, InputNumber, Progress, Switch, Tag, Typography, App } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { useFormat } from '../../../app/format';
import { can, useSession } from '../../../app/auth/session';
import { DataTable } from '../../../ui/DataTable';
import { ErrorResult } from '../../../ui/ErrorResult';
import { ModalForm } from '../../../ui/ModalForm';
import { PageHeader } from '../../../ui/PageHeader';
import { useIsMobile } from '../../../ui/useIsMobile';
import { useCampaign, useCampaigns, useCampaignSettings, useSaveCampaignSettings, type Campaign, type CampaignSettings, type CampaignStatus } from '../campaignsApi';

const STATUS_COLOR: Record<CampaignStatus, string> = { draft: 'default', scheduled: 'purple', sending: 'processing', paused: 'warning', done: 'success', cancelled: 'error' };

export function CampaignStatusTag({ status }: { status: CampaignStatus }) {
  const { t } = useTranslation();
  return (
    <Tag color={STATUS_COLOR[status]} data-testid="campaign-status">
      {t(`marketing.campaigns.statuses.${status}`)}
    </Tag>
  );
}

/** 营销活动 › 活动设置: approval and the frequency cap (changing them needs campaigns.approve). */
function SettingsModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const settings = useCampaignSettings();
  const save = useSaveCampaignSettings();
  if (!settings.data) return null;
  return (
    <ModalForm<CampaignSettings>
      open={open}
      title={t('marketing.campaignSettings.title')}
      okText={t('common.save')}
      onClose={onClose}
      initialValues={settings.data}
      onSubmit={async (v) => {
        await save.mutateAsync(v);
        message.success(t('marketing.campaignSettings.saved'));
      }}
    >
      <Form.Item name="needsApproval" label={t('marketing.campaignSettings.needsApproval')} extra={t('marketing.campaignSettings.needsApprovalHelp')} valuePropName="checked">
        <Switch />
      </Form.Item>
      <Form.Item name={['frequencyCap', 'messages']} label={t('marketing.campaignSettings.capMessages')} rules={[{ required: true }]}>
        <InputNumber min={0} max={1000} precision={0} style={{ width: '100%' }} />
      </Form.Item>
      <Form.Item name={['frequencyCap', 'days']} label={t('marketing.campaignSettings.capDays')} rules={[{ required: true }]}>
        <InputNumber min={1} max={365} precision={0} style={{ width: '100%' }} />
      </Form.Item>
    </ModalForm>
  );
}

/** Drafts show their estimate; the others their live sent / recipients (each row reads its own stats). */
function ListProgress({ c }: { c: Campaign }) {
  const { t } = useTranslation();
  if (c.status === 'draft') return <Typography.Text type="secondary">{t('marketing.campaign.recipients')} {c.estimate.recipients}</Typography.Text>;
  return <LiveProgress id={c.id} />;
}

function LiveProgress({ id }: { id: string }) {
  const { t } = useTranslation();
  const live = useCampaign(id);
  const s = live.data?.stats;
  if (!s) return <Typography.Text type="secondary">…</Typography.Text>;
  const done = s.sent + s.failed + s.suppressed + s.cancelled;
  return (
    <div style={{ minWidth: 140 }} data-testid="campaign-progress">
      <Typography.Text>{t('marketing.campaigns.sentOf', { sent: s.sent, recipients: s.recipients })}</Typography.Text>
      <Progress percent={s.recipients ? Math.round((done / s.recipients) * 100) : 100} size="small" status={live.data?.status === 'sending' ? 'active' : live.data?.status === 'cancelled' ? 'normal' : undefined} />
    </div>
  );
}

/** 营销活动: the merchant's campaigns, newest first, polled while one is sending. */
export function CampaignsPage() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const navigate = useNavigate();
  const mobile = useIsMobile();
  const me = useSession();
  const list = useCampaigns();
  const [settingsOpen, setSettingsOpen] = useState(false);
  const open = (c: Campaign) => navigate(`/marketing/campaigns/${c.id}`);
  const columns: ColumnsType<Campaign> = [
    { title: t('marketing.campaigns.name'), dataIndex: 'name', fixed: 'left', render: (v: string, c) => <a onClick={() => open(c)}>{v}</a> },
    { title: t('marketing.campaigns.channel'), dataIndex: 'channel', render: (v: string) => t(`marketing.campaigns.${v as 'sms' | 'email'}`) },
    { title: t('marketing.campaigns.status'), dataIndex: 'status', render: (v: CampaignStatus) => <CampaignStatusTag status={v} /> },
    { title: t('marketing.campaigns.progress'), key: 'progress', render: (_: unknown, c) => <ListProgress c={c} /> },
    { title: t('marketing.campaigns.createdAt'), dataIndex: 'createdAt', render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{fmt.dateTime(v)}</span> },
  ];
  return (
    <>
      <PageHeader
        title={t('marketing.campaigns.title')}
        subtitle={t('marketing.campaigns.subtitle')}
        extra={
          <>
            {can(me, 'campaigns.approve') ? (
              <Button icon={<SettingOutlined />} onClick={() => setSettingsOpen(true)}>
                {t('marketing.campaigns.settings')}
              </Button>
            ) : null}
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/marketing/campaigns/new')}>
              {t('marketing.campaigns.new')}
            </Button>
          </>
        }
      />
      {list.error ? (
        <ErrorResult error={list.error} onRetry={() => void list.refetch()} />
      ) : mobile ? (
        <Flex vertical gap={8} data-testid="campaign-list">
          {(list.data ?? []).map((c) => (
            <Card key={c.id} size="small" data-testid="campaign-card" onClick={() => open(c)} style={{ cursor: 'pointer' }}>
              <Flex justify="space-between" align="center" gap={8} wrap>
                <Typography.Text strong>{c.name}</Typography.Text>
                <CampaignStatusTag status={c.status} />
              </Flex>
              <Flex justify="space-between" gap={8} wrap>
                <ListProgress c={c} />
                <Typography.Text type="secondary">{fmt.dateTime(c.createdAt)}</Typography.Text>
              </Flex>
            </Card>
          ))}
          {!list.isPending && !list.data?.length ? <Typography.Text type="secondary">{t('marketing.campaigns.empty')}</Typography.Text> : null}
        </Flex>
      ) : (
        <Card>
          <div data-testid="campaign-list">
            <DataTable<Campaign>
              columns={columns}
              dataSource={list.data ?? []}
              loading={list.isPending}
              emptyText={t('marketing.campaigns.empty')}
              onRow={(c) => ({ onClick: () => open(c), style: { cursor: 'pointer' } })}
            />
          </div>
        </Card>
      )}
      {settingsOpen ? <SettingsModal open={settingsOpen} onClose={() => setSettingsOpen(false)} /> : null}
    </>
  );
}
