import { LogoutOutlined, UserOutlined } from '@ant-design/icons';
import { Avatar, Button, Dropdown, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useLogout, useSession } from '../auth/session';

export function UserMenu({ compact = false }: { compact?: boolean }) {
  const { t } = useTranslation();
  const me = useSession();
  const logout = useLogout();
  return (
    <Dropdown
      trigger={['click']}
      menu={{
        items: [
          {
            key: 'who',
            disabled: true,
            label: (
              <Typography.Text type="secondary">
                {me.user.kind === 'platform' ? t('header.platformAdmin') : t('header.operator')} · {me.user.name}
              </Typography.Text>
            ),
          },
          { type: 'divider' },
          { key: 'logout', icon: <LogoutOutlined />, label: t('header.logout'), danger: true },
        ],
        onClick: ({ key }) => {
          if (key === 'logout') logout.mutate();
        },
      }}
    >
      <Button type="text" aria-label={me.user.name} style={{ paddingInline: 6 }}>
        <Avatar size="small" icon={<UserOutlined />} style={{ background: '#1677ff' }} />
        {compact ? null : <span style={{ marginLeft: 6 }}>{me.user.name}</span>}
      </Button>
    </Dropdown>
  );
}
