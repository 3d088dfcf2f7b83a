import { Alert, App, Button, Divider, Form, Input, Select, Space, Switch, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import type { AttributeDef, Gender, Member } from '../../../app/api/types';
import { DateInput } from '../../../ui/DateInput';
import { formatPhone } from '../../../ui/format';
import { FormModal } from '../../../ui/FormModal';
import { useFormErrors } from '../../../ui/formErrors';
import { SideDrawer } from '../../../ui/SideDrawer';
import { useAttributeDefs, useChangePhone, useCreateMember, useMemberTags, useUpdateMember, type MemberInput, type MemberPatch } from '../api';
import { AttributeFields, changedAttributes, filledAttributes, genderOptions, memberErrorCodes, memberErrorPaths, registeredMemberId, useStores } from './shared';

export interface MemberFormValues {
  phone?: string;
  name?: string;
  gender?: Gender;
  birthday?: string;
  storeId?: string;
  cardNo?: string;
  tags?: string[];
  smsOptOut?: boolean;
  email?: string;
  emailOptOut?: boolean;
  attributes?: Record<string, unknown>;
}

const trimmed = (s: string | undefined) => (s?.trim() ? s.trim() : undefined);

/**
 * The fields of a member or a join application: phone (new people only), profile, store,
 * tags, and the merchant's attributes in their order.
 */
export function MemberFields(props: { mode: 'register' | 'application' | 'edit'; defs: readonly AttributeDef[]; nameLocked?: boolean }) {
  const { t } = useTranslation();
  const stores = useStores();
  const tags = useMemberTags();
  const { mode } = props;
  return (
    <>
      {mode !== 'edit' ? (
        <Form.Item name="phone" label={t('members.phone')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input inputMode="tel" autoComplete="off" maxLength={32} />
        </Form.Item>
      ) : null}
      <Form.Item name="name" label={t('members.name')}>
        <Input maxLength={50} disabled={props.nameLocked} />
      </Form.Item>
      <Form.Item name="gender" label={t('members.gender')}>
        <Select allowClear options={genderOptions(t)} />
      </Form.Item>
      <Form.Item name="birthday" label={t('members.birthday')}>
        <DateInput pastOnly />
      </Form.Item>
      {mode !== 'application' ? (
        <Form.Item name="email" label={t('members.email')} rules={[{ type: 'email', message: t('members.form.emailRule') }]}>
          <Input type="email" inputMode="email" autoComplete="off" maxLength={254} placeholder={t('common.optional')} disabled={props.nameLocked} />
        </Form.Item>
      ) : null}
      <Form.Item name="storeId" label={t('members.store')}>
        <Select allowClear showSearch optionFilterProp="label" options={stores.options} loading={stores.loading} />
      </Form.Item>
      {mode === 'register' ? (
        <Form.Item name="cardNo" label={t('members.cardNo')} extra={t('members.form.cardNoHelp')}>
          <Input autoCapitalize="characters" autoComplete="off" maxLength={24} placeholder={t('common.optional')} />
        </Form.Item>
      ) : null}
      <Form.Item name="tags" label={t('members.tags')}>
        <Select
          mode="tags"
          placeholder={t('members.form.tagsPlaceholder')}
          options={(tags.data ?? []).map((x) => ({ value: x.tag, label: x.tag }))}
          maxCount={20}
          tokenSeparators={[',', '，']}
        />
      </Form.Item>
      {mode === 'edit' ? (
        <Form.Item name="smsOptOut" label={t('members.smsOptOut')} valuePropName="checked">
          <Switch />
        </Form.Item>
      ) : null}
      {mode === 'edit' ? (
        <Form.Item name="emailOptOut" label={t('members.emailOptOut')} valuePropName="checked" extra={t('members.form.emailOptOutHelp')}>
          <Switch />
        </Form.Item>
      ) : null}
      {props.defs.length > 0 ? (
        <>
          <Divider titlePlacement="start" plain>
            {t('members.form.attributes')}
          </Divider>
          <AttributeFields defs={props.defs} register={mode !== 'edit'} enforceRequired={mode !== 'application'} />
        </>
      ) : null}
    </>
  );
}

/** What to send for a new member or application: trimmed text, no empty fields. */
export function registrationBody(v: MemberFormValues): MemberInput {
  const tags = (v.tags ?? []).map((x) => x.trim()).filter(Boolean);
  return {
    phone: (v.phone ?? '').trim(),
    name: trimmed(v.name),
    gender: v.gender,
    birthday: v.birthday,
    email: trimmed(v.email),
    storeId: v.storeId,
    cardNo: trimmed(v.cardNo)?.toUpperCase(),
    tags: tags.length ? tags : undefined,
    attributes: filledAttributes(v.attributes),
  };
}

/** The 409 "already a member" gets a way to that member next to the form. */
export function ExistingMemberAlert({ memberId, onOpen }: { memberId: string | null; onOpen: (id: string) => void }) {
  const { t } = useTranslation();
  if (!memberId) return null;
  return (
    <Alert
      type="warning"
      showIcon
      title={t('members.errors.phoneTaken')}
      action={
        <Button size="small" type="link" onClick={() => onOpen(memberId)}>
          {t('members.errors.openExisting')}
        </Button>
      }
      style={{ marginBottom: 16 }}
    />
  );
}

/** 新建会员: the registration form in a drawer; the new member's page opens on success. */
export function RegisterMemberDrawer({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [form] = Form.useForm<MemberFormValues>();
  const errors = useFormErrors(form);
  const defs = useAttributeDefs();
  const create = useCreateMember();
  const [existing, setExisting] = useState<string | null>(null);

  const submit = async (v: MemberFormValues) => {
    errors.clear();
    setExisting(null);
    try {
      const m = await create.mutateAsync(registrationBody(v));
      message.success(t('members.form.registered', { cardNo: m.cardNo }));
      form.resetFields();
      onClose();
      navigate(`/members/${m.id}`);
    } catch (err) {
      setExisting(registeredMemberId(err));
      errors.handle(err, memberErrorCodes(t), memberErrorPaths(t, defs.data ?? []));
    }
  };

  return (
    <SideDrawer
      open={open}
      title={t('members.form.registerTitle')}
      onClose={onClose}
      afterOpenChange={(o) => {
        if (!o) {
          errors.clear();
          setExisting(null);
        }
      }}
      extra={
        <Space>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={create.isPending} onClick={() => form.submit()}>
            {t('members.form.register')}
          </Button>
        </Space>
      }
    >
      {errors.alert}
      <ExistingMemberAlert
        memberId={existing}
        onOpen={(id) => {
          onClose();
          navigate(`/members/${id}`);
        }}
      />
      <Form<MemberFormValues> form={form} name="memberRegister" layout="vertical" onFinish={submit} scrollToFirstError>
        <MemberFields mode="register" defs={defs.data ?? []} />
      </Form>
    </SideDrawer>
  );
}

/** 资料: the profile of one member as an edit form (PATCH of what changed). */
export function ProfileForm({ member, readOnly }: { member: Member; readOnly: boolean }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<MemberFormValues>();
  const errors = useFormErrors(form);
  const defs = useAttributeDefs();
  const update = useUpdateMember();

  useEffect(() => {
    form.resetFields();
    form.setFieldsValue({
      name: member.name ?? undefined,
      gender: member.gender ?? undefined,
      birthday: member.birthday ?? undefined,
      storeId: member.storeId ?? undefined,
      tags: member.tags,
      smsOptOut: member.smsOptOut,
      email: member.email ?? undefined,
      emailOptOut: member.emailOptOut,
      attributes: member.attributes,
    });
  }, [member, form]);

  const submit = async (v: MemberFormValues) => {
    errors.clear();
    const patch: MemberPatch = {};
    // A masked name ("张*") is not the name: never send it back.
    if (!member.piiMasked && (trimmed(v.name) ?? null) !== member.name) patch.name = trimmed(v.name) ?? null;
    if ((v.gender ?? null) !== member.gender) patch.gender = v.gender ?? null;
    if ((v.birthday ?? null) !== member.birthday) patch.birthday = v.birthday ?? null;
    if ((v.storeId ?? null) !== member.storeId) patch.storeId = v.storeId ?? null;
    const tags = (v.tags ?? []).map((x) => x.trim()).filter(Boolean);
    if (JSON.stringify(tags) !== JSON.stringify(member.tags)) patch.tags = tags;
    if (v.smsOptOut !== undefined && v.smsOptOut !== member.smsOptOut) patch.smsOptOut = v.smsOptOut;
    // a masked address ("z***@example.cn") is not the address: never send it back
    if (!member.piiMasked && (trimmed(v.email) ?? null) !== member.email) patch.email = trimmed(v.email) ?? null;
    if (v.emailOptOut !== undefined && v.emailOptOut !== member.emailOptOut) patch.emailOptOut = v.emailOptOut;
    const attributes = changedAttributes(member.attributes, v.attributes);
    if (attributes) patch.attributes = attributes;
    if (Object.keys(patch).length === 0) {
      message.info(t('members.form.noChange'));
      return;
    }
    try {
      await update.mutateAsync({ id: member.id, patch });
      message.success(t('members.form.saved'));
    } catch (err) {
      errors.handle(err, memberErrorCodes(t), memberErrorPaths(t, defs.data ?? []));
    }
  };

  return (
    <>
      {errors.alert}
      <Form<MemberFormValues> form={form} name="memberProfile" layout="vertical" onFinish={submit} disabled={readOnly} style={{ maxWidth: 560 }} scrollToFirstError>
        <MemberFields mode="edit" defs={defs.data ?? []} nameLocked={member.piiMasked} />
        {readOnly ? null : (
          <div style={{ position: 'sticky', bottom: 0, paddingBlock: 12, background: 'var(--ant-color-bg-container, #fff)', zIndex: 2 }}>
            <Button type="primary" htmlType="submit" loading={update.isPending}>
              {t('common.save')}
            </Button>
          </div>
        )}
      </Form>
    </>
  );
}

interface RebindValues {
  phone: string;
  reason: string;
}

/** 换绑手机: a new number for the member's card; "already a member" shows under the field. */
export function RebindPhoneModal({ member, open, onClose }: { member: Member; open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [form] = Form.useForm<RebindValues>();
  const errors = useFormErrors(form);
  const change = useChangePhone();
  const [existing, setExisting] = useState<string | null>(null);

  const submit = async (v: RebindValues) => {
    errors.clear();
    setExisting(null);
    try {
      await change.mutateAsync({ id: member.id, phone: v.phone.trim(), reason: v.reason.trim() });
      message.success(t('members.detail.rebound'));
      form.resetFields();
      onClose();
    } catch (err) {
      const other = registeredMemberId(err);
      setExisting(other && other !== member.id ? other : null);
      errors.handle(err, memberErrorCodes(t), memberErrorPaths(t, []));
    }
  };

  return (
    <FormModal
      open={open}
      title={t('members.detail.rebindTitle')}
      onCancel={onClose}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={change.isPending}
      onOk={() => form.submit()}
      afterClose={() => {
        errors.clear();
        setExisting(null);
        form.resetFields();
      }}
    >
      {errors.alert}
      <ExistingMemberAlert
        memberId={existing}
        onOpen={(id) => {
          onClose();
          navigate(`/members/${id}`);
        }}
      />
      <Typography.Paragraph type="secondary">{t('members.detail.rebindHelp')}</Typography.Paragraph>
      <Form<RebindValues> form={form} name="memberRebind" layout="vertical" onFinish={submit}>
        <Form.Item label={t('members.detail.currentPhone')}>
          <Input value={formatPhone(member.phone)} disabled />
        </Form.Item>
        <Form.Item name="phone" label={t('members.detail.newPhone')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input inputMode="tel" autoComplete="off" maxLength={32} />
        </Form.Item>
        <Form.Item name="reason" label={t('members.detail.reason')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input.TextArea maxLength={200} autoSize={{ minRows: 2, maxRows: 4 }} />
        </Form.Item>
      </Form>
    </FormModal>
  );
}
