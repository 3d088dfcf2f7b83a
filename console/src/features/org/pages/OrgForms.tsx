import { App, Form, Input, Radio, TreeSelect } from 'antd';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { OrgNode } from '../../../app/api/types';
import { FormModal } from '../../../ui/FormModal';
import { useFormErrors } from '../../../ui/formErrors';
import { buildOrgTree, useCreateNode, useUpdateNode, type OrgTreeNode } from '../api';

interface TreeSelectNode {
  value: string;
  title: string;
  disabled?: boolean;
  children: TreeSelectNode[];
}

/** Tree data for a TreeSelect of org nodes; `disable` greys out nodes that may not be chosen. */
export function orgTreeSelectData(nodes: readonly OrgNode[], disable?: (n: OrgNode) => boolean): TreeSelectNode[] {
  const map = (t: OrgTreeNode): TreeSelectNode => ({
    value: t.node.id,
    title: t.node.name,
    disabled: disable?.(t.node) ?? false,
    children: t.children.map(map),
  });
  return buildOrgTree(nodes).map(map);
}

interface CreateValues {
  parentId: string;
  kind: 'region' | 'store';
  name: string;
  code?: string;
}

export function CreateNodeModal({ open, parentId, nodes, onClose, onCreated }: {
  open: boolean;
  parentId: string | undefined;
  nodes: readonly OrgNode[];
  onClose: () => void;
  onCreated: (node: OrgNode) => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<CreateValues>();
  const errors = useFormErrors(form);
  const create = useCreateNode();

  useEffect(() => {
    if (open) {
      const parent = nodes.find((n) => n.id === parentId);
      form.setFieldsValue({ parentId, kind: parent?.kind === 'region' ? 'store' : 'region' });
    }
  }, [open, parentId, nodes, form]);

  const submit = async (v: CreateValues) => {
    errors.clear();
    try {
      const node = await create.mutateAsync({ parentId: v.parentId, kind: v.kind, name: v.name.trim(), ...(v.code?.trim() ? { code: v.code.trim() } : {}) });
      message.success(t('org.created', { name: node.name }));
      form.resetFields();
      onCreated(node);
    } catch (err) {
      errors.handle(err, {});
    }
  };

  return (
    <FormModal
      open={open}
      title={t('org.createTitle')}
      onCancel={onClose}
      okText={t('common.create')}
      cancelText={t('common.cancel')}
      confirmLoading={create.isPending}
      onOk={() => form.submit()}
      afterClose={() => errors.clear()}
    >
      {errors.alert}
      <Form<CreateValues> form={form} name="orgNode" layout="vertical" onFinish={submit}>
        <Form.Item name="parentId" label={t('org.parent')} rules={[{ required: true, message: t('validation.required') }]}>
          <TreeSelect treeData={orgTreeSelectData(nodes, (n) => n.kind === 'store')} treeDefaultExpandAll showSearch treeNodeFilterProp="title" />
        </Form.Item>
        <Form.Item name="kind" label={t('org.kind')} rules={[{ required: true, message: t('validation.required') }]}>
          <Radio.Group
            optionType="button"
            options={[
              { value: 'region', label: t('org.kinds.region') },
              { value: 'store', label: t('org.kinds.store') },
            ]}
          />
        </Form.Item>
        <Form.Item name="name" label={t('org.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item name="code" label={t('org.code')}>
          <Input maxLength={40} placeholder={t('common.optional')} />
        </Form.Item>
      </Form>
    </FormModal>
  );
}

interface EditValues {
  name: string;
  code?: string;
}

export function EditNodeModal({ node, onClose }: { node: OrgNode | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<EditValues>();
  const errors = useFormErrors(form);
  const update = useUpdateNode();

  useEffect(() => {
    if (node) form.setFieldsValue({ name: node.name, code: node.code ?? '' });
  }, [node, form]);

  const submit = async (v: EditValues) => {
    if (!node) return;
    errors.clear();
    const patch: { name?: string; code?: string | null } = {};
    if (v.name.trim() !== node.name) patch.name = v.name.trim();
    const code = v.code?.trim() ? v.code.trim() : null;
    if (code !== node.code) patch.code = code;
    if (Object.keys(patch).length === 0) return onClose();
    try {
      const saved = await update.mutateAsync({ id: node.id, patch });
      message.success(t('org.updated', { name: saved.name }));
      onClose();
    } catch (err) {
      errors.handle(err, {});
    }
  };

  return (
    <FormModal
      open={node !== null}
      title={t('org.editTitle')}
      onCancel={onClose}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={update.isPending}
      onOk={() => form.submit()}
      afterClose={() => errors.clear()}
    >
      {errors.alert}
      <Form<EditValues> form={form} name="orgNodeEdit" layout="vertical" onFinish={submit}>
        <Form.Item name="name" label={t('org.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item name="code" label={t('org.code')}>
          <Input maxLength={40} placeholder={t('common.optional')} />
        </Form.Item>
      </Form>
    </FormModal>
  );
}
