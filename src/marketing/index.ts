/**
 * Marketing: segments now (filters over members and their purchases, saved segments, live
 * counts); campaigns, automated care, lotteries and events later. What other capabilities may use.
 */
export { marketingRoutes } from './routes.js';
export { checkFilter, type FilterNode, type FilterError } from './filter.rules.js';
export { compileFilter, countQuery, sampleQuery, type CompileContext } from './filter.sql.js';
export { countMatching, parseFilter, getSegment } from './segments.service.js';
export { segments } from './schema.js';
export { campaignRoutes } from './campaigns.routes.js';
export { createCampaignRuntime, FANOUT_QUEUE, type CampaignRuntime, type FanoutOptions } from './campaigns.fanout.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The campaign fan-out runtime (pg-boss) of this app. */
    campaigns: import('./campaigns.fanout.js').CampaignRuntime;
  }
}
