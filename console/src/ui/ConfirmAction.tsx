import { Button, Popconfirm, Tooltip } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

/** A destructive action behind a confirmation (works the same on phones). */
export function ConfirmAction(props: {
  label: ReactNode;
  title: ReactNode;
  description?: ReactNode;
  okText?: ReactNode;
  onConfirm: () => Promise<unknown>;
  disabled?: boolean;
  disabledReason?: ReactNode;
  icon?: ReactNode;
  type?: 'link' | 'default';
}) {
  const { t } = useTranslation();
  const button = (
    <Button type={props.type ?? 'link'} danger size={props.type === 'default' ? 'middle' : 'small'} icon={props.icon} disabled={props.disabled}>
      {props.label}
    </Button>
  );
  if (props.disabled) return props.disabledReason ? <Tooltip title={props.disabledReason}>{button}</Tooltip> : button;
  return (
    <Popconfirm
      title={props.title}
      description={props.description}
      okText={props.okText ?? t('common.ok')}
      cancelText={t('common.cancel')}
      okButtonProps={{ danger: true }}
      onConfirm={() => props.onConfirm().catch(() => undefined)}
    >
      {button}
    </Popconfirm>
  );
}
