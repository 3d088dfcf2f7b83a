export { OrgPage } from './pages/OrgPage';
export { useOrgNodes } from './api';
export { orgTreeSelectData } from './pages/OrgForms';
export { useStores } from './useStores';
