/**
 * The members capability's public surface: the routes plugin and what other capabilities
 * (loyalty, messaging, campaigns, import/export) need. Import from here, never from the files.
 */
export { membersRoutes } from './routes.js';
export { joinBySms, joinBySmsBatch, type SmsJoinResult } from './applications.service.js';
export {
  findMemberByKey,
  registerMember,
  recordChange,
  loadAttributeDefs,
  checkAttributes,
  parsePhone,
  parseEmail,
  parseSenderPhone,
  systemActor,
  visibility,
  type MemberActor,
  type RegisterInput,
} from './service.js';
export { searchMembersWhere, planFragment, type MemberSearchParams } from './search.js';
export { memberView, type MemberView, type MemberRow, type Visibility } from './views.js';
export { allocateCardNumbers, getMemberSettings } from './cards.repo.js';
export { validateAttributes, parseAttributeText, MAX_ATTRIBUTES, type AttributeDef, type AttributeValue } from './attributes.rules.js';
export { normalizeMobile, maskPhone, maskName } from './phone.rules.js';
export { parseEmailAddress, maskEmail, type AddressResult } from './email.rules.js';
export { members, memberAttributeDefs, memberChanges, cardPool, memberSettings, memberApplications } from './schema.js';
