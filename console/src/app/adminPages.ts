/** The set-up pages (platform merchants, org, operators, roles, API keys, audit log): one
 * lazily loaded chunk, as they are opened rarely and together. */
export { ApiKeysPage } from '../features/api-keys';
export { AuditLogPage } from '../features/audit';
export { MerchantsPage } from '../features/merchants';
export { OperatorsPage } from '../features/operators';
export { OrgPage } from '../features/org';
export { RolesPage } from '../features/roles';
