/**
 * Minimal types for the `smpp` package (0.5.1), which ships none: only what memberdesk uses
 * (the PDU codec, the error codes, and the Session/Server for the bench's bare client and
 * the bench SMSC).
 */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer } from 'node:net';

  export interface PduFields {
    [field: string]: unknown;
  }

  export class PDU {
    constructor(command: string, options?: PduFields);
    constructor(buffer: Buffer);
    command: string;
    command_id: number;
    command_status: number;
    command_length: number;
    sequence_number: number;
    [field: string]: unknown;
    isResponse(): boolean;
    response(options?: PduFields): PDU;
    toBuffer(): Buffer;
    static maxLength: number;
  }

  export class Session extends EventEmitter {
    constructor(options: Record<string, unknown>);
    socket: import('node:net').Socket;
    send(pdu: PDU, responseCallback?: (pdu: PDU) => void, sendCallback?: (pdu: PDU) => void): boolean;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
    pause(): void;
    resume(): void;
    bind_transceiver(options: PduFields, responseCallback?: (pdu: PDU) => void): boolean;
    submit_sm(options: PduFields, responseCallback?: (pdu: PDU) => void): boolean;
    deliver_sm(options: PduFields, responseCallback?: (pdu: PDU) => void): boolean;
    enquire_link(options?: PduFields, responseCallback?: (pdu: PDU) => void): boolean;
    unbind(options?: PduFields, responseCallback?: (pdu: PDU) => void): boolean;
    [command: string]: unknown;
  }

  export interface Server extends NetServer {
    sessions: Session[];
  }

  export function connect(options: { host?: string; port?: number; url?: string; [k: string]: unknown }, listener?: () => void): Session;
  export function createServer(options: Record<string, unknown>, listener?: (session: Session) => void): Server;
  export function createServer(listener?: (session: Session) => void): Server;

  export const errors: Record<string, number>;
  export const consts: Record<string, unknown>;
  export const commands: Record<string, { id: number; command: string }>;
  export const ESME_ROK: number;
  export const ESME_RTHROTTLED: number;
  export const ESME_RMSGQFUL: number;
}
