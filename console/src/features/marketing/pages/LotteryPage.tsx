import { ArrowLeftOutlined, EditOutlined, GiftOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Descriptions, Flex, Popconfirm, Select, Table, Tabs, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { isApiError } from '../../../app/api/client';
import { useFormat } from '../../../app/format';
import { ConfirmAction } from '../../../ui/ConfirmAction';
import { ErrorResult } from '../../../ui/ErrorResult';
import { Loading } from '../../../ui/Loading';
import { PagedList } from '../../../ui/PagedList';
import { PageHeader } from '../../../ui/PageHeader';
import { OUTCOMES, useCollect, useDeleteLottery, useDraw, useDrawLottery, useEntries, useLottery, useVerify, useWinners, type Entry, type Lottery, type Outcome, type Winner } from '../lotteryApi';
import { LotteryFormModal, LotteryStatusTag } from './LotteriesPage';

const OUTCOME_COLOR: Record<Outcome, string> = { valid: 'green', wrong_answer: 'red', outside_window: 'default', already_entered: 'orange', not_member: 'default' };

function Entries({ l }: { l: Lottery }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const entries = useEntries(l.id, outcome);
  const outcomeTag = (o: Outcome) => <Tag color={OUTCOME_COLOR[o]}>{t(`marketing.lottery.outcomes.${o}`)}</Tag>;
  const columns: ColumnsType<Entry> = [
    { title: t('marketing.lottery.phone'), dataIndex: 'phone', fixed: 'left' },
    { title: t('marketing.lottery.answer'), dataIndex: 'answer' },
    { title: t('marketing.lottery.outcome'), dataIndex: 'outcome', render: outcomeTag },
    { title: t('marketing.lottery.entryNo'), dataIndex: 'entryNo', render: (v: number | null) => v ?? '—' },
    { title: t('marketing.lottery.receivedAt'), dataIndex: 'receivedAt', render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{fmt.dateTime(v)}</span> },
  ];
  return (
    <>
      <Select<Outcome | ''>
        style={{ width: 200, marginBottom: 12 }}
        aria-label={t('marketing.lottery.outcome')}
        value={outcome ?? ''}
        onChange={(v) => setOutcome(v || undefined)}
        options={[{ value: '', label: t('marketing.lottery.allOutcomes') }, ...OUTCOMES.map((o) => ({ value: o, label: t(`marketing.lottery.outcomes.${o}`) }))]}
      />
      <PagedList<Entry>
        source={entries}
        columns={columns}
        emptyText={t('marketing.lottery.noEntries')}
        testId="lottery-entries"
        card={(e) => (
          <Card size="small" data-testid="entry-card">
            <Flex justify="space-between" gap={8} wrap>
              <Typography.Text strong>{e.phone}</Typography.Text>
              {outcomeTag(e.outcome)}
            </Flex>
            <Typography.Text type="secondary">
              {e.answer} · {fmt.dateTime(e.receivedAt)}
            </Typography.Text>
          </Card>
        )}
      />
    </>
  );
}

function DrawTab({ l }: { l: Lottery }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const draw = useDraw(l.id, l.drawnAt !== null);
  const verify = useVerify(l.id);
  if (l.drawnAt === null) return <Typography.Text type="secondary">{t('marketing.lottery.notDrawn')}</Typography.Text>;
  if (draw.error) return <ErrorResult error={draw.error} onRetry={() => void draw.refetch()} />;
  if (!draw.data) return <Loading />;
  const d = draw.data;
  const mono = { fontFamily: 'monospace', wordBreak: 'break-all' as const };
  return (
    <Flex vertical gap={12} data-testid="lottery-draw">
      <Descriptions size="small" column={1} bordered>
        <Descriptions.Item label={t('marketing.lottery.algorithm')}>{d.algorithm}</Descriptions.Item>
        <Descriptions.Item label={t('marketing.lottery.seed')}>
          <Typography.Text copyable style={mono} data-testid="draw-seed">
            {d.seed}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('marketing.lottery.entryCount')}>{d.entryCount}</Descriptions.Item>
        <Descriptions.Item label={t('marketing.lottery.entriesHash')}>
          <Typography.Text copyable style={mono} data-testid="draw-hash">
            {d.entriesHash}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('marketing.lottery.drawnAt')}>{fmt.dateTime(d.drawnAt)}</Descriptions.Item>
        <Descriptions.Item label={t('marketing.lottery.drawnBy')}>{d.drawnBy}</Descriptions.Item>
      </Descriptions>
      <div>
        <Button icon={<SafetyCertificateOutlined />} loading={verify.isPending} onClick={() => verify.mutate()}>
          {t('marketing.lottery.verify')}
        </Button>
      </div>
      {verify.data ? (
        <Alert
          data-testid="draw-verify"
          type={verify.data.verified ? 'success' : 'error'}
          showIcon
          title={verify.data.verified ? t('marketing.lottery.verified') : t('marketing.lottery.notVerified', { problems: verify.data.problems.join('；') })}
        />
      ) : null}
      {verify.error ? <ErrorResult error={verify.error} onRetry={() => verify.mutate()} /> : null}
    </Flex>
  );
}

function Winners({ l }: { l: Lottery }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const winners = useWinners(l.id, l.drawnAt !== null);
  const collect = useCollect(l.id);
  if (l.drawnAt === null) return <Typography.Text type="secondary">{t('marketing.lottery.notDrawn')}</Typography.Text>;
  if (winners.error) return <ErrorResult error={winners.error} onRetry={() => void winners.refetch()} />;
  const collected = (w: Winner) =>
    w.collectedAt ? (
      <Tag color="green">
        {t('marketing.lottery.collected')} {fmt.dateTime(w.collectedAt)}
      </Tag>
    ) : (
      <Popconfirm title={t('marketing.lottery.collectConfirm', { phone: w.phone, prize: w.prize })} okText={t('common.ok')} cancelText={t('common.cancel')} onConfirm={() => collect.mutateAsync(w.id)}>
        <Button size="small" icon={<GiftOutlined />}>
          {t('marketing.lottery.collect')}
        </Button>
      </Popconfirm>
    );
  return (
    <Table<Winner>
      data-testid="lottery-winners"
      size="small"
      rowKey="id"
      pagination={false}
      loading={winners.isPending}
      scroll={{ x: 'max-content' }}
      dataSource={winners.data ?? []}
      locale={{ emptyText: t('marketing.lottery.noWinners') }}
      columns={[
        { title: t('marketing.lottery.rank'), dataIndex: 'rank', fixed: 'left' },
        { title: t('marketing.lottery.phone'), dataIndex: 'phone' },
        { title: t('marketing.lottery.prize'), dataIndex: 'prize' },
        { title: t('marketing.lottery.collected'), key: 'collected', render: (_: unknown, w) => collected(w) },
      ]}
    />
  );
}

/** 短信抽奖 › 抽奖: settings, entries as they arrive, the draw with its audit data, winners and collection. */
export function LotteryPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const fmt = useFormat();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const lottery = useLottery(id);
  const drawMutation = useDrawLottery(id);
  const del = useDeleteLottery();
  const [editing, setEditing] = useState(false);
  const [tab, setTab] = useState('entries');
  const [drawError, setDrawError] = useState<string | null>(null);
  if (lottery.error) return <ErrorResult error={lottery.error} onRetry={() => void lottery.refetch()} />;
  if (!lottery.data) return <Loading />;
  const l = lottery.data;

  const runDraw = async () => {
    setDrawError(null);
    try {
      const d = await drawMutation.mutateAsync();
      message.success(t('marketing.lottery.drawn', { count: d.winners.length }));
      setTab('draw');
    } catch (err) {
      const byCode: Record<string, string> = { lottery_open: t('marketing.lottery.stillOpen'), already_drawn: t('marketing.lottery.alreadyDrawn') };
      setDrawError(isApiError(err) ? (byCode[err.code] ?? err.problem.detail ?? t('errors.generic')) : t('errors.generic'));
    }
  };

  return (
    <>
      <PageHeader
        title={
          <Flex gap={8} align="center" wrap>
            <span>{l.name}</span>
            <LotteryStatusTag status={l.status} />
          </Flex>
        }
        extra={
          <>
            {l.drawnAt === null ? (
              <Popconfirm title={t('marketing.lottery.drawConfirm')} description={t('marketing.lottery.drawConfirmText', { count: l.entries })} okText={t('marketing.lottery.draw')} cancelText={t('common.cancel')} onConfirm={() => runDraw()}>
                <Button type="primary" icon={<GiftOutlined />} loading={drawMutation.isPending}>
                  {t('marketing.lottery.draw')}
                </Button>
              </Popconfirm>
            ) : null}
            {l.drawnAt === null ? (
              <Button icon={<EditOutlined />} onClick={() => setEditing(true)}>
                {t('common.edit')}
              </Button>
            ) : null}
            {l.attempts === 0 ? (
              <ConfirmAction
                type="default"
                label={t('common.delete')}
                title={t('marketing.lottery.deleteConfirm', { name: l.name })}
                onConfirm={async () => {
                  await del.mutateAsync(l.id);
                  message.success(t('marketing.lottery.deleted'));
                  navigate('/marketing/lotteries');
                }}
              />
            ) : null}
            <Link to="/marketing/lotteries">
              <Button icon={<ArrowLeftOutlined />}>{t('marketing.lottery.backToList')}</Button>
            </Link>
          </>
        }
      />
      {drawError ? <Alert type="error" showIcon title={drawError} role="alert" style={{ marginBottom: 16 }} data-testid="lottery-error" /> : null}
      <Card size="small" style={{ marginBottom: 16 }}>
        <Descriptions size="small" column={{ xs: 1, sm: 2, md: 3 }} data-testid="lottery-summary">
          <Descriptions.Item label={t('marketing.lottery.answers')}>{l.answers.join(' / ')}</Descriptions.Item>
          <Descriptions.Item label={t('marketing.lottery.window')}>
            {fmt.dateTime(l.startsAt)} – {fmt.dateTime(l.endsAt)}
          </Descriptions.Item>
          <Descriptions.Item label={t('marketing.lottery.prizes')}>{l.prizes.map((p) => t('marketing.lottery.prizeLine', { name: p.name, count: p.count })).join('，')}</Descriptions.Item>
          <Descriptions.Item label={t('marketing.lottery.entriesPerPhone')}>{l.entriesPerPhone}</Descriptions.Item>
          <Descriptions.Item label={t('marketing.lottery.membersOnly')}>{l.membersOnly ? t('marketing.builder.yes') : t('marketing.builder.no')}</Descriptions.Item>
          <Descriptions.Item label={t('marketing.lottery.entriesCount')}>
            <span data-testid="lottery-entry-count">{l.entries}</span> / {t('marketing.lottery.attempts')} {l.attempts}
          </Descriptions.Item>
        </Descriptions>
      </Card>
      <Card size="small">
        <Tabs
          activeKey={tab}
          onChange={setTab}
          items={[
            { key: 'entries', label: t('marketing.lottery.tabEntries'), children: <Entries l={l} /> },
            { key: 'draw', label: t('marketing.lottery.tabDraw'), children: <DrawTab l={l} /> },
            { key: 'winners', label: t('marketing.lottery.tabWinners'), children: <Winners l={l} /> },
          ]}
        />
      </Card>
      {editing ? <LotteryFormModal open lottery={l} timeZone={l.timezone} onClose={() => setEditing(false)} /> : null}
    </>
  );
}
