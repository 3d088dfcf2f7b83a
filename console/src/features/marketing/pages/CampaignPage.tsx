import { ArrowLeftOutlined, CloseCircleOutlined, DeleteOutlined, PauseCircleOutlined, PlayCircleOutlined, SendOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Col, Descriptions, Flex, InputNumber, Popconfirm, Progress, Row, Statistic, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { isApiError } from '../../../app/api/client';
import { useFormat } from '../../../app/format';
import { tDynamic } from '../../../app/i18n';
import { ErrorResult } from '../../../ui/ErrorResult';
import { Loading } from '../../../ui/Loading';
import { PageHeader } from '../../../ui/PageHeader';
import { useSegments } from '../api';
import {
  templateText,
  useCampaign,
  useCampaignAction,
  useCampaignPreview,
  useCampaignResults,
  useDeleteCampaign,
  useTenantCredit,
  type Campaign,
  type CampaignPreview,
  type CampaignStats,
  type ResultGroup,
} from '../campaignsApi';
import { CampaignStatusTag } from './CampaignsPage';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The estimate of a draft and what the merchant's credit will be after it. */
function EstimateCard({ c }: { c: Campaign }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const tenant = useTenantCredit().data;
  const e = c.estimate;
  const after = tenant ? tenant.creditFen - e.costFen : null;
  return (
    <Card title={t('marketing.campaign.estimate')} size="small" data-testid="campaign-estimate">
      <Flex wrap gap="large">
        <Statistic title={t('marketing.campaign.recipients')} value={e.recipients} />
        <Statistic title={t('marketing.campaign.suppressed')} value={e.suppressed} />
        {c.channel === 'sms' ? <Statistic title={t('marketing.campaign.segments')} value={e.segments} /> : null}
        {c.channel === 'sms' ? <Statistic title={t('marketing.campaign.cost')} value={fmt.money(e.costFen)} /> : null}
        {c.channel === 'sms' && tenant ? <Statistic title={t('marketing.campaign.creditNow')} value={fmt.money(tenant.creditFen)} /> : null}
        {c.channel === 'sms' && after !== null ? (
          <Statistic title={t('marketing.campaign.creditAfter')} value={fmt.money(after)} styles={{ content: { color: after < 0 ? '#cf1322' : undefined } }} />
        ) : null}
      </Flex>
      {c.holdoutPct > 0 ? <Typography.Text type="secondary">{t('marketing.campaign.holdoutNote')}</Typography.Text> : null}
    </Card>
  );
}

/** The message as the sample member of the segment would get it (rendered by the API). */
function PreviewCard({ c }: { c: Campaign }) {
  const { t } = useTranslation();
  const preview = useCampaignPreview(c.id, true);
  const p = preview.data;
  return (
    <Card title={t('marketing.campaign.preview')} size="small" data-testid="campaign-preview" loading={preview.isPending}>
      {preview.error ? (
        <ErrorResult error={preview.error} onRetry={() => void preview.refetch()} />
      ) : p ? (
        <PreviewBody p={p} channel={c.channel} />
      ) : null}
    </Card>
  );
}

/** A rendered message: text, characters, billed parts (or why there is none). */
export function PreviewBody({ p, channel }: { p: CampaignPreview; channel: 'sms' | 'email' }) {
  const { t } = useTranslation();
  if (p.memberId === null) return <Typography.Text type="secondary">{t('marketing.campaign.noSample')}</Typography.Text>;
  return (
    <Flex vertical gap={8}>
      {p.subject ? <Typography.Text strong>{p.subject}</Typography.Text> : null}
      {p.text !== null ? (
        <div style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word', background: 'rgba(0,0,0,0.04)', borderRadius: 8, padding: 12 }} data-testid="preview-text">
          {p.text}
        </div>
      ) : null}
      <Flex gap={8} wrap>
        <Tag data-testid="preview-characters">{t('marketing.campaign.characters', { count: p.characters })}</Tag>
        {channel === 'sms' && !p.tooLong ? <Tag data-testid="preview-segments">{t('marketing.campaign.billed', { count: p.segments })}</Tag> : null}
        {p.encoding ? <Tag>{p.encoding}</Tag> : null}
        {p.tooLong ? <Tag color="red">{t('marketing.campaign.tooLong')}</Tag> : null}
      </Flex>
    </Flex>
  );
}

/** Live progress and figures (polled every second while sending). */
function StatsCard({ c, s }: { c: Campaign; s: CampaignStats }) {
  const { t } = useTranslation();
  const handled = s.sent + s.failed + s.suppressed + s.cancelled;
  const percent = s.recipients ? Math.round((handled / s.recipients) * 100) : c.status === 'done' ? 100 : 0;
  const reasons = Object.entries(s.suppressedBy).filter(([, n]) => n > 0);
  const stat = (key: string, label: string, value: number) => (
    <Col xs={12} sm={8} md={6} key={key}>
      <div data-testid={`stat-${key}`}>
        <Statistic title={label} value={value} />
      </div>
    </Col>
  );
  return (
    <Card title={t('marketing.campaign.liveProgress')} size="small" data-testid="campaign-stats">
      <Typography.Text data-testid="campaign-sent-of">{t('marketing.campaigns.sentOf', { sent: s.sent, recipients: s.recipients })}</Typography.Text>
      <Progress percent={percent} status={c.status === 'sending' ? 'active' : c.status === 'paused' ? 'exception' : c.status === 'cancelled' ? 'normal' : undefined} data-testid="campaign-progress-bar" />
      <Row gutter={[16, 16]} style={{ marginTop: 8 }}>
        {stat('recipients', t('marketing.campaign.recipients'), s.recipients)}
        {stat('queued', t('marketing.campaign.queued'), s.queued)}
        {stat('sent', t('marketing.campaign.sentCount'), s.sent)}
        {stat('delivered', t('marketing.campaign.delivered'), s.delivered)}
        {stat('failed', t('marketing.campaign.failed'), s.failed)}
        {stat('suppressed', t('marketing.campaign.suppressed'), s.suppressed)}
        {stat('replies', t('marketing.campaign.replies'), s.replies)}
        {stat('optOuts', t('marketing.campaign.optOuts'), s.optOuts)}
        {stat('holdout', t('marketing.campaign.holdout'), s.holdout)}
        {s.cancelled || c.status === 'cancelled' ? stat('cancelled', t('marketing.campaign.cancelledCount'), s.cancelled) : null}
        {s.cancelledMessages ? stat('cancelledMessages', t('marketing.campaign.cancelledMessages'), s.cancelledMessages) : null}
        {s.heldForQuietHours ? stat('held', t('marketing.campaign.heldForQuietHours'), s.heldForQuietHours) : null}
      </Row>
      {reasons.length ? (
        <Flex gap={8} wrap style={{ marginTop: 12 }} data-testid="suppressed-by">
          <Typography.Text type="secondary">{t('marketing.campaign.suppressedBy')}:</Typography.Text>
          {reasons.map(([r, n]) => (
            <Tag key={r}>
              {tDynamic(`marketing.campaign.reasons.${r}`, r)} {n}
            </Tag>
          ))}
        </Flex>
      ) : null}
    </Card>
  );
}

/** Purchases of the messaged recipients against the hold-out in the N days after the start. */
function ResultsCard({ c }: { c: Campaign }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const [days, setDays] = useState(7);
  const results = useCampaignResults(c.id, days, c.status, c.startedAt !== null);
  const r = results.data;
  const rows = r
    ? [
        { id: 'recipients', group: t('marketing.campaign.groupRecipients'), ...r.recipients },
        { id: 'holdout', group: t('marketing.campaign.groupHoldout'), ...r.holdout },
      ]
    : [];
  return (
    <Card
      title={t('marketing.campaign.results')}
      size="small"
      data-testid="campaign-results"
      extra={
        <Flex gap={4} align="center">
          <Typography.Text type="secondary">{t('marketing.campaign.resultsDays')}</Typography.Text>
          <InputNumber size="small" min={1} max={365} precision={0} value={days} onChange={(v) => v && setDays(v)} style={{ width: 72 }} aria-label={t('marketing.campaign.resultsDays')} />
        </Flex>
      }
    >
      {results.error ? (
        <ErrorResult error={results.error} onRetry={() => void results.refetch()} />
      ) : (
        <>
          <Table<{ id: string; group: string } & ResultGroup>
            size="small"
            rowKey="id"
            pagination={false}
            loading={results.isFetching}
            scroll={{ x: 'max-content' }}
            dataSource={rows}
            columns={[
              { title: t('marketing.campaign.group'), dataIndex: 'group', fixed: 'left' },
              { title: t('marketing.campaign.members'), dataIndex: 'members' },
              { title: t('marketing.campaign.purchasers'), dataIndex: 'purchasers' },
              { title: t('marketing.campaign.purchases'), dataIndex: 'purchases' },
              { title: t('marketing.campaign.revenue'), dataIndex: 'revenueFen', render: (v: number) => fmt.money(v) },
              { title: t('marketing.campaign.conversion'), dataIndex: 'conversionRate', render: (v: number) => pct(v) },
              { title: t('marketing.campaign.revenuePerMember'), dataIndex: 'revenuePerMemberFen', render: (v: number) => fmt.money(Math.round(v)) },
            ]}
          />
          {r ? (
            <Typography.Paragraph style={{ marginTop: 8, marginBottom: 0 }} data-testid="campaign-lift">
              {r.lift ? t('marketing.campaign.lift', { revenue: fmt.money(Math.round(r.lift.revenuePerMemberFen)), conversion: pct(r.lift.conversionRate) }) : t('marketing.campaign.noLift')}
            </Typography.Paragraph>
          ) : null}
        </>
      )}
    </Card>
  );
}

/** 营销活动 › 活动: a draft's estimate, preview, send or delete; afterwards live progress, pause / resume,
 * cancel (for good: unsent messages dropped and refunded), results. */
export function CampaignPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const fmt = useFormat();
  const { message, modal } = App.useApp();
  const navigate = useNavigate();
  const campaign = useCampaign(id);
  const remove = useDeleteCampaign();
  const segments = useSegments();
  const tenant = useTenantCredit().data;
  const action = useCampaignAction();
  const [actionError, setActionError] = useState<string | null>(null);
  if (campaign.error) return <ErrorResult error={campaign.error} onRetry={() => void campaign.refetch()} />;
  if (!campaign.data) return <Loading />;
  const c = campaign.data;

  const run = async (a: 'send' | 'pause' | 'resume' | 'cancel' | 'delete') => {
    setActionError(null);
    try {
      if (a === 'delete') {
        await remove.mutateAsync(c.id);
        message.success(t('marketing.campaigns.deleted', { name: c.name }));
        navigate('/marketing/campaigns');
        return;
      }
      const r = await action.mutateAsync({ id: c.id, action: a });
      if (a === 'send') message.success(r.status === 'scheduled' && r.scheduleAt ? t('marketing.campaign.scheduled', { at: fmt.dateTime(r.scheduleAt) }) : t('marketing.campaign.sent'));
      if (a === 'cancel') message.success(t('marketing.campaign.cancelled'));
    } catch (err) {
      if (!isApiError(err)) {
        setActionError(t('errors.generic'));
        return;
      }
      const byCode: Record<string, string> = {
        insufficient_credit: t('marketing.campaign.noCredit', { cost: fmt.money(c.estimate.costFen), credit: tenant ? fmt.money(tenant.creditFen) : '—' }),
        approval_required: t('marketing.campaign.approvalRequired'),
        email_not_configured: t('marketing.campaign.emailNotConfigured'),
        campaign_not_draft: t('marketing.campaign.notDraft'),
        campaign_not_cancellable: t('marketing.campaign.notCancellable'),
      };
      setActionError(byCode[err.code] ?? err.problem.detail ?? err.problem.title ?? t('errors.generic'));
    }
  };

  // destructive: a real dialog rather than a popover, with the consequence spelled out
  const confirmCancel = () =>
    modal.confirm({
      title: t('marketing.campaign.cancelConfirm', { name: c.name }),
      content: t('marketing.campaign.cancelConfirmText'),
      okText: t('marketing.campaign.cancelCampaign'),
      okButtonProps: { danger: true },
      cancelText: t('marketing.campaign.keep'),
      onOk: () => run('cancel'),
    });
  const confirmDelete = () =>
    modal.confirm({
      title: t('marketing.campaigns.deleteConfirm', { name: c.name }),
      content: t('marketing.campaigns.deleteConfirmText'),
      okText: t('marketing.campaigns.delete'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: () => run('delete'),
    });

  const segmentName = segments.data?.find((s) => s.id === c.segmentId)?.name;
  const subject = typeof c.template === 'object' && 'subject' in c.template ? c.template.subject : null;
  const actions = (
    <>
      {c.status === 'draft' ? (
        <Popconfirm
          title={t('marketing.campaign.sendConfirm', { name: c.name })}
          description={t('marketing.campaign.sendConfirmText', { count: c.estimate.recipients - c.estimate.suppressed, cost: fmt.money(c.estimate.costFen) })}
          okText={t('marketing.campaign.send')}
          cancelText={t('common.cancel')}
          onConfirm={() => run('send')}
        >
          <Button type="primary" icon={<SendOutlined />} loading={action.isPending}>
            {t('marketing.campaign.send')}
          </Button>
        </Popconfirm>
      ) : null}
      {c.status === 'sending' || c.status === 'scheduled' ? (
        <Button icon={<PauseCircleOutlined />} loading={action.isPending} onClick={() => void run('pause')}>
          {t('marketing.campaign.pause')}
        </Button>
      ) : null}
      {c.status === 'paused' ? (
        <Button type="primary" icon={<PlayCircleOutlined />} loading={action.isPending} onClick={() => void run('resume')}>
          {t('marketing.campaign.resume')}
        </Button>
      ) : null}
      {c.status === 'scheduled' || c.status === 'sending' || c.status === 'paused' ? (
        <Button danger icon={<CloseCircleOutlined />} loading={action.isPending} onClick={confirmCancel} data-testid="campaign-cancel">
          {t('marketing.campaign.cancelCampaign')}
        </Button>
      ) : null}
      {c.status === 'draft' ? (
        <Button danger icon={<DeleteOutlined />} loading={remove.isPending} onClick={confirmDelete} data-testid="campaign-delete">
          {t('marketing.campaigns.delete')}
        </Button>
      ) : null}
      <Link to="/marketing/campaigns">
        <Button icon={<ArrowLeftOutlined />}>{t('marketing.campaigns.backToList')}</Button>
      </Link>
    </>
  );

  return (
    <>
      <PageHeader
        title={
          <Flex gap={8} align="center" wrap>
            <span>{c.name}</span>
            <CampaignStatusTag status={c.status} />
          </Flex>
        }
        extra={actions}
      />
      {actionError ? <Alert type="error" showIcon title={actionError} role="alert" style={{ marginBottom: 16 }} data-testid="campaign-error" /> : null}
      <Flex vertical gap={16}>
        <Card size="small">
          <Descriptions size="small" column={{ xs: 1, sm: 2, md: 3 }}>
            <Descriptions.Item label={t('marketing.campaigns.channel')}>{t(`marketing.campaigns.${c.channel}`)}</Descriptions.Item>
            <Descriptions.Item label={t('marketing.campaign.segment')}>{segmentName ?? c.segmentId ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('marketing.campaignForm.marketing')}>{c.marketing ? t('marketing.builder.yes') : t('marketing.builder.no')}</Descriptions.Item>
            <Descriptions.Item label={t('marketing.campaignForm.holdout')}>{c.holdoutPct}</Descriptions.Item>
            {c.scheduleAt ? <Descriptions.Item label={t('marketing.campaign.scheduleAt')}>{fmt.dateTime(c.scheduleAt)}</Descriptions.Item> : null}
            {c.startedAt ? <Descriptions.Item label={t('marketing.campaign.startedAt')}>{fmt.dateTime(c.startedAt)}</Descriptions.Item> : null}
            {c.finishedAt ? <Descriptions.Item label={t('marketing.campaign.finishedAt')}>{fmt.dateTime(c.finishedAt)}</Descriptions.Item> : null}
            {c.approvedBy ? <Descriptions.Item label={t('marketing.campaign.approvedBy')}>{c.approvedBy}</Descriptions.Item> : null}
            {c.channel === 'sms' && c.status !== 'draft' ? <Descriptions.Item label={t('marketing.campaign.subCode')}>{c.subCode}</Descriptions.Item> : null}
            {subject ? <Descriptions.Item label={t('marketing.campaignForm.subject')}>{subject}</Descriptions.Item> : null}
            <Descriptions.Item label={t('marketing.campaign.template')}>
              <span style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>{templateText(c.template)}</span>
            </Descriptions.Item>
          </Descriptions>
        </Card>
        {c.status === 'draft' ? (
          <>
            <EstimateCard c={c} />
            <PreviewCard c={c} />
          </>
        ) : (
          <>
            <StatsCard c={c} s={campaign.data.stats} />
            {c.startedAt ? <ResultsCard c={c} /> : null}
          </>
        )}
      </Flex>
    </>
  );
}
