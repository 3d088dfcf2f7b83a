import { ArrowRightOutlined } from '@ant-design/icons';
import { Col, Row, Space, Statistic, Tag, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { newIdempotencyKey } from '../../../app/api/client';
import { useFormat } from '../../../app/format';
import { tDynamic } from '../../../app/i18n';
import type { Balances, TierChange, TierRef } from '../types';

/** One Idempotency-Key per action: `renew` starts the next one (after a success, or when a
 * form opens), so a double click or a retry of the same action sends the same key. */
export function useIdempotencyKey(): [string, () => void] {
  const [key, setKey] = useState(newIdempotencyKey);
  return [key, useCallback(() => setKey(newIdempotencyKey()), [])];
}

export const tenderLabel = (type: string) => tDynamic(`loyalty.tenders.${type}`, type);
export const causeLabel = (cause: string) => tDynamic(`loyalty.causes.${cause}`, cause);

/** A tier as a gold tag. The API names it as the tier settings name it now (members and the
 * loyalty answers alike; the code when the tier was removed). */
export function TierName({ tier }: { tier: TierRef | null }) {
  const { t } = useTranslation();
  if (!tier) return <Tag>{t('members.noTier')}</Tag>;
  return <Tag color="gold">{tier.name}</Tag>;
}

/** 银卡 → 金卡, or nothing when the tier did not change. */
export function TierChangeText({ change }: { change: TierChange }) {
  const { t } = useTranslation();
  if (!change) return null;
  return (
    <Space size={4} data-testid="tier-change">
      <Typography.Text strong>{t('loyalty.tierChanged')}</Typography.Text>
      <TierName tier={change.from} />
      <ArrowRightOutlined />
      <TierName tier={change.to} />
    </Space>
  );
}

/** A member's balances after a movement. */
export function BalancesRow({ member }: { member: Balances }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  return (
    <Row gutter={[16, 16]} data-testid="balances">
      <Col xs={12} sm={6}>
        <Statistic title={t('members.points')} value={member.points} />
      </Col>
      <Col xs={12} sm={6}>
        <Statistic title={t('members.tierPoints')} value={member.tierPoints} />
      </Col>
      <Col xs={12} sm={6}>
        <Statistic title={t('members.storedValue')} value={fmt.money(member.storedValueFen)} />
      </Col>
      <Col xs={12} sm={6}>
        <Statistic title={t('members.tier')} valueRender={() => <TierName tier={member.tier} />} />
      </Col>
    </Row>
  );
}

/** A signed movement: +120 green, −30 red. */
export function Delta({ value, money }: { value: number; money?: boolean }) {
  const fmt = useFormat();
  const text = money ? fmt.money(Math.abs(value)) : Math.abs(value).toLocaleString();
  return (
    <Typography.Text type={value < 0 ? 'danger' : 'success'} strong style={{ whiteSpace: 'nowrap' }}>
      {value < 0 ? '−' : '+'}
      {text}
    </Typography.Text>
  );
}
