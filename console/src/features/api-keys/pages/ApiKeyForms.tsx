import { Alert, App, Button, Form, Input, Modal, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { ApiKeyCreated } from '../../../app/api/types';
import { permissionGroupLabel, permissionLabel, usePermissionCatalog } from '../../../app/permissions';
import { FormModal } from '../../../ui/FormModal';
import { useFormErrors } from '../../../ui/formErrors';
import { PermissionPicker } from '../../../ui/PermissionPicker';
import { useCreateApiKey } from '../api';

interface Values {
  name: string;
  permissions: string[];
}

export function CreateApiKeyModal({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (k: ApiKeyCreated) => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<Values>();
  const errors = useFormErrors(form);
  const create = useCreateApiKey();
  const catalog = usePermissionCatalog();

  const submit = async (v: Values) => {
    errors.clear();
    try {
      const key = await create.mutateAsync({ name: v.name.trim(), permissions: v.permissions ?? [] });
      form.resetFields();
      onCreated(key);
    } catch (err) {
      errors.handle(err, {});
    }
  };

  return (
    <FormModal
      open={open}
      title={t('apiKeys.createTitle')}
      onCancel={onClose}
      okText={t('common.create')}
      cancelText={t('common.cancel')}
      confirmLoading={create.isPending}
      onOk={() => form.submit()}
      afterClose={() => errors.clear()}
      width={640}
    >
      {errors.alert}
      <Form<Values> form={form} name="apiKey" layout="vertical" onFinish={submit} initialValues={{ permissions: [] }}>
        <Form.Item name="name" label={t('apiKeys.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item name="permissions" label={t('apiKeys.permissions')}>
          <PermissionPicker permissions={catalog.data ?? []} label={permissionLabel} groupLabel={permissionGroupLabel} />
        </Form.Item>
      </Form>
    </FormModal>
  );
}

/** The new key, shown once: the API never returns it again. */
export function NewKeyModal({ created, onClose }: { created: ApiKeyCreated | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  return (
    <Modal
      open={created !== null}
      title={t('apiKeys.createdTitle')}
      onCancel={onClose}
      mask={{ closable: false }}
      destroyOnHidden
      footer={
        <Button type="primary" onClick={onClose}>
          {t('apiKeys.done')}
        </Button>
      }
    >
      <Alert type="warning" showIcon title={t('apiKeys.keyOnce')} style={{ marginBottom: 16 }} />
      <Typography.Paragraph strong>{created?.name}</Typography.Paragraph>
      <Typography.Paragraph
        code
        copyable={{ text: created?.key, onCopy: () => message.success(t('common.copied')) }}
        style={{ wordBreak: 'break-all', fontSize: 13 }}
        data-testid="new-api-key"
      >
        {created?.key}
      </Typography.Paragraph>
    </Modal>
  );
}
