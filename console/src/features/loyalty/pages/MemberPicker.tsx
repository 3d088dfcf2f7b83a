import { SwapOutlined } from '@ant-design/icons';
import { Button, Card, Flex, Input, List, Space, Statistic, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { http, isApiError } from '../../../app/api/client';
import type { Member, Page } from '../../../app/api/types';
import { useFormat } from '../../../app/format';
import { formatPhone } from '../../../ui/format';
import type { Tier } from '../types';
import { TierName } from './shared';

/** A phone or card number (lookup), else a name or fragment (search): the members it finds. */
async function findMembers(key: string): Promise<Member[]> {
  try {
    return [await http.get<Member>('/members/lookup', { key })];
  } catch (err) {
    if (!isApiError(err) || (err.status !== 404 && err.status !== 400)) throw err;
  }
  return (await http.get<Page<Member>>('/members', { q: key, limit: 10 })).items;
}

/** The member a checkout is for: found by phone, card number or name; shown with tier,
 * discount, points and stored value. */
export function MemberPicker({ member, onChange, tiers }: { member: Member | null; onChange: (m: Member | null) => void; tiers: readonly Tier[] }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [choices, setChoices] = useState<Member[]>([]);

  const search = async (raw: string) => {
    const k = raw.trim();
    if (!k) return;
    setBusy(true);
    setError(null);
    setChoices([]);
    try {
      const found = await findMembers(k);
      if (found.length === 1) onChange(found[0]!);
      else if (found.length === 0) setError(t('loyalty.checkout.notFound', { key: k }));
      else setChoices(found);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  if (member) {
    const discount = member.tier ? tiers.find((x) => x.code === member.tier!.code)?.discountPct : undefined;
    return (
      <Card
        title={t('loyalty.checkout.member')}
        data-testid="checkout-member"
        extra={
          <Button icon={<SwapOutlined />} onClick={() => onChange(null)}>
            {t('loyalty.checkout.changeMember')}
          </Button>
        }
      >
        <Space wrap size={[8, 4]} align="center">
          <Typography.Title level={5} style={{ margin: 0 }}>
            {member.name ?? t('members.noName')}
          </Typography.Title>
          <TierName tier={member.tier} />
          {discount ? <Typography.Text type="success">{t('loyalty.checkout.tierDiscount', { pct: discount })}</Typography.Text> : null}
        </Space>
        <div>
          <Typography.Text type="secondary">
            {formatPhone(member.phone)} · {t('members.cardNo')} {member.cardNo}
          </Typography.Text>
        </div>
        <Flex gap="large" wrap style={{ marginTop: 12 }}>
          <Statistic title={t('members.points')} value={member.points} />
          <Statistic title={t('members.tierPoints')} value={member.tierPoints} />
          <Statistic title={t('members.storedValue')} value={fmt.money(member.storedValueFen)} />
        </Flex>
        {member.status !== 'active' ? (
          <Typography.Text type="danger" style={{ display: 'block', marginTop: 8 }}>
            {t(`members.statuses.${member.status}`)}
          </Typography.Text>
        ) : null}
      </Card>
    );
  }

  return (
    <Card title={t('loyalty.checkout.member')} data-testid="checkout-member">
      <Input.Search
        value={key}
        onChange={(e) => {
          setKey(e.target.value);
          setError(null);
        }}
        onSearch={(v) => void search(v)}
        placeholder={t('loyalty.checkout.findPlaceholder')}
        enterButton={t('loyalty.checkout.find')}
        loading={busy}
        aria-label={t('loyalty.checkout.find')}
        status={error ? 'error' : undefined}
        autoFocus
      />
      {error ? (
        <Typography.Text type="danger" role="alert" style={{ display: 'block', marginTop: 4 }}>
          {error}
        </Typography.Text>
      ) : null}
      {choices.length ? (
        <List
          style={{ marginTop: 12 }}
          size="small"
          bordered
          header={t('loyalty.checkout.pick', { count: choices.length })}
          dataSource={choices}
          renderItem={(m) => (
            <List.Item
              actions={[
                <Button key="pick" type="link" onClick={() => onChange(m)}>
                  {t('loyalty.checkout.choose')}
                </Button>,
              ]}
            >
              <Space wrap size={[8, 0]}>
                <Typography.Text strong>{m.name ?? t('members.noName')}</Typography.Text>
                <span>{formatPhone(m.phone)}</span>
                <Typography.Text type="secondary">{m.cardNo}</Typography.Text>
                <TierName tier={m.tier} />
              </Space>
            </List.Item>
          )}
        />
      ) : null}
    </Card>
  );
}
