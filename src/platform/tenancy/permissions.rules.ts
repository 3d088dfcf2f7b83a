/** Every permission an operator role or API key can hold. The console groups them by prefix. */
export const PERMISSIONS = [
  'org.read',
  'org.manage',
  'operators.manage',
  'roles.manage',
  'apikeys.manage',
  'audit.read',
  'settings.manage',
  'members.read',
  'members.write',
  'members.pii',
  'members.import',
  'members.export',
  'loyalty.write',
  'loyalty.adjust',
  'loyalty.settings',
  'sms.read',
  'sms.send',
  'sms.settings',
  'campaigns.manage',
  'campaigns.approve',
  'reports.read',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(p: string): p is Permission {
  return (PERMISSIONS as readonly string[]).includes(p);
}

export interface BuiltinRole {
  code: 'owner' | 'manager' | 'clerk';
  name: string;
  permissions: readonly Permission[];
}

/** The roles every tenant starts with. Built-in roles cannot be edited or deleted. */
export const BUILTIN_ROLES: readonly BuiltinRole[] = [
  { code: 'owner', name: '所有者 Owner', permissions: PERMISSIONS },
  {
    code: 'manager',
    name: '店长 Manager',
    permissions: PERMISSIONS.filter((p) => !['roles.manage', 'apikeys.manage', 'settings.manage', 'loyalty.settings', 'sms.settings'].includes(p)),
  },
  {
    code: 'clerk',
    name: '店员 Clerk',
    permissions: ['org.read', 'members.read', 'members.write', 'loyalty.write', 'sms.read'],
  },
];

/**
 * Data scope: an operator attached to an org node sees that node and everything below it.
 * Paths are materialised as '/1/5/9/'.
 * @example inScope('/1/5/', '/1/5/9/') === true; inScope('/1/5/', '/1/6/') === false
 */
export function inScope(scopePath: string, nodePath: string): boolean {
  return nodePath.startsWith(scopePath);
}
