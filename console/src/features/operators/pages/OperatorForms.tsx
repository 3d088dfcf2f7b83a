import { App, Button, Form, Input, Select, Space, TreeSelect } from 'antd';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { Operator } from '../../../app/api/types';
import { useSession } from '../../../app/auth/session';
import { FormModal } from '../../../ui/FormModal';
import { useFormErrors } from '../../../ui/formErrors';
import { SideDrawer } from '../../../ui/SideDrawer';
import { orgTreeSelectData, useOrgNodes } from '../../org';
import { useRoles } from '../../roles';
import { useCreateOperator, useUpdateOperator, type CreateOperatorInput, type UpdateOperatorInput } from '../api';

function useChoices() {
  const roles = useRoles();
  const nodes = useOrgNodes();
  return {
    roleOptions: (roles.data ?? []).map((r) => ({ value: r.id, label: r.name })),
    orgTree: orgTreeSelectData(nodes.data ?? []),
    loading: roles.isPending || nodes.isPending,
  };
}

export function CreateOperatorModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<CreateOperatorInput>();
  const errors = useFormErrors(form);
  const create = useCreateOperator();
  const choices = useChoices();

  const submit = async (v: CreateOperatorInput) => {
    errors.clear();
    try {
      const op = await create.mutateAsync({ ...v, username: v.username.trim(), name: v.name.trim() });
      message.success(t('operators.created', { name: op.name }));
      form.resetFields();
      onClose();
    } catch (err) {
      errors.handle(err, { duplicate_username: { field: 'username', message: t('operators.duplicate') } });
    }
  };

  return (
    <FormModal
      open={open}
      title={t('operators.createTitle')}
      onCancel={onClose}
      okText={t('common.create')}
      cancelText={t('common.cancel')}
      confirmLoading={create.isPending}
      onOk={() => form.submit()}
      afterClose={() => errors.clear()}
    >
      {errors.alert}
      <Form<CreateOperatorInput> form={form} name="operator" layout="vertical" onFinish={submit}>
        <Form.Item
          name="username"
          label={t('operators.username')}
          rules={[
            { required: true, message: t('validation.required') },
            { pattern: /^[A-Za-z0-9_.@-]{2,64}$/, message: t('validation.username') },
          ]}
        >
          <Input autoCapitalize="none" autoComplete="off" />
        </Form.Item>
        <Form.Item name="name" label={t('operators.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item
          name="password"
          label={t('operators.password')}
          rules={[
            { required: true, message: t('validation.required') },
            { min: 8, message: t('validation.password') },
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item name="roleId" label={t('operators.role')} rules={[{ required: true, message: t('validation.required') }]}>
          <Select options={choices.roleOptions} loading={choices.loading} showSearch optionFilterProp="label" />
        </Form.Item>
        <Form.Item name="orgNodeId" label={t('operators.orgNode')} rules={[{ required: true, message: t('validation.required') }]}>
          <TreeSelect treeData={choices.orgTree} treeDefaultExpandAll showSearch treeNodeFilterProp="title" loading={choices.loading} />
        </Form.Item>
      </Form>
    </FormModal>
  );
}

interface EditValues {
  name: string;
  roleId: string;
  orgNodeId: string;
  status: 'active' | 'disabled';
  password?: string;
}

export function EditOperatorDrawer({ operator, onClose }: { operator: Operator | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const me = useSession();
  const [form] = Form.useForm<EditValues>();
  const errors = useFormErrors(form);
  const update = useUpdateOperator();
  const choices = useChoices();
  const self = operator?.id === me.user.id;

  useEffect(() => {
    if (operator) {
      form.resetFields();
      form.setFieldsValue({
        name: operator.name,
        roleId: operator.role.id,
        orgNodeId: operator.orgNode.id,
        status: operator.status === 'disabled' ? 'disabled' : 'active',
        password: '',
      });
    }
  }, [operator, form]);

  const submit = async (v: EditValues) => {
    if (!operator) return;
    errors.clear();
    const patch: UpdateOperatorInput = {};
    if (v.name.trim() !== operator.name) patch.name = v.name.trim();
    if (v.roleId !== operator.role.id) patch.roleId = v.roleId;
    if (v.orgNodeId !== operator.orgNode.id) patch.orgNodeId = v.orgNodeId;
    if (v.status !== operator.status) patch.status = v.status;
    if (v.password) patch.password = v.password;
    if (Object.keys(patch).length === 0) return onClose();
    try {
      const saved = await update.mutateAsync({ id: operator.id, patch });
      message.success(t('operators.updated', { name: saved.name }));
      onClose();
    } catch (err) {
      errors.handle(err, { self_change: { message: t('operators.selfChange') } });
    }
  };

  return (
    <SideDrawer
      open={operator !== null}
      title={t('operators.editTitle')}
      onClose={onClose}
      afterOpenChange={(o) => !o && errors.clear()}
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
      <Form<EditValues> form={form} name="operatorEdit" layout="vertical" onFinish={submit}>
        <Form.Item label={t('operators.username')}>
          <Input value={operator?.username} disabled />
        </Form.Item>
        <Form.Item name="name" label={t('operators.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item name="roleId" label={t('operators.role')} rules={[{ required: true, message: t('validation.required') }]} extra={self ? t('operators.selfChange') : undefined}>
          <Select options={choices.roleOptions} loading={choices.loading} disabled={self} />
        </Form.Item>
        <Form.Item name="orgNodeId" label={t('operators.orgNode')} rules={[{ required: true, message: t('validation.required') }]}>
          <TreeSelect treeData={choices.orgTree} treeDefaultExpandAll showSearch treeNodeFilterProp="title" />
        </Form.Item>
        <Form.Item name="status" label={t('operators.status')}>
          <Select
            disabled={self}
            options={[
              { value: 'active', label: t('status.active') },
              { value: 'disabled', label: t('status.disabled') },
            ]}
          />
        </Form.Item>
        <Form.Item name="password" label={t('operators.newPassword')} extra={t('operators.newPasswordHelp')} rules={[{ min: 8, message: t('validation.password') }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
      </Form>
    </SideDrawer>
  );
}
