import {
  ApartmentOutlined,
  AuditOutlined,
  HomeOutlined,
  KeyOutlined,
  SafetyCertificateOutlined,
  ShopOutlined,
  TeamOutlined,
} from '@ant-design/icons';
import type { ReactNode } from 'react';
import { can } from './auth/session';
import type { Me } from './api/types';

export type NavKey = 'home' | 'merchants' | 'org' | 'operators' | 'roles' | 'apiKeys' | 'audit';

export interface NavItem {
  key: NavKey;
  path: string;
  icon: ReactNode;
  /** Whether this user may open the page; the menu shows only such items. */
  allowed: (me: Me) => boolean;
}

const operator = (me: Me) => me.user.kind === 'operator';

/** The console's pages in menu order. A menu item exists only for a page that exists. */
export const NAV: readonly NavItem[] = [
  { key: 'home', path: '/', icon: <HomeOutlined />, allowed: operator },
  { key: 'merchants', path: '/merchants', icon: <ShopOutlined />, allowed: (me) => me.user.kind === 'platform' },
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
