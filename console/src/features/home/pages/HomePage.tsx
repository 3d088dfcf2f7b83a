import { MessageOutlined, WalletOutlined } from '@ant-design/icons';
import { Button, Card, Col, Descriptions, Flex, Row, Statistic, Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { useSession } from '../../../app/auth/session';
import { useFormat } from '../../../app/format';
import { NAV } from '../../../app/nav';
import { ErrorResult } from '../../../ui/ErrorResult';
import { Loading } from '../../../ui/Loading';
import { PageHeader } from '../../../ui/PageHeader';
import { useTenant } from '../api';

export function HomePage() {
  const { t } = useTranslation();
  const me = useSession();
  const fmt = useFormat();
  const navigate = useNavigate();
  const tenant = useTenant();

  if (tenant.isPending) return <Loading />;
  if (tenant.error) return <ErrorResult error={tenant.error} onRetry={() => void tenant.refetch()} />;
  const m = tenant.data;
  const shortcuts = NAV.filter((n) => n.key !== 'home' && n.allowed(me));

  return (
    <>
      <PageHeader title={m.name} subtitle={t('home.welcome', { name: me.user.name })} />
      <Row gutter={[16, 16]}>
        <Col xs={24} sm={12} lg={8}>
          <Card>
            <Statistic title={t('home.smsPort')} value={m.smsPort} prefix={<MessageOutlined />} groupSeparator="" data-testid="sms-port" />
          </Card>
        </Col>
        <Col xs={24} sm={12} lg={8}>
          <Card>
            <Statistic title={t('home.smsCredit')} value={fmt.money(m.creditFen, m.currency)} prefix={<WalletOutlined />} data-testid="sms-credit" />
          </Card>
        </Col>
        <Col xs={24} lg={8}>
          <Card>
            <Statistic title={t('home.smsPrice')} value={t('home.perSegment', { price: fmt.money(m.smsPriceFen, m.currency) })} />
          </Card>
        </Col>
        <Col xs={24} lg={16}>
          <Card title={t('home.merchant')}>
            <Descriptions column={{ xs: 1, sm: 2 }} size="small">
              <Descriptions.Item label={t('merchants.name')}>{m.name}</Descriptions.Item>
              <Descriptions.Item label={t('home.slug')}>{m.slug}</Descriptions.Item>
              <Descriptions.Item label={t('home.smsExtension')}>{m.smsExtension}</Descriptions.Item>
              <Descriptions.Item label={t('home.timezone')}>{m.timezone}</Descriptions.Item>
              <Descriptions.Item label={t('home.currency')}>{m.currency}</Descriptions.Item>
              <Descriptions.Item label={t('home.status')}>
                <Tag color={m.status === 'active' ? 'green' : 'orange'}>{m.status === 'active' ? t('status.active') : t('status.suspended')}</Tag>
              </Descriptions.Item>
              <Descriptions.Item label={t('home.since')}>{fmt.dateTime(m.createdAt, m.timezone)}</Descriptions.Item>
            </Descriptions>
          </Card>
        </Col>
        <Col xs={24} lg={8}>
          <Card title={t('home.shortcuts')}>
            <Flex wrap gap="small">
              {shortcuts.map((n) => (
                <Button key={n.key} icon={n.icon} onClick={() => navigate(n.path)}>
                  {t(`menu.${n.key}`)}
                </Button>
              ))}
            </Flex>
          </Card>
        </Col>
      </Row>
    </>
  );
}
