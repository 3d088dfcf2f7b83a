import { Button, Result } from 'antd';
import { lazy, type ComponentType, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { createBrowserRouter, Navigate, useNavigate, useRouteError } from 'react-router-dom';
import { LoginPage } from '../features/auth';
import { RequireAuth, useSession } from './auth/session';
import { AppLayout } from './layout/AppLayout';
import { navItem, type NavKey } from './nav';

/** Loads a feature chunk, trying again twice when the network drops it: React.lazy keeps a
 * failed load for good, so one lost request would otherwise break the page until a reload. */
export async function loadChunk<M>(load: () => Promise<M>, attempts = 3, delayMs = 400): Promise<M> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await load();
    } catch (err) {
      if (attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs * attempt));
    }
  }
}

/** A page loaded when first opened: each feature is its own chunk (AppLayout's Suspense shows
 * the spinner meanwhile). */
function page<M>(load: () => Promise<M>, name: keyof M) {
  return lazy(async () => ({ default: (await loadChunk(load))[name] as ComponentType }));
}
const features = {
  home: () => import('../features/home'),
  members: () => import('../features/members'),
  loyalty: () => import('../features/loyalty'),
  sms: () => import('../features/sms'),
  marketing: () => import('../features/marketing'),
  email: () => import('../features/email'),
  admin: () => import('./adminPages'),
};
const HomePage = page(features.home, 'HomePage');
const MembersPage = page(features.members, 'MembersPage');
const MemberPage = page(features.members, 'MemberPage');
const MemberSettingsPage = page(features.members, 'MemberSettingsPage');
const ApplicationsPage = page(features.members, 'ApplicationsPage');
const CheckoutPage = page(features.loyalty, 'CheckoutPage');
const TransactionsPage = page(features.loyalty, 'TransactionsPage');
const ExpiringPage = page(features.loyalty, 'ExpiringPage');
const LoyaltySettingsPage = page(features.loyalty, 'LoyaltySettingsPage');
const SimulatorPage = page(features.sms, 'SimulatorPage');
const InboxPage = page(features.sms, 'InboxPage');
const MessagesPage = page(features.sms, 'MessagesPage');
const SmsReportsPage = page(features.sms, 'ReportsPage');
const SmsSettingsPage = page(features.sms, 'SmsSettingsPage');
const SegmentsPage = page(features.marketing, 'SegmentsPage');
const CampaignsPage = page(features.marketing, 'CampaignsPage');
const CampaignCreatePage = page(features.marketing, 'CampaignCreatePage');
const CampaignPage = page(features.marketing, 'CampaignPage');
const LotteriesPage = page(features.marketing, 'LotteriesPage');
const LotteryPage = page(features.marketing, 'LotteryPage');
const CarePage = page(features.marketing, 'CarePage');
const SegmentEditorPage = page(features.marketing, 'SegmentEditorPage');
const EmailMessagesPage = page(features.email, 'EmailMessagesPage');
const EmailSettingsPage = page(features.email, 'EmailSettingsPage');
const MerchantsPage = page(features.admin, 'MerchantsPage');
const OrgPage = page(features.admin, 'OrgPage');
const OperatorsPage = page(features.admin, 'OperatorsPage');
const RolesPage = page(features.admin, 'RolesPage');
const ApiKeysPage = page(features.admin, 'ApiKeysPage');
const AuditLogPage = page(features.admin, 'AuditLogPage');

function Forbidden() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  return (
    <Result
      status="403"
      title={t('errors.forbiddenTitle')}
      subTitle={t('errors.forbiddenText')}
      extra={
        <Button type="primary" onClick={() => navigate('/')}>
          {t('common.back')}
        </Button>
      }
    />
  );
}

function NotFound() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  return (
    <Result
      status="404"
      title={t('errors.notFoundTitle')}
      subTitle={t('errors.notFoundText')}
      extra={
        <Button type="primary" onClick={() => navigate('/')}>
          {t('common.back')}
        </Button>
      }
    />
  );
}

function RouteError() {
  const { t } = useTranslation();
  const error = useRouteError();
  // A chunk that would not load (a dropped connection, or a new release that replaced it)
  // loads on a fresh page.
  return (
    <Result
      status="error"
      title={t('errors.generic')}
      subTitle={error instanceof Error ? error.message : String(error)}
      extra={
        <Button type="primary" onClick={() => window.location.reload()}>
          {t('errors.reload')}
        </Button>
      }
    />
  );
}

/** A page the current user may open (the same rule that decides its menu item), else 403. */
function Guard({ page, children }: { page: NavKey; children: ReactNode }) {
  const me = useSession();
  return navItem(page).allowed(me) ? <>{children}</> : <Forbidden />;
}

/** `/`: the merchant's home for operators, the merchant list for the platform. */
function Index() {
  const me = useSession();
  return me.user.kind === 'platform' ? <Navigate to="/merchants" replace /> : <HomePage />;
}

export const router = createBrowserRouter([
  { path: '/login', element: <LoginPage />, errorElement: <RouteError /> },
  {
    path: '/',
    element: (
      <RequireAuth>
        <AppLayout />
      </RequireAuth>
    ),
    errorElement: <RouteError />,
    children: [
      { index: true, element: <Index /> },
      { path: 'merchants', element: <Guard page="merchants"><MerchantsPage /></Guard> },
      { path: 'members', element: <Guard page="memberList"><MembersPage /></Guard> },
      { path: 'members/settings', element: <Guard page="memberSettings"><MemberSettingsPage /></Guard> },
      { path: 'members/:id', element: <Guard page="memberList"><MemberPage /></Guard> },
      { path: 'checkout', element: <Guard page="checkout"><CheckoutPage /></Guard> },
      { path: 'transactions', element: <Guard page="transactions"><TransactionsPage /></Guard> },
      { path: 'loyalty/expiring', element: <Guard page="expiring"><ExpiringPage /></Guard> },
      { path: 'loyalty/settings', element: <Guard page="loyaltySettings"><LoyaltySettingsPage /></Guard> },
      { path: 'sms/simulator', element: <Guard page="smsSimulator"><SimulatorPage /></Guard> },
      { path: 'sms/inbox', element: <Guard page="smsInbox"><InboxPage /></Guard> },
      { path: 'sms/messages', element: <Guard page="smsMessages"><MessagesPage /></Guard> },
      { path: 'sms/reports', element: <Guard page="smsReports"><SmsReportsPage /></Guard> },
      { path: 'sms/settings', element: <Guard page="smsSettings"><SmsSettingsPage /></Guard> },
      { path: 'marketing/campaigns', element: <Guard page="campaigns"><CampaignsPage /></Guard> },
      { path: 'marketing/campaigns/new', element: <Guard page="campaigns"><CampaignCreatePage /></Guard> },
      { path: 'marketing/campaigns/:id', element: <Guard page="campaigns"><CampaignPage /></Guard> },
      { path: 'marketing/lotteries', element: <Guard page="lottery"><LotteriesPage /></Guard> },
      { path: 'marketing/lotteries/:id', element: <Guard page="lottery"><LotteryPage /></Guard> },
      { path: 'marketing/care', element: <Guard page="care"><CarePage /></Guard> },
      { path: 'marketing/segments', element: <Guard page="segments"><SegmentsPage /></Guard> },
      { path: 'marketing/segments/:id', element: <Guard page="segments"><SegmentEditorPage /></Guard> },
      { path: 'email/messages', element: <Guard page="emailMessages"><EmailMessagesPage /></Guard> },
      { path: 'email/settings', element: <Guard page="emailSettings"><EmailSettingsPage /></Guard> },
      { path: 'member-applications', element: <Guard page="memberApplications"><ApplicationsPage /></Guard> },
      { path: 'org', element: <Guard page="org"><OrgPage /></Guard> },
      { path: 'operators', element: <Guard page="operators"><OperatorsPage /></Guard> },
      { path: 'roles', element: <Guard page="roles"><RolesPage /></Guard> },
      { path: 'api-keys', element: <Guard page="apiKeys"><ApiKeysPage /></Guard> },
      { path: 'audit-log', element: <Guard page="audit"><AuditLogPage /></Guard> },
      { path: '*', element: <NotFound /> },
    ],
  },
]);
