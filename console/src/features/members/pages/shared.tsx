import { WarningOutlined } from '@ant-design/icons';
import { Form, Input, InputNumber, Select, Switch, Tag } from 'antd';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { AttributeDef, Member, MemberStatus } from '../../../app/api/types';
import { tDynamic } from '../../../app/i18n';
import { DateInput } from '../../../ui/DateInput';
import type { CodeMapping } from '../../../ui/formErrors';
import { TierName } from '../../loyalty';

export const STATUS_COLOR: Record<MemberStatus, string> = { active: 'green', frozen: 'blue', cancelled: 'default' };

export function StatusTag({ status }: { status: string }) {
  const { t } = useTranslation();
  const known = status === 'active' || status === 'frozen' || status === 'cancelled';
  return <Tag color={known ? STATUS_COLOR[status] : 'default'}>{known ? t(`members.statuses.${status}`) : status}</Tag>;
}

export function TierTag({ tier }: { tier: Member['tier'] }) {
  return <TierName tier={tier} />;
}

/** An application's warnings as orange tags in the console's words. */
export function FlagTags({ flags }: { flags: readonly string[] }) {
  const { t } = useTranslation();
  if (flags.length === 0) return <span>{t('applications.noFlags')}</span>;
  return (
    <>
      {flags.map((f) => (
        <Tag key={f} color="warning" icon={<WarningOutlined />} style={{ marginBlock: 2 }}>
          {flagLabel(f)}
        </Tag>
      ))}
    </>
  );
}

export const flagLabel = (f: string) => tDynamic(`applications.flagNames.${f}`, f);
export const sourceLabel = (s: string) => tDynamic(`members.sources.${s}`, s);

export const genderOptions = (t: TFunction) =>
  (['male', 'female', 'other'] as const).map((g) => ({ value: g, label: t(`members.genders.${g}`) }));

export { useStores } from '../../org';

/** The input for one merchant-defined attribute. */
function AttributeInput({ def, ...rest }: { def: AttributeDef; value?: unknown; onChange?: (v: unknown) => void; id?: string }) {
  const options = def.options.map((o) => ({ value: o, label: o }));
  switch (def.type) {
    case 'number':
      return <InputNumber style={{ width: '100%' }} {...(rest as object)} />;
    case 'date':
      return <DateInput {...(rest as object)} />;
    case 'single':
      return <Select allowClear options={options} {...(rest as object)} />;
    case 'multi':
      return <Select mode="multiple" allowClear options={options} {...(rest as object)} />;
    case 'boolean':
      return <Switch checkedChildren="✓" {...(rest as object)} checked={rest.value === true} />;
    default:
      return <Input maxLength={500} {...(rest as object)} />;
  }
}

/** The form items of the merchant's attributes, in their order, under `attributes.<key>`
 * (so `body.attributes.<key>` errors land on them). Required ones are marked; a join
 * application may leave them out (the reviewer sees a warning), so it does not enforce them. */
export function AttributeFields({ defs, register, enforceRequired = true }: { defs: readonly AttributeDef[]; register: boolean; enforceRequired?: boolean }) {
  const { t } = useTranslation();
  return (
    <>
      {defs.map((d) => (
        <Form.Item
          key={d.key}
          name={['attributes', d.key]}
          label={d.label}
          // A required yes/no starts at "no", so leaving the switch alone is an answer.
          initialValue={register && d.type === 'boolean' && d.required ? false : undefined}
          rules={enforceRequired && d.required && d.type !== 'boolean' ? [{ required: true, message: t('validation.required') }] : undefined}
          required={d.required}
        >
          <AttributeInput def={d} />
        </Form.Item>
      ))}
    </>
  );
}

const blank = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

/** Attribute values worth sending when registering (empty ones left out). */
export function filledAttributes(values: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const out = Object.fromEntries(Object.entries(values ?? {}).filter(([, v]) => !blank(v)));
  return Object.keys(out).length ? out : undefined;
}

/** The attribute changes of an edit: changed values, and null for a value that was cleared. */
export function changedAttributes(before: Record<string, unknown>, after: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(after ?? {})) {
    const was = before[k];
    if (blank(v) && blank(was)) continue;
    if (blank(v)) out[k] = null;
    else if (JSON.stringify(v) !== JSON.stringify(was)) out[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

/** A stored value as a person reads it. */
export function valueText(t: TFunction, v: unknown, def?: AttributeDef): string {
  if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) return t('members.none');
  if (typeof v === 'boolean') return v ? t('members.yes') : t('members.no');
  if (Array.isArray(v)) return v.map(String).join('、');
  if (def?.type === 'number' && typeof v === 'number') return v.toLocaleString();
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** How the API's member errors read in a member form. */
export function memberErrorCodes(t: TFunction): Record<string, CodeMapping> {
  return {
    phone_registered: { field: 'phone', message: t('members.errors.phoneTaken') },
    card_in_use: { field: 'cardNo', message: t('members.errors.cardInUse') },
    card_pool_empty: { message: t('members.errors.cardPoolEmpty') },
    card_plan_exhausted: { message: t('members.errors.cardPlanExhausted') },
  };
}

export function memberErrorPaths(t: TFunction, defs: readonly AttributeDef[]): Record<string, string> {
  const paths: Record<string, string> = {
    'body.phone': t('members.errors.phone'),
    'body.birthday': t('members.errors.birthday'),
    'body.storeId': t('members.errors.store'),
    'body.cardNo': t('members.errors.cardNo'),
  };
  for (const d of defs) paths[`body.attributes.${d.key}`] = t('members.errors.attribute');
  return paths;
}

/** The member a `phone_registered` 409 names (its id ends the `detail`). */
export function registeredMemberId(err: unknown): string | null {
  const e = err as { status?: number; problem?: { type?: string; detail?: string } } | null;
  if (e?.status !== 409 || !e.problem?.type?.endsWith('phone_registered')) return null;
  return /(\d+)\s*$/.exec(e.problem.detail ?? '')?.[1] ?? null;
}
