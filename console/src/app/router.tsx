import { Button, Result } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { createBrowserRouter, Navigate, useNavigate, useRouteError } from 'react-router-dom';
import { ApiKeysPage } from '../features/api-keys';
import { AuditLogPage } from '../features/audit';
import { LoginPage } from '../features/auth';
import { HomePage } from '../features/home';
import { ApplicationsPage, MemberPage, MemberSettingsPage, MembersPage } from '../features/members';
import { MerchantsPage } from '../features/merchants';
import { OperatorsPage } from '../features/operators';
import { OrgPage } from '../features/org';
import { RolesPage } from '../features/roles';
import { RequireAuth, useSession } from './auth/session';
import { AppLayout } from './layout/AppLayout';
import { navItem, type NavKey } from './nav';

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
  return <Result status="error" title={t('errors.generic')} subTitle={error instanceof Error ? error.message : String(error)} />;
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
