import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, EditOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Flex, Form, Input, InputNumber, Popconfirm, Select, Space, Switch, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isApiError } from '../../../app/api/client';
import type { AttributeDef, AttributeType } from '../../../app/api/types';
import { DataTable } from '../../../ui/DataTable';
import { ErrorResult } from '../../../ui/ErrorResult';
import { FormModal } from '../../../ui/FormModal';
import { useFormErrors } from '../../../ui/formErrors';
import { useAttributeDefs, useCreateAttributeDef, useDeleteAttributeDef, useUpdateAttributeDef, type AttributeDefInput, type AttributeDefPatch } from '../api';

export const MAX_ATTRIBUTES = 30;
const TYPES: readonly AttributeType[] = ['text', 'number', 'date', 'single', 'multi', 'boolean'];
const hasOptions = (type: AttributeType | undefined) => type === 'single' || type === 'multi';

interface DefValues {
  key: string;
  label: string;
  type: AttributeType;
  required: boolean;
  options?: string[];
  position?: number;
}

/** Create (`editing` null) or edit one definition. The key and the type are fixed once made. */
function AttributeDefModal({ open, editing, onClose }: { open: boolean; editing: AttributeDef | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<DefValues>();
  const errors = useFormErrors(form);
  const create = useCreateAttributeDef();
  const update = useUpdateAttributeDef();
  const type = Form.useWatch('type', form);

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    if (editing) form.setFieldsValue({ ...editing });
  }, [open, editing, form]);

  const submit = async (v: DefValues) => {
    errors.clear();
    const options = hasOptions(v.type) ? (v.options ?? []).map((o) => o.trim()).filter(Boolean) : undefined;
    try {
      if (editing) {
        const patch: AttributeDefPatch = {};
        if (v.label.trim() !== editing.label) patch.label = v.label.trim();
        if (v.required !== editing.required) patch.required = v.required;
        if (options && JSON.stringify(options) !== JSON.stringify(editing.options)) patch.options = options;
        if (v.position !== undefined && v.position !== null && v.position !== editing.position) patch.position = v.position;
        if (Object.keys(patch).length > 0) await update.mutateAsync({ key: editing.key, patch });
        message.success(t('memberSettings.attrs.updated', { label: v.label.trim() }));
      } else {
        const input: AttributeDefInput = { key: v.key.trim(), label: v.label.trim(), type: v.type, required: v.required, options };
        if (v.position !== undefined && v.position !== null) input.position = v.position;
        await create.mutateAsync(input);
        message.success(t('memberSettings.attrs.created', { label: input.label }));
      }
      onClose();
    } catch (err) {
      errors.handle(
        err,
        {
          attribute_exists: { field: 'key', message: t('memberSettings.attrs.exists') },
          attribute_limit: { message: t('memberSettings.attrs.limit', { max: MAX_ATTRIBUTES }) },
        },
        { 'body.options': t('memberSettings.attrs.optionsRequired'), 'body.key': t('memberSettings.attrs.keyInvalid') },
      );
    }
  };

  return (
    <FormModal
      open={open}
      title={editing ? t('memberSettings.attrs.editTitle') : t('memberSettings.attrs.createTitle')}
      onCancel={onClose}
      okText={editing ? t('common.save') : t('common.create')}
      cancelText={t('common.cancel')}
      confirmLoading={create.isPending || update.isPending}
      onOk={() => form.submit()}
      afterClose={() => errors.clear()}
    >
      {errors.alert}
      <Form<DefValues> form={form} name="attributeDef" layout="vertical" onFinish={submit} initialValues={{ type: 'text', required: false }}>
        <Form.Item name="label" label={t('memberSettings.attrs.label')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input maxLength={50} />
        </Form.Item>
        <Form.Item
          name="key"
          label={t('memberSettings.attrs.key')}
          extra={editing ? undefined : t('memberSettings.attrs.keyHelp')}
          rules={[
            { required: true, message: t('validation.required') },
            { pattern: /^[a-z][a-z0-9_]{0,39}$/, message: t('memberSettings.attrs.keyInvalid') },
          ]}
        >
          <Input maxLength={40} autoCapitalize="none" autoComplete="off" disabled={editing !== null} />
        </Form.Item>
        <Form.Item name="type" label={t('memberSettings.attrs.type')} extra={editing ? t('memberSettings.attrs.typeFixed') : undefined}>
          <Select disabled={editing !== null} options={TYPES.map((x) => ({ value: x, label: t(`memberSettings.attrs.types.${x}`) }))} />
        </Form.Item>
        {hasOptions(type) ? (
          <Form.Item
            name="options"
            label={t('memberSettings.attrs.options')}
            extra={t('memberSettings.attrs.optionsHelp')}
            rules={[{ required: true, type: 'array', min: 1, message: t('memberSettings.attrs.optionsRequired') }]}
          >
            <Select mode="tags" open={false} suffixIcon={null} tokenSeparators={[',', '，', '\n']} maxCount={100} />
          </Form.Item>
        ) : null}
        <Form.Item name="required" label={t('memberSettings.attrs.required')} valuePropName="checked">
          <Switch />
        </Form.Item>
        <Form.Item name="position" label={t('memberSettings.attrs.position')} extra={t('memberSettings.attrs.positionHelp')}>
          <InputNumber min={0} max={1000} precision={0} style={{ width: 120 }} />
        </Form.Item>
      </Form>
    </FormModal>
  );
}

/** 会员属性: the merchant's own member fields (at most 30), in form order. */
export function AttributeDefsCard() {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const defs = useAttributeDefs();
  const update = useUpdateAttributeDef();
  const del = useDeleteAttributeDef();
  const [editing, setEditing] = useState<AttributeDef | null>(null);
  const [creating, setCreating] = useState(false);
  const rows = defs.data ?? [];
  const full = rows.length >= MAX_ATTRIBUTES;

  /** Swaps the order of two neighbours (equal positions are pulled apart). */
  const move = async (i: number, dir: -1 | 1) => {
    const a = rows[i];
    const b = rows[i + dir];
    if (!a || !b) return;
    const [pa, pb] = a.position === b.position ? (dir < 0 ? [b.position, b.position + 1] : [b.position + 1, b.position]) : [b.position, a.position];
    try {
      await update.mutateAsync({ key: a.key, patch: { position: pa } });
      if (pb !== b.position) await update.mutateAsync({ key: b.key, patch: { position: pb } });
    } catch (err) {
      message.error(err instanceof Error ? err.message : t('errors.generic'));
    }
  };

  const remove = async (d: AttributeDef) => {
    try {
      await del.mutateAsync({ key: d.key });
      message.success(t('memberSettings.attrs.deleted', { label: d.label }));
    } catch (err) {
      if (isApiError(err) && err.code === 'attribute_in_use') {
        modal.confirm({
          title: t('memberSettings.attrs.deleteConfirm', { label: d.label }),
          content: t('memberSettings.attrs.inUse', { label: d.label }),
          okText: t('memberSettings.attrs.purge'),
          okButtonProps: { danger: true },
          cancelText: t('common.cancel'),
          onOk: async () => {
            await del.mutateAsync({ key: d.key, purge: true });
            message.success(t('memberSettings.attrs.deleted', { label: d.label }));
          },
        });
      } else {
        message.error(err instanceof Error ? err.message : t('errors.generic'));
      }
    }
  };

  const columns: ColumnsType<AttributeDef & { id: string }> = [
    {
      title: t('memberSettings.attrs.position'),
      dataIndex: 'position',
      width: 110,
      render: (p: number, _d, i) => (
        <Space size={0}>
          <span style={{ minWidth: 24, display: 'inline-block' }}>{p}</span>
          <Button type="text" size="small" icon={<ArrowUpOutlined />} aria-label={t('memberSettings.attrs.moveUp')} disabled={i === 0} onClick={() => void move(i, -1)} />
          <Button type="text" size="small" icon={<ArrowDownOutlined />} aria-label={t('memberSettings.attrs.moveDown')} disabled={i === rows.length - 1} onClick={() => void move(i, 1)} />
        </Space>
      ),
    },
    {
      title: t('memberSettings.attrs.label'),
      dataIndex: 'label',
      render: (v: string, d) => (
        <Space size={4}>
          <Typography.Text strong>{v}</Typography.Text>
          {d.required ? <Tag color="red">{t('memberSettings.attrs.required')}</Tag> : null}
        </Space>
      ),
    },
    { title: t('memberSettings.attrs.key'), dataIndex: 'key', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
    { title: t('memberSettings.attrs.type'), dataIndex: 'type', render: (v: AttributeType) => t(`memberSettings.attrs.types.${v}`) },
    {
      title: t('memberSettings.attrs.options'),
      dataIndex: 'options',
      render: (v: string[]) =>
        v.length ? (
          <Flex wrap gap={4}>
            {v.map((o) => (
              <Tag key={o} style={{ marginInlineEnd: 0 }}>
                {o}
              </Tag>
            ))}
          </Flex>
        ) : (
          '—'
        ),
    },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_: unknown, d) => (
        <Space size={0}>
          <Button type="link" size="small" icon={<EditOutlined />} onClick={() => setEditing(d)}>
            {t('common.edit')}
          </Button>
          <Popconfirm
            title={t('memberSettings.attrs.deleteConfirm', { label: d.label })}
            okText={t('common.delete')}
            cancelText={t('common.cancel')}
            okButtonProps={{ danger: true }}
            onConfirm={() => remove(d)}
          >
            <Button type="link" size="small" danger icon={<DeleteOutlined />}>
              {t('common.delete')}
            </Button>
          </Popconfirm>
        </Space>
      ),
    },
  ];

  const addButton = (
    <Button type="primary" icon={<PlusOutlined />} disabled={full} onClick={() => setCreating(true)}>
      {t('memberSettings.attrs.new')}
    </Button>
  );

  return (
    <Card
      title={t('memberSettings.attrs.title')}
      extra={
        <Space>
          <Typography.Text type="secondary" data-testid="attribute-count">
            {t('memberSettings.attrs.count', { count: rows.length, max: MAX_ATTRIBUTES })}
          </Typography.Text>
          {full ? <Tooltip title={t('memberSettings.attrs.limit', { max: MAX_ATTRIBUTES })}>{addButton}</Tooltip> : addButton}
        </Space>
      }
      data-testid="attribute-defs"
    >
      <Typography.Paragraph type="secondary">{t('memberSettings.attrs.help')}</Typography.Paragraph>
      {full ? <Alert type="warning" showIcon title={t('memberSettings.attrs.limit', { max: MAX_ATTRIBUTES })} style={{ marginBottom: 12 }} /> : null}
      {defs.error ? (
        <ErrorResult error={defs.error} onRetry={() => void defs.refetch()} />
      ) : (
        <DataTable
          columns={columns}
          dataSource={rows.map((d) => ({ ...d, id: d.key }))}
          loading={defs.isPending}
          pagination={false}
          emptyText={t('memberSettings.attrs.empty')}
        />
      )}
      <AttributeDefModal open={creating || editing !== null} editing={editing} onClose={() => {
          setCreating(false);
          setEditing(null);
        }} />
    </Card>
  );
}
