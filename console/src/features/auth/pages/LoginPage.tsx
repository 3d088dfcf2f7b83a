import { LockOutlined, ShopOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Flex, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { isApiError } from '../../../app/api/client';
import { useLogin, useMe } from '../../../app/auth/session';
import { LanguageSwitch } from '../../../app/layout/LanguageSwitch';

const LAST_TENANT = 'memberdesk.lastTenant';

interface LoginForm {
  tenant?: string;
  username: string;
  password: string;
}

export function LoginPage() {
  const { t } = useTranslation();
  const [form] = Form.useForm<LoginForm>();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const me = useMe();
  const login = useLogin();
  const [error, setError] = useState<string | null>(null);
  const next = params.get('next');
  const target = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';

  if (me.data) return <Navigate to={target} replace />;

  const submit = async (values: LoginForm) => {
    setError(null);
    const tenant = values.tenant?.trim().toLowerCase();
    try {
      await login.mutateAsync({ username: values.username.trim(), password: values.password, ...(tenant ? { tenant } : {}) });
      try {
        if (tenant) localStorage.setItem(LAST_TENANT, tenant);
        else localStorage.removeItem(LAST_TENANT);
      } catch {
        /* ignore */
      }
      navigate(target, { replace: true });
    } catch (err) {
      if (isApiError(err) && err.status === 401) setError(t('auth.wrongCredentials'));
      else if (isApiError(err) && err.status === 429) setError(t('auth.tooMany'));
      else if (isApiError(err) && err.status === 0) setError(t('errors.network'));
      else setError(err instanceof Error ? err.message : t('errors.generic'));
    }
  };

  let lastTenant = '';
  try {
    lastTenant = localStorage.getItem(LAST_TENANT) ?? '';
  } catch {
    /* ignore */
  }

  return (
    <Flex vertical align="center" justify="center" style={{ minHeight: '100vh', padding: 16, background: 'linear-gradient(180deg, #e6f4ff 0%, #f5f5f5 60%)' }}>
      <div style={{ position: 'absolute', top: 8, right: 8 }}>
        <LanguageSwitch />
      </div>
      <Card style={{ width: '100%', maxWidth: 400 }}>
        <Typography.Title level={3} style={{ marginTop: 0, marginBottom: 4 }}>
          memberdesk
        </Typography.Title>
        <Typography.Paragraph type="secondary">{t('auth.subtitle')}</Typography.Paragraph>
        <Typography.Title level={5} style={{ marginTop: 0 }}>
          {t('auth.title')}
        </Typography.Title>
        {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} role="alert" /> : null}
        <Form<LoginForm> form={form} name="login" layout="vertical" requiredMark={false} onFinish={submit} initialValues={{ tenant: lastTenant }}>
          <Form.Item name="tenant" label={t('auth.tenant')} extra={t('auth.tenantHelp')}>
            <Input prefix={<ShopOutlined />} autoComplete="organization" autoCapitalize="none" />
          </Form.Item>
          <Form.Item name="username" label={t('auth.username')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
            <Input prefix={<UserOutlined />} autoComplete="username" autoCapitalize="none" />
          </Form.Item>
          <Form.Item name="password" label={t('auth.password')} rules={[{ required: true, message: t('validation.required') }]}>
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block size="large" loading={login.isPending}>
            {t('auth.submit')}
          </Button>
        </Form>
      </Card>
    </Flex>
  );
}
