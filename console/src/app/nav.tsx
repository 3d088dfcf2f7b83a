import {
  ApartmentOutlined,
  AuditOutlined,
  HomeOutlined,
  IdcardOutlined,
  KeyOutlined,
  SafetyCertificateOutlined,
  SettingOutlined,
  ShopOutlined,
  SolutionOutlined,
  TeamOutlined,
  UnorderedListOutlined,
} from '@ant-design/icons';
import type { ReactNode } from 'react';
import { can } from './auth/session';
import type { Me } from './api/types';

export type NavKey = 'home' | 'merchants' | 'memberList' | 'memberApplications' | 'memberSettings' | 'org' | 'operators' | 'roles' | 'apiKeys' | 'audit';

/** A submenu of the left menu; it shows when one of its pages may be opened. */
export type NavGroupKey = 'members';

export interface NavItem {
  key: NavKey;
  path: string;
  icon: ReactNode;
  /** Whether this user may open the page; the menu shows only such items. */
  allowed: (me: Me) => boolean;
  /** The submenu the item sits in. */
  group?: NavGroupKey;
}

export const NAV_GROUPS: Record<NavGroupKey, { icon: ReactNode }> = {
  members: { icon: <IdcardOutlined /> },
};

const operator = (me: Me) => me.user.kind === 'operator';
const memberReader = (me: Me) => operator(me) && can(me, 'members.read');

/** The console's pages in menu order. A menu item exists only for a page that exists. */
export const NAV: readonly NavItem[] = [
  { key: 'home', path: '/', icon: <HomeOutlined />, allowed: operator },
  { key: 'merchants', path: '/merchants', icon: <ShopOutlined />, allowed: (me) => me.user.kind === 'platform' },
  { key: 'memberList', path: '/members', icon: <UnorderedListOutlined />, allowed: memberReader, group: 'members' },
  { key: 'memberApplications', path: '/member-applications', icon: <SolutionOutlined />, allowed: memberReader, group: 'members' },
  { key: 'memberSettings', path: '/members/settings', icon: <SettingOutlined />, allowed: (me) => memberReader(me) && can(me, 'settings.manage'), group: 'members' },
  { key: 'org', path: '/org', icon: <ApartmentOutlined />, allowed: (me) => operator(me) && can(me, 'org.read') },
  { key: 'operators', path: '/operators', icon: <TeamOutlined />, allowed: (me) => operator(me) && can(me, 'operators.manage') },
  { key: 'roles', path: '/roles', icon: <SafetyCertificateOutlined />, allowed: (me) => operator(me) && can(me, 'operators.manage') },
  { key: 'apiKeys', path: '/api-keys', icon: <KeyOutlined />, allowed: (me) => operator(me) && can(me, 'apikeys.manage') },
  { key: 'audit', path: '/audit-log', icon: <AuditOutlined />, allowed: (me) => operator(me) && can(me, 'audit.read') },
];

export function navItem(key: NavKey): NavItem {
  return NAV.find((n) => n.key === key)!;
}

/** The menu entry a location belongs to (longest matching path). */
export function navKeyOf(pathname: string): NavKey | undefined {
  let best: NavItem | undefined;
  for (const n of NAV) {
    const match = n.path === '/' ? pathname === '/' : pathname === n.path || pathname.startsWith(n.path + '/');
    if (match && (!best || n.path.length > best.path.length)) best = n;
  }
  return best?.key;
}
