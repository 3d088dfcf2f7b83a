/**
 * `createGateway(config, log)`: the gateway the deployment configured
 * (MEMBERDESK_SMS_GATEWAY = sandbox | smpp | kannel; see the README's configuration table).
 */
import type { Logger } from 'pino';
import type { Config } from '../../server/config.js';
import type { SmsGateway } from '../gateway.js';
import { KannelGateway } from './kannel.js';
import { SandboxGateway } from './sandbox.js';
import { SmppGateway } from './smpp.js';

export { KannelGateway, kannelMoGetUrl, KANNEL_DLR_PATH, KANNEL_MO_PATH } from './kannel.js';
export { SmppGateway } from './smpp.js';

export function createGateway(config: Readonly<Config>, log: Logger): SmsGateway {
  switch (config.smsGateway) {
    case 'sandbox':
      return new SandboxGateway({ log });
    case 'smpp':
      return new SmppGateway({
        host: config.smpp.host,
        port: config.smpp.port,
        systemId: config.smpp.systemId,
        password: config.smpp.password,
        systemType: config.smpp.systemType,
        window: config.smpp.window,
        ratePerSecond: config.smpp.ratePerSecond,
        enquireLinkMs: config.smpp.enquireLinkSeconds * 1000,
        log: log.child({ gateway: 'smpp' }),
      });
    case 'kannel':
      return new KannelGateway({
        sendsmsUrl: config.kannel.sendsmsUrl,
        username: config.kannel.username,
        password: config.kannel.password,
        callbackSecret: config.kannel.callbackSecret,
        publicUrl: config.publicUrl,
        log: log.child({ gateway: 'kannel' }),
      });
  }
}
