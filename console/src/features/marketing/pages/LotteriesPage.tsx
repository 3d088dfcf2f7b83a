import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { App, Button, Card, Divider, Flex, Form, Input, InputNumber, Select, Switch, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { useSession } from '../../../app/auth/session';
import { useFormat } from '../../../app/format';
import { ModalForm } from '../../../ui/ModalForm';
import { PagedList } from '../../../ui/PagedList';
import { PageHeader } from '../../../ui/PageHeader';
import { LOTTERY_TEMPLATES, useLotteries, useSaveLottery, type Lottery, type LotteryInput, type LotteryStatus, type TemplateKey } from '../lotteryApi';

const STATUS_COLOR: Record<LotteryStatus, string> = { scheduled: 'default', open: 'processing', closed: 'warning', drawn: 'success' };

export function LotteryStatusTag({ status }: { status: LotteryStatus }) {
  const { t } = useTranslation();
  return (
    <Tag color={STATUS_COLOR[status]} data-testid="lottery-status">
      {t(`marketing.lottery.statuses.${status}`)}
    </Tag>
  );
}

/** `YYYY-MM-DDTHH:mm` of an instant in a timezone (what a datetime-local box and the API take). */
export function localInput(iso: string, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

interface FormValues extends Omit<LotteryInput, 'templates'> {
  templates: Record<TemplateKey, string>;
}

/** New or edit: answers, window (merchant time), entries per phone, members only, prizes, reply templates. */
export function LotteryFormModal(props: { open: boolean; lottery: Lottery | null; timeZone: string; onClose: () => void; onSaved?: (l: Lottery) => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const save = useSaveLottery();
  const l = props.lottery;
  const now = new Date();
  const initial: Partial<FormValues> = l
    ? {
        name: l.name,
        answers: l.answers,
        startsAt: localInput(l.startsAt, l.timezone),
        endsAt: localInput(l.endsAt, l.timezone),
        entriesPerPhone: l.entriesPerPhone,
        membersOnly: l.membersOnly,
        prizes: l.prizes,
        templates: Object.fromEntries(LOTTERY_TEMPLATES.map((k) => [k, l.templates[k] ?? ''])) as Record<TemplateKey, string>,
      }
    : {
        answers: [],
        startsAt: localInput(now.toISOString(), props.timeZone),
        endsAt: localInput(new Date(now.getTime() + 7 * 86_400_000).toISOString(), props.timeZone),
        entriesPerPhone: 1,
        membersOnly: false,
        prizes: [{ name: '', count: 1 }],
        templates: Object.fromEntries(LOTTERY_TEMPLATES.map((k) => [k, t(`marketing.lottery.defaults.${k}`)])) as Record<TemplateKey, string>,
      };
  return (
    <ModalForm<FormValues>
      open={props.open}
      title={l ? t('marketing.lottery.edit') : t('marketing.lottery.new')}
      okText={t('common.save')}
      onClose={props.onClose}
      initialValues={initial}
      onSubmit={async (v) => {
        const saved = await save.mutateAsync({ id: l?.id ?? null, body: { ...v, name: v.name.trim(), templates: v.templates } });
        message.success(t('marketing.lottery.saved', { name: saved.name }));
        props.onSaved?.(saved);
      }}
    >
      <Form.Item name="name" label={t('marketing.lottery.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
        <Input maxLength={100} />
      </Form.Item>
      <Form.Item name="answers" label={t('marketing.lottery.answers')} extra={t('marketing.lottery.answersHelp')} rules={[{ required: true, message: t('validation.required') }]}>
        <Select mode="tags" open={false} tokenSeparators={[',', '，']} suffixIcon={null} />
      </Form.Item>
      <Flex gap={12} wrap>
        <Form.Item name="startsAt" label={t('marketing.lottery.startsAt')} rules={[{ required: true, message: t('validation.required') }]} style={{ flex: '1 1 200px' }}>
          <Input type="datetime-local" />
        </Form.Item>
        <Form.Item name="endsAt" label={t('marketing.lottery.endsAt')} extra={t('marketing.lottery.windowHelp')} rules={[{ required: true, message: t('validation.required') }]} style={{ flex: '1 1 200px' }}>
          <Input type="datetime-local" />
        </Form.Item>
      </Flex>
      <Flex gap={12} wrap align="flex-end">
        <Form.Item name="entriesPerPhone" label={t('marketing.lottery.entriesPerPhone')}>
          <InputNumber min={1} max={100} precision={0} />
        </Form.Item>
        <Form.Item name="membersOnly" label={t('marketing.lottery.membersOnly')} valuePropName="checked">
          <Switch />
        </Form.Item>
      </Flex>
      <Divider titlePlacement="start" plain>
        {t('marketing.lottery.prizes')}
      </Divider>
      <Form.List name="prizes">
        {(fields, { add, remove }) => (
          <>
            {fields.map((f, i) => (
              <Flex key={f.key} gap={8} align="flex-start">
                <Form.Item name={[f.name, 'name']} rules={[{ required: true, whitespace: true, message: t('validation.required') }]} style={{ flex: 1 }}>
                  <Input placeholder={t('marketing.lottery.prizeName')} aria-label={`${t('marketing.lottery.prizeName')} ${i + 1}`} maxLength={50} />
                </Form.Item>
                <Form.Item name={[f.name, 'count']} rules={[{ required: true, message: t('validation.required') }]}>
                  <InputNumber min={1} max={10_000} precision={0} style={{ width: 90 }} aria-label={`${t('marketing.lottery.prizeCount')} ${i + 1}`} />
                </Form.Item>
                {fields.length > 1 ? <Button type="text" icon={<MinusCircleOutlined />} onClick={() => remove(f.name)} aria-label={`${t('common.delete')} ${i + 1}`} /> : null}
              </Flex>
            ))}
            <Button type="dashed" block icon={<PlusOutlined />} onClick={() => add({ name: '', count: 1 })}>
              {t('marketing.lottery.addPrize')}
            </Button>
          </>
        )}
      </Form.List>
      <Divider titlePlacement="start" plain>
        {t('marketing.lottery.templates')}
      </Divider>
      <Typography.Paragraph type="secondary">{t('marketing.lottery.templateVars')}</Typography.Paragraph>
      {LOTTERY_TEMPLATES.map((k) => (
        <Form.Item key={k} name={['templates', k]} label={t(`marketing.lottery.tpl.${k}`)}>
          <Input.TextArea autoSize={{ minRows: 1, maxRows: 4 }} maxLength={300} />
        </Form.Item>
      ))}
    </ModalForm>
  );
}

/** 短信抽奖: the merchant's lotteries, newest first. */
export function LotteriesPage() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const navigate = useNavigate();
  const list = useLotteries();
  const [creating, setCreating] = useState(false);
  const open = (l: Lottery) => navigate(`/marketing/lotteries/${l.id}`);
  const window = (l: Lottery) => `${fmt.dateTime(l.startsAt)} – ${fmt.dateTime(l.endsAt)}`;
  const prizes = (l: Lottery) => l.prizes.map((p) => t('marketing.lottery.prizeLine', { name: p.name, count: p.count })).join('，');
  const columns: ColumnsType<Lottery> = [
    { title: t('marketing.lottery.name'), dataIndex: 'name', fixed: 'left', render: (v: string, l) => <a onClick={() => open(l)}>{v}</a> },
    { title: t('marketing.lottery.status'), dataIndex: 'status', render: (v: LotteryStatus) => <LotteryStatusTag status={v} /> },
    { title: t('marketing.lottery.answers'), dataIndex: 'answers', render: (v: string[]) => v.join(' / ') },
    { title: t('marketing.lottery.window'), key: 'window', render: (_: unknown, l) => <span style={{ whiteSpace: 'nowrap' }}>{window(l)}</span> },
    { title: t('marketing.lottery.prizes'), key: 'prizes', render: (_: unknown, l) => prizes(l) },
    { title: t('marketing.lottery.entriesCount'), dataIndex: 'entries' },
  ];
  return (
    <>
      <PageHeader
        title={t('marketing.lottery.title')}
        subtitle={t('marketing.lottery.subtitle')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t('marketing.lottery.new')}
          </Button>
        }
      />
      <Card>
        <PagedList<Lottery>
          source={list}
          columns={columns}
          emptyText={t('marketing.lottery.empty')}
          onOpen={open}
          testId="lottery-list"
          card={(l) => (
            <Card size="small" data-testid="lottery-card" onClick={() => open(l)} style={{ cursor: 'pointer' }}>
              <Flex justify="space-between" align="center" gap={8} wrap>
                <Typography.Text strong>{l.name}</Typography.Text>
                <LotteryStatusTag status={l.status} />
              </Flex>
              <div>{window(l)}</div>
              <Typography.Text type="secondary">
                {prizes(l)} · {t('marketing.lottery.entriesCount')} {l.entries}
              </Typography.Text>
            </Card>
          )}
        />
      </Card>
      {creating ? <TenantLotteryForm onClose={() => setCreating(false)} onSaved={open} /> : null}
    </>
  );
}

function TenantLotteryForm(props: { onClose: () => void; onSaved: (l: Lottery) => void }) {
  const tz = useSession().tenant?.timezone ?? 'Asia/Shanghai';
  return <LotteryFormModal open lottery={null} timeZone={tz} onClose={props.onClose} onSaved={props.onSaved} />;
}
