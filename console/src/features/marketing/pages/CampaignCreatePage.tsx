import { ArrowLeftOutlined } from '@ant-design/icons';
import { App, Button, Card, DatePicker, Flex, Form, Input, InputNumber, Radio, Select, Space, Switch, Typography } from 'antd';
import type { TextAreaRef } from 'antd/es/input/TextArea';
import type { Dayjs } from 'dayjs';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import { useFormErrors } from '../../../ui/formErrors';
import { PageHeader } from '../../../ui/PageHeader';
import { useSegments } from '../api';
import { useCreateCampaign, useDraftPreview, type Channel } from '../campaignsApi';
import { isApiError } from '../../../app/api/client';
import { useDebounced } from '../../../ui/useDebounced';
import { PreviewBody } from './CampaignPage';

/** The template variables the API knows (campaigns.rules.ts). */
export const CAMPAIGN_VARIABLES = ['name', 'cardNo', 'points', 'tier', 'storedValue', 'store', 'merchant'] as const;

interface Values {
  name: string;
  channel: Channel;
  segmentId: string;
  subject?: string;
  template: string;
  marketing: boolean;
  when: 'now' | 'later';
  scheduleAt?: Dayjs;
  holdoutPct: number;
}

/** 营销活动 › 新建: name, channel, saved segment, template with variable buttons, schedule, hold-out;
 * creating stores a draft with its estimate and opens it (preview, estimate, send). */
export function CampaignCreatePage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [form] = Form.useForm<Values>();
  const errors = useFormErrors(form);
  const segments = useSegments();
  const create = useCreateCampaign();
  const area = useRef<TextAreaRef>(null);
  const [cursor, setCursor] = useState<number | null>(null);
  const channel = Form.useWatch('channel', form) ?? 'sms';
  const when = Form.useWatch('when', form) ?? 'now';
  const template = Form.useWatch('template', form) ?? '';
  const segmentId = Form.useWatch('segmentId', form);
  const subject = Form.useWatch('subject', form) ?? '';
  const marketing = Form.useWatch('marketing', form) ?? true;
  // the live preview: 400 ms after the last change, for the segment's sample member
  const draft = useDebounced(
    segmentId && template.trim() && (channel === 'sms' || subject.trim())
      ? JSON.stringify({ channel, segmentId, template: channel === 'email' ? { subject, body: template } : template, marketing })
      : null,
    400,
  );
  const preview = useDraftPreview(draft ? (JSON.parse(draft) as Parameters<typeof useDraftPreview>[0]) : null);

  const insert = (v: string) => {
    const text: string = form.getFieldValue('template') ?? '';
    const at = cursor ?? text.length;
    const next = `${text.slice(0, at)}{${v}}${text.slice(at)}`;
    form.setFieldValue('template', next);
    setCursor(at + v.length + 2);
    void form.validateFields(['template']).catch(() => undefined);
  };

  const submit = async (v: Values) => {
    errors.clear();
    try {
      const c = await create.mutateAsync({
        name: v.name.trim(),
        channel: v.channel,
        segmentId: v.segmentId,
        template: v.channel === 'email' ? { subject: v.subject ?? '', body: v.template } : v.template,
        marketing: v.marketing,
        scheduleAt: v.when === 'later' && v.scheduleAt ? v.scheduleAt.toISOString() : undefined,
        holdoutPct: v.holdoutPct,
      });
      message.success(t('marketing.campaignForm.created', { name: c.name }));
      navigate(`/marketing/campaigns/${c.id}`, { replace: true });
    } catch (err) {
      errors.handle(err, {}, {});
    }
  };

  return (
    <>
      <PageHeader
        title={t('marketing.campaignForm.title')}
        subtitle={t('marketing.campaignForm.subtitle')}
        extra={
          <Link to="/marketing/campaigns">
            <Button icon={<ArrowLeftOutlined />}>{t('marketing.campaigns.backToList')}</Button>
          </Link>
        }
      />
      <Card style={{ maxWidth: 760 }}>
        {errors.alert}
        <Form<Values>
          form={form}
          layout="vertical"
          initialValues={{ channel: 'sms', marketing: true, when: 'now', holdoutPct: 0, template: '' }}
          onFinish={(v) => void submit(v)}
        >
          <Form.Item name="name" label={t('marketing.campaigns.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }, { max: 100 }]}>
            <Input placeholder={t('marketing.campaignForm.namePlaceholder')} />
          </Form.Item>
          <Form.Item name="channel" label={t('marketing.campaigns.channel')}>
            <Radio.Group
              optionType="button"
              options={[
                { value: 'sms', label: t('marketing.campaigns.sms') },
                { value: 'email', label: t('marketing.campaigns.email') },
              ]}
            />
          </Form.Item>
          <Form.Item
            name="segmentId"
            label={t('marketing.campaignForm.segment')}
            rules={[{ required: true, message: t('validation.required') }]}
            extra={!segments.isPending && !segments.data?.length ? t('marketing.campaignForm.noSegments') : undefined}
          >
            <Select
              placeholder={t('marketing.campaignForm.segmentPick')}
              loading={segments.isPending}
              showSearch
              optionFilterProp="label"
              options={(segments.data ?? []).map((s) => ({ value: s.id, label: s.name }))}
            />
          </Form.Item>
          {channel === 'email' ? (
            <Form.Item name="subject" label={t('marketing.campaignForm.subject')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
              <Input />
            </Form.Item>
          ) : null}
          <Form.Item label={t('marketing.campaignForm.variables')}>
            <Space wrap size={4}>
              {CAMPAIGN_VARIABLES.map((v) => (
                <Button key={v} size="small" onClick={() => insert(v)}>{`{${v}}`}</Button>
              ))}
            </Space>
          </Form.Item>
          <Form.Item
            name="template"
            label={t('marketing.campaignForm.template')}
            rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
            extra={<span data-testid="template-chars">{t('marketing.campaignForm.templateChars', { count: [...template].length })}</span>}
          >
            <Input.TextArea
              ref={area}
              autoSize={{ minRows: 3, maxRows: 10 }}
              onSelect={(e) => setCursor((e.target as HTMLTextAreaElement).selectionStart)}
              onChange={(e) => setCursor(e.target.selectionStart)}
            />
          </Form.Item>
          <Card size="small" title={t('marketing.campaign.preview')} style={{ marginBottom: 24 }} data-testid="live-preview">
            {draft === null ? (
              <Typography.Text type="secondary">{t('marketing.campaignForm.previewHint')}</Typography.Text>
            ) : preview.error ? (
              <Typography.Text type="danger">
                {isApiError(preview.error) && preview.error.problem.errors?.length
                  ? preview.error.problem.errors.map((e) => e.message).join('；')
                  : isApiError(preview.error)
                    ? (preview.error.problem.detail ?? preview.error.problem.title)
                    : t('errors.generic')}
              </Typography.Text>
            ) : preview.data ? (
              <PreviewBody p={preview.data} channel={channel} />
            ) : (
              <Typography.Text type="secondary">…</Typography.Text>
            )}
          </Card>
          <Form.Item name="marketing" label={t('marketing.campaignForm.marketing')} extra={t('marketing.campaignForm.marketingHelp')} valuePropName="checked">
            <Switch />
          </Form.Item>
          <Form.Item name="when" label={t('marketing.campaignForm.schedule')}>
            <Radio.Group
              options={[
                { value: 'now', label: t('marketing.campaignForm.now') },
                { value: 'later', label: t('marketing.campaignForm.later') },
              ]}
            />
          </Form.Item>
          {when === 'later' ? (
            <Form.Item name="scheduleAt" label={t('marketing.campaignForm.scheduleAt')} rules={[{ required: true, message: t('validation.required') }]}>
              <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} />
            </Form.Item>
          ) : null}
          <Form.Item name="holdoutPct" label={t('marketing.campaignForm.holdout')} extra={t('marketing.campaignForm.holdoutHelp')}>
            <InputNumber min={0} max={50} precision={0} style={{ width: 160 }} />
          </Form.Item>
          <Flex justify="flex-end">
            <Button type="primary" htmlType="submit" loading={create.isPending}>
              {t('marketing.campaignForm.create')}
            </Button>
          </Flex>
        </Form>
      </Card>
    </>
  );
}
