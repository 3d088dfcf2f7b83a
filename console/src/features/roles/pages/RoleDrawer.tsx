import { App, Button, Form, Input, Space } from 'antd';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { Role } from '../../../app/api/types';
import { permissionGroupLabel, permissionLabel, usePermissionCatalog } from '../../../app/permissions';
import { useFormErrors } from '../../../ui/formErrors';
import { PermissionPicker } from '../../../ui/PermissionPicker';
import { SideDrawer } from '../../../ui/SideDrawer';
import { useSaveRole } from '../api';

interface Values {
  code: string;
  name: string;
  permissions: string[];
}

/** Create (role undefined) or edit a custom role. */
export function RoleDrawer({ open, role, onClose }: { open: boolean; role: Role | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const errors = useFormErrors(form);
  const save = useSaveRole();
  const catalog = usePermissionCatalog();

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    form.setFieldsValue(role ? { code: role.code, name: role.name, permissions: role.permissions } : { code: '', name: '', permissions: [] });
  }, [open, role, form]);

  const submit = async (v: Values) => {
    errors.clear();
    try {
      const saved = await save.mutateAsync({ id: role?.id, code: v.code.trim(), name: v.name.trim(), permissions: v.permissions ?? [] });
      message.success(t(role ? 'roles.updated' : 'roles.created', { name: saved.name }));
      onClose();
    } catch (err) {
      errors.handle(err, { duplicate_role: { field: 'code', message: t('roles.duplicate') }, builtin_role: { message: t('roles.builtinReadonly') } });
    }
  };

  return (
    <SideDrawer
      open={open}
      title={role ? t('roles.editTitle') : t('roles.createTitle')}
      onClose={onClose}
      afterOpenChange={(o) => !o && errors.clear()}
      extra={
        <Space>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={save.isPending} onClick={() => form.submit()}>
            {role ? t('common.save') : t('common.create')}
          </Button>
        </Space>
      }
    >
      {errors.alert}
      <Form<Values> form={form} name="role" layout="vertical" onFinish={submit}>
        <Form.Item
          name="code"
          label={t('roles.code')}
          extra={role ? undefined : t('roles.codeHelp')}
          rules={[
            { required: true, message: t('validation.required') },
            { pattern: /^[a-z][a-z0-9_-]{1,39}$/, message: t('validation.roleCode') },
          ]}
        >
          <Input disabled={role !== null} autoCapitalize="none" maxLength={40} />
        </Form.Item>
        <Form.Item name="name" label={t('roles.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item name="permissions" label={t('roles.permissions')}>
          <PermissionPicker permissions={catalog.data ?? []} label={permissionLabel} groupLabel={permissionGroupLabel} />
        </Form.Item>
      </Form>
    </SideDrawer>
  );
}
