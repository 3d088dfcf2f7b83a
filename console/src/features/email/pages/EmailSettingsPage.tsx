import { Alert, App, Button, Card, Flex, Form, Input, InputNumber, Switch, Tag, Typography } from 'antd';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { can, useSession } from '../../../app/auth/session';
import { ErrorResult } from '../../../ui/ErrorResult';
import { useFormErrors } from '../../../ui/formErrors';
import { Loading } from '../../../ui/Loading';
import { PageHeader } from '../../../ui/PageHeader';
import { useEmailSettings, useSaveEmailSettings, type EmailSettings, type EmailSettingsPatch } from '../api';

interface Values {
  fromName?: string;
  fromAddress?: string;
  replyTo?: string;
  ownSmtp: boolean;
  smtp?: { host?: string; port?: number; secure?: boolean; user?: string; password?: string };
}

const orNull = (s: string | undefined) => (s?.trim() ? s.trim() : null);

function toValues(s: EmailSettings): Values {
  return {
    fromName: s.fromName ?? undefined,
    fromAddress: s.fromAddress ?? undefined,
    replyTo: s.replyTo ?? undefined,
    ownSmtp: s.smtp !== null,
    smtp: s.smtp ? { host: s.smtp.host, port: s.smtp.port, secure: s.smtp.secure, user: s.smtp.user ?? undefined, password: undefined } : { port: 465, secure: true },
  };
}

/** Where email goes out from now: the sender and the server, or why it cannot be sent. */
function Effective({ s }: { s: EmailSettings }) {
  const { t } = useTranslation();
  if (!s.effective) return <Alert type="warning" showIcon title={t('email.settings.cannotSend')} description={t(s.defaultSmtpAvailable ? 'email.settings.needFrom' : 'email.settings.needSmtp')} style={{ marginBottom: 16 }} />;
  const e = s.effective;
  return (
    <Alert
      type="success"
      showIcon
      data-testid="email-effective"
      title={t('email.settings.effective', { from: `${e.from.name} <${e.from.address}>`, server: t(`email.settings.via.${e.smtp}`) })}
      description={e.replyTo ? t('email.settings.effectiveReplyTo', { replyTo: e.replyTo }) : undefined}
      style={{ marginBottom: 16 }}
    />
  );
}

/** 邮件设置: the sender (name, address, reply-to) and, if the merchant has one, its own SMTP server. */
export function EmailSettingsPage() {
  const { t } = useTranslation();
  const me = useSession();
  const { message } = App.useApp();
  const settings = useEmailSettings();
  const save = useSaveEmailSettings();
  const [form] = Form.useForm<Values>();
  const errors = useFormErrors(form);
  const own = Form.useWatch('ownSmtp', form);
  const editable = can(me, 'sms.settings');
  useEffect(() => {
    if (settings.data) form.setFieldsValue(toValues(settings.data));
  }, [settings.data, form]);
  if (settings.isPending) return <Loading />;
  if (settings.error) return <ErrorResult error={settings.error} onRetry={() => void settings.refetch()} />;
  const s = settings.data;
  const passwordSet = s.smtp?.passwordSet ?? false;

  const submit = async (v: Values) => {
    errors.clear();
    const patch: EmailSettingsPatch = { fromName: orNull(v.fromName), fromAddress: orNull(v.fromAddress), replyTo: orNull(v.replyTo) };
    if (v.ownSmtp && v.smtp) {
      patch.smtp = { host: (v.smtp.host ?? '').trim(), port: v.smtp.port ?? 587, secure: v.smtp.secure ?? false, user: orNull(v.smtp.user) };
      // write-only: an empty box keeps the stored password
      if (v.smtp.password) patch.smtp.password = v.smtp.password;
    } else patch.smtp = null;
    try {
      await save.mutateAsync(patch);
      form.setFieldValue(['smtp', 'password'], undefined);
      message.success(t('email.settings.saved'));
    } catch (err) {
      errors.handle(err);
    }
  };

  return (
    <>
      <PageHeader title={t('email.settings.title')} subtitle={t('email.settings.subtitle')} />
      <Effective s={s} />
      {errors.alert}
      <Form<Values>
        form={form}
        layout="vertical"
        onFinish={(v) => void submit(v)}
        // port 465 speaks TLS from the start, the others (587, 25) upgrade with STARTTLS: follow the port, the switch can still override
        onValuesChange={(changed: Partial<Values>) => {
          const port = changed.smtp?.port;
          if (typeof port === 'number') form.setFieldValue(['smtp', 'secure'], port === 465);
        }} disabled={!editable} initialValues={toValues(s)} data-testid="email-settings" style={{ maxWidth: 640 }}>
        <Card size="small" title={t('email.settings.sender')} style={{ marginBottom: 16 }}>
          <Form.Item name="fromName" label={t('email.settings.fromName')} extra={t('email.settings.fromNameHelp')}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item name="fromAddress" label={t('email.settings.fromAddress')} rules={[{ type: 'email', message: t('members.form.emailRule') }]}>
            <Input type="email" maxLength={254} placeholder="news@example.com" />
          </Form.Item>
          <Form.Item name="replyTo" label={t('email.settings.replyTo')} rules={[{ type: 'email', message: t('members.form.emailRule') }]}>
            <Input type="email" maxLength={254} placeholder={t('common.optional')} />
          </Form.Item>
        </Card>
        <Card size="small" title={t('email.settings.server')}>
          <Typography.Paragraph type="secondary">{t(s.defaultSmtpAvailable ? 'email.settings.defaultAvailable' : 'email.settings.defaultMissing')}</Typography.Paragraph>
          <Form.Item name="ownSmtp" label={t('email.settings.ownSmtp')} valuePropName="checked">
            <Switch />
          </Form.Item>
          {own ? (
            <>
              <Flex wrap gap={16}>
                <Form.Item name={['smtp', 'host']} label={t('email.settings.host')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]} style={{ flex: '1 1 240px' }}>
                  <Input maxLength={253} placeholder="smtp.example.com" />
                </Form.Item>
                <Form.Item name={['smtp', 'port']} label={t('email.settings.port')} rules={[{ required: true, message: t('validation.required') }]}>
                  <InputNumber min={1} max={65535} precision={0} style={{ width: 120 }} />
                </Form.Item>
              </Flex>
              <Form.Item name={['smtp', 'secure']} label={t('email.settings.secure')} valuePropName="checked" extra={t('email.settings.secureHelp')}>
                <Switch />
              </Form.Item>
              <Form.Item name={['smtp', 'user']} label={t('email.settings.user')}>
                <Input maxLength={200} autoComplete="off" placeholder={t('common.optional')} />
              </Form.Item>
              <Form.Item
                name={['smtp', 'password']}
                label={t('email.settings.password')}
                extra={
                  <>
                    {passwordSet ? (
                      <Tag color="green" data-testid="password-set">
                        {t('email.settings.passwordSet')}
                      </Tag>
                    ) : null}
                    {t(passwordSet ? 'email.settings.passwordKeep' : 'email.settings.passwordHelp')}
                  </>
                }
              >
                <Input.Password maxLength={200} autoComplete="new-password" placeholder={passwordSet ? t('email.settings.passwordSet') : undefined} />
              </Form.Item>
            </>
          ) : null}
        </Card>
        {editable ? (
          <div style={{ position: 'sticky', bottom: 0, paddingBlock: 12, zIndex: 2, background: 'var(--ant-color-bg-layout, #f5f5f5)' }}>
            <Button type="primary" htmlType="submit" loading={save.isPending}>
              {t('email.settings.save')}
            </Button>
          </div>
        ) : null}
      </Form>
    </>
  );
}
