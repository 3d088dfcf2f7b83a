import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { App, Button, Card, Flex, Form, Input, Tabs, Typography } from 'antd';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { can, useSession } from '../../../app/auth/session';
import { ErrorResult } from '../../../ui/ErrorResult';
import { useFormErrors } from '../../../ui/formErrors';
import { Loading } from '../../../ui/Loading';
import { PageHeader } from '../../../ui/PageHeader';
import { useKeywords, useSaveKeywords, useSaveSmsSettings, useSmsSettings } from '../api';
import { TEMPLATE_KEYS, type Keyword, type SmsSettings } from '../types';

const HHMM = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;
const VARIABLES = '{name} {cardNo} {points} {tier} {storedValue} {store} {phone} {merchant}';

function GeneralCard() {
  const { t } = useTranslation();
  const me = useSession();
  const { message } = App.useApp();
  const settings = useSmsSettings();
  const save = useSaveSmsSettings();
  const [form] = Form.useForm<SmsSettings>();
  const errors = useFormErrors(form);
  const editable = can(me, 'sms.settings');
  useEffect(() => {
    if (settings.data) form.setFieldsValue(settings.data);
  }, [settings.data, form]);
  if (settings.isPending) return <Loading />;
  if (settings.error) return <ErrorResult error={settings.error} onRetry={() => void settings.refetch()} />;
  const submit = async (v: SmsSettings) => {
    errors.clear();
    try {
      await save.mutateAsync({ quietHours: v.quietHours, optOutHint: v.optOutHint.trim(), templates: v.templates });
      message.success(t('sms.settings.saved'));
    } catch (err) {
      errors.handle(err);
    }
  };
  const timeRule = [
    { required: true, message: t('validation.required') },
    { pattern: HHMM, message: t('sms.settings.timeRule') },
  ];
  return (
    <Form<SmsSettings> form={form} layout="vertical" onFinish={(v) => void submit(v)} disabled={!editable} data-testid="sms-settings">
      {errors.alert}
      <Card size="small" title={t('sms.settings.marketing')} style={{ marginBottom: 16 }}>
        <Typography.Paragraph type="secondary">{t('sms.settings.quietHelp')}</Typography.Paragraph>
        <Flex wrap gap={16}>
          <Form.Item name={['quietHours', 'start']} label={t('sms.settings.quietStart')} rules={timeRule}>
            <Input style={{ width: 120 }} placeholder="21:00" maxLength={5} />
          </Form.Item>
          <Form.Item name={['quietHours', 'end']} label={t('sms.settings.quietEnd')} rules={timeRule}>
            <Input style={{ width: 120 }} placeholder="08:00" maxLength={5} />
          </Form.Item>
          <Form.Item name="optOutHint" label={t('sms.settings.optOutHint')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]} extra={t('sms.settings.optOutHelp')}>
            <Input style={{ width: 200 }} maxLength={40} />
          </Form.Item>
        </Flex>
      </Card>
      <Card size="small" title={t('sms.settings.templates')}>
        <Typography.Paragraph type="secondary">{t('sms.settings.variables', { vars: VARIABLES })}</Typography.Paragraph>
        {TEMPLATE_KEYS.map((k) => (
          <Form.Item key={k} name={['templates', k]} label={t(`sms.templates.${k}`)} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
            <Input.TextArea autoSize={{ minRows: 1, maxRows: 4 }} maxLength={500} />
          </Form.Item>
        ))}
      </Card>
      {editable ? (
        <Button type="primary" htmlType="submit" loading={save.isPending} style={{ marginTop: 16 }}>
          {t('sms.settings.save')}
        </Button>
      ) : null}
    </Form>
  );
}

function KeywordsCard() {
  const { t } = useTranslation();
  const me = useSession();
  const { message } = App.useApp();
  const keywords = useKeywords();
  const save = useSaveKeywords();
  const [form] = Form.useForm<{ items: Keyword[] }>();
  const errors = useFormErrors(form);
  const editable = can(me, 'sms.settings');
  useEffect(() => {
    if (keywords.data) form.setFieldsValue({ items: keywords.data });
  }, [keywords.data, form]);
  if (keywords.isPending) return <Loading />;
  if (keywords.error) return <ErrorResult error={keywords.error} onRetry={() => void keywords.refetch()} />;
  const submit = async (v: { items?: Keyword[] }) => {
    errors.clear();
    try {
      await save.mutateAsync((v.items ?? []).map((k) => ({ keyword: k.keyword.trim(), template: k.template.trim() })));
      message.success(t('sms.keywordsPage.saved'));
    } catch (err) {
      // a built-in keyword (888, 666, TD, …) is marked at its row
      const paths = Object.fromEntries((v.items ?? []).map((_, i) => [`body.items.${i}.keyword`, t('sms.keywordsPage.builtin')]));
      errors.handle(err, {}, paths);
    }
  };
  return (
    <Card data-testid="sms-keywords">
      <Typography.Paragraph type="secondary">{t('sms.keywordsPage.help')}</Typography.Paragraph>
      {errors.alert}
      <Form form={form} layout="vertical" onFinish={(v) => void submit(v)} disabled={!editable}>
        <Form.List name="items">
          {(fields, { add, remove }) => (
            <>
              {fields.map((f, i) => (
                <Flex key={f.key} gap={8} wrap align="flex-start" data-testid="keyword-row">
                  <Form.Item name={[f.name, 'keyword']} rules={[{ required: true, whitespace: true, message: t('validation.required') }]} style={{ width: 140 }}>
                    <Input placeholder={t('sms.keywordsPage.keyword')} maxLength={40} aria-label={`${t('sms.keywordsPage.keyword')} ${i + 1}`} />
                  </Form.Item>
                  <Form.Item name={[f.name, 'template']} rules={[{ required: true, whitespace: true, message: t('validation.required') }]} style={{ flex: '1 1 260px' }}>
                    <Input.TextArea autoSize={{ minRows: 1, maxRows: 4 }} placeholder={t('sms.keywordsPage.reply')} maxLength={500} aria-label={`${t('sms.keywordsPage.reply')} ${i + 1}`} />
                  </Form.Item>
                  {editable ? <Button danger type="text" icon={<DeleteOutlined />} aria-label={`${t('common.delete')} ${i + 1}`} onClick={() => remove(f.name)} /> : null}
                </Flex>
              ))}
              {fields.length === 0 ? <Typography.Paragraph type="secondary">{t('sms.keywordsPage.empty')}</Typography.Paragraph> : null}
              {editable ? (
                <Flex gap={8} wrap>
                  <Button type="dashed" icon={<PlusOutlined />} onClick={() => add()}>
                    {t('sms.keywordsPage.add')}
                  </Button>
                  <Button type="primary" htmlType="submit" loading={save.isPending}>
                    {t('sms.keywordsPage.save')}
                  </Button>
                </Flex>
              ) : null}
            </>
          )}
        </Form.List>
      </Form>
    </Card>
  );
}

const TABS = ['general', 'keywords'] as const;

/** 短信设置: quiet hours, opt-out hint, reply templates; the merchant's own keywords. */
export function SmsSettingsPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') === 'keywords' ? 'keywords' : 'general';
  return (
    <>
      <PageHeader title={t('sms.settings.title')} subtitle={t('sms.settings.subtitle')} />
      <Tabs
        activeKey={tab}
        onChange={(k) => setParams(k === 'general' ? {} : { tab: k }, { replace: true })}
        destroyOnHidden
        items={TABS.map((k) => ({ key: k, label: t(`sms.settings.tabs.${k}`), children: k === 'general' ? <GeneralCard /> : <KeywordsCard /> }))}
      />
    </>
  );
}
