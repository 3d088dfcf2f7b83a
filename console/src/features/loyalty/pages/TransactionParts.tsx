import { RollbackOutlined } from '@ant-design/icons';
import { App, Button, Card, Descriptions, Empty, Flex, Form, InputNumber, Input, Radio, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { can, useSession } from '../../../app/auth/session';
import { useFormat } from '../../../app/format';
import { ErrorResult } from '../../../ui/ErrorResult';
import { yuanToFen } from '../../../ui/format';
import { Loading } from '../../../ui/Loading';
import { ModalForm } from '../../../ui/ModalForm';
import { PagedList, type PagedSource } from '../../../ui/PagedList';
import { SideDrawer } from '../../../ui/SideDrawer';
import { useStores } from '../../org';
import { useRefund, useTransaction } from '../api';
import type { Transaction } from '../types';
import { tenderLabel, TierChangeText, useIdempotencyKey } from './shared';

export const refundableFen = (x: Transaction) => x.payableFen - x.refundedFen;

function RefundTag({ x }: { x: Transaction }) {
  const { t } = useTranslation();
  if (!x.refundedFen) return null;
  return x.refundedFen >= x.payableFen ? <Tag color="red">{t('loyalty.refund.full')}</Tag> : <Tag color="orange">{t('loyalty.refund.partial')}</Tag>;
}

/** Refund a purchase in full or in part (loyalty.write), once per opening of the form. */
export function RefundModal({ tx, onClose }: { tx: Transaction | null; onClose: () => void }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const { message, modal } = App.useApp();
  const refund = useRefund();
  const [key, renew] = useIdempotencyKey();
  const left = tx ? refundableFen(tx) : 0;
  return (
    <ModalForm<{ mode: 'full' | 'partial'; amount?: number; reason?: string }>
      open={Boolean(tx)}
      title={t('loyalty.refund.title')}
      okText={t('loyalty.refund.submit')}
      danger
      onOpen={renew}
      onClose={onClose}
      initialValues={{ mode: 'full' }}
      errorCodes={{
        refund_exceeds_payable: { field: 'amount', message: t('loyalty.refund.tooMuch', { amount: fmt.money(left) }) },
        already_refunded: { message: t('loyalty.refund.already') },
      }}
      onSubmit={async (v) => {
        const r = await refund.mutateAsync({ id: tx!.id, amountFen: v.mode === 'partial' ? yuanToFen(v.amount ?? 0) : undefined, reason: v.reason?.trim() || undefined, key });
        message.success(t('loyalty.refund.done', { amount: fmt.money(r.amountFen) }));
        modal.info({
          title: t('loyalty.refund.done', { amount: fmt.money(r.amountFen) }),
          content: (
            <div data-testid="refund-result">
              <div>{t('loyalty.refund.pointsReversed', { points: r.pointsReversed })}</div>
              {r.pointsShortfall ? <div>{t('loyalty.refund.shortfall', { points: r.pointsShortfall })}</div> : null}
              {r.pointsReturned ? <div>{t('loyalty.refund.pointsReturned', { points: r.pointsReturned })}</div> : null}
              {r.storedValueReturnedFen ? <div>{t('loyalty.refund.storedValueReturned', { amount: fmt.money(r.storedValueReturnedFen) })}</div> : null}
              <div>{t('loyalty.refund.balanceNow', { points: r.member.points, stored: fmt.money(r.member.storedValueFen) })}</div>
              <TierChangeText change={r.tierChange} />
            </div>
          ),
        });
      }}
    >
      {(form) => (
        <>
          {tx ? (
            <Typography.Paragraph>
              {t('loyalty.refund.summary', { payable: fmt.money(tx.payableFen), refunded: fmt.money(tx.refundedFen), left: fmt.money(left) })}
            </Typography.Paragraph>
          ) : null}
          <Form.Item name="mode" label={t('loyalty.refund.mode')}>
            <Radio.Group
              options={[
                { value: 'full', label: t('loyalty.refund.modeFull', { amount: fmt.money(left) }) },
                { value: 'partial', label: t('loyalty.refund.modePartial') },
              ]}
            />
          </Form.Item>
          <Form.Item noStyle shouldUpdate={(a, b) => a.mode !== b.mode}>
            {() =>
              form.getFieldValue('mode') === 'partial' ? (
                <Form.Item name="amount" label={t('loyalty.refund.amount')} rules={[{ required: true, message: t('validation.required') }]}>
                  <InputNumber min={0.01} max={left / 100} precision={2} prefix="¥" style={{ width: 200 }} />
                </Form.Item>
              ) : null
            }
          </Form.Item>
          <Form.Item name="reason" label={t('loyalty.reason')}>
            <Input maxLength={500} />
          </Form.Item>
        </>
      )}
    </ModalForm>
  );
}

/** A purchase with its items, tenders and refunds. */
export function TransactionDrawer({ id, onClose, onRefund }: { id: string | null; onClose: () => void; onRefund?: (x: Transaction) => void }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const stores = useStores();
  const me = useSession();
  const detail = useTransaction(id);
  const d = detail.data;
  return (
    <SideDrawer open={Boolean(id)} onClose={onClose} title={t('loyalty.tx.detailTitle', { id: id ?? '' })}>
      {detail.isPending ? (
        <Loading />
      ) : detail.error ? (
        <ErrorResult error={detail.error} onRetry={() => void detail.refetch()} />
      ) : d ? (
        <Flex vertical gap={16} data-testid="transaction-detail">
          <Descriptions size="small" column={1} bordered>
            <Descriptions.Item label={t('loyalty.tx.time')}>{fmt.dateTime(d.occurredAt)}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.member')}>
              <Link to={`/members/${d.memberId}`}>{t('loyalty.tx.buyer', { name: d.memberName ?? t('members.noName'), cardNo: d.cardNo })}</Link>
            </Descriptions.Item>
            {d.storeId ? <Descriptions.Item label={t('loyalty.store')}>{stores.name(d.storeId)}</Descriptions.Item> : null}
            <Descriptions.Item label={t('loyalty.amount')}>{fmt.money(d.amountFen)}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.discount')}>{fmt.money(d.discountFen)}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.payable')}>{fmt.money(d.payableFen)}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.pointsEarned')}>{d.pointsEarned}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.refunded')}>
              {fmt.money(d.refundedFen)} <RefundTag x={d} />
            </Descriptions.Item>
            <Descriptions.Item label={t('loyalty.tx.operator')}>{d.actorName}</Descriptions.Item>
            <Descriptions.Item label={t('loyalty.tx.ruleVersion')}>{d.ruleVersion}</Descriptions.Item>
          </Descriptions>
          {d.items.length ? (
            <Card size="small" title={t('loyalty.checkout.items')}>
              <Table
                size="small"
                pagination={false}
                rowKey={(_, i) => String(i)}
                dataSource={d.items}
                scroll={{ x: 'max-content' }}
                columns={[
                  { title: t('loyalty.item.sku'), dataIndex: 'sku' },
                  { title: t('loyalty.item.name'), dataIndex: 'name' },
                  { title: t('loyalty.item.category'), dataIndex: 'category' },
                  { title: t('loyalty.item.quantity'), dataIndex: 'quantity', align: 'right' },
                  { title: t('loyalty.item.price'), dataIndex: 'unitPriceFen', align: 'right', render: (v: number) => fmt.money(v) },
                  { title: t('loyalty.item.promo'), dataIndex: 'promo', render: (v?: boolean) => (v ? '✓' : '') },
                ]}
              />
            </Card>
          ) : null}
          {d.tenders.length ? (
            <Card size="small" title={t('loyalty.checkout.tenders')}>
              {d.tenders.map((x, i) => (
                <Flex key={i} justify="space-between">
                  <span>{tenderLabel(x.type)}</span>
                  <span>{fmt.money(x.amountFen)}</span>
                </Flex>
              ))}
            </Card>
          ) : null}
          <Card size="small" title={t('loyalty.tx.refunds')}>
            {d.refunds.length ? (
              d.refunds.map((r) => (
                <div key={r.id} style={{ marginBottom: 8 }}>
                  <Space wrap>
                    <Typography.Text strong>{fmt.money(r.amountFen)}</Typography.Text>
                    <Typography.Text type="secondary">{fmt.dateTime(r.createdAt)}</Typography.Text>
                    <Typography.Text type="secondary">{r.actorName}</Typography.Text>
                  </Space>
                  <div>
                    {t('loyalty.refund.pointsReversed', { points: r.pointsReversed })}
                    {r.reason ? ` · ${t('loyalty.reasonIs', { reason: r.reason })}` : ''}
                  </div>
                </div>
              ))
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('loyalty.tx.noRefunds')} />
            )}
          </Card>
          {onRefund && can(me, 'loyalty.write') && refundableFen(d) > 0 ? (
            <Button danger icon={<RollbackOutlined />} onClick={() => onRefund(d)}>
              {t('loyalty.refund.action')}
            </Button>
          ) : null}
        </Flex>
      ) : null}
    </SideDrawer>
  );
}

/** The columns of a purchase list (the member column only where it is not one member's). */
export function useTransactionColumns(opts: { showMember: boolean; onRefund: (x: Transaction) => void }): ColumnsType<Transaction> {
  const { t } = useTranslation();
  const fmt = useFormat();
  const me = useSession();
  const stores = useStores();
  const writer = can(me, 'loyalty.write');
  return [
    { title: t('loyalty.tx.time'), dataIndex: 'occurredAt', fixed: 'left', render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{fmt.dateTime(v)}</span> },
    ...(opts.showMember
      ? [
          {
            title: t('loyalty.member'),
            dataIndex: 'memberId',
            render: (v: string, x: Transaction) => (
              <Link to={`/members/${v}`} onClick={(e) => e.stopPropagation()} style={{ whiteSpace: 'nowrap' }}>
                {t('loyalty.tx.buyer', { name: x.memberName ?? t('members.noName'), cardNo: x.cardNo })}
              </Link>
            ),
          },
        ]
      : []),
    { title: t('loyalty.store'), dataIndex: 'storeId', render: (v: string | null) => (v ? stores.name(v) : '—') },
    { title: t('loyalty.amount'), dataIndex: 'amountFen', align: 'right', render: (v: number) => fmt.money(v) },
    { title: t('loyalty.discount'), dataIndex: 'discountFen', align: 'right', render: (v: number) => fmt.money(v) },
    { title: t('loyalty.payable'), dataIndex: 'payableFen', align: 'right', render: (v: number) => <Typography.Text strong>{fmt.money(v)}</Typography.Text> },
    { title: t('loyalty.pointsEarned'), dataIndex: 'pointsEarned', align: 'right' },
    { title: t('loyalty.refunded'), dataIndex: 'refundedFen', align: 'right', render: (v: number, x) => (v ? <Space size={4}>{fmt.money(v)}<RefundTag x={x} /></Space> : '—') },
    { title: t('loyalty.tx.operator'), dataIndex: 'actorName' },
    ...(writer
      ? [
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_: unknown, x: Transaction) =>
              refundableFen(x) > 0 ? (
                <Button
                  type="link"
                  danger
                  size="small"
                  onClick={(e) => {
                    e.stopPropagation();
                    opts.onRefund(x);
                  }}
                >
                  {t('loyalty.refund.action')}
                </Button>
              ) : null,
          },
        ]
      : []),
  ];
}

/** A purchase as a card (phones). */
export function TransactionCard({ x, onOpen, showMember }: { x: Transaction; onOpen: () => void; showMember?: boolean }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  return (
    <Card size="small" hoverable onClick={onOpen} data-testid="transaction-card">
      <Flex justify="space-between" align="baseline">
        <Typography.Text strong style={{ fontSize: 16 }}>
          {fmt.money(x.payableFen)}
        </Typography.Text>
        <Typography.Text type="secondary">{fmt.dateTime(x.occurredAt)}</Typography.Text>
      </Flex>
      {showMember ? <div>{t('loyalty.tx.buyer', { name: x.memberName ?? t('members.noName'), cardNo: x.cardNo })}</div> : null}
      <Flex justify="space-between" wrap gap={8} style={{ marginTop: 4 }}>
        <span>
          {t('loyalty.amount')} {fmt.money(x.amountFen)} · {t('loyalty.discount')} {fmt.money(x.discountFen)}
        </span>
        <span>
          {t('loyalty.pointsEarned')} <Typography.Text strong>{x.pointsEarned}</Typography.Text>
        </span>
      </Flex>
      <RefundTag x={x} />
    </Card>
  );
}

/** A purchase list with its detail drawer and refund form (the page and the member tab). */
export function TransactionList({ source, showMember, testId }: { source: PagedSource<Transaction>; showMember: boolean; testId: string }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState<string | null>(null);
  const [refunding, setRefunding] = useState<Transaction | null>(null);
  const columns = useTransactionColumns({ showMember, onRefund: setRefunding });
  return (
    <>
      <PagedList source={source} columns={columns} emptyText={t('loyalty.tx.empty')} onOpen={(x) => setOpen(x.id)} card={(x) => <TransactionCard x={x} showMember={showMember} onOpen={() => setOpen(x.id)} />} testId={testId} />
      <TransactionDrawer id={open} onClose={() => setOpen(null)} onRefund={setRefunding} />
      <RefundModal tx={refunding} onClose={() => setRefunding(null)} />
    </>
  );
}
