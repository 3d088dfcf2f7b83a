import { ArrowLeftOutlined, ReloadOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Col, Flex, Form, Input, List, Row, Spin, Statistic, Tag, Typography } from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useBlocker, useNavigate, useParams } from 'react-router-dom';
import { isApiError } from '../../../app/api/client';
import { can, useSession } from '../../../app/auth/session';
import { useStores } from '../../org';
import { ConfirmAction } from '../../../ui/ConfirmAction';
import { ErrorResult } from '../../../ui/ErrorResult';
import { formatPhone } from '../../../ui/format';
import { Loading } from '../../../ui/Loading';
import { PageHeader } from '../../../ui/PageHeader';
import { useDebounced } from '../../../ui/useDebounced';
import { useAttributeDefs, useDeleteSegment, usePreview, useSaveSegment, useSegment, useTagOptions, useTierOptions } from '../api';
import { fromFilter, placeErrors, toFilter, type GroupNode } from '../filterModel';
import { ConditionBuilder } from './ConditionBuilder';

type FieldErrors = { path: string; message: string }[];

const problemErrors = (err: unknown): FieldErrors | null => (isApiError(err) && err.status === 400 && err.problem.errors?.length ? err.problem.errors : null);

/** 客户细分 › 编辑: the name, the condition builder, and the live count with a few members. */
export function SegmentEditorPage() {
  const { id: param } = useParams();
  const id = param && param !== 'new' ? param : null;
  const me = useSession();
  const segment = useSegment(id);
  const defs = useAttributeDefs(can(me, 'members.read'));
  if (segment.error) return <ErrorResult error={segment.error} onRetry={() => void segment.refetch()} />;
  // the attribute definitions first: a saved filter's attribute rows need their types
  if ((id && segment.isPending) || (defs.isPending && defs.fetchStatus !== 'idle')) return <Loading />;
  return <Editor key={id ?? 'new'} id={id} name={segment.data?.name ?? ''} filter={segment.data?.filter ?? { all: [] }} />;
}

function Editor(props: { id: string | null; name: string; filter: unknown }) {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const navigate = useNavigate();
  const me = useSession();
  const defs = useAttributeDefs(can(me, 'members.read')).data ?? [];
  const tiers = useTierOptions(can(me, 'members.read'));
  const stores = useStores();
  const tags = useTagOptions(can(me, 'members.read'));
  const save = useSaveSegment();
  const del = useDeleteSegment();

  const [name, setName] = useState(props.name);
  const [root, setRoot] = useState<GroupNode>(() => fromFilter(props.filter, defs));
  const [saveErrors, setSaveErrors] = useState<{ json: string; errors: FieldErrors } | null>(null);
  const [nameError, setNameError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [savedJson, setSavedJson] = useState<string>(() => JSON.stringify({ name: props.name, filter: toFilter(fromFilter(props.filter, defs), defs).filter }));

  const serialized = useMemo(() => toFilter(root, defs), [root, defs]);
  const json = useMemo(() => JSON.stringify(serialized.filter), [serialized]);
  const settledJson = useDebounced(json, 400);
  const preview = usePreview(settledJson);
  const settled = settledJson === json;

  // the preview's 400 (while the filter is unchanged) or the save's, placed on the rows
  const errors = useMemo(() => {
    const list = saveErrors?.json === json ? saveErrors.errors : settled && preview.error && !preview.isFetching ? problemErrors(preview.error) : null;
    return placeErrors(list ?? [], serialized.paths);
  }, [saveErrors, json, settled, preview.error, preview.isFetching, serialized]);
  const otherPreviewError = preview.error && !problemErrors(preview.error) ? preview.error : null;
  const dirty = JSON.stringify({ name: name.trim(), filter: serialized.filter }) !== savedJson;

  useEffect(() => {
    setFormError(null);
  }, [json]);

  // leaving with unsaved changes asks first (a ref: the save's own navigation must pass)
  const dirtyRef = useRef(dirty);
  dirtyRef.current = dirty;
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirtyRef.current && currentLocation.pathname !== nextLocation.pathname);
  const blockerRef = useRef(blocker);
  blockerRef.current = blocker;
  useEffect(() => {
    if (blocker.state !== 'blocked') return;
    const answer = (leave: boolean) => {
      const b = blockerRef.current;
      if (b.state !== 'blocked') return;
      if (leave) b.proceed();
      else b.reset();
    };
    modal.confirm({
      title: t('marketing.editor.leaveTitle'),
      content: t('marketing.editor.leaveText'),
      okText: t('marketing.editor.leave'),
      cancelText: t('marketing.editor.stay'),
      okButtonProps: { danger: true },
      onOk: () => answer(true),
      onCancel: () => answer(false),
    });
  }, [blocker.state, modal, t]);

  const submit = async () => {
    setNameError(null);
    setFormError(null);
    if (!name.trim()) {
      setNameError(t('validation.required'));
      return;
    }
    try {
      const s = await save.mutateAsync({ id: props.id, name: name.trim(), filter: serialized.filter });
      setSaveErrors(null);
      setSavedJson(JSON.stringify({ name: s.name, filter: toFilter(fromFilter(s.filter, defs), defs).filter }));
      message.success(t('marketing.editor.saved', { name: s.name }));
      dirtyRef.current = false;
      if (!props.id) navigate(`/marketing/segments/${s.id}`, { replace: true });
    } catch (err) {
      const list = problemErrors(err) ?? (isApiError(err) && err.problem.errors?.length ? err.problem.errors : null);
      if (list) {
        const placed = placeErrors(list, serialized.paths);
        const nameErr = placed.rest.find((e) => e.path === 'body.name');
        if (nameErr) setNameError(isApiError(err) && err.code === 'segment_name_taken' ? t('marketing.editor.nameTaken') : nameErr.message);
        const others = placed.rest.filter((e) => e.path !== 'body.name');
        if (others.length) setFormError(others.map((e) => `${e.path.replace(/^body\./, '')}: ${e.message}`).join('；'));
        setSaveErrors({ json, errors: list });
      } else setFormError(isApiError(err) ? (err.problem.detail ?? err.message) : t('errors.generic'));
    }
  };

  const count = preview.data?.count;
  const tierOptions = (tiers.data ?? []).map((x) => ({ value: x.code, label: x.name }));
  const tagOptions = (tags.data ?? []).map((x) => ({ value: x.tag, label: x.tag }));
  const rowErrors = errors.byNode.size > 0;

  return (
    <>
      <PageHeader
        title={props.id ? t('marketing.editor.editTitle') : t('marketing.editor.newTitle')}
        subtitle={t('marketing.editor.subtitle')}
        extra={
          <>
            <Button icon={<ArrowLeftOutlined />} onClick={() => navigate('/marketing/segments')}>
              {t('marketing.editor.backToList')}
            </Button>
            {props.id ? (
              <ConfirmAction
                type="default"
                label={t('common.delete')}
                title={t('marketing.segments.deleteConfirm', { name: props.name })}
                onConfirm={async () => {
                  await del.mutateAsync(props.id!);
                  dirtyRef.current = false;
                  message.success(t('marketing.editor.deleted'));
                  navigate('/marketing/segments', { replace: true });
                }}
              />
            ) : null}
          </>
        }
      />
      {formError ? <Alert type="error" showIcon title={formError} style={{ marginBottom: 16 }} role="alert" /> : null}
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={16}>
          <Card>
            <Form layout="vertical" component="div">
              <Form.Item label={t('marketing.editor.name')} validateStatus={nameError ? 'error' : undefined} help={nameError ?? undefined} required>
                <Input aria-label={t('marketing.editor.name')} value={name} maxLength={100} onChange={(e) => setName(e.target.value)} placeholder={t('marketing.editor.namePlaceholder')} />
              </Form.Item>
            </Form>
            <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
              {t('marketing.editor.conditionsHelp')}
            </Typography.Paragraph>
            <ConditionBuilder root={root} onChange={setRoot} defs={defs} tiers={tierOptions} stores={stores.options} tags={tagOptions} errors={errors.byNode} />
            {errors.rest.length && !saveErrors ? (
              <Typography.Text type="danger" role="alert">
                {errors.rest.map((e) => `${e.path}: ${e.message}`).join('；')}
              </Typography.Text>
            ) : null}
          </Card>
        </Col>
        <Col xs={24} lg={8}>
          <Card
            title={t('marketing.editor.preview')}
            extra={<Button size="small" type="text" icon={<ReloadOutlined />} aria-label={t('common.refresh')} onClick={() => void preview.refetch()} />}
            data-testid="segment-preview"
          >
            <Spin spinning={preview.isFetching || !settled}>
              <Statistic
                title={t('marketing.editor.matching')}
                value={count === undefined || rowErrors ? '—' : count}
                suffix={count === undefined || rowErrors ? undefined : t('marketing.editor.people')}
                valueRender={(node) => <span data-testid="preview-count">{node}</span>}
              />
              {rowErrors ? <Typography.Text type="danger">{t('marketing.editor.fixErrors')}</Typography.Text> : null}
              {otherPreviewError ? <Alert type="warning" showIcon title={isApiError(otherPreviewError) ? (otherPreviewError.problem.detail ?? otherPreviewError.message) : String(otherPreviewError)} /> : null}
              {preview.data && !rowErrors && preview.data.sample.length > 0 ? (
                <List
                  size="small"
                  header={<Typography.Text type="secondary">{t('marketing.editor.sample')}</Typography.Text>}
                  dataSource={preview.data.sample}
                  data-testid="preview-sample"
                  renderItem={(m) => (
                    <List.Item>
                      <Flex justify="space-between" wrap gap={4} style={{ width: '100%' }}>
                        <span>
                          <Link to={`/members/${m.id}`}>{m.name ?? t('members.noName')}</Link>{' '}
                          <Typography.Text type="secondary">{formatPhone(m.phone)}</Typography.Text>
                        </span>
                        <span>
                          {m.tier ? <Tag color="gold">{m.tier.name}</Tag> : null}
                          <Typography.Text type="secondary">{m.cardNo}</Typography.Text>
                        </span>
                      </Flex>
                    </List.Item>
                  )}
                />
              ) : null}
            </Spin>
          </Card>
        </Col>
      </Row>
      <Flex
        justify="space-between"
        align="center"
        gap={8}
        wrap
        style={{ position: 'sticky', bottom: 0, zIndex: 3, marginTop: 16, padding: '12px 0', background: 'var(--ant-color-bg-layout, #f5f5f5)' }}
      >
        <Typography.Text data-testid="live-count">
          {count === undefined || rowErrors ? t('marketing.editor.countUnknown') : t('marketing.editor.countLine', { count })}
          {dirty ? <Tag style={{ marginInlineStart: 8 }}>{t('marketing.editor.unsaved')}</Tag> : null}
        </Typography.Text>
        <Button type="primary" loading={save.isPending} onClick={() => void submit()}>
          {t('marketing.editor.save')}
        </Button>
      </Flex>
    </>
  );
}
