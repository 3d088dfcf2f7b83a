import { ReloadOutlined, ShoppingCartOutlined } from '@ant-design/icons';
import { Button, Card, Input, Select, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { http, isApiError } from '../../../app/api/client';
import type { Member } from '../../../app/api/types';
import { can, useSession } from '../../../app/auth/session';
import { DateInput } from '../../../ui/DateInput';
import { ListToolbar } from '../../../ui/ListToolbar';
import { PageHeader } from '../../../ui/PageHeader';
import { useStores } from '../../org';
import { useTransactions } from '../api';
import { TransactionList } from './TransactionParts';

/** 消费记录: every purchase, newest first, or one member's (by phone or card number), at one store, between two days
 * (the merchant's days: the server reads plain dates in its timezone). The filters live in the address. */
export function TransactionsPage() {
  const { t } = useTranslation();
  const me = useSession();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const memberId = params.get('member') ?? undefined;
  const storeId = params.get('store') ?? undefined;
  const from = params.get('from') ?? undefined;
  const to = params.get('to') ?? undefined;
  const stores = useStores();
  /** Sets one filter of the address, keeping the others. */
  const setFilter = (name: 'member' | 'store' | 'from' | 'to', value: string | undefined) =>
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      if (value) next.set(name, value);
      else next.delete(name);
      return next;
    });
  const [memberLabel, setMemberLabel] = useState<string | null>(null);
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const list = useTransactions({ memberId, storeId, from, to });

  const find = async (raw: string) => {
    const k = raw.trim();
    setError(null);
    if (!k) return setFilter('member', undefined);
    try {
      const m = await http.get<Member>('/members/lookup', { key: k });
      setMemberLabel(`${m.name ?? t('members.noName')} · ${m.cardNo}`);
      setFilter('member', m.id);
    } catch (err) {
      setError(isApiError(err) && (err.status === 404 || err.status === 400) ? t('members.lookupNotFound', { key: k }) : String(err));
    }
  };

  return (
    <>
      <PageHeader
        title={t('loyalty.tx.title')}
        subtitle={t('loyalty.tx.subtitle')}
        extra={
          can(me, 'loyalty.write') ? (
            <Button type="primary" icon={<ShoppingCartOutlined />} onClick={() => navigate('/checkout')}>
              {t('loyalty.checkout.title')}
            </Button>
          ) : null
        }
      />
      <Card>
        <ListToolbar
          filters={
            <>
              <Input.Search
                allowClear
                value={key}
                onChange={(e) => setKey(e.target.value)}
                onSearch={(v) => void find(v)}
                placeholder={t('members.lookupPlaceholder')}
                aria-label={t('loyalty.tx.memberFilter')}
                style={{ width: 260, maxWidth: '100%' }}
                status={error ? 'error' : undefined}
              />
              {memberId ? (
                <Tag
                  closable
                  onClose={() => {
                    setKey('');
                    setMemberLabel(null);
                    setFilter('member', undefined);
                  }}
                  color="blue"
                >
                  {memberLabel ?? t('loyalty.tx.memberNo', { id: memberId })}
                </Tag>
              ) : null}
              {stores.options.length ? (
                <Select
                  allowClear
                  value={storeId ?? null}
                  onChange={(v: string | null | undefined) => setFilter('store', v ?? undefined)}
                  options={stores.options}
                  placeholder={t('loyalty.tx.allStores')}
                  aria-label={t('loyalty.tx.storeFilter')}
                  style={{ width: 180, maxWidth: '100%' }}
                />
              ) : null}
              <DateInput
                value={from}
                onChange={(v) => setFilter('from', v)}
                disabledDate={to ? (d) => d.format('YYYY-MM-DD') > to : undefined}
                placeholder={t('loyalty.tx.dateFrom')}
                aria-label={t('loyalty.tx.dateFrom')}
                style={{ width: 150 }}
              />
              <DateInput
                value={to}
                onChange={(v) => setFilter('to', v)}
                disabledDate={from ? (d) => d.format('YYYY-MM-DD') < from : undefined}
                placeholder={t('loyalty.tx.dateTo')}
                aria-label={t('loyalty.tx.dateTo')}
                style={{ width: 150 }}
              />
            </>
          }
          extra={
            <>
              <Typography.Text type="secondary" data-testid="transaction-count">
                {t('loyalty.tx.loaded', { count: list.rows.length })}
              </Typography.Text>
              <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void list.refetch()} />
            </>
          }
        />
        {error ? (
          <Typography.Text type="danger" role="alert" style={{ display: 'block', marginBottom: 8 }}>
            {error}
          </Typography.Text>
        ) : null}
        <TransactionList source={list} showMember testId="transactions" />
      </Card>
    </>
  );
}
