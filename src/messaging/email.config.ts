/**
 * Deployment-wide email settings the services need (set once when the app is built): the
 * deployment's SMTP server (MEMBERDESK_SMTP_*), used for merchants without their own, and the
 * base URL unsubscribe links point to.
 */
export interface SmtpServer {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password: string;
}

export interface EmailDeployment {
  /** null: no deployment SMTP server; only merchants with their own can send email. */
  smtp: (SmtpServer & { from: string }) | null;
  publicUrl: string;
  /** Merchants' own SMTP servers may be on loopback / private / link-local addresses. */
  allowPrivateTenantSmtp: boolean;
}

let deployment: EmailDeployment = { smtp: null, publicUrl: 'http://127.0.0.1:3000', allowPrivateTenantSmtp: false };

export function configureEmail(d: EmailDeployment): void {
  deployment = d;
}

export const emailDeployment = (): EmailDeployment => deployment;

/** The link in a marketing email's footer and List-Unsubscribe header. */
export const unsubscribeUrl = (token: string) => `${deployment.publicUrl}/api/v1/email/unsubscribe?token=${encodeURIComponent(token)}`;
