import { ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Flex, Input, Segmented, Select, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../../app/format';
import { formatPhone } from '../../../ui/format';
import { ListToolbar } from '../../../ui/ListToolbar';
import { PagedList, type PagedSource } from '../../../ui/PagedList';
import { PageHeader } from '../../../ui/PageHeader';
import { useDebounced } from '../../../ui/useDebounced';
import { useMemberMessages, useMessages } from '../api';
import { OUT_STATUSES, type Message, type OutStatus } from '../types';
import { CreditBar, keywordLabel, SmsStatusTag } from './shared';

/** The other party of a message. */
const phoneOf = (m: Message) => formatPhone(m.direction === 'out' ? m.to : m.from);

function DirectionTag({ m }: { m: Message }) {
  const { t } = useTranslation();
  return m.direction === 'out' ? <Tag color="blue">{t('sms.out')}</Tag> : <Tag color="purple">{t('sms.in')}</Tag>;
}

/** Messages in both directions: a table on a desktop, cards on a phone. */
export function MessageList({ source, testId }: { source: PagedSource<Message>; testId: string }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  // inbound and outbound ids are counted apart: keys need the direction
  const rows = useMemo(() => source.rows.map((m) => ({ ...m, id: `${m.direction}-${m.id}` })), [source.rows]);
  const columns: ColumnsType<Message> = [
    { title: t('sms.time'), dataIndex: 'createdAt', fixed: 'left', render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{fmt.dateTime(v)}</span> },
    { title: t('sms.direction'), key: 'direction', render: (_: unknown, m) => <DirectionTag m={m} /> },
    { title: t('sms.phone'), key: 'phone', render: (_: unknown, m) => <span style={{ whiteSpace: 'nowrap' }}>{phoneOf(m)}</span> },
    { title: t('sms.text'), dataIndex: 'text', render: (v: string) => <div style={{ maxWidth: 420, whiteSpace: 'pre-wrap' }}>{v}</div> },
    { title: t('sms.segments'), key: 'segments', align: 'right', render: (_: unknown, m) => (m.direction === 'out' ? m.segments : '') },
    { title: t('sms.cost'), key: 'cost', align: 'right', render: (_: unknown, m) => (m.direction === 'out' ? fmt.money(m.costFen) : '') },
    {
      title: t('sms.status'),
      key: 'status',
      render: (_: unknown, m) => (m.direction === 'out' ? <SmsStatusTag status={m.status} failReason={m.failReason} /> : m.keyword ? <Tag>{keywordLabel(m.keyword)}</Tag> : null),
    },
  ];
  const card = (m: Message) => (
    <Card size="small" data-testid="message-card">
      <Flex justify="space-between" align="center" gap={8}>
        <span>
          <DirectionTag m={m} />
          <Typography.Text strong>{phoneOf(m)}</Typography.Text>
        </span>
        <Typography.Text type="secondary">{fmt.dateTime(m.createdAt)}</Typography.Text>
      </Flex>
      <div style={{ whiteSpace: 'pre-wrap', margin: '4px 0' }}>{m.text}</div>
      {m.direction === 'out' ? (
        <Flex justify="space-between" wrap gap={8}>
          <SmsStatusTag status={m.status} failReason={m.failReason} />
          <Typography.Text type="secondary">{t('sms.segmentsCost', { segments: m.segments, cost: fmt.money(m.costFen) })}</Typography.Text>
        </Flex>
      ) : m.keyword ? (
        <Tag>{keywordLabel(m.keyword)}</Tag>
      ) : null}
    </Card>
  );
  return <PagedList source={{ ...source, rows }} columns={columns} card={card} emptyText={t('sms.messages.empty')} testId={testId} />;
}

/** 短信记录: the outbox and the inbound messages, filtered by direction, status and phone. */
export function MessagesPage() {
  const { t } = useTranslation();
  const [direction, setDirection] = useState<'all' | 'in' | 'out'>('all');
  const [status, setStatus] = useState<OutStatus | undefined>();
  const [phoneInput, setPhoneInput] = useState('');
  const phone = useDebounced(phoneInput.trim(), 400);
  const list = useMessages({ direction: direction === 'all' ? undefined : direction, status, phone: phone || undefined });

  return (
    <>
      <PageHeader title={t('sms.messages.title')} subtitle={t('sms.messages.subtitle')} />
      <CreditBar />
      <Card>
        <ListToolbar
          filters={
            <>
              <Segmented<'all' | 'in' | 'out'>
                value={direction}
                onChange={(v) => {
                  setDirection(v);
                  if (v === 'in') setStatus(undefined);
                }}
                options={[
                  { value: 'all', label: t('sms.all') },
                  { value: 'out', label: t('sms.out') },
                  { value: 'in', label: t('sms.in') },
                ]}
              />
              {direction !== 'in' ? (
                <Select
                  allowClear
                  placeholder={t('sms.allStatuses')}
                  value={status}
                  onChange={setStatus}
                  options={OUT_STATUSES.map((s) => ({ value: s, label: t(`sms.statuses.${s}`) }))}
                  style={{ width: 130 }}
                  aria-label={t('sms.status')}
                />
              ) : null}
              <Input allowClear placeholder={t('sms.phone')} value={phoneInput} onChange={(e) => setPhoneInput(e.target.value)} style={{ width: 170 }} aria-label={t('sms.phone')} inputMode="tel" />
            </>
          }
          extra={
            <>
              <Typography.Text type="secondary" data-testid="message-count">
                {t('sms.messages.loaded', { count: list.rows.length })}
              </Typography.Text>
              <Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void list.refetch()} />
            </>
          }
        />
        <MessageList source={list} testId="messages" />
      </Card>
    </>
  );
}

/** The member page's SMS tab: what was sent to and received from this member. */
export function MemberSmsTab({ memberId }: { memberId: string }) {
  const list = useMemberMessages(memberId);
  return <MessageList source={list} testId="member-sms" />;
}
