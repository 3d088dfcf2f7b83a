import { DeleteOutlined, PlusOutlined, SubnodeOutlined } from '@ant-design/icons';
import { AutoComplete, Button, Flex, Input, InputNumber, Select, Space, Typography } from 'antd';
import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { AttributeDef } from '../../../app/api/types';
import { DateInput } from '../../../ui/DateInput';
import { useIsMobile } from '../../../ui/useIsMobile';
import {
  emptyValue,
  fieldSpec,
  MAX_JSON_DEPTH,
  MEMBER_FIELD_NAMES,
  newCondition,
  newGroup,
  type CondNode,
  type FieldSpec,
  type FilterNode,
  type GroupKind,
  type GroupNode,
  type Op,
} from '../filterModel';

type Option = { value: string | number | boolean; label: string };

/** What every row needs: the merchant's choices, the errors of the last preview, the numbering. */
interface BuilderContext {
  defs: readonly AttributeDef[];
  tiers: Option[];
  stores: Option[];
  tags: Option[];
  errors: ReadonlyMap<string, { part: string; message: string }[]>;
  numbers: ReadonlyMap<string, number>;
  disabled?: boolean;
  onChange: (id: string, next: FilterNode | null) => void;
}

const Ctx = createContext<BuilderContext | null>(null);
const useCtx = () => useContext(Ctx)!;


/** Rows and groups numbered in reading order (conditions 1, 2, …; groups 1, 2, …): their labels. */
function numberNodes(root: GroupNode): Map<string, number> {
  const out = new Map<string, number>();
  let c = 0;
  let g = 0;
  const walk = (n: FilterNode) => {
    if (n.type === 'cond') out.set(n.id, ++c);
    else {
      out.set(n.id, g++);
      n.items.forEach(walk);
    }
  };
  walk(root);
  return out;
}

/**
 * The visual condition builder: nested groups (全部满足 / 任一满足 / 不满足), each row a field,
 * an operator valid for that field and a value input of the field's kind. The API's errors
 * show at the row (and input) they are about.
 */
export function ConditionBuilder(props: {
  root: GroupNode;
  onChange: (root: GroupNode) => void;
  defs: readonly AttributeDef[];
  tiers: Option[];
  stores: Option[];
  tags: Option[];
  errors: ReadonlyMap<string, { part: string; message: string }[]>;
  disabled?: boolean;
}) {
  const { root, onChange } = props;
  const numbers = useMemo(() => numberNodes(root), [root]);
  const ctx: BuilderContext = {
    ...props,
    numbers,
    onChange: (id, next) => {
      const walk = (n: FilterNode): FilterNode | null => {
        if (n.id === id) return next;
        if (n.type === 'group') {
          const items = n.items.map(walk).filter((c): c is FilterNode => c !== null);
          return { ...n, items };
        }
        return n;
      };
      const r = walk(root);
      onChange(r && r.type === 'group' ? r : newGroup('all'));
    },
  };
  return (
    <Ctx.Provider value={ctx}>
      <Group node={root} depth={1} level={1} />
    </Ctx.Provider>
  );
}

const PARTS = ['field', 'op', 'value', 'days'] as const;

function ErrorLines({ items }: { items?: { part: string; message: string }[] }) {
  const { t } = useTranslation();
  if (!items?.length) return null;
  const partLabel = (part: string) => {
    const [head, ...rest] = part.split('.');
    const known = PARTS.find((p) => p === head);
    if (!known) return part;
    const name = t(`marketing.builder.${known === 'op' ? 'operator' : known}`);
    return rest.length ? `${name} ${rest.map((r) => (/^\d+$/.test(r) ? Number(r) + 1 : r)).join('.')}` : name;
  };
  return (
    <div role="alert" data-testid="condition-error">
      {items.map((e, i) => (
        <Typography.Text key={i} type="danger" style={{ display: 'block', fontSize: 13 }}>
          {e.part ? `${partLabel(e.part)}: ` : ''}
          {e.message}
        </Typography.Text>
      ))}
    </div>
  );
}

/** `depth`: groups from the root (1); `level`: how deep this group's JSON object sits (a `not` adds two). */
function Group({ node, depth, level }: { node: GroupNode; depth: number; level: number }) {
  const { t } = useTranslation();
  const ctx = useCtx();
  const mobile = useIsMobile();
  const isRoot = depth === 1;
  const n = ctx.numbers.get(node.id) ?? 0;
  const label = isRoot ? t('marketing.builder.rootGroup') : t('marketing.builder.group', { n });
  const set = (patch: Partial<GroupNode>) => ctx.onChange(node.id, { ...node, ...patch });
  const firstField = 'tier';
  const kinds: GroupKind[] = ['all', 'any', 'not'];
  const childLevel = level + (node.kind === 'not' ? 2 : 1);
  return (
    <section
      aria-label={label}
      data-testid={isRoot ? 'filter-root' : 'filter-group'}
      style={{
        border: '1px solid var(--ant-color-border-secondary, #f0f0f0)',
        borderInlineStart: `3px solid ${node.kind === 'not' ? '#ff7875' : node.kind === 'any' ? '#faad14' : '#1677ff'}`,
        borderRadius: 6,
        padding: mobile ? 8 : 12,
        background: depth % 2 === 0 ? 'var(--ant-color-fill-quaternary, #fafafa)' : undefined,
      }}
    >
      <Flex wrap gap={8} align="center" style={{ marginBottom: node.items.length ? 8 : 0 }}>
        <Select<GroupKind>
          aria-label={`${label} ${t('marketing.builder.match')}`}
          value={node.kind}
          disabled={ctx.disabled}
          style={{ width: mobile ? '100%' : 200 }}
          onChange={(kind) => set({ kind })}
          options={kinds.map((k) => ({ value: k, label: t(`marketing.groupKinds.${k}`) }))}
        />
        <Space wrap size={4}>
          <Button size="small" icon={<PlusOutlined />} disabled={ctx.disabled} onClick={() => set({ items: [...node.items, newCondition(firstField, ctx.defs)] })}>
            {isRoot ? t('marketing.builder.addCondition') : `${t('marketing.builder.addCondition')} (${label})`}
          </Button>
          {childLevel + 1 <= MAX_JSON_DEPTH ? (
            <Button size="small" icon={<SubnodeOutlined />} disabled={ctx.disabled} onClick={() => set({ items: [...node.items, newGroup('any', [newCondition(firstField, ctx.defs)])] })}>
              {isRoot ? t('marketing.builder.addGroup') : `${t('marketing.builder.addGroup')} (${label})`}
            </Button>
          ) : null}
          {!isRoot ? (
            <Button size="small" danger type="text" icon={<DeleteOutlined />} disabled={ctx.disabled} aria-label={`${t('common.delete')} ${label}`} onClick={() => ctx.onChange(node.id, null)} />
          ) : null}
        </Space>
      </Flex>
      <ErrorLines items={ctx.errors.get(node.id)} />
      {node.items.length === 0 ? (
        <Typography.Text type="secondary">{t(node.kind === 'any' ? 'marketing.builder.emptyAny' : node.kind === 'not' ? 'marketing.builder.emptyNot' : 'marketing.builder.emptyAll')}</Typography.Text>
      ) : null}
      <Flex vertical gap={8} style={{ paddingInlineStart: mobile ? 4 : 12 }}>
        {node.items.map((c) => (c.type === 'group' ? <Group key={c.id} node={c} depth={depth + 1} level={childLevel} /> : <Row key={c.id} node={c} />))}
      </Flex>
    </section>
  );
}

function Row({ node }: { node: CondNode }) {
  const { t } = useTranslation();
  const ctx = useCtx();
  const mobile = useIsMobile();
  const n = ctx.numbers.get(node.id) ?? 0;
  const label = t('marketing.builder.condition', { n });
  const spec = fieldSpec(node.field, ctx.defs);
  const errors = ctx.errors.get(node.id);
  const hasError = (part: string) => errors?.some((e) => e.part === part || e.part.startsWith(`${part}.`)) ?? false;
  const set = (patch: Partial<CondNode>) => ctx.onChange(node.id, { ...node, ...patch });

  const fieldOptions = [
    {
      label: t('marketing.builder.memberFields'),
      options: MEMBER_FIELD_NAMES.map((f) => ({ value: f, label: t(`marketing.fields.${f}`) })),
    },
    ...(ctx.defs.length ? [{ label: t('marketing.builder.attributes'), options: ctx.defs.map((d) => ({ value: `attributes.${d.key}`, label: d.label })) }] : []),
  ];
  const full = mobile ? '100%' : undefined;
  return (
    <div data-testid="condition-row" aria-label={label} role="group" style={{ paddingBlock: 2 }}>
      <Flex wrap gap={8} align="flex-start" vertical={mobile}>
        <Select
          aria-label={`${label} ${t('marketing.builder.field')}`}
          value={node.field}
          status={hasError('field') ? 'error' : undefined}
          disabled={ctx.disabled}
          showSearch={{ optionFilterProp: 'label' }}
          style={{ width: full ?? 160 }}
          options={fieldOptions}
          virtual={false}
          onChange={(field: string) => ctx.onChange(node.id, { ...newCondition(field, ctx.defs), id: node.id })}
        />
        <Select<Op>
          aria-label={`${label} ${t('marketing.builder.operator')}`}
          value={node.op}
          status={hasError('op') ? 'error' : undefined}
          disabled={ctx.disabled}
          style={{ width: full ?? 120 }}
          virtual={false}
          options={(spec?.ops ?? []).map((o) => ({ value: o, label: t(`marketing.ops.${o}`) }))}
          onChange={(op) => {
            const keep = (op === 'in' || op === 'nin') === (node.op === 'in' || node.op === 'nin') && (op === 'between') === (node.op === 'between') && op !== 'exists' && node.op !== 'exists';
            set({ op, value: keep ? node.value : spec?.kind === 'bool' && op !== 'exists' ? true : emptyValue(op) });
          }}
        />
        {spec ? (
          <div style={{ flex: mobile ? undefined : '1 1 180px', width: full, minWidth: 0 }}>
            <ValueInput spec={spec} op={node.op} value={node.value} label={`${label} ${t('marketing.builder.value')}`} error={hasError('value')} onChange={(value) => set({ value })} />
          </div>
        ) : null}
        {spec?.windowed ? (
          <Space.Compact style={{ width: full ?? 150 }}>
            <Space.Addon>{t('marketing.builder.last')}</Space.Addon>
            <InputNumber
              aria-label={`${label} ${t('marketing.builder.days')}`}
              min={1}
              max={3650}
              precision={0}
              value={node.days ?? null}
              status={hasError('days') ? 'error' : undefined}
              disabled={ctx.disabled}
              onChange={(v) => set({ days: v ?? undefined })}
              style={{ width: '100%' }}
            />
            <Space.Addon>{t('marketing.builder.daysUnit')}</Space.Addon>
          </Space.Compact>
        ) : null}
        <Button danger type="text" icon={<DeleteOutlined />} disabled={ctx.disabled} aria-label={`${t('common.delete')} ${label}`} onClick={() => ctx.onChange(node.id, null)} />
      </Flex>
      <ErrorLines items={errors} />
    </div>
  );
}

function useKindOptions(spec: FieldSpec): Option[] | null {
  const { t } = useTranslation();
  const ctx = useCtx();
  const month = new Date().getMonth() + 1;
  switch (spec.kind) {
    case 'gender':
      return (['male', 'female', 'other'] as const).map((g) => ({ value: g, label: t(`members.genders.${g}`) }));
    case 'status':
      return (['active', 'frozen', 'cancelled'] as const).map((s) => ({ value: s, label: t(`members.statuses.${s}`) }));
    // without the lists (no permission to read them) the code or id is typed
    case 'tier':
      return ctx.tiers.length ? ctx.tiers : null;
    case 'store':
      return ctx.stores.length ? ctx.stores : null;
    case 'month':
      return Array.from({ length: 12 }, (_, i) => ({ value: i + 1, label: i + 1 === month ? t('marketing.builder.thisMonth', { n: i + 1 }) : t('marketing.builder.month', { n: i + 1 }) }));
    case 'option':
      return (spec.options ?? []).map((o) => ({ value: o, label: o }));
    case 'bool':
      return [
        { value: true, label: t('marketing.builder.yes') },
        { value: false, label: t('marketing.builder.no') },
      ];
    default:
      return null;
  }
}

/** The value input for a field's kind and the operator's shape (one value, a list, a range). */
function ValueInput(props: { spec: FieldSpec; op: Op; value: unknown; label: string; error: boolean; onChange: (v: unknown) => void }) {
  const { t } = useTranslation();
  const ctx = useCtx();
  const { spec, op, value, label, onChange } = props;
  const options = useKindOptions(spec);
  const status = props.error ? ('error' as const) : undefined;
  const common = { 'aria-label': label, status, disabled: ctx.disabled, style: { width: '100%' } };

  if (op === 'exists') {
    return (
      <Select
        {...common}
        value={value as boolean}
        onChange={onChange}
        options={[
          { value: true, label: t('marketing.builder.hasValue') },
          { value: false, label: t('marketing.builder.noValue') },
        ]}
      />
    );
  }
  if (op === 'in' || op === 'nin') {
    const list = Array.isArray(value) ? (value as (string | number)[]) : [];
    const tagOptions = spec.kind === 'tag' ? ctx.tags : undefined;
    return (
      <Select
        {...common}
        mode={options ? 'multiple' : 'tags'}
        virtual={(options ?? tagOptions ?? []).length > 50}
        value={list}
        onChange={(v: (string | number)[]) => onChange(v)}
        options={(options ?? tagOptions ?? []) as { value: string | number; label: string }[]}
        tokenSeparators={options ? undefined : [',', '，', ' ']}
        placeholder={t(options ? 'marketing.builder.pickMany' : 'marketing.builder.typeMany')}
        showSearch={{ optionFilterProp: 'label' }}
      />
    );
  }
  if (op === 'between') {
    const pair = Array.isArray(value) ? (value as unknown[]) : [null, null];
    return (
      <Flex gap={4} align="center">
        <Scalar {...props} value={pair[0]} label={`${label} ${t('marketing.builder.from')}`} onChange={(v) => onChange([v, pair[1] ?? null])} options={options} />
        <span>~</span>
        <Scalar {...props} value={pair[1]} label={`${label} ${t('marketing.builder.to')}`} onChange={(v) => onChange([pair[0] ?? null, v])} options={options} />
      </Flex>
    );
  }
  return <Scalar {...props} options={options} />;
}

function Scalar(props: { spec: FieldSpec; op: Op; value: unknown; label: string; error: boolean; onChange: (v: unknown) => void; options: Option[] | null }): ReactNode {
  const { t } = useTranslation();
  const ctx = useCtx();
  const { spec, value, label, onChange, options } = props;
  const status = props.error ? ('error' as const) : undefined;
  const common = { 'aria-label': label, status, disabled: ctx.disabled, style: { width: '100%' } };
  if (options) {
    return (
      <Select
        {...common}
        value={(value ?? undefined) as string | number | boolean | undefined}
        onChange={onChange}
        options={options}
        virtual={options.length > 50}
        showSearch={{ optionFilterProp: 'label' }}
        placeholder={t('marketing.builder.pick')}
      />
    );
  }
  switch (spec.kind) {
    case 'money':
      return <InputNumber {...common} prefix="¥" min={0} step={1} precision={2} value={typeof value === 'number' ? value : null} onChange={(v) => onChange(v)} placeholder={t('marketing.builder.yuan')} />;
    case 'int':
    case 'number':
      return <InputNumber {...common} precision={spec.kind === 'int' ? 0 : undefined} value={typeof value === 'number' ? value : null} onChange={(v) => onChange(v)} />;
    case 'date':
      return <DateInput aria-label={label} status={status} disabled={ctx.disabled} value={typeof value === 'string' ? value : null} onChange={(v) => onChange(v ?? null)} />;
    case 'tag':
      return (
        <AutoComplete
          {...common}
          value={typeof value === 'string' ? value : ''}
          options={ctx.tags.map((o) => ({ value: String(o.value), label: o.label }))}
          onChange={(v: string) => onChange(v)}
          filterOption={(input, o) => String(o?.value ?? '').includes(input)}
          placeholder={t('marketing.builder.tag')}
        />
      );
    default:
      return <Input {...common} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value)} maxLength={200} inputMode={spec.kind === 'phone' ? 'tel' : undefined} />;
  }
}
