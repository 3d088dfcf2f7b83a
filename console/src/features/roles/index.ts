export { RolesPage } from './pages/RolesPage';
export { useRoles } from './api';
