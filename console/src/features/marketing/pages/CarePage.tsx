import { PlayCircleOutlined } from '@ant-design/icons';
import { App, Button, Card, Col, Flex, Form, Input, InputNumber, Popconfirm, Radio, Row, Space, Switch, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../../app/format';
import { tDynamic } from '../../../app/i18n';
import { ErrorResult } from '../../../ui/ErrorResult';
import { useFormErrors } from '../../../ui/formErrors';
import { Loading } from '../../../ui/Loading';
import { PagedList } from '../../../ui/PagedList';
import { PageHeader } from '../../../ui/PageHeader';
import { CARE_KINDS, CARE_VARIABLES, useCareRules, useCareSends, useRunCare, useSaveCareRule, type CareKind, type CareRule, type CareRuleInput, type CareSend } from '../careApi';

/** The parameter each kind takes (birthday: days before; inactive and expiring: days; points change: smallest change). */
const PARAM: Record<CareKind, { field: 'days' | 'minPoints'; min: number; max: number; label: 'daysBefore' | 'days' | 'minPoints' } | null> = {
  birthday: { field: 'days', min: 0, max: 30, label: 'daysBefore' },
  inactive: { field: 'days', min: 1, max: 3650, label: 'days' },
  tier_upgrade: null,
  points_change: { field: 'minPoints', min: 1, max: 1_000_000_000, label: 'minPoints' },
  points_expiring: { field: 'days', min: 1, max: 365, label: 'days' },
};

function RuleCard({ rule }: { rule: CareRule }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<CareRuleInput>();
  const errors = useFormErrors(form);
  const save = useSaveCareRule();
  const channel = Form.useWatch('channel', form) ?? rule.channel;
  const enabled = Form.useWatch('enabled', form) ?? rule.enabled;
  const param = PARAM[rule.kind];
  const kindName = t(`marketing.care.kinds.${rule.kind}`);
  const insert = (v: string) => form.setFieldValue('template', `${(form.getFieldValue('template') as string) ?? ''}{${v}}`);
  const submit = async (v: CareRuleInput) => {
    errors.clear();
    const body: CareRuleInput = { enabled: v.enabled, channel: v.channel, template: v.template, sendTime: v.sendTime };
    if (v.channel === 'email') body.subject = v.subject ?? '';
    if (param) body[param.field] = v[param.field] ?? null;
    try {
      await save.mutateAsync({ kind: rule.kind, body });
      message.success(t('marketing.care.saved', { kind: kindName }));
    } catch (err) {
      errors.handle(err);
    }
  };
  return (
    <Card
      size="small"
      role="region"
      aria-label={kindName}
      data-testid={`care-${rule.kind}`}
      title={
        <Flex gap={8} align="center" wrap>
          <span>{kindName}</span>
          <Tag color={enabled ? 'green' : 'default'}>{enabled ? t('marketing.care.on') : t('marketing.care.off')}</Tag>
        </Flex>
      }
    >
      <Typography.Paragraph type="secondary">{t(`marketing.care.kindHelp.${rule.kind}`)}</Typography.Paragraph>
      {errors.alert}
      <Form<CareRuleInput>
        form={form}
        layout="vertical"
        initialValues={{ enabled: rule.enabled, channel: rule.channel, subject: rule.subject ?? '', template: rule.template, sendTime: rule.sendTime, days: rule.days, minPoints: rule.minPoints }}
        onFinish={(v) => void submit(v)}
      >
        <Flex gap={16} wrap>
          <Form.Item name="enabled" label={t('marketing.care.enabled')} valuePropName="checked">
            <Switch aria-label={`${kindName} ${t('marketing.care.enabled')}`} />
          </Form.Item>
          <Form.Item name="channel" label={t('marketing.care.channel')}>
            <Radio.Group
              optionType="button"
              options={[
                { value: 'sms', label: t('marketing.campaigns.sms') },
                { value: 'email', label: t('marketing.campaigns.email') },
              ]}
            />
          </Form.Item>
          <Form.Item name="sendTime" label={t('marketing.care.sendTime')} rules={[{ required: true, message: t('validation.required') }]}>
            <Input type="time" style={{ width: 130 }} />
          </Form.Item>
          {param ? (
            <Form.Item name={param.field} label={t(`marketing.care.${param.label}`)}>
              <InputNumber min={param.min} max={param.max} precision={0} style={{ width: 130 }} />
            </Form.Item>
          ) : null}
        </Flex>
        {channel === 'email' ? (
          <Form.Item name="subject" label={t('marketing.care.subject')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
            <Input />
          </Form.Item>
        ) : null}
        <Space wrap size={4} style={{ marginBottom: 8 }} aria-label={t('marketing.care.variables')}>
          {CARE_VARIABLES.filter((v) => channel === 'sms' || v !== 'phone').map((v) => (
            <Button key={v} size="small" onClick={() => insert(v)}>{`{${v}}`}</Button>
          ))}
        </Space>
        <Form.Item name="template" label={t('marketing.care.template')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} />
        </Form.Item>
        <Flex justify="flex-end">
          <Button type="primary" htmlType="submit" loading={save.isPending}>
            {t('marketing.care.save')}
          </Button>
        </Flex>
      </Form>
    </Card>
  );
}

function SendsLog() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const sends = useCareSends();
  const status = (s: CareSend) => tDynamic(`sms.statuses.${s.status}`, s.status) + (s.failReason ? ` (${tDynamic(`sms.failReasons.${s.failReason}`, s.failReason)})` : '');
  const columns: ColumnsType<CareSend> = [
    { title: t('marketing.care.sentAt'), dataIndex: 'sentAt', render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{fmt.dateTime(v)}</span> },
    { title: t('marketing.care.kind'), dataIndex: 'kind', render: (v: CareKind) => t(`marketing.care.kinds.${v}`) },
    { title: t('marketing.care.member'), key: 'member', render: (_: unknown, s) => `${s.memberName ?? ''} ${s.phone}`.trim() },
    { title: t('marketing.care.channel'), dataIndex: 'channel', render: (v: 'sms' | 'email') => t(`marketing.campaigns.${v}`) },
    { title: t('marketing.care.occasion'), dataIndex: 'occasion' },
    { title: t('marketing.care.status'), key: 'status', render: (_: unknown, s) => status(s) },
  ];
  return (
    <Card title={t('marketing.care.sends')} size="small">
      <PagedList<CareSend>
        source={sends}
        columns={columns}
        emptyText={t('marketing.care.sendsEmpty')}
        testId="care-sends"
        card={(s) => (
          <Card size="small" data-testid="care-send-card">
            <Flex justify="space-between" gap={8} wrap>
              <Typography.Text strong>{t(`marketing.care.kinds.${s.kind}`)}</Typography.Text>
              <Typography.Text type="secondary">{fmt.dateTime(s.sentAt)}</Typography.Text>
            </Flex>
            <div>{`${s.memberName ?? ''} ${s.phone}`.trim()}</div>
            <Typography.Text type="secondary">{status(s)}</Typography.Text>
          </Card>
        )}
      />
    </Card>
  );
}

/** 客户关怀: the five rules as cards (on/off, channel, send time, parameter, template), the sends log, run now. */
export function CarePage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const rules = useCareRules();
  const run = useRunCare();
  const [runError, setRunError] = useState<unknown>(null);
  if (rules.error) return <ErrorResult error={rules.error} onRetry={() => void rules.refetch()} />;
  if (!rules.data) return <Loading />;
  const byKind = new Map(rules.data.map((r) => [r.kind, r]));
  return (
    <>
      <PageHeader
        title={t('marketing.care.title')}
        subtitle={t('marketing.care.subtitle')}
        extra={
          <Popconfirm
            title={t('marketing.care.runConfirm')}
            okText={t('marketing.care.runNow')}
            cancelText={t('common.cancel')}
            onConfirm={async () => {
              setRunError(null);
              try {
                const r = await run.mutateAsync();
                message.success(t('marketing.care.ran', { sent: r.rules.reduce((n, x) => n + x.queued, 0) }));
              } catch (err) {
                setRunError(err);
              }
            }}
          >
            <Button type="primary" icon={<PlayCircleOutlined />} loading={run.isPending}>
              {t('marketing.care.runNow')}
            </Button>
          </Popconfirm>
        }
      />
      {runError ? <ErrorResult error={runError} onRetry={() => setRunError(null)} /> : null}
      <Row gutter={[16, 16]}>
        {CARE_KINDS.map((k) => {
          const r = byKind.get(k);
          return r ? (
            <Col xs={24} lg={12} key={k}>
              <RuleCard rule={r} />
            </Col>
          ) : null;
        })}
      </Row>
      <div style={{ marginTop: 16 }}>
        <SendsLog />
      </div>
    </>
  );
}
