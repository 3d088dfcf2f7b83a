import { Col, Row } from 'antd';
import { useTranslation } from 'react-i18next';
import { can, useSession } from '../../../app/auth/session';
import { ErrorResult } from '../../../ui/ErrorResult';
import { Loading } from '../../../ui/Loading';
import { PageHeader } from '../../../ui/PageHeader';
import { useMemberSettings } from '../api';
import { AttributeDefsCard } from './AttributeDefsCard';
import { CardPlanCard } from './CardPlanCard';
import { CardPoolCard } from './CardPoolCard';

/** 会员设置: card-number plan and joining review, the card pool, member attributes. */
export function MemberSettingsPage() {
  const { t } = useTranslation();
  const me = useSession();
  const settings = useMemberSettings();

  if (settings.isPending) return <Loading />;
  if (settings.error) return <ErrorResult error={settings.error} onRetry={() => void settings.refetch()} />;
  return (
    <>
      <PageHeader title={t('memberSettings.title')} subtitle={t('memberSettings.subtitle')} />
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={10}>
          <CardPlanCard settings={settings.data} />
        </Col>
        {can(me, 'members.write') ? (
          <Col xs={24} xl={14}>
            <CardPoolCard settings={settings.data} canManage={can(me, 'settings.manage')} />
          </Col>
        ) : null}
        <Col xs={24}>
          <AttributeDefsCard />
        </Col>
      </Row>
    </>
  );
}
