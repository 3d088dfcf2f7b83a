/**
 * Deployment-wide messaging settings the services need (set once when the app is built).
 * The service number is the carrier's long code every merchant port starts with.
 */
let serviceNumber = '1065702160';

export function configureMessaging(opts: { serviceNumber: string }): void {
  serviceNumber = opts.serviceNumber;
}

export const smsServiceNumber = () => serviceNumber;

export const tenantPort = (extension: string) => serviceNumber + extension;
