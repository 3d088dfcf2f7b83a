export { ApplicationsPage } from './pages/ApplicationsPage';
export { MemberPage } from './pages/MemberPage';
export { MemberSettingsPage } from './pages/MemberSettingsPage';
export { MembersPage } from './pages/MembersPage';
