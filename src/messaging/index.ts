/**
 * Messaging (two-way SMS): what other capabilities and the server use. Import from here.
 * campaigns: sendSms (in the campaign's tenant transaction), allocateSubCode for reply codes,
 * composeSms / segmentsOf for estimates, the message log filtered by campaignId.
 */
import type { EmailRuntime } from './email.runtime.js';
import type { SmsRuntime } from './runtime.js';

export { sendSms, sendSmsBatch, smsContext, type BatchSmsItem, type BatchSmsResult, type SendSmsInput, type SendSmsResult, type SmsContext } from './send.service.js';
export { allocateSubCode, listMessages, getOutbound, type OutboundView, type InboundView, type SubCodeView } from './queries.service.js';
export { composeSms, renderTemplate, unknownVariables, signatureOf, TEMPLATE_VARIABLES, DEFAULT_OPT_OUT_HINT, type SmsKind } from './compose.rules.js';
export { segmentsOf, splitForSubmit, chooseEncoding, encodedLength, MAX_TEXT_LENGTH, type SmsEncoding } from './encoding.rules.js';
export { isQuietAt, releaseTime, type QuietHours } from './schedule.rules.js';
export { createSmsRuntime, createConfiguredGateway, type SmsRuntime, type SmsRuntimeDeps } from './runtime.js';
export { messagingRoutes } from './routes.js';
// email, the second channel: campaigns and care rules call sendEmail like sendSms
export { sendEmail, emailContext, listEmailMessages, type SendEmailInput, type SendEmailResult, type EmailContext, type EmailView } from './email.service.js';
export { composeEmail, unknownEmailVariables, EMAIL_TEMPLATE_VARIABLES, type EmailKind } from './email.rules.js';
export { createEmailRuntime, type EmailRuntime } from './email.runtime.js';
export { emailRoutes } from './email.routes.js';
export type { EmailDispatcherOptions } from './email.dispatcher.js';
export type { SmsGateway, InboundSms, OutboundSms, DeliveryReport } from './gateway.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The SMS runtime (gateway, dispatcher, inbound processor) of this app. */
    sms: SmsRuntime;
    /** The email runtime (dispatcher) of this app. */
    email: EmailRuntime;
  }
}
