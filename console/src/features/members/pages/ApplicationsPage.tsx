import { CheckOutlined, CloseOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Descriptions, Form, Input, Space, Tabs, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import { qk } from '../../../app/api/keys';
import type { ApplicationStatus, MemberApplication } from '../../../app/api/types';
import { can, useSession } from '../../../app/auth/session';
import { useFormat } from '../../../app/format';
import { DataTable } from '../../../ui/DataTable';
import { ErrorResult } from '../../../ui/ErrorResult';
import { formatPhone } from '../../../ui/format';
import { FormModal } from '../../../ui/FormModal';
import { useFormErrors } from '../../../ui/formErrors';
import { PageHeader } from '../../../ui/PageHeader';
import { SideDrawer } from '../../../ui/SideDrawer';
import { useApplications, useApproveApplication, useAttributeDefs, useCreateApplication, useMemberSettings, useRejectApplication } from '../api';
import { ExistingMemberAlert, MemberFields, registrationBody, type MemberFormValues } from './MemberForms';
import { FlagTags, flagLabel, memberErrorCodes, memberErrorPaths, registeredMemberId, sourceLabel } from './shared';

const STATUSES: readonly ApplicationStatus[] = ['pending', 'approved', 'rejected'];

/** New application at the counter: the same fields as a registration, without a card number. */
function NewApplicationDrawer({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [form] = Form.useForm<MemberFormValues>();
  const errors = useFormErrors(form);
  const defs = useAttributeDefs();
  const create = useCreateApplication();
  const [existing, setExisting] = useState<string | null>(null);

  const submit = async (v: MemberFormValues) => {
    errors.clear();
    setExisting(null);
    try {
      const { cardNo: _cardNo, ...body } = registrationBody(v);
      const res = await create.mutateAsync({ ...body, source: 'counter' });
      if (res.member) message.success(t('applications.createdMember', { cardNo: res.member.cardNo }));
      else message.success(t('applications.created'));
      form.resetFields();
      onClose();
    } catch (err) {
      // Without review an application is approved at once, so an existing member is a 409.
      setExisting(registeredMemberId(err));
      errors.handle(err, memberErrorCodes(t), memberErrorPaths(t, defs.data ?? []));
    }
  };

  return (
    <SideDrawer
      open={open}
      title={t('applications.createTitle')}
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
            {t('applications.submit')}
          </Button>
        </Space>
      }
    >
      {errors.alert}
      <ExistingMemberAlert memberId={existing} onOpen={(id) => navigate(`/members/${id}`)} />
      <Form<MemberFormValues> form={form} name="applicationCreate" layout="vertical" onFinish={submit} scrollToFirstError>
        <MemberFields mode="application" defs={defs.data ?? []} />
      </Form>
    </SideDrawer>
  );
}

function ApplicantSummary({ a }: { a: MemberApplication }) {
  const { t } = useTranslation();
  return (
    <Descriptions
      size="small"
      column={1}
      style={{ marginBottom: 12 }}
      items={[
        { key: 'name', label: t('members.name'), children: a.name ?? '—' },
        { key: 'phone', label: t('members.phone'), children: formatPhone(a.phone) },
        { key: 'birthday', label: t('members.birthday'), children: a.birthday ?? '—' },
      ]}
    />
  );
}

/** 通过: confirms with the warnings in view; a card number may be chosen (a special one). */
function ApproveModal({ app, onClose }: { app: MemberApplication | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [form] = Form.useForm<{ cardNo?: string }>();
  const errors = useFormErrors(form);
  const approve = useApproveApplication();
  const [existing, setExisting] = useState<string | null>(null);

  const submit = async (v: { cardNo?: string }) => {
    if (!app) return;
    errors.clear();
    setExisting(null);
    try {
      const res = await approve.mutateAsync({ id: app.id, cardNo: v.cardNo?.trim().toUpperCase() || undefined });
      // Messages render outside the router: navigate, no <Link>.
      message.success({
        content: (
          <span>
            {t('applications.approved', { cardNo: res.member.cardNo })}{' '}
            <Typography.Link onClick={() => navigate(`/members/${res.member.id}`)}>{t('applications.openMember')}</Typography.Link>
          </span>
        ),
      });
      onClose();
    } catch (err) {
      setExisting(registeredMemberId(err));
      errors.handle(err, {
        ...memberErrorCodes(t),
        phone_registered: { message: t('members.errors.phoneTaken') },
        application_decided: { message: t('applications.decided') },
      }, memberErrorPaths(t, []));
    }
  };

  return (
    <FormModal
      open={app !== null}
      title={t('applications.approveTitle')}
      onCancel={onClose}
      okText={t('applications.approveConfirm')}
      cancelText={t('common.cancel')}
      confirmLoading={approve.isPending}
      onOk={() => form.submit()}
      afterClose={() => {
        errors.clear();
        setExisting(null);
        form.resetFields();
      }}
    >
      {errors.alert}
      <ExistingMemberAlert memberId={existing} onOpen={(id) => navigate(`/members/${id}`)} />
      {app ? (
        <>
          <ApplicantSummary a={app} />
          {app.flags.length ? (
            <Alert
              type="warning"
              showIcon
              title={t('applications.flagsWarning')}
              description={app.flags.map(flagLabel).join('、')}
              style={{ marginBottom: 12 }}
            />
          ) : null}
          <Typography.Paragraph type="secondary">{t('applications.approveHint')}</Typography.Paragraph>
        </>
      ) : null}
      <Form form={form} name="applicationApprove" layout="vertical" onFinish={submit}>
        <Form.Item name="cardNo" label={t('members.cardNo')} extra={t('applications.cardNoHelp')}>
          <Input autoCapitalize="characters" autoComplete="off" maxLength={24} placeholder={t('common.optional')} />
        </Form.Item>
      </Form>
    </FormModal>
  );
}

function RejectModal({ app, onClose }: { app: MemberApplication | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ reason: string }>();
  const errors = useFormErrors(form);
  const reject = useRejectApplication();

  const submit = async (v: { reason: string }) => {
    if (!app) return;
    errors.clear();
    try {
      await reject.mutateAsync({ id: app.id, reason: v.reason.trim() });
      message.success(t('applications.rejected'));
      onClose();
    } catch (err) {
      errors.handle(err, { application_decided: { message: t('applications.decided') } });
    }
  };

  return (
    <FormModal
      open={app !== null}
      title={t('applications.rejectTitle')}
      onCancel={onClose}
      okText={t('applications.rejectConfirm')}
      okButtonProps={{ danger: true }}
      cancelText={t('common.cancel')}
      confirmLoading={reject.isPending}
      onOk={() => form.submit()}
      afterClose={() => {
        errors.clear();
        form.resetFields();
      }}
    >
      {errors.alert}
      {app ? (
        <ApplicantSummary a={app} />
      ) : null}
      <Form form={form} name="applicationReject" layout="vertical" onFinish={submit}>
        <Form.Item name="reason" label={t('applications.reason')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input.TextArea maxLength={200} autoSize={{ minRows: 2, maxRows: 4 }} />
        </Form.Item>
      </Form>
    </FormModal>
  );
}

function ApplicationList({ status, onApprove, onReject }: { status: ApplicationStatus; onApprove: (a: MemberApplication) => void; onReject: (a: MemberApplication) => void }) {
  const { t } = useTranslation();
  const me = useSession();
  const fmt = useFormat();
  const list = useApplications(status);
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const writer = can(me, 'members.write');

  const columns: ColumnsType<MemberApplication> = [
    {
      title: t('applications.applicant'),
      key: 'applicant',
      fixed: 'left',
      render: (_: unknown, a) => (
        <div>
          <Typography.Text strong>{a.name ?? t('members.noName')}</Typography.Text>
          <div style={{ whiteSpace: 'nowrap' }}>{formatPhone(a.phone)}</div>
        </div>
      ),
    },
    { title: t('members.birthday'), dataIndex: 'birthday', render: (v: string | null) => <span style={{ whiteSpace: 'nowrap' }}>{v ?? '—'}</span> },
    { title: t('applications.flags'), dataIndex: 'flags', render: (f: string[]) => <FlagTags flags={f} /> },
    { title: t('members.source'), dataIndex: 'source', render: (s: string) => sourceLabel(s) },
    { title: t('applications.submittedAt'), dataIndex: 'createdAt', render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{fmt.dateTime(v)}</span> },
  ];
  if (status !== 'pending') {
    columns.push(
      { title: t('applications.decidedBy'), dataIndex: 'decidedBy', render: (v: string | null) => v ?? '—' },
      { title: t('applications.decidedAt'), dataIndex: 'decidedAt', render: (v: string | null) => <span style={{ whiteSpace: 'nowrap' }}>{fmt.dateTime(v)}</span> },
    );
  }
  if (status === 'rejected') columns.push({ title: t('applications.rejectReason'), dataIndex: 'reason', render: (v: string | null) => v ?? '—' });
  if (status === 'approved') {
    columns.push({
      title: t('common.actions'),
      key: 'member',
      render: (_: unknown, a) => (a.memberId ? <Link to={`/members/${a.memberId}`}>{t('applications.openMember')}</Link> : '—'),
    });
  }
  if (status === 'pending' && writer) {
    columns.push({
      title: t('common.actions'),
      key: 'actions',
      render: (_: unknown, a) => (
        <Space size={4}>
          <Button type="link" size="small" icon={<CheckOutlined />} onClick={() => onApprove(a)}>
            {t('applications.approve')}
          </Button>
          <Button type="link" size="small" danger icon={<CloseOutlined />} onClick={() => onReject(a)}>
            {t('applications.reject')}
          </Button>
        </Space>
      ),
    });
  }

  if (list.error) return <ErrorResult error={list.error} onRetry={() => void list.refetch()} />;
  return (
    <>
      <DataTable<MemberApplication>
        columns={columns}
        dataSource={rows}
        loading={list.isPending}
        pagination={false}
        emptyText={t('applications.empty')}
      />
      {list.hasNextPage ? (
        <Button block style={{ marginTop: 12 }} loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
          {t('common.loadMore')}
        </Button>
      ) : null}
    </>
  );
}

/** 入会申请: the review queue by status. */
export function ApplicationsPage() {
  const { t } = useTranslation();
  const me = useSession();
  const settings = useMemberSettings();
  const [status, setStatus] = useState<ApplicationStatus>('pending');
  const [creating, setCreating] = useState(false);
  const [approving, setApproving] = useState<MemberApplication | null>(null);
  const [rejecting, setRejecting] = useState<MemberApplication | null>(null);
  const client = useQueryClient();
  const writer = can(me, 'members.write');

  return (
    <>
      <PageHeader
        title={t('applications.title')}
        subtitle={t('applications.subtitle')}
        extra={
          writer ? (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
              {t('applications.new')}
            </Button>
          ) : null
        }
      />
      {settings.data && !settings.data.reviewApplications ? <Alert type="info" showIcon title={t('applications.reviewOff')} style={{ marginBottom: 16 }} /> : null}
      <Card>
        <Tabs
          activeKey={status}
          onChange={(k) => setStatus(k as ApplicationStatus)}
          destroyOnHidden
          tabBarExtraContent={<Button icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void client.invalidateQueries({ queryKey: qk.applications.all })} />}
          items={STATUSES.map((s) => ({
            key: s,
            label: t(`applications.tabs.${s}`),
            children: <ApplicationList status={s} onApprove={setApproving} onReject={setRejecting} />,
          }))}
        />
      </Card>
      {writer ? (
        <>
          <NewApplicationDrawer open={creating} onClose={() => setCreating(false)} />
          <ApproveModal app={approving} onClose={() => setApproving(null)} />
          <RejectModal app={rejecting} onClose={() => setRejecting(null)} />
        </>
      ) : null}
    </>
  );
}

