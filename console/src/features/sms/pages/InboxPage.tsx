import { ArrowLeftOutlined, SendOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, App, Badge, Button, Card, Col, Empty, Flex, Input, List, Row, Segmented, Space, Tag, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { can, useSession } from '../../../app/auth/session';
import { useFormat } from '../../../app/format';
import { ErrorResult } from '../../../ui/ErrorResult';
import { formatPhone } from '../../../ui/format';
import { Loading } from '../../../ui/Loading';
import { PageHeader } from '../../../ui/PageHeader';
import { useIsMobile } from '../../../ui/useIsMobile';
import { useReply, useThread, useThreads } from '../api';
import type { Message } from '../types';
import { keywordLabel, SmsStatusTag } from './shared';

function Bubble({ m }: { m: Message }) {
  const fmt = useFormat();
  const mine = m.direction === 'out';
  return (
    <Flex justify={mine ? 'flex-end' : 'flex-start'} data-testid={mine ? 'bubble-out' : 'bubble-in'}>
      <div style={{ maxWidth: '80%' }}>
        <div
          style={{
            background: mine ? '#1677ff' : '#f0f0f0',
            color: mine ? '#fff' : 'inherit',
            borderRadius: 12,
            padding: '8px 12px',
            whiteSpace: 'pre-wrap',
            wordBreak: 'break-word',
          }}
        >
          {m.text}
        </div>
        <Space size={4} style={{ fontSize: 12, color: '#999', marginTop: 2, justifyContent: mine ? 'flex-end' : 'flex-start', width: '100%' }}>
          {fmt.dateTime(m.createdAt)}
          {m.direction === 'out' ? <SmsStatusTag status={m.status} failReason={m.failReason} /> : m.keyword ? <Tag>{keywordLabel(m.keyword)}</Tag> : null}
        </Space>
      </div>
    </Flex>
  );
}

function ThreadView({ id, onBack }: { id: string; onBack?: () => void }) {
  const { t } = useTranslation();
  const me = useSession();
  const { message } = App.useApp();
  const thread = useThread(id);
  const reply = useReply();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const end = useRef<HTMLDivElement>(null);
  const count = thread.data?.messages.length ?? 0;
  useEffect(() => {
    // (block body: scrollIntoView returns a promise in newer browsers, and an effect may
    // return only a cleanup function)
    void end.current?.scrollIntoView({ block: 'end' });
  }, [count]);

  if (thread.isPending) return <Loading />;
  if (thread.error) return <ErrorResult error={thread.error} onRetry={() => void thread.refetch()} />;
  const th = thread.data;
  const send = async () => {
    setError(null);
    try {
      const sent = await reply.mutateAsync({ id, text: text.trim() });
      setText('');
      if (sent.status === 'failed') setError(t('sms.inbox.replyFailed', { reason: sent.failReason ?? '' }));
      else message.success(t('sms.inbox.replied'));
      void thread.refetch();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <Card
      data-testid="thread"
      title={
        <Space>
          {onBack ? <Button type="text" icon={<ArrowLeftOutlined />} aria-label={t('sms.inbox.back')} onClick={onBack} /> : null}
          <span>{formatPhone(th.phone)}</span>
          {th.memberId ? (
            <Link to={`/members/${th.memberId}`}>
              <UserOutlined /> {t('sms.inbox.member')}
            </Link>
          ) : (
            <Tag>{t('sms.inbox.notMember')}</Tag>
          )}
        </Space>
      }
    >
      <Flex vertical gap={12} style={{ maxHeight: 480, overflowY: 'auto', paddingBottom: 8 }}>
        {th.messages.map((m) => (
          <Bubble key={`${m.direction}-${m.id}`} m={m} />
        ))}
        <div ref={end} />
      </Flex>
      {can(me, 'sms.send') ? (
        <div style={{ marginTop: 12 }}>
          {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 8 }} /> : null}
          <Input.TextArea value={text} onChange={(e) => setText(e.target.value)} autoSize={{ minRows: 2, maxRows: 5 }} maxLength={400} showCount placeholder={t('sms.inbox.replyPlaceholder')} aria-label={t('sms.inbox.reply')} />
          <Flex justify="flex-end" style={{ marginTop: 28 }}>
            <Button type="primary" icon={<SendOutlined />} disabled={!text.trim()} loading={reply.isPending} onClick={() => void send()}>
              {t('sms.inbox.send')}
            </Button>
          </Flex>
        </div>
      ) : null}
    </Card>
  );
}

/** 反馈收件箱: threads (unread first in view), a thread, and the reply box. */
export function InboxPage() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const mobile = useIsMobile();
  const [params, setParams] = useSearchParams();
  const selected = params.get('thread');
  const [unreadOnly, setUnreadOnly] = useState(false);
  const threads = useThreads(unreadOnly);
  const open = (id: string | null) => setParams(id ? { thread: id } : {}, { replace: !mobile });

  const list = (
    <Card
      title={t('sms.inbox.threads')}
      extra={
        <Segmented<'all' | 'unread'>
          size="small"
          value={unreadOnly ? 'unread' : 'all'}
          onChange={(v) => setUnreadOnly(v === 'unread')}
          options={[
            { value: 'all', label: t('sms.all') },
            { value: 'unread', label: t('sms.inbox.unread') },
          ]}
        />
      }
      data-testid="threads"
    >
      {threads.error ? (
        <ErrorResult error={threads.error} onRetry={() => void threads.refetch()} />
      ) : (
        <List
          loading={threads.isPending}
          dataSource={threads.rows}
          locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('sms.inbox.empty')} /> }}
          renderItem={(th) => (
            <List.Item
              onClick={() => open(th.id)}
              style={{ cursor: 'pointer', background: th.id === selected ? '#e6f4ff' : undefined, paddingInline: 8 }}
              data-testid="thread-item"
            >
              <List.Item.Meta
                title={
                  <Flex justify="space-between" gap={8}>
                    <Space size={6}>
                      <Typography.Text strong={th.unread > 0}>{formatPhone(th.phone)}</Typography.Text>
                      {th.unread > 0 ? <Badge count={th.unread} aria-label={t('sms.inbox.unreadCount', { count: th.unread })} /> : null}
                    </Space>
                    <Typography.Text type="secondary" style={{ fontSize: 12, fontWeight: 'normal' }}>
                      {fmt.dateTime(th.lastAt)}
                    </Typography.Text>
                  </Flex>
                }
                description={<Typography.Text ellipsis>{th.lastText}</Typography.Text>}
              />
            </List.Item>
          )}
        />
      )}
      {threads.hasNextPage ? (
        <Button block onClick={() => void threads.fetchNextPage()} loading={threads.isFetchingNextPage}>
          {t('common.loadMore')}
        </Button>
      ) : null}
    </Card>
  );

  return (
    <>
      <PageHeader title={t('sms.inbox.title')} subtitle={t('sms.inbox.subtitle')} />
      {mobile ? (
        selected ? (
          <ThreadView id={selected} onBack={() => open(null)} />
        ) : (
          list
        )
      ) : (
        <Row gutter={16}>
          <Col span={9}>{list}</Col>
          <Col span={15}>{selected ? <ThreadView key={selected} id={selected} /> : <Card><Empty description={t('sms.inbox.pick')} /></Card>}</Col>
        </Row>
      )}
    </>
  );
}

/** The member page's feedback tab: the member's conversations, each opening in the inbox. */
export function MemberFeedbackTab({ phone }: { phone: string }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const navigate = useNavigate();
  const threads = useThreads(false, phone);
  if (phone.includes('*')) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('members.masked')} />;
  if (threads.error) return <ErrorResult error={threads.error} onRetry={() => void threads.refetch()} />;
  return (
    <List
      data-testid="member-feedback"
      loading={threads.isPending}
      dataSource={threads.rows}
      locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('sms.inbox.empty')} /> }}
      renderItem={(th) => (
        <List.Item
          onClick={() => navigate(`/sms/inbox?thread=${th.id}`)}
          style={{ cursor: 'pointer' }}
          extra={th.unread > 0 ? <Badge count={th.unread} /> : null}
        >
          <List.Item.Meta title={fmt.dateTime(th.lastAt)} description={th.lastText} />
        </List.Item>
      )}
    />
  );
}
