import { ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Flex, Input, Select, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../../app/format';
import { ListToolbar } from '../../../ui/ListToolbar';
import { PagedList } from '../../../ui/PagedList';
import { PageHeader } from '../../../ui/PageHeader';
import { useDebounced } from '../../../ui/useDebounced';
import { EMAIL_STATUSES, useEmailMessages, type EmailMessage, type EmailStatus } from '../api';

const COLORS: Record<EmailStatus, string> = { queued: 'processing', sent: 'success', failed: 'error', suppressed: 'default' };

function StatusTag({ m }: { m: EmailMessage }) {
  const { t } = useTranslation();
  const tag = <Tag color={COLORS[m.status]}>{t(`email.statuses.${m.status}`)}</Tag>;
  const why = m.failReason === 'opted_out' ? t('email.messages.optedOut') : (m.failReason ?? m.smtpResponse);
  return why && m.status !== 'sent' ? <Tooltip title={why}>{tag}</Tooltip> : tag;
}

/** 邮件记录: every email the merchant sent or tried to, newest first. */
export function EmailMessagesPage() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const [status, setStatus] = useState<EmailStatus | undefined>();
  const [toInput, setToInput] = useState('');
  const to = useDebounced(toInput.trim(), 400);
  const list = useEmailMessages({ status, to: to.includes('@') ? to : undefined });
  const kind = (m: EmailMessage) => <Tag color={m.kind === 'marketing' ? 'purple' : 'blue'}>{t(`email.kinds.${m.kind}`)}</Tag>;
  const columns: ColumnsType<EmailMessage> = [
    { title: t('email.messages.time'), dataIndex: 'createdAt', fixed: 'left', render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{fmt.dateTime(v)}</span> },
    { title: t('email.messages.to'), dataIndex: 'to' },
    { title: t('email.messages.subject'), dataIndex: 'subject', render: (v: string, m) => <Tooltip title={<div style={{ whiteSpace: 'pre-wrap' }}>{m.text.slice(0, 600)}</div>}>{v}</Tooltip> },
    { title: t('email.messages.kind'), key: 'kind', render: (_: unknown, m) => kind(m) },
    { title: t('email.messages.status'), key: 'status', render: (_: unknown, m) => <StatusTag m={m} /> },
    { title: t('email.messages.attempts'), dataIndex: 'attempts', align: 'right' },
  ];
  const card = (m: EmailMessage) => (
    <Card size="small" data-testid="email-card">
      <Flex justify="space-between" gap={8} wrap>
        <Typography.Text strong style={{ wordBreak: 'break-all' }}>
          {m.to}
        </Typography.Text>
        <Typography.Text type="secondary">{fmt.dateTime(m.createdAt)}</Typography.Text>
      </Flex>
      <div style={{ margin: '4px 0', wordBreak: 'break-word' }}>{m.subject}</div>
      <Flex gap={4} wrap>
        {kind(m)}
        <StatusTag m={m} />
      </Flex>
    </Card>
  );
  return (
    <>
      <PageHeader title={t('email.messages.title')} subtitle={t('email.messages.subtitle')} />
      <Card>
        <ListToolbar
          filters={
            <>
              <Select
                allowClear
                placeholder={t('email.messages.allStatuses')}
                value={status}
                onChange={setStatus}
                options={EMAIL_STATUSES.map((s) => ({ value: s, label: t(`email.statuses.${s}`) }))}
                style={{ width: 130 }}
                aria-label={t('email.messages.status')}
              />
              <Input allowClear placeholder={t('email.messages.toFilter')} value={toInput} onChange={(e) => setToInput(e.target.value)} style={{ width: 220, maxWidth: '100%' }} aria-label={t('email.messages.to')} inputMode="email" />
            </>
          }
          extra={<Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void list.refetch()} />}
        />
        <PagedList source={list} columns={columns} card={card} emptyText={t('email.messages.empty')} testId="email-messages" />
      </Card>
    </>
  );
}
