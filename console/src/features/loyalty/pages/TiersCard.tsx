import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { App, Button, Card, Flex, Form, Input, InputNumber, Typography } from 'antd';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { can, useSession } from '../../../app/auth/session';
import { ErrorResult } from '../../../ui/ErrorResult';
import { useFormErrors } from '../../../ui/formErrors';
import { fenToYuan, yuanToFen } from '../../../ui/format';
import { Loading } from '../../../ui/Loading';
import { useSaveTiers, useTiers } from '../api';
import type { Tier } from '../types';

/** A tier as the form holds it: the spend threshold in yuan. */
type TierRow = Omit<Tier, 'spendThresholdFen'> & { spend?: number | null };

/** 会员等级: the ordered tiers (lowest first) with code, name, threshold and discount. */
export function TiersCard() {
  const { t } = useTranslation();
  const me = useSession();
  const { message } = App.useApp();
  const tiers = useTiers();
  const save = useSaveTiers();
  const [form] = Form.useForm<{ tiers: TierRow[] }>();
  const errors = useFormErrors(form);
  const editable = can(me, 'loyalty.settings');

  useEffect(() => {
    if (tiers.data) form.setFieldsValue({ tiers: tiers.data.map(({ spendThresholdFen, ...x }) => ({ ...x, spend: spendThresholdFen === undefined ? undefined : fenToYuan(spendThresholdFen) })) });
  }, [tiers.data, form]);

  if (tiers.isPending) return <Loading />;
  if (tiers.error) return <ErrorResult error={tiers.error} onRetry={() => void tiers.refetch()} />;

  const submit = async (v: { tiers?: TierRow[] }) => {
    errors.clear();
    try {
      const list: Tier[] = (v.tiers ?? []).map((x) => ({
        code: x.code.trim().toUpperCase(),
        name: x.name.trim(),
        threshold: x.threshold,
        ...(x.spend !== undefined && x.spend !== null ? { spendThresholdFen: yuanToFen(x.spend) } : {}),
        discountPct: x.discountPct ?? 0,
      }));
      await save.mutateAsync(list);
      message.success(t('loyalty.tiers.saved'));
    } catch (err) {
      errors.handle(err);
    }
  };

  return (
    <Card title={t('loyalty.tiers.title')} data-testid="tiers">
      <Typography.Paragraph type="secondary">{t('loyalty.tiers.help')}</Typography.Paragraph>
      {errors.alert}
      <Form form={form} layout="vertical" onFinish={(v) => void submit(v)} disabled={!editable}>
        <Form.List name="tiers">
          {(fields, { add, remove, move }) => (
            <>
              {fields.map((f, i) => (
                <Card size="small" key={f.key} style={{ marginBottom: 8 }} data-testid="tier-row">
                  <Flex wrap gap={8} align="flex-end">
                    <Typography.Text strong style={{ width: 24, paddingBottom: 6 }}>
                      {i + 1}
                    </Typography.Text>
                    <Form.Item name={[f.name, 'name']} label={t('loyalty.tiers.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]} style={{ marginBottom: 0, width: 120 }}>
                      <Input maxLength={50} aria-label={`${t('loyalty.tiers.name')} ${i + 1}`} />
                    </Form.Item>
                    <Form.Item
                      name={[f.name, 'code']}
                      label={t('loyalty.tiers.code')}
                      rules={[
                        { required: true, message: t('validation.required') },
                        { pattern: /^[A-Za-z0-9_-]{1,32}$/, message: t('loyalty.tiers.codeRule') },
                      ]}
                      style={{ marginBottom: 0, width: 110 }}
                    >
                      <Input maxLength={32} aria-label={`${t('loyalty.tiers.code')} ${i + 1}`} />
                    </Form.Item>
                    <Form.Item
                      name={[f.name, 'threshold']}
                      label={t('loyalty.tiers.threshold')}
                      dependencies={i > 0 ? [['tiers', i - 1, 'threshold']] : []}
                      rules={[
                        { required: true, message: t('validation.required') },
                        ({ getFieldValue }) => ({
                          validator: (_, v: number | undefined) => {
                            const prev = i > 0 ? (getFieldValue(['tiers', i - 1, 'threshold']) as number | undefined) : undefined;
                            return prev !== undefined && v !== undefined && v <= prev ? Promise.reject(new Error(t('loyalty.tiers.rising'))) : Promise.resolve();
                          },
                        }),
                      ]}
                      style={{ marginBottom: 0, width: 130 }}
                    >
                      <InputNumber min={0} precision={0} style={{ width: '100%' }} aria-label={`${t('loyalty.tiers.threshold')} ${i + 1}`} />
                    </Form.Item>
                    <Form.Item name={[f.name, 'spend']} label={t('loyalty.tiers.spend')} style={{ marginBottom: 0, width: 140 }}>
                      <InputNumber min={0} precision={2} prefix="¥" placeholder={t('common.optional')} style={{ width: '100%' }} aria-label={`${t('loyalty.tiers.spend')} ${i + 1}`} />
                    </Form.Item>
                    <Form.Item name={[f.name, 'discountPct']} label={t('loyalty.tiers.discount')} style={{ marginBottom: 0, width: 110 }}>
                      <InputNumber min={0} max={100} precision={2} suffix="%" style={{ width: '100%' }} aria-label={`${t('loyalty.tiers.discount')} ${i + 1}`} />
                    </Form.Item>
                    {editable ? (
                      <Flex gap={4}>
                        <Button icon={<ArrowUpOutlined />} disabled={i === 0} aria-label={`${t('loyalty.tiers.up')} ${i + 1}`} onClick={() => move(i, i - 1)} />
                        <Button icon={<ArrowDownOutlined />} disabled={i === fields.length - 1} aria-label={`${t('loyalty.tiers.down')} ${i + 1}`} onClick={() => move(i, i + 1)} />
                        <Button danger icon={<DeleteOutlined />} aria-label={`${t('common.delete')} ${i + 1}`} onClick={() => remove(f.name)} />
                      </Flex>
                    ) : null}
                  </Flex>
                </Card>
              ))}
              {fields.length === 0 ? <Typography.Paragraph type="secondary">{t('loyalty.tiers.empty')}</Typography.Paragraph> : null}
              {editable ? (
                <Flex gap={8} wrap>
                  <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ discountPct: 0 })}>
                    {t('loyalty.tiers.add')}
                  </Button>
                  <Button type="primary" htmlType="submit" loading={save.isPending}>
                    {t('loyalty.tiers.save')}
                  </Button>
                </Flex>
              ) : null}
            </>
          )}
        </Form.List>
      </Form>
    </Card>
  );
}
