import { App, Button, Card, Checkbox, Col, Divider, Flex, Form, Input, InputNumber, Row, Segmented, Statistic, Switch, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { CardPoolEntry, MemberSettings } from '../../../app/api/types';
import { useFormat } from '../../../app/format';
import { DataTable } from '../../../ui/DataTable';
import { ErrorResult } from '../../../ui/ErrorResult';
import { useFormErrors } from '../../../ui/formErrors';
import { useAddPoolBatch, useAddPoolNumber, usePool, usePoolCounts, type PoolBatchInput } from '../api';

function BatchForm({ settings }: { settings: MemberSettings }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<PoolBatchInput>();
  const errors = useFormErrors(form);
  const add = useAddPoolBatch();

  const submit = async (v: PoolBatchInput) => {
    errors.clear();
    try {
      const r = await add.mutateAsync({ ...v, prefix: v.prefix ?? '', batch: v.batch?.trim() || undefined });
      message.success(t('memberSettings.pool.batchAdded', { added: r.added, first: r.first, last: r.last, skipped: r.skipped }));
    } catch (err) {
      errors.handle(err, {}, { 'body.digits': t('memberSettings.plan.tooLong') });
    }
  };

  return (
    <>
      <Typography.Title level={5}>{t('memberSettings.pool.batchTitle')}</Typography.Title>
      {errors.alert}
      <Form<PoolBatchInput>
        form={form}
        name="poolBatch"
        layout="vertical"
        onFinish={submit}
        initialValues={{ prefix: settings.cardPrefix, digits: settings.cardDigits, from: 1, count: 100, checkDigit: settings.cardCheckDigit }}
      >
        <Row gutter={12}>
          <Col xs={12} sm={8}>
            <Form.Item
              name="prefix"
              label={t('memberSettings.pool.prefix')}
              normalize={(v: string) => v.toUpperCase()}
              rules={[{ pattern: /^[A-Z0-9]{0,8}$/, message: t('memberSettings.plan.prefixInvalid') }]}
            >
              <Input maxLength={8} autoCapitalize="characters" autoComplete="off" />
            </Form.Item>
          </Col>
          <Col xs={12} sm={8}>
            <Form.Item name="digits" label={t('memberSettings.pool.digits')} rules={[{ required: true, message: t('validation.required') }]}>
              <InputNumber min={4} max={16} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={8}>
            <Form.Item name="checkDigit" label={t('memberSettings.pool.checkDigit')} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Col>
          <Col xs={12} sm={8}>
            <Form.Item name="from" label={t('memberSettings.pool.from')} rules={[{ required: true, message: t('validation.required') }]}>
              <InputNumber min={0} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={8}>
            <Form.Item name="count" label={t('memberSettings.pool.count')} rules={[{ required: true, message: t('validation.required') }]}>
              <InputNumber min={1} max={100000} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={8}>
            <Form.Item name="batch" label={t('memberSettings.pool.batch')}>
              <Input maxLength={40} placeholder={t('common.optional')} />
            </Form.Item>
          </Col>
        </Row>
        <Button type="primary" htmlType="submit" loading={add.isPending}>
          {t('memberSettings.pool.generate')}
        </Button>
      </Form>
    </>
  );
}

function SpecialForm() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ cardNo: string }>();
  const errors = useFormErrors(form);
  const add = useAddPoolNumber();

  const submit = async (v: { cardNo: string }) => {
    errors.clear();
    try {
      const e = await add.mutateAsync({ cardNo: v.cardNo.trim().toUpperCase(), special: true });
      message.success(t('memberSettings.pool.specialAdded', { cardNo: e.cardNo }));
      form.resetFields();
    } catch (err) {
      errors.handle(
        err,
        { card_in_pool: { field: 'cardNo', message: t('memberSettings.pool.inPool') }, card_in_use: { field: 'cardNo', message: t('memberSettings.pool.inUse') } },
        { 'body.cardNo': t('memberSettings.pool.cardNoInvalid') },
      );
    }
  };

  return (
    <>
      <Typography.Title level={5}>{t('memberSettings.pool.specialTitle')}</Typography.Title>
      {errors.alert}
      <Form form={form} name="poolSpecial" layout="vertical" onFinish={submit}>
        <Form.Item label={t('members.cardNo')} extra={t('memberSettings.pool.specialHelp')} required>
          <Flex gap="small">
            <Form.Item
              name="cardNo"
              noStyle
              normalize={(v: string) => v.toUpperCase()}
              rules={[
                { required: true, whitespace: true, message: t('validation.required') },
                { pattern: /^[A-Za-z0-9]{4,24}$/, message: t('memberSettings.pool.cardNoInvalid') },
              ]}
            >
              <Input maxLength={24} autoCapitalize="characters" autoComplete="off" style={{ maxWidth: 240 }} aria-label={t('memberSettings.pool.specialTitle')} />
            </Form.Item>
            <Button htmlType="submit" loading={add.isPending}>
              {t('memberSettings.pool.add')}
            </Button>
          </Flex>
        </Form.Item>
      </Form>
    </>
  );
}

function PoolList() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const [status, setStatus] = useState<'free' | 'used'>('free');
  const [special, setSpecial] = useState(false);
  const list = usePool({ status, special: special || undefined });
  const rows = useMemo(() => (list.data?.pages.flatMap((p) => p.items) ?? []).map((e) => ({ ...e, id: e.cardNo })), [list.data]);
  const columns: ColumnsType<CardPoolEntry & { id: string }> = [
    {
      title: t('members.cardNo'),
      dataIndex: 'cardNo',
      fixed: 'left',
      render: (v: string, e) => (
        <span style={{ whiteSpace: 'nowrap' }}>
          {v} {e.special ? <Tag color="magenta">{t('memberSettings.pool.special')}</Tag> : null}
        </span>
      ),
    },
    { title: t('memberSettings.pool.batch'), dataIndex: 'batch', render: (v: string | null) => v ?? '—' },
    {
      title: status === 'used' ? t('memberSettings.pool.usedAt') : t('memberSettings.pool.createdAt'),
      key: 'at',
      render: (_: unknown, e) => <span style={{ whiteSpace: 'nowrap' }}>{fmt.dateTime(status === 'used' ? e.usedAt : e.createdAt)}</span>,
    },
  ];
  return (
    <>
      <Flex wrap gap="small" align="center" style={{ marginBottom: 12 }}>
        <Segmented
          value={status}
          onChange={(v) => setStatus(v as 'free' | 'used')}
          options={(['free', 'used'] as const).map((s) => ({ value: s, label: t(`memberSettings.pool.statuses.${s}`) }))}
        />
        <Checkbox checked={special} onChange={(e) => setSpecial(e.target.checked)}>
          {t('memberSettings.pool.onlySpecial')}
        </Checkbox>
      </Flex>
      {list.error ? (
        <ErrorResult error={list.error} onRetry={() => void list.refetch()} />
      ) : (
        <DataTable columns={columns} dataSource={rows} loading={list.isPending} pagination={false} size="small" emptyText={t('memberSettings.pool.empty')} />
      )}
      {list.hasNextPage ? (
        <Button block style={{ marginTop: 12 }} loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
          {t('common.loadMore')}
        </Button>
      ) : null}
    </>
  );
}

/** 卡号池: how many numbers are left, generating a batch, a special number, the numbers. */
export function CardPoolCard({ settings, canManage }: { settings: MemberSettings; canManage: boolean }) {
  const { t } = useTranslation();
  const counts = usePoolCounts();
  const c = counts.data;
  const stat = (key: 'free' | 'freeSpecial' | 'used' | 'total') => (
    <Col xs={12} sm={6}>
      <Statistic title={t(`memberSettings.pool.${key}`)} value={c?.[key] ?? 0} loading={counts.isPending} data-testid={`pool-${key}`} />
    </Col>
  );
  return (
    <Card title={t('memberSettings.pool.title')} data-testid="card-pool">
      {counts.error ? (
        <ErrorResult error={counts.error} onRetry={() => void counts.refetch()} />
      ) : (
        <Row gutter={[16, 16]}>
          {stat('free')}
          {stat('freeSpecial')}
          {stat('used')}
          {stat('total')}
        </Row>
      )}
      {canManage ? (
        <>
          <Divider />
          <BatchForm settings={settings} />
          <Divider />
          <SpecialForm />
        </>
      ) : null}
      <Divider />
      <PoolList />
    </Card>
  );
}
