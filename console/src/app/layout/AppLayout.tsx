import { MenuFoldOutlined, MenuOutlined, MenuUnfoldOutlined } from '@ant-design/icons';
import { Badge, Button, ConfigProvider, Drawer, Flex, Layout, Menu, Typography, theme, type MenuProps } from 'antd';
import { Suspense, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { Loading } from '../../ui/Loading';
import { useIsMobile } from '../../ui/useIsMobile';
import { useSession } from '../auth/session';
import { NAV, NAV_GROUPS, navKeyOf, type NavGroupKey } from '../nav';
import { LanguageSwitch } from './LanguageSwitch';
import { UserMenu } from './UserMenu';
import { useSmsUnread } from './useSmsUnread';

const { Header, Sider, Content } = Layout;

function Brand({ collapsed }: { collapsed: boolean }) {
  return (
    <div style={{ height: 56, display: 'flex', alignItems: 'center', paddingInline: collapsed ? 0 : 20, justifyContent: collapsed ? 'center' : 'flex-start' }}>
      <span style={{ color: '#fff', fontWeight: 700, fontSize: collapsed ? 14 : 18, letterSpacing: 0.3 }}>{collapsed ? 'md' : 'memberdesk'}</span>
    </div>
  );
}

/** Left menu (a drawer on phones), header with the merchant's name, language switch and user
 * menu, and the page. */
export function AppLayout() {
  const { t } = useTranslation();
  const me = useSession();
  const mobile = useIsMobile();
  const navigate = useNavigate();
  const location = useLocation();
  const { token } = theme.useToken();
  const [collapsed, setCollapsed] = useState(false);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const inboxAllowed = NAV.some((n) => n.key === 'smsInbox' && n.allowed(me));
  const unread = useSmsUnread(inboxAllowed).data ?? 0;
  /** A menu label, with the unread count beside the feedback inbox. */
  const label = (key: (typeof NAV)[number]['key']) =>
    key === 'smsInbox' && unread > 0 ? (
      <Flex align="center" justify="space-between" gap={8}>
        {t(`menu.${key}`)}
        <Badge count={unread} size="small" data-testid="inbox-badge" />
      </Flex>
    ) : (
      t(`menu.${key}`)
    );

  // Pages in menu order; pages of a group go into its submenu, placed where its first page is.
  type Item = NonNullable<MenuProps['items']>[number] & { children?: Item[] };
  const items: Item[] = [];
  const groups = new Map<NavGroupKey, Item[]>();
  for (const n of NAV.filter((x) => x.allowed(me))) {
    if (!n.group) {
      items.push({ key: n.path, icon: n.icon, label: label(n.key) });
      continue;
    }
    let children = groups.get(n.group);
    if (!children) {
      children = [];
      groups.set(n.group, children);
      const groupLabel = t(`menu.groups.${n.group}`);
      items.push({
        key: `group:${n.group}`,
        icon: NAV_GROUPS[n.group].icon,
        // a closed 短信 submenu still tells that feedback waits
        label: n.group === 'sms' && unread > 0 ? <Badge dot offset={[6, 0]}>{groupLabel}</Badge> : groupLabel,
        children,
      });
    }
    children.push({ key: n.path, label: label(n.key) });
  }
  const selected = NAV.find((n) => n.key === navKeyOf(location.pathname));
  const selectedGroup = selected?.group ? `group:${selected.group}` : null;
  const title = me.tenant?.name ?? t('app.platform');

  // The submenu of the current page is open; the others as the user left them. A collapsed
  // side menu opens submenus as popups, so nothing stays open there.
  const [openKeys, setOpenKeys] = useState<string[]>(selectedGroup ? [selectedGroup] : []);
  useEffect(() => {
    if (selectedGroup) setOpenKeys((keys) => (keys.includes(selectedGroup) ? keys : [...keys, selectedGroup]));
  }, [selectedGroup]);
  const inlineCollapsed = collapsed && !mobile;

  const menu = (
    <Menu
      key={inlineCollapsed ? 'collapsed' : 'inline'}
      theme="dark"
      mode="inline"
      items={items}
      selectedKeys={selected ? [selected.path] : []}
      openKeys={inlineCollapsed ? undefined : openKeys}
      onOpenChange={(keys) => {
        if (!inlineCollapsed) setOpenKeys(keys);
      }}
      onClick={({ key }) => {
        navigate(key);
        setDrawerOpen(false);
      }}
      aria-label={t('app.title')}
    />
  );

  return (
    <Layout style={{ minHeight: '100vh' }}>
      {mobile ? (
        <Drawer
          placement="left"
          open={drawerOpen}
          onClose={() => setDrawerOpen(false)}
          size={256}
          closable={false}
          styles={{ body: { padding: 0, background: '#001529' } }}
          title={null}
        >
          <Brand collapsed={false} />
          {menu}
        </Drawer>
      ) : (
        <Sider collapsible collapsed={collapsed} onCollapse={setCollapsed} trigger={null} width={220} style={{ position: 'sticky', top: 0, height: '100vh' }}>
          <Brand collapsed={collapsed} />
          {menu}
        </Sider>
      )}
      <Layout style={{ minWidth: 0 }}>
        <Header
          style={{
            background: token.colorBgContainer,
            paddingInline: mobile ? 8 : 16,
            height: 56,
            lineHeight: '56px',
            borderBottom: `1px solid ${token.colorBorderSecondary}`,
            position: 'sticky',
            top: 0,
            zIndex: 10,
          }}
        >
          <Flex align="center" justify="space-between" gap="small" style={{ height: '100%' }}>
            <Flex align="center" gap="small" style={{ minWidth: 0 }}>
              {mobile ? (
                <Button type="text" icon={<MenuOutlined />} aria-label={t('header.openMenu')} onClick={() => setDrawerOpen(true)} />
              ) : (
                <Button
                  type="text"
                  icon={collapsed ? <MenuUnfoldOutlined /> : <MenuFoldOutlined />}
                  aria-label={collapsed ? t('header.expand') : t('header.collapse')}
                  onClick={() => setCollapsed(!collapsed)}
                />
              )}
              <Typography.Text strong ellipsis style={{ fontSize: 16, minWidth: 0 }} data-testid="merchant-name">
                {title}
              </Typography.Text>
            </Flex>
            <Flex align="center" gap={mobile ? 0 : 'small'}>
              <LanguageSwitch compact={mobile} />
              <UserMenu compact={mobile} />
            </Flex>
          </Flex>
        </Header>
        <Content style={{ padding: mobile ? 12 : 24, minWidth: 0 }}>
          {/* Phones: less padding inside cards, so tables get the width. The same element either
              way, so turning a tablet does not remount the page and lose its state. */}
          <ConfigProvider theme={mobile ? { components: { Card: { bodyPadding: 12, headerPadding: 12 } } } : {}}>
            <Suspense fallback={<Loading />}>
              <Outlet />
            </Suspense>
          </ConfigProvider>
        </Content>
      </Layout>
    </Layout>
  );
}
