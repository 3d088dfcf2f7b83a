import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { App, Button, Card, Col, Flex, Form, Input, InputNumber, Row, Select, Switch, Tag, Typography } from 'antd';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { can, useSession } from '../../../app/auth/session';
import { DateInput } from '../../../ui/DateInput';
import { ErrorResult } from '../../../ui/ErrorResult';
import { useFormErrors } from '../../../ui/formErrors';
import { fenToYuan, yuanToFen } from '../../../ui/format';
import { Loading } from '../../../ui/Loading';
import { useRules, useSaveRules, useTiers, type RulesInput } from '../api';
import type { CarryOver, Expiry, LoyaltyRules, PeriodKind } from '../types';

/** The rules as the form holds them: maps as lists, money in yuan, unions flattened. */
interface RulesForm {
  pointsPerYuan: number;
  tierPointsPerYuan: number;
  byTier: Record<string, number | null | undefined>;
  categories: { category?: string; multiplier?: number }[];
  dates: { name?: string; from?: string; to?: string; weekdays?: number[]; multiplier?: number }[];
  minSpend: number;
  rounding: LoyaltyRules['earn']['rounding'];
  tierPointsUseMultipliers: boolean;
  earnOnPointsTender: boolean;
  stackOnPromotion: boolean;
  redeemPointsPerYuan: number;
  maxPaymentPct: number;
  expiryMode: Expiry['mode'];
  expiryMonths?: number;
  expiryYears?: number;
  periodKind: PeriodKind;
  startMonth: number;
  carryMode: CarryOver['mode'];
  carryPercent?: number;
  downgrade: boolean;
  topUp: { min?: number; bonus?: number }[];
  spendOrder: LoyaltyRules['storedValue']['spendOrder'];
}

function toForm(r: LoyaltyRules): RulesForm {
  return {
    pointsPerYuan: r.earn.pointsPerYuan,
    tierPointsPerYuan: r.earn.tierPointsPerYuan,
    byTier: { ...r.earn.pointsPerYuanByTier },
    categories: Object.entries(r.earn.categoryMultipliers).map(([category, multiplier]) => ({ category, multiplier })),
    dates: r.earn.dateMultipliers.map((d) => ({ name: d.name, from: d.from, to: d.to, weekdays: d.weekdays, multiplier: d.multiplier })),
    minSpend: fenToYuan(r.earn.minSpendFen),
    rounding: r.earn.rounding,
    tierPointsUseMultipliers: r.earn.tierPointsUseMultipliers,
    earnOnPointsTender: r.earn.earnOnPointsTender,
    stackOnPromotion: r.discount.stackOnPromotion,
    redeemPointsPerYuan: r.redemption.pointsPerYuan,
    maxPaymentPct: r.redemption.maxPaymentPct,
    expiryMode: r.expiry.mode,
    expiryMonths: r.expiry.mode === 'rolling' ? r.expiry.months : 12,
    expiryYears: r.expiry.mode === 'year_end' ? r.expiry.years : 1,
    periodKind: r.period.kind,
    startMonth: r.period.startMonth,
    carryMode: r.period.carryOver.mode,
    carryPercent: r.period.carryOver.mode === 'percent' ? r.period.carryOver.percent : 50,
    downgrade: r.period.downgrade,
    topUp: r.storedValue.topUpBonus.map((b) => ({ min: fenToYuan(b.minFen), bonus: fenToYuan(b.bonusFen) })),
    spendOrder: r.storedValue.spendOrder,
  };
}

function fromForm(v: RulesForm, version: number): RulesInput {
  const byTier = Object.fromEntries(Object.entries(v.byTier ?? {}).filter(([, x]) => x !== null && x !== undefined)) as Record<string, number>;
  return {
    version,
    earn: {
      pointsPerYuan: v.pointsPerYuan,
      tierPointsPerYuan: v.tierPointsPerYuan,
      pointsPerYuanByTier: byTier,
      categoryMultipliers: Object.fromEntries((v.categories ?? []).filter((c) => c.category?.trim() && c.multiplier !== undefined).map((c) => [c.category!.trim(), c.multiplier!])),
      dateMultipliers: (v.dates ?? [])
        .filter((d) => d.multiplier !== undefined)
        .map((d) => ({
          name: d.name?.trim() || undefined,
          from: d.from || undefined,
          to: d.to || undefined,
          weekdays: d.weekdays?.length ? d.weekdays : undefined,
          multiplier: d.multiplier!,
        })),
      minSpendFen: yuanToFen(v.minSpend ?? 0),
      rounding: v.rounding,
      tierPointsUseMultipliers: v.tierPointsUseMultipliers,
      earnOnPointsTender: v.earnOnPointsTender,
    },
    discount: { stackOnPromotion: v.stackOnPromotion },
    redemption: { pointsPerYuan: v.redeemPointsPerYuan, maxPaymentPct: v.maxPaymentPct },
    expiry: v.expiryMode === 'rolling' ? { mode: 'rolling', months: v.expiryMonths ?? 12 } : v.expiryMode === 'year_end' ? { mode: 'year_end', years: v.expiryYears ?? 0 } : { mode: 'none' },
    period: {
      kind: v.periodKind,
      startMonth: v.startMonth,
      carryOver: v.carryMode === 'percent' ? { mode: 'percent', percent: v.carryPercent ?? 0 } : { mode: v.carryMode },
      downgrade: v.downgrade,
    },
    storedValue: {
      topUpBonus: (v.topUp ?? []).filter((b) => b.min).map((b) => ({ minFen: yuanToFen(b.min!), bonusFen: yuanToFen(b.bonus ?? 0) })),
      spendOrder: v.spendOrder,
    },
  };
}

const num = (props: { min?: number; max?: number; precision?: number; suffix?: string; prefix?: string; label?: string }) => (
  <InputNumber style={{ width: 160 }} min={props.min ?? 0} max={props.max} precision={props.precision ?? 2} suffix={props.suffix} prefix={props.prefix} aria-label={props.label} />
);

/** 积分与储值规则: one form over all rule sections; saving makes a new version. */
export function RulesCard() {
  const { t } = useTranslation();
  const me = useSession();
  const { message } = App.useApp();
  const rules = useRules();
  const tiers = useTiers();
  const save = useSaveRules();
  const [form] = Form.useForm<RulesForm>();
  const errors = useFormErrors(form);
  const editable = can(me, 'loyalty.settings');
  const expiryMode = Form.useWatch('expiryMode', form);
  const carryMode = Form.useWatch('carryMode', form);
  const periodKind = Form.useWatch('periodKind', form);

  useEffect(() => {
    if (rules.data) form.setFieldsValue(toForm(rules.data));
  }, [rules.data, form]);

  if (rules.isPending) return <Loading />;
  if (rules.error) return <ErrorResult error={rules.error} onRetry={() => void rules.refetch()} />;

  const submit = async () => {
    // every value the form holds, also of sections hidden now (carry-over without a period)
    const v = form.getFieldsValue(true) as RulesForm;
    errors.clear();
    try {
      const saved = await save.mutateAsync(fromForm(v, rules.data.version));
      message.success(t('loyalty.rules.saved', { version: saved.version }));
    } catch (err) {
      errors.handle(err, { version_conflict: { message: t('loyalty.rules.conflict') } });
    }
  };

  const weekdays = (['d1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7'] as const).map((d, i) => ({ value: i + 1, label: t(`loyalty.weekdays.${d}`) }));
  const months = Array.from({ length: 12 }, (_, i) => ({ value: i + 1, label: t('loyalty.rules.month', { month: i + 1 }) }));

  return (
    <Form<RulesForm> form={form} layout="vertical" onFinish={() => void submit()} disabled={!editable} data-testid="rules">
      <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 12 }}>
        <Typography.Text type="secondary" data-testid="rules-version">
          {t('loyalty.rules.version', { version: rules.data.version })}
        </Typography.Text>
      </Flex>
      {errors.alert}
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <Card title={t('loyalty.rules.earn')} size="small">
            <Flex wrap gap={16}>
              <Form.Item name="pointsPerYuan" label={t('loyalty.rules.pointsPerYuan')} rules={[{ required: true, message: t('validation.required') }]}>
                {num({ max: 1000 })}
              </Form.Item>
              <Form.Item name="tierPointsPerYuan" label={t('loyalty.rules.tierPointsPerYuan')} rules={[{ required: true, message: t('validation.required') }]}>
                {num({ max: 1000 })}
              </Form.Item>
              <Form.Item name="minSpend" label={t('loyalty.rules.minSpend')}>
                {num({ prefix: '¥' })}
              </Form.Item>
              <Form.Item name="rounding" label={t('loyalty.rules.rounding')}>
                <Select style={{ width: 160 }} options={(['floor', 'half_up', 'ceil'] as const).map((x) => ({ value: x, label: t(`loyalty.rules.roundings.${x}`) }))} />
              </Form.Item>
            </Flex>
            {(tiers.data ?? []).length ? (
              <>
                <Typography.Text strong>{t('loyalty.rules.byTier')}</Typography.Text>
                <Flex wrap gap={16} style={{ marginTop: 8 }}>
                  {(tiers.data ?? []).map((tier) => (
                    <Form.Item key={tier.code} name={['byTier', tier.code]} label={tier.name} extra={t('loyalty.rules.byTierHelp')}>
                      {num({ max: 1000, label: `${t('loyalty.rules.byTier')} ${tier.name}` })}
                    </Form.Item>
                  ))}
                </Flex>
              </>
            ) : null}
            <Flex wrap gap={24}>
              <Form.Item name="tierPointsUseMultipliers" label={t('loyalty.rules.tierPointsUseMultipliers')} valuePropName="checked">
                <Switch />
              </Form.Item>
              <Form.Item name="earnOnPointsTender" label={t('loyalty.rules.earnOnPointsTender')} valuePropName="checked">
                <Switch />
              </Form.Item>
              <Form.Item name="stackOnPromotion" label={t('loyalty.rules.stackOnPromotion')} valuePropName="checked">
                <Switch />
              </Form.Item>
            </Flex>
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title={t('loyalty.rules.multipliers')} size="small">
            <Typography.Text strong>{t('loyalty.rules.categories')}</Typography.Text>
            <Form.List name="categories">
              {(fields, { add, remove }) => (
                <div style={{ marginTop: 8 }}>
                  {fields.map((f, i) => (
                    <Flex key={f.key} gap={8} align="flex-start" wrap data-testid="category-row">
                      <Form.Item name={[f.name, 'category']} rules={[{ required: true, message: t('validation.required') }]}>
                        <Input placeholder={t('loyalty.item.category')} style={{ width: 140 }} aria-label={`${t('loyalty.item.category')} ${i + 1}`} />
                      </Form.Item>
                      <Form.Item name={[f.name, 'multiplier']} rules={[{ required: true, message: t('validation.required') }]}>
                        <InputNumber min={0} max={100} precision={2} prefix="×" style={{ width: 110 }} aria-label={`${t('loyalty.rules.multiplier')} ${i + 1}`} />
                      </Form.Item>
                      {editable ? <Button danger type="text" icon={<DeleteOutlined />} aria-label={`${t('common.delete')} ${t('loyalty.item.category')} ${i + 1}`} onClick={() => remove(f.name)} /> : null}
                    </Flex>
                  ))}
                  {editable ? (
                    <Button type="dashed" size="small" icon={<PlusOutlined />} onClick={() => add({ multiplier: 2 })} style={{ marginBottom: 16 }}>
                      {t('loyalty.rules.addCategory')}
                    </Button>
                  ) : null}
                </div>
              )}
            </Form.List>
            <Typography.Text strong style={{ display: 'block' }}>
              {t('loyalty.rules.dates')}
            </Typography.Text>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('loyalty.rules.datesHelp')}
            </Typography.Text>
            <Form.List name="dates">
              {(fields, { add, remove }) => (
                <div style={{ marginTop: 8 }}>
                  {fields.map((f, i) => (
                    <Card size="small" key={f.key} style={{ marginBottom: 8 }} data-testid="date-row">
                      <Flex wrap gap={8} align="flex-start">
                        <Form.Item name={[f.name, 'name']} style={{ marginBottom: 8 }}>
                          <Input placeholder={t('loyalty.rules.dateName')} style={{ width: 140 }} aria-label={`${t('loyalty.rules.dateName')} ${i + 1}`} />
                        </Form.Item>
                        <Form.Item name={[f.name, 'from']} style={{ marginBottom: 8, width: 140 }}>
                          <DateInput placeholder={t('loyalty.rules.from')} aria-label={`${t('loyalty.rules.from')} ${i + 1}`} />
                        </Form.Item>
                        <Form.Item name={[f.name, 'to']} style={{ marginBottom: 8, width: 140 }}>
                          <DateInput placeholder={t('loyalty.rules.to')} aria-label={`${t('loyalty.rules.to')} ${i + 1}`} />
                        </Form.Item>
                        <Form.Item name={[f.name, 'weekdays']} style={{ marginBottom: 8 }}>
                          <Select mode="multiple" allowClear placeholder={t('loyalty.rules.weekdays')} options={weekdays} style={{ minWidth: 160 }} aria-label={`${t('loyalty.rules.weekdays')} ${i + 1}`} />
                        </Form.Item>
                        <Form.Item name={[f.name, 'multiplier']} rules={[{ required: true, message: t('validation.required') }]} style={{ marginBottom: 8 }}>
                          <InputNumber min={0} max={100} precision={2} prefix="×" style={{ width: 110 }} aria-label={`${t('loyalty.rules.multiplier')} ${t('loyalty.rules.dates')} ${i + 1}`} />
                        </Form.Item>
                        {editable ? <Button danger type="text" icon={<DeleteOutlined />} aria-label={`${t('common.delete')} ${t('loyalty.rules.dates')} ${i + 1}`} onClick={() => remove(f.name)} /> : null}
                      </Flex>
                    </Card>
                  ))}
                  {editable ? (
                    <Button type="dashed" size="small" icon={<PlusOutlined />} onClick={() => add({ multiplier: 2 })}>
                      {t('loyalty.rules.addDate')}
                    </Button>
                  ) : null}
                </div>
              )}
            </Form.List>
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title={t('loyalty.rules.plan')} size="small">
            <Flex wrap gap={16}>
              <Form.Item name="expiryMode" label={t('loyalty.rules.expiry')}>
                <Select style={{ width: 200 }} options={(['none', 'rolling', 'year_end'] as const).map((x) => ({ value: x, label: t(`loyalty.rules.expiryModes.${x}`) }))} />
              </Form.Item>
              {expiryMode === 'rolling' ? (
                <Form.Item name="expiryMonths" label={t('loyalty.rules.expiryMonths')}>
                  <InputNumber min={1} max={240} precision={0} style={{ width: 120 }} />
                </Form.Item>
              ) : null}
              {expiryMode === 'year_end' ? (
                <Form.Item name="expiryYears" label={t('loyalty.rules.expiryYears')} extra={t('loyalty.rules.expiryYearsHelp')}>
                  <InputNumber min={0} max={20} precision={0} style={{ width: 120 }} />
                </Form.Item>
              ) : null}
            </Flex>
            <Flex wrap gap={16}>
              <Form.Item name="periodKind" label={t('loyalty.rules.period')}>
                <Select style={{ width: 160 }} options={(['none', 'year', 'half_year', 'quarter', 'month'] as const).map((x) => ({ value: x, label: t(`loyalty.rules.periods.${x}`) }))} />
              </Form.Item>
              {periodKind && periodKind !== 'none' ? (
                <>
                  <Form.Item name="startMonth" label={t('loyalty.rules.startMonth')}>
                    <Select style={{ width: 120 }} options={months} />
                  </Form.Item>
                  <Form.Item name="carryMode" label={t('loyalty.rules.carryOver')}>
                    <Select style={{ width: 180 }} options={(['all', 'none', 'percent'] as const).map((x) => ({ value: x, label: t(`loyalty.rules.carryModes.${x}`) }))} />
                  </Form.Item>
                  {carryMode === 'percent' ? (
                    <Form.Item name="carryPercent" label={t('loyalty.rules.carryPercent')}>
                      <InputNumber min={0} max={100} precision={0} suffix="%" style={{ width: 120 }} />
                    </Form.Item>
                  ) : null}
                  <Form.Item name="downgrade" label={t('loyalty.rules.downgrade')} valuePropName="checked">
                    <Switch />
                  </Form.Item>
                </>
              ) : null}
            </Flex>
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title={t('loyalty.rules.value')} size="small">
            <Flex wrap gap={16}>
              <Form.Item name="redeemPointsPerYuan" label={t('loyalty.rules.redeemRate')} extra={t('loyalty.rules.redeemRateHelp')}>
                <InputNumber min={1} max={100000} precision={0} style={{ width: 140 }} />
              </Form.Item>
              <Form.Item name="maxPaymentPct" label={t('loyalty.rules.maxPaymentPct')}>
                <InputNumber min={0} max={100} precision={0} suffix="%" style={{ width: 120 }} />
              </Form.Item>
              <Form.Item name="spendOrder" label={t('loyalty.rules.spendOrder')}>
                <Select style={{ width: 180 }} options={(['proportional', 'principal_first', 'bonus_first'] as const).map((x) => ({ value: x, label: t(`loyalty.rules.spendOrders.${x}`) }))} />
              </Form.Item>
            </Flex>
            <Typography.Text strong>{t('loyalty.rules.topUp')}</Typography.Text>
            <Form.List name="topUp">
              {(fields, { add, remove }) => (
                <div style={{ marginTop: 8 }}>
                  {fields.map((f, i) => (
                    <Flex key={f.key} gap={8} align="flex-start" wrap data-testid="top-up-row">
                      <Form.Item name={[f.name, 'min']} rules={[{ required: true, message: t('validation.required') }]}>
                        <InputNumber min={0.01} precision={2} prefix={t('loyalty.rules.topUpMin')} style={{ width: 170 }} aria-label={`${t('loyalty.rules.topUpMin')} ${i + 1}`} />
                      </Form.Item>
                      <Form.Item name={[f.name, 'bonus']} rules={[{ required: true, message: t('validation.required') }]}>
                        <InputNumber min={0} precision={2} prefix={t('loyalty.rules.topUpBonus')} style={{ width: 170 }} aria-label={`${t('loyalty.rules.topUpBonus')} ${i + 1}`} />
                      </Form.Item>
                      {editable ? <Button danger type="text" icon={<DeleteOutlined />} aria-label={`${t('common.delete')} ${t('loyalty.rules.topUp')} ${i + 1}`} onClick={() => remove(f.name)} /> : null}
                    </Flex>
                  ))}
                  {fields.length === 0 ? <Tag>{t('loyalty.topUp.noRules')}</Tag> : null}
                  {editable ? (
                    <Button type="dashed" size="small" icon={<PlusOutlined />} onClick={() => add()} style={{ marginTop: 8 }}>
                      {t('loyalty.rules.addTopUp')}
                    </Button>
                  ) : null}
                </div>
              )}
            </Form.List>
          </Card>
        </Col>
      </Row>
      {editable ? (
        <div style={{ position: 'sticky', bottom: 0, padding: '12px 0', zIndex: 2, background: 'rgba(245, 245, 245, 0.95)' }}>
          <Button type="primary" htmlType="submit" loading={save.isPending} size="large">
            {t('loyalty.rules.save')}
          </Button>
        </div>
      ) : null}
    </Form>
  );
}
