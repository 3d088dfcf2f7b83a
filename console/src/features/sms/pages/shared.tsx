import { Card, Flex, Statistic, Tag, Tooltip } from 'antd';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../../app/format';
import { tDynamic } from '../../../app/i18n';
import { useTenant } from '../api';
import type { OutStatus } from '../types';

const STATUS_COLOR: Record<OutStatus, string> = { queued: 'processing', sent: 'blue', delivered: 'green', failed: 'red', suppressed: 'default' };

export const failReasonLabel = (r: string) => tDynamic(`sms.failReasons.${r}`, r);
export const keywordLabel = (k: string) => tDynamic(`sms.keywords.${k}`, k);

export function SmsStatusTag({ status, failReason }: { status: OutStatus; failReason?: string }) {
  const { t } = useTranslation();
  const tag = <Tag color={STATUS_COLOR[status] ?? 'default'}>{t(`sms.statuses.${status}`)}</Tag>;
  return failReason ? (
    <Tooltip title={failReasonLabel(failReason)}>
      <span>
        {tag}
        <span style={{ fontSize: 12, color: '#999' }}>{failReasonLabel(failReason)}</span>
      </span>
    </Tooltip>
  ) : (
    tag
  );
}

/** The merchant's SMS credit, price per billed segment and port. */
export function CreditBar() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const tenant = useTenant().data;
  if (!tenant) return null;
  const left = tenant.smsPriceFen > 0 ? Math.floor(tenant.creditFen / tenant.smsPriceFen) : null;
  return (
    <Card size="small" style={{ marginBottom: 16 }} data-testid="sms-credit">
      <Flex wrap gap="large">
        <Statistic title={t('sms.credit.credit')} value={fmt.money(tenant.creditFen)} />
        <Statistic title={t('sms.credit.price')} value={fmt.money(tenant.smsPriceFen)} />
        {left !== null ? <Statistic title={t('sms.credit.left')} value={left} /> : null}
        <Statistic title={t('sms.credit.port')} value={tenant.smsPort} groupSeparator="" />
      </Flex>
    </Card>
  );
}
