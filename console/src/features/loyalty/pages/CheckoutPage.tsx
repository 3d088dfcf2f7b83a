import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, Checkbox, Col, Descriptions, Divider, Flex, Form, Input, InputNumber, Result, Row, Select, Space, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';
import { http } from '../../../app/api/client';
import type { Member } from '../../../app/api/types';
import { useFormat } from '../../../app/format';
import { useFormErrors } from '../../../ui/formErrors';
import { yuanToFen } from '../../../ui/format';
import { PageHeader } from '../../../ui/PageHeader';
import { useDebounced } from '../../../ui/useDebounced';
import { useStores } from '../../org';
import { quotePurchase, useRecordPurchase, useRules, useTiers } from '../api';
import { TENDER_TYPES, type Purchase, type PurchaseInput, type TenderType } from '../types';
import { MemberPicker } from './MemberPicker';
import { BalancesRow, TierChangeText, tenderLabel, useIdempotencyKey } from './shared';

interface ItemValues {
  sku?: string;
  name?: string;
  category?: string;
  quantity?: number;
  price?: number;
  promo?: boolean;
}
interface CheckoutValues {
  storeId?: string;
  amount?: number;
  items?: ItemValues[];
  tenders?: { type?: TenderType; amount?: number }[];
}

const itemsFen = (items: ItemValues[] | undefined) => (items ?? []).reduce((s, i) => s + yuanToFen(i.price ?? 0) * (i.quantity ?? 0), 0);

/** The request a form state stands for, or null while it is not complete. */
function purchaseOf(member: Member | null, v: CheckoutValues): PurchaseInput | null {
  if (!member) return null;
  const items = (v.items ?? []).filter((i) => i.sku?.trim());
  const amountFen = items.length ? itemsFen(items) : yuanToFen(v.amount ?? 0);
  if (!(amountFen > 0)) return null;
  const tenders = (v.tenders ?? []).filter((x) => x.type && x.amount).map((x) => ({ type: x.type!, amountFen: yuanToFen(x.amount!) }));
  return {
    member: { id: member.id },
    storeId: v.storeId,
    amountFen,
    items: items.length
      ? items.map((i) => ({
          sku: i.sku!.trim(),
          name: i.name?.trim() || undefined,
          category: i.category?.trim() || undefined,
          quantity: i.quantity ?? 1,
          unitPriceFen: yuanToFen(i.price ?? 0),
          promo: i.promo || undefined,
        }))
      : undefined,
    tenders: tenders.length ? tenders : undefined,
  };
}

/** What the checkout recorded: the figures and the member's new balances and tier. */
function Receipt({ purchase, onNext, onSame }: { purchase: Purchase; onNext: () => void; onSame: () => void }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  return (
    <Card data-testid="checkout-result">
      <Result
        status="success"
        title={t('loyalty.checkout.recorded')}
        subTitle={t('loyalty.checkout.recordedNo', { id: purchase.id })}
        extra={[
          <Button type="primary" key="next" onClick={onNext}>
            {t('loyalty.checkout.nextMember')}
          </Button>,
          <Button key="same" onClick={onSame}>
            {t('loyalty.checkout.sameMember')}
          </Button>,
          <Link key="member" to={`/members/${purchase.memberId}`}>
            <Button type="link">{t('loyalty.checkout.openMember')}</Button>
          </Link>,
        ]}
      />
      <Descriptions size="small" column={{ xs: 1, sm: 2 }} bordered>
        <Descriptions.Item label={t('loyalty.amount')}>{fmt.money(purchase.amountFen)}</Descriptions.Item>
        <Descriptions.Item label={t('loyalty.discount')}>{fmt.money(purchase.discountFen)}</Descriptions.Item>
        <Descriptions.Item label={t('loyalty.payable')}>{fmt.money(purchase.payableFen)}</Descriptions.Item>
        <Descriptions.Item label={t('loyalty.pointsEarned')}>{purchase.pointsEarned.toLocaleString()}</Descriptions.Item>
        {purchase.pointsPaid ? <Descriptions.Item label={t('loyalty.pointsPaid')}>{purchase.pointsPaid.toLocaleString()}</Descriptions.Item> : null}
        {purchase.storedValuePaidFen ? <Descriptions.Item label={t('loyalty.storedValuePaid')}>{fmt.money(purchase.storedValuePaidFen)}</Descriptions.Item> : null}
      </Descriptions>
      <Divider titlePlacement="start" plain>
        {t('loyalty.checkout.newBalances')}
      </Divider>
      <BalancesRow member={purchase.member} />
      {purchase.tierChange ? (
        <div style={{ marginTop: 16 }}>
          <TierChangeText change={purchase.tierChange} />
        </div>
      ) : null}
    </Card>
  );
}

/** 收银: find the member, enter the purchase, see the live quote, record it once. */
export function CheckoutPage() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const stores = useStores();
  const tiers = useTiers();
  const rules = useRules();
  const [params] = useSearchParams();
  const [member, setMember] = useState<Member | null>(null);
  const [form] = Form.useForm<CheckoutValues>();
  const errors = useFormErrors(form);
  const values = Form.useWatch([], form) as CheckoutValues | undefined;
  const [key, renewKey] = useIdempotencyKey();
  const record = useRecordPurchase();
  const [done, setDone] = useState<Purchase | null>(null);

  // /checkout?member=<id> (the member page's 收银 button) starts with that member.
  const preset = params.get('member');
  useEffect(() => {
    if (preset && !member) void http.get<Member>(`/members/${preset}`).then(setMember, () => undefined);
    // only for the preset
  }, [preset]);

  const body = useMemo(() => purchaseOf(member, values ?? {}), [member, values]);
  // The quote ignores tenders; it is asked again once typing pauses.
  const quoteJson = useDebounced(body ? JSON.stringify({ ...body, tenders: undefined }) : null, 250);
  const quoteBody = useMemo(() => (quoteJson ? (JSON.parse(quoteJson) as PurchaseInput) : null), [quoteJson]);
  const quote = useQuery({
    // not under qk.loyalty: a write invalidates those, and a quote need not be asked again
    queryKey: ['checkout-quote', quoteBody],
    queryFn: () => quotePurchase(quoteBody!),
    enabled: Boolean(quoteBody),
    placeholderData: keepPreviousData,
    staleTime: 0,
  });
  const q = quoteBody && quote.data ? quote.data : null;
  const hasItems = (values?.items ?? []).length > 0;
  const tendered = (body?.tenders ?? []).reduce((s, x) => s + x.amountFen, 0);
  const remaining = q ? q.payableFen - tendered : 0;
  const tendersOk = !body?.tenders || remaining === 0;
  const rate = rules.data?.redemption.pointsPerYuan ?? 100;

  useEffect(() => {
    if (hasItems) form.setFieldValue('amount', itemsFen(values?.items) / 100);
  }, [hasItems, values?.items, form]);

  const reset = (keepMember: boolean) => {
    setDone(null);
    renewKey();
    form.resetFields();
    errors.clear();
    if (!keepMember) setMember(null);
  };

  const submit = async () => {
    if (!body || !q) return;
    errors.clear();
    try {
      const p = await record.mutateAsync({ input: body, key });
      setDone(p);
      setMember((m) => (m ? { ...m, points: p.member.points, tierPoints: p.member.tierPoints, storedValueFen: p.member.storedValueFen, tier: p.member.tier } : m));
    } catch (err) {
      errors.handle(
        err,
        {
          insufficient_stored_value: { message: t('loyalty.errors.storedValueShort') },
          insufficient_points: { message: t('loyalty.errors.pointsShort') },
          member_inactive: { message: t('loyalty.errors.memberInactive') },
          idempotency_key_reused: { message: t('loyalty.errors.idempotency') },
        },
        {},
      );
    }
  };

  const fillRemaining = (index: number) => {
    const tenders = [...(form.getFieldValue('tenders') ?? [])];
    const others = tenders.reduce((s: number, x: { amount?: number }, i: number) => (i === index ? s : s + yuanToFen(x.amount ?? 0)), 0);
    if (!q) return;
    tenders[index] = { ...tenders[index], amount: Math.max(0, q.payableFen - others) / 100 };
    form.setFieldValue('tenders', tenders);
  };

  return (
    <>
      <PageHeader title={t('loyalty.checkout.title')} subtitle={t('loyalty.checkout.subtitle')} />
      {done ? (
        <Receipt purchase={done} onNext={() => reset(false)} onSame={() => reset(true)} />
      ) : (
        <Row gutter={[16, 16]}>
          <Col xs={24} lg={10}>
            <MemberPicker member={member} onChange={setMember} tiers={tiers.data ?? []} />
            <Card title={t('loyalty.checkout.quote')} style={{ marginTop: 16 }} data-testid="checkout-quote">
              {!member ? (
                <Typography.Text type="secondary">{t('loyalty.checkout.quoteNeedsMember')}</Typography.Text>
              ) : !q ? (
                <Typography.Text type="secondary">{quote.isFetching ? t('common.loading') : t('loyalty.checkout.quoteNeedsAmount')}</Typography.Text>
              ) : (
                <Descriptions size="small" column={1} bordered>
                  <Descriptions.Item label={t('loyalty.amount')}>{fmt.money(q.amountFen)}</Descriptions.Item>
                  <Descriptions.Item label={t('loyalty.discount')}>
                    {fmt.money(q.discountFen)}
                    {q.discountPct ? <Typography.Text type="secondary">{` (${t('loyalty.checkout.pctOff', { pct: q.discountPct })})`}</Typography.Text> : null}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('loyalty.payable')}>
                    <Typography.Text strong style={{ fontSize: 18 }} data-testid="quote-payable">
                      {fmt.money(q.payableFen)}
                    </Typography.Text>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('loyalty.pointsEarned')}>{q.pointsEarned.toLocaleString()}</Descriptions.Item>
                  <Descriptions.Item label={t('loyalty.tierPointsEarned')}>{q.tierPointsEarned.toLocaleString()}</Descriptions.Item>
                  <Descriptions.Item label={t('loyalty.checkout.pointsCanPay')}>
                    {fmt.money(q.pointsPayableFen)} {t('loyalty.checkout.pointsRate', { rate })}
                  </Descriptions.Item>
                  {body?.tenders ? (
                    <Descriptions.Item label={t('loyalty.checkout.remaining')}>
                      <Typography.Text type={remaining === 0 ? 'success' : 'danger'} data-testid="quote-remaining">
                        {fmt.money(remaining)}
                      </Typography.Text>
                    </Descriptions.Item>
                  ) : null}
                </Descriptions>
              )}
              {quote.error && quoteBody ? <Alert type="error" showIcon style={{ marginTop: 12 }} title={(quote.error as Error).message} /> : null}
            </Card>
          </Col>
          <Col xs={24} lg={14}>
            <Card title={t('loyalty.checkout.order')}>
              {errors.alert}
              <Form<CheckoutValues> form={form} layout="vertical" onFinish={() => void submit()} initialValues={{ items: [], tenders: [] }}>
                {stores.options.length ? (
                  <Form.Item name="storeId" label={t('loyalty.store')}>
                    <Select allowClear showSearch optionFilterProp="label" options={stores.options} placeholder={t('common.optional')} />
                  </Form.Item>
                ) : null}
                <Form.List name="items">
                  {(fields, { add, remove }) => (
                    <>
                      {fields.length ? <Typography.Text strong>{t('loyalty.checkout.items')}</Typography.Text> : null}
                      {fields.map((f, i) => (
                        <Card size="small" key={f.key} style={{ margin: '8px 0' }} data-testid="checkout-item">
                          <Flex wrap gap={8} align="flex-end">
                            <Form.Item name={[f.name, 'sku']} label={t('loyalty.item.sku')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]} style={{ marginBottom: 0, width: 110 }}>
                              <Input maxLength={64} aria-label={`${t('loyalty.item.sku')} ${i + 1}`} />
                            </Form.Item>
                            <Form.Item name={[f.name, 'name']} label={t('loyalty.item.name')} style={{ marginBottom: 0, width: 140 }}>
                              <Input maxLength={200} aria-label={`${t('loyalty.item.name')} ${i + 1}`} />
                            </Form.Item>
                            <Form.Item name={[f.name, 'category']} label={t('loyalty.item.category')} style={{ marginBottom: 0, width: 110 }}>
                              <Input maxLength={64} aria-label={`${t('loyalty.item.category')} ${i + 1}`} />
                            </Form.Item>
                            <Form.Item name={[f.name, 'quantity']} label={t('loyalty.item.quantity')} initialValue={1} style={{ marginBottom: 0, width: 80 }}>
                              <InputNumber min={1} max={10000} precision={0} style={{ width: '100%' }} aria-label={`${t('loyalty.item.quantity')} ${i + 1}`} />
                            </Form.Item>
                            <Form.Item name={[f.name, 'price']} label={t('loyalty.item.price')} rules={[{ required: true, message: t('validation.required') }]} style={{ marginBottom: 0, width: 110 }}>
                              <InputNumber min={0} precision={2} style={{ width: '100%' }} aria-label={`${t('loyalty.item.price')} ${i + 1}`} />
                            </Form.Item>
                            <Form.Item name={[f.name, 'promo']} valuePropName="checked" style={{ marginBottom: 0 }}>
                              <Checkbox>{t('loyalty.item.promo')}</Checkbox>
                            </Form.Item>
                            <Button type="text" danger icon={<DeleteOutlined />} aria-label={`${t('common.delete')} ${i + 1}`} onClick={() => remove(f.name)} />
                          </Flex>
                        </Card>
                      ))}
                      <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ quantity: 1 })} style={{ marginBottom: 16 }}>
                        {t('loyalty.checkout.addItem')}
                      </Button>
                    </>
                  )}
                </Form.List>
                <Form.Item
                  name="amount"
                  label={t('loyalty.checkout.amountYuan')}
                  extra={hasItems ? t('loyalty.checkout.amountFromItems') : undefined}
                  rules={[{ required: !hasItems, message: t('validation.required') }]}
                >
                  <InputNumber min={0.01} precision={2} prefix="¥" disabled={hasItems} style={{ width: 200, maxWidth: '100%' }} inputMode="decimal" />
                </Form.Item>
                <Form.List name="tenders">
                  {(fields, { add, remove }) => (
                    <>
                      <Typography.Text strong>{t('loyalty.checkout.tenders')}</Typography.Text>
                      <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginBottom: 8 }}>
                        {t('loyalty.checkout.tendersHint')}
                      </Typography.Paragraph>
                      {fields.map((f, i) => {
                        const type = values?.tenders?.[i]?.type;
                        const amount = values?.tenders?.[i]?.amount;
                        return (
                          <Flex key={f.key} wrap gap={8} align="center" style={{ marginBottom: 8 }} data-testid="checkout-tender">
                            <Form.Item name={[f.name, 'type']} rules={[{ required: true, message: t('validation.required') }]} style={{ marginBottom: 0, width: 130 }}>
                              <Select options={TENDER_TYPES.map((x) => ({ value: x, label: tenderLabel(x) }))} aria-label={`${t('loyalty.checkout.tenderType')} ${i + 1}`} />
                            </Form.Item>
                            <Form.Item name={[f.name, 'amount']} rules={[{ required: true, message: t('validation.required') }]} style={{ marginBottom: 0, width: 140 }}>
                              <InputNumber min={0.01} precision={2} prefix="¥" style={{ width: '100%' }} aria-label={`${t('loyalty.checkout.tenderAmount')} ${i + 1}`} />
                            </Form.Item>
                            <Button size="small" onClick={() => fillRemaining(i)} disabled={!q}>
                              {t('loyalty.checkout.fillRest')}
                            </Button>
                            <Button type="text" danger icon={<DeleteOutlined />} aria-label={`${t('common.delete')} ${t('loyalty.checkout.tenders')} ${i + 1}`} onClick={() => remove(f.name)} />
                            {type === 'points' && amount ? (
                              <Typography.Text type="secondary">{t('loyalty.checkout.asPoints', { points: Math.round((yuanToFen(amount) * rate) / 100).toLocaleString() })}</Typography.Text>
                            ) : null}
                          </Flex>
                        );
                      })}
                      <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ type: (values?.tenders ?? []).length ? 'stored_value' : 'cash' })} style={{ marginBottom: 16 }}>
                        {t('loyalty.checkout.addTender')}
                      </Button>
                    </>
                  )}
                </Form.List>
                <div style={{ position: 'sticky', bottom: 0, zIndex: 2, background: '#fff', borderTop: '1px solid #f0f0f0', paddingBlock: 8 }}>
                  <Space wrap>
                    <Button type="primary" size="large" htmlType="submit" loading={record.isPending} disabled={!q || !tendersOk || quote.isFetching || record.isPending}>
                      {q ? t('loyalty.checkout.recordAmount', { amount: fmt.money(q.payableFen) }) : t('loyalty.checkout.record')}
                    </Button>
                    {!tendersOk ? <Typography.Text type="danger">{t('loyalty.checkout.tendersMismatch')}</Typography.Text> : null}
                  </Space>
                </div>
              </Form>
            </Card>
          </Col>
        </Row>
      )}
    </>
  );
}
