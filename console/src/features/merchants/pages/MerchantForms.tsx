import { App, Button, Col, Divider, Form, Input, InputNumber, Row, Select, Space, Statistic } from 'antd';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { Tenant } from '../../../app/api/types';
import { FormModal } from '../../../ui/FormModal';
import { formatFen, fenToYuan, yuanToFen } from '../../../ui/format';
import { useFormErrors } from '../../../ui/formErrors';
import { SideDrawer } from '../../../ui/SideDrawer';
import { CURRENCIES, TIMEZONES, useCreateMerchant, useTopUp, useUpdateMerchant, type UpdateMerchantInput } from '../api';

interface CreateValues {
  name: string;
  slug: string;
  smsExtension: string;
  timezone: string;
  currency: string;
  smsPriceFen: number; // yuan in the form, fen on the wire
  admin: { username: string; password: string; name?: string };
}

export function CreateMerchantModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<CreateValues>();
  const errors = useFormErrors(form);
  const create = useCreateMerchant();

  const submit = async (v: CreateValues) => {
    errors.clear();
    try {
      const tenant = await create.mutateAsync({
        name: v.name.trim(),
        slug: v.slug.trim(),
        smsExtension: v.smsExtension.trim(),
        timezone: v.timezone,
        currency: v.currency,
        smsPriceFen: yuanToFen(v.smsPriceFen),
        admin: { username: v.admin.username.trim(), password: v.admin.password, ...(v.admin.name?.trim() ? { name: v.admin.name.trim() } : {}) },
      });
      message.success(t('merchants.created', { name: tenant.name }));
      form.resetFields();
      onClose();
    } catch (err) {
      errors.handle(err, {
        extension_clash: { field: 'smsExtension', message: t('merchants.extensionClash') },
        duplicate_slug: { field: 'slug', message: t('merchants.duplicateSlug') },
      });
    }
  };

  return (
    <FormModal
      open={open}
      title={t('merchants.new')}
      onCancel={onClose}
      okText={t('common.create')}
      cancelText={t('common.cancel')}
      confirmLoading={create.isPending}
      onOk={() => form.submit()}
      afterClose={() => errors.clear()}
    >
      {errors.alert}
      <Form<CreateValues>
        form={form}
        name="merchant"
        layout="vertical"
        onFinish={submit}
        initialValues={{ timezone: 'Asia/Shanghai', currency: 'CNY', smsPriceFen: 0.05 }}
      >
        <Form.Item name="name" label={t('merchants.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }, { max: 100 }]}>
          <Input maxLength={100} />
        </Form.Item>
        <Row gutter={12}>
          <Col xs={24} sm={12}>
            <Form.Item
              name="slug"
              label={t('merchants.slug')}
              extra={t('merchants.slugHelp')}
              rules={[
                { required: true, message: t('validation.required') },
                { pattern: /^[a-z0-9][a-z0-9-]{1,39}$/, message: t('validation.slug') },
              ]}
            >
              <Input autoCapitalize="none" maxLength={40} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item
              name="smsExtension"
              label={t('merchants.smsExtension')}
              extra={t('merchants.smsExtensionHelp')}
              rules={[
                { required: true, message: t('validation.required') },
                { pattern: /^[0-9]{1,6}$/, message: t('validation.extension') },
              ]}
            >
              <Input inputMode="numeric" maxLength={6} />
            </Form.Item>
          </Col>
        </Row>
        <Row gutter={12}>
          <Col xs={24} sm={8}>
            <Form.Item name="timezone" label={t('merchants.timezone')}>
              <Select options={TIMEZONES.map((z) => ({ value: z, label: z }))} showSearch />
            </Form.Item>
          </Col>
          <Col xs={12} sm={8}>
            <Form.Item name="currency" label={t('merchants.currency')}>
              <Select options={CURRENCIES.map((c) => ({ value: c, label: c }))} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={8}>
            <Form.Item name="smsPriceFen" label={t('merchants.price')} rules={[{ required: true, message: t('validation.required') }]}>
              <InputNumber min={0} max={1000} step={0.01} precision={2} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
        <Divider titlePlacement="start" plain>
          {t('merchants.admin')}
        </Divider>
        <Row gutter={12}>
          <Col xs={24} sm={12}>
            <Form.Item
              name={['admin', 'username']}
              label={t('merchants.adminUsername')}
              rules={[
                { required: true, message: t('validation.required') },
                { pattern: /^[A-Za-z0-9_.@-]{2,64}$/, message: t('validation.username') },
              ]}
            >
              <Input autoCapitalize="none" autoComplete="off" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item
              name={['admin', 'password']}
              label={t('merchants.adminPassword')}
              rules={[
                { required: true, message: t('validation.required') },
                { min: 8, message: t('validation.password') },
              ]}
            >
              <Input.Password autoComplete="new-password" />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name={['admin', 'name']} label={t('merchants.adminName')}>
          <Input maxLength={100} placeholder={t('common.optional')} />
        </Form.Item>
      </Form>
    </FormModal>
  );
}

export function TopUpModal({ tenant, onClose }: { tenant: Tenant | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ amount: number }>();
  const errors = useFormErrors(form);
  const topUp = useTopUp();

  const submit = async ({ amount }: { amount: number }) => {
    if (!tenant) return;
    errors.clear();
    try {
      const amountFen = yuanToFen(amount);
      const res = await topUp.mutateAsync({ slug: tenant.slug, amountFen });
      message.success(t('merchants.toppedUp', { amount: formatFen(amountFen, tenant.currency), credit: formatFen(res.creditFen, tenant.currency) }));
      form.resetFields();
      onClose();
    } catch (err) {
      errors.handle(err, {});
    }
  };

  return (
    <FormModal
      open={tenant !== null}
      title={tenant ? t('merchants.topUpTitle', { name: tenant.name }) : ''}
      onCancel={onClose}
      okText={t('merchants.topUp')}
      cancelText={t('common.cancel')}
      confirmLoading={topUp.isPending}
      onOk={() => form.submit()}
      width={420}
    >
      {errors.alert}
      {tenant ? <Statistic title={t('merchants.currentCredit')} value={formatFen(tenant.creditFen, tenant.currency)} style={{ marginBottom: 16 }} /> : null}
      <Form form={form} name="topup" layout="vertical" onFinish={submit}>
        <Form.Item
          name="amount"
          label={t('merchants.amount')}
          rules={[
            { required: true, message: t('validation.required') },
            { type: 'number', min: 0.01, message: t('validation.positive') },
          ]}
        >
          <InputNumber min={0} max={100000000} step={100} precision={2} style={{ width: '100%' }} prefix="¥" autoFocus />
        </Form.Item>
      </Form>
    </FormModal>
  );
}

interface EditValues {
  name: string;
  timezone: string;
  currency: string;
  smsPriceFen: number;
  status: 'active' | 'suspended';
}

export function EditMerchantDrawer({ tenant, onClose }: { tenant: Tenant | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<EditValues>();
  const errors = useFormErrors(form);
  const update = useUpdateMerchant();

  useEffect(() => {
    if (tenant) {
      form.setFieldsValue({
        name: tenant.name,
        timezone: tenant.timezone,
        currency: tenant.currency,
        smsPriceFen: fenToYuan(tenant.smsPriceFen),
        status: tenant.status === 'suspended' ? 'suspended' : 'active',
      });
      errors.clear();
    }
  }, [tenant, form]);

  const submit = async (v: EditValues) => {
    if (!tenant) return;
    const patch: UpdateMerchantInput = {};
    if (v.name.trim() !== tenant.name) patch.name = v.name.trim();
    if (v.timezone !== tenant.timezone) patch.timezone = v.timezone;
    if (v.currency !== tenant.currency) patch.currency = v.currency;
    if (yuanToFen(v.smsPriceFen) !== tenant.smsPriceFen) patch.smsPriceFen = yuanToFen(v.smsPriceFen);
    if (v.status !== tenant.status) patch.status = v.status;
    if (Object.keys(patch).length === 0) return onClose();
    try {
      const saved = await update.mutateAsync({ slug: tenant.slug, patch });
      message.success(t('merchants.updated', { name: saved.name }));
      onClose();
    } catch (err) {
      errors.handle(err, {});
    }
  };

  return (
    <SideDrawer
      open={tenant !== null}
      title={t('merchants.edit')}
      onClose={onClose}
      extra={
        <Space>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={update.isPending} onClick={() => form.submit()}>
            {t('common.save')}
          </Button>
        </Space>
      }
    >
      {errors.alert}
      <Form<EditValues> form={form} name="merchantEdit" layout="vertical" onFinish={submit}>
        <Form.Item label={t('merchants.slug')}>
          <Input value={tenant?.slug} disabled />
        </Form.Item>
        <Form.Item name="name" label={t('merchants.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item name="timezone" label={t('merchants.timezone')} rules={[{ required: true, message: t('validation.required') }]}>
          <Select options={TIMEZONES.map((z) => ({ value: z, label: z }))} showSearch />
        </Form.Item>
        <Form.Item name="currency" label={t('merchants.currency')} rules={[{ required: true, message: t('validation.required') }]}>
          <Select options={CURRENCIES.map((c) => ({ value: c, label: c }))} />
        </Form.Item>
        <Form.Item name="smsPriceFen" label={t('merchants.price')} rules={[{ required: true, message: t('validation.required') }]}>
          <InputNumber min={0} max={1000} step={0.01} precision={2} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="status" label={t('merchants.status')}>
          <Select
            options={[
              { value: 'active', label: t('status.active') },
              { value: 'suspended', label: t('status.suspended') },
            ]}
          />
        </Form.Item>
      </Form>
    </SideDrawer>
  );
}
