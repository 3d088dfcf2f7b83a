import { App, Button, Card, Form, Input, InputNumber, Radio, Switch, Typography } from 'antd';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { MemberSettings } from '../../../app/api/types';
import { useFormErrors } from '../../../ui/formErrors';
import { useSaveMemberSettings, type SettingsInput } from '../api';

type PlanValues = Pick<MemberSettings, 'cardMode' | 'cardPrefix' | 'cardDigits' | 'cardCheckDigit' | 'reviewApplications'>;

/** Luhn check digit over the digits (the backend's card.rules, for the preview only). */
function luhnDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** What the plan would hand out next, e.g. VIP000042; null when it does not fit. */
export function previewCardNo(prefix: string, digits: number, checkDigit: boolean, seq: number): string | null {
  const body = String(seq);
  if (!Number.isInteger(digits) || digits < 1 || body.length > digits) return null;
  const padded = body.padStart(digits, '0');
  return prefix + padded + (checkDigit ? String(luhnDigit(padded)) : '');
}

/** 卡号规则: how card numbers are made, and whether join applications are reviewed. */
export function CardPlanCard({ settings }: { settings: MemberSettings }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<PlanValues>();
  const errors = useFormErrors(form);
  const save = useSaveMemberSettings();
  const mode = Form.useWatch('cardMode', form) ?? settings.cardMode;
  const prefix = Form.useWatch('cardPrefix', form) ?? settings.cardPrefix;
  const digits = Form.useWatch('cardDigits', form) ?? settings.cardDigits;
  const check = Form.useWatch('cardCheckDigit', form) ?? settings.cardCheckDigit;

  useEffect(() => {
    form.setFieldsValue({
      cardMode: settings.cardMode,
      cardPrefix: settings.cardPrefix,
      cardDigits: settings.cardDigits,
      cardCheckDigit: settings.cardCheckDigit,
      reviewApplications: settings.reviewApplications,
    });
  }, [settings, form]);

  const submit = async (v: PlanValues) => {
    errors.clear();
    const input: SettingsInput = {};
    if (v.cardMode !== settings.cardMode) input.cardMode = v.cardMode;
    if ((v.cardPrefix ?? '') !== settings.cardPrefix) input.cardPrefix = v.cardPrefix ?? '';
    if (v.cardDigits !== settings.cardDigits) input.cardDigits = v.cardDigits;
    if (v.cardCheckDigit !== settings.cardCheckDigit) input.cardCheckDigit = v.cardCheckDigit;
    if (v.reviewApplications !== settings.reviewApplications) input.reviewApplications = v.reviewApplications;
    if (Object.keys(input).length === 0) {
      message.info(t('members.form.noChange'));
      return;
    }
    try {
      await save.mutateAsync(input);
      message.success(t('memberSettings.plan.saved'));
    } catch (err) {
      errors.handle(err, {}, { 'body.cardDigits': t('memberSettings.plan.tooLong'), 'body.cardPrefix': t('memberSettings.plan.prefixInvalid') });
    }
  };

  const next = previewCardNo(prefix ?? '', digits ?? 0, check ?? false, settings.cardNextSeq);
  return (
    <Card title={t('memberSettings.plan.title')} data-testid="card-plan">
      {errors.alert}
      <Form<PlanValues> form={form} name="cardPlan" layout="vertical" onFinish={submit}>
        <Form.Item name="cardMode" label={t('memberSettings.plan.mode')}>
          <Radio.Group
            optionType="button"
            options={(['sequence', 'pool'] as const).map((m) => ({ value: m, label: t(`memberSettings.plan.modes.${m}`) }))}
          />
        </Form.Item>
        <Form.Item
          name="cardPrefix"
          label={t('memberSettings.plan.prefix')}
          extra={t('memberSettings.plan.prefixHelp')}
          normalize={(v: string) => v.toUpperCase()}
          rules={[{ pattern: /^[A-Z0-9]{0,8}$/, message: t('memberSettings.plan.prefixInvalid') }]}
        >
          <Input maxLength={8} autoCapitalize="characters" autoComplete="off" style={{ maxWidth: 200 }} />
        </Form.Item>
        <Form.Item name="cardDigits" label={t('memberSettings.plan.digits')} rules={[{ required: true, message: t('validation.required') }]}>
          <InputNumber min={4} max={16} precision={0} style={{ width: 120 }} />
        </Form.Item>
        <Form.Item name="cardCheckDigit" label={t('memberSettings.plan.checkDigit')} extra={t('memberSettings.plan.checkDigitHelp')} valuePropName="checked">
          <Switch />
        </Form.Item>
        <Typography.Paragraph type="secondary" data-testid="card-plan-next">
          {mode === 'pool' ? t('memberSettings.plan.nextPool') : next ? t('memberSettings.plan.next', { cardNo: next }) : t('members.errors.cardPlanExhausted')}
        </Typography.Paragraph>
        <Form.Item name="reviewApplications" label={t('memberSettings.plan.review')} extra={t('memberSettings.plan.reviewHelp')} valuePropName="checked">
          <Switch />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={save.isPending}>
          {t('common.save')}
        </Button>
      </Form>
    </Card>
  );
}
