import {
  NotificationOutlined,
  HeartOutlined,
  GiftOutlined,
  ApartmentOutlined,
  AuditOutlined,
  BarChartOutlined,
  CommentOutlined,
  ExperimentOutlined,
  FilterOutlined,
  FundOutlined,
  SendOutlined,
  ToolOutlined,
  MailOutlined,
  MessageOutlined,
  ClockCircleOutlined,
  ControlOutlined,
  CrownOutlined,
  ProfileOutlined,
  ShoppingCartOutlined,
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

export type NavKey =
  | 'home'
  | 'merchants'
  | 'memberList'
  | 'memberApplications'
  | 'memberSettings'
  | 'checkout'
  | 'transactions'
  | 'expiring'
  | 'loyaltySettings'
  | 'smsSimulator'
  | 'smsInbox'
  | 'smsMessages'
  | 'smsReports'
  | 'smsSettings'
  | 'campaigns'
  | 'lottery'
  | 'care'
  | 'segments'
  | 'emailMessages'
  | 'emailSettings'
  | 'org'
  | 'operators'
  | 'roles'
  | 'apiKeys'
  | 'audit';

/** A submenu of the left menu; it shows when one of its pages may be opened. */
export type NavGroupKey = 'members' | 'loyalty' | 'sms' | 'marketing';

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
  loyalty: { icon: <CrownOutlined /> },
  sms: { icon: <MessageOutlined /> },
  marketing: { icon: <FundOutlined /> },
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
  { key: 'checkout', path: '/checkout', icon: <ShoppingCartOutlined />, allowed: (me) => memberReader(me) && can(me, 'loyalty.write'), group: 'loyalty' },
  { key: 'transactions', path: '/transactions', icon: <ProfileOutlined />, allowed: memberReader, group: 'loyalty' },
  { key: 'expiring', path: '/loyalty/expiring', icon: <ClockCircleOutlined />, allowed: memberReader, group: 'loyalty' },
  { key: 'loyaltySettings', path: '/loyalty/settings', icon: <ControlOutlined />, allowed: (me) => memberReader(me) && can(me, 'loyalty.settings'), group: 'loyalty' },
  { key: 'smsInbox', path: '/sms/inbox', icon: <CommentOutlined />, allowed: (me) => operator(me) && can(me, 'sms.read'), group: 'sms' },
  { key: 'smsMessages', path: '/sms/messages', icon: <MailOutlined />, allowed: (me) => operator(me) && can(me, 'sms.read'), group: 'sms' },
  { key: 'smsReports', path: '/sms/reports', icon: <BarChartOutlined />, allowed: (me) => operator(me) && (can(me, 'sms.read') || can(me, 'reports.read')), group: 'sms' },
  { key: 'smsSettings', path: '/sms/settings', icon: <SettingOutlined />, allowed: (me) => operator(me) && can(me, 'sms.settings'), group: 'sms' },
  { key: 'smsSimulator', path: '/sms/simulator', icon: <ExperimentOutlined />, allowed: (me) => me.user.kind === 'platform' || (operator(me) && can(me, 'sms.read')), group: 'sms' },
  { key: 'campaigns', path: '/marketing/campaigns', icon: <NotificationOutlined />, allowed: (me) => operator(me) && can(me, 'campaigns.manage'), group: 'marketing' },
  { key: 'lottery', path: '/marketing/lotteries', icon: <GiftOutlined />, allowed: (me) => operator(me) && can(me, 'campaigns.manage'), group: 'marketing' },
  { key: 'care', path: '/marketing/care', icon: <HeartOutlined />, allowed: (me) => operator(me) && can(me, 'campaigns.manage'), group: 'marketing' },
  { key: 'segments', path: '/marketing/segments', icon: <FilterOutlined />, allowed: (me) => operator(me) && can(me, 'campaigns.manage'), group: 'marketing' },
  { key: 'emailMessages', path: '/email/messages', icon: <SendOutlined />, allowed: (me) => operator(me) && can(me, 'sms.read'), group: 'marketing' },
  { key: 'emailSettings', path: '/email/settings', icon: <ToolOutlined />, allowed: (me) => operator(me) && can(me, 'sms.settings'), group: 'marketing' },
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
