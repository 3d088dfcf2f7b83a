/**
 * Bounded decoding of what an SMSC sends us: the PDU header, deliver_sm (MO and delivery
 * receipts) and the message id of a submit_sm_resp. Every read checks the PDU's length, so a
 * short or lying PDU is a DecodeError, never a read past the end (the `smpp` package reads a
 * cstring until the next NUL anywhere in the buffer, e.g. past a receipted_message_id without
 * its trailing NUL).
 */
import { decodeByDataCoding, splitUdh, type ConcatInfo } from './smpp-text.js';

export class DecodeError extends Error {}

export const CMD = {
  generic_nack: 0x80000000,
  submit_sm: 0x00000004,
  submit_sm_resp: 0x80000004,
  deliver_sm: 0x00000005,
  deliver_sm_resp: 0x80000005,
  unbind: 0x00000006,
  unbind_resp: 0x80000006,
  bind_transceiver: 0x00000009,
  bind_transceiver_resp: 0x80000009,
  enquire_link: 0x00000015,
  enquire_link_resp: 0x80000015,
  data_sm: 0x00000103,
} as const;

export const STATUS = {
  ESME_ROK: 0x00,
  ESME_RINVMSGLEN: 0x01,
  ESME_RINVCMDLEN: 0x02,
  ESME_RINVCMDID: 0x03,
  ESME_RINVBNDSTS: 0x04,
  ESME_RSYSERR: 0x08,
  ESME_RMSGQFUL: 0x14,
  ESME_RTHROTTLED: 0x58,
  ESME_RX_T_APPN: 0x64,
  ESME_RX_P_APPN: 0x65,
  ESME_RX_R_APPN: 0x66,
} as const;

/** submit_sm_resp statuses worth retrying later; everything else non-zero is permanent. */
const TRANSIENT_STATUSES = new Set<number>([
  STATUS.ESME_RMSGQFUL,
  STATUS.ESME_RTHROTTLED,
  STATUS.ESME_RSYSERR,
  STATUS.ESME_RX_T_APPN,
  0x04, // ESME_RINVBNDSTS: we are not bound (any more) — rebind and retry
  0x45, // ESME_RSUBMITFAIL: generic submit failure, usually momentary
  0xfe, // ESME_RDELIVERYFAILURE
]);

export function isTransientStatus(status: number): boolean {
  return TRANSIENT_STATUSES.has(status);
}

export function statusName(status: number): string {
  const names: Record<number, string> = {
    0x00: 'ESME_ROK',
    0x01: 'ESME_RINVMSGLEN',
    0x02: 'ESME_RINVCMDLEN',
    0x03: 'ESME_RINVCMDID',
    0x04: 'ESME_RINVBNDSTS',
    0x05: 'ESME_RALYBND',
    0x08: 'ESME_RSYSERR',
    0x0a: 'ESME_RINVSRCADR',
    0x0b: 'ESME_RINVDSTADR',
    0x0d: 'ESME_RBINDFAIL',
    0x0e: 'ESME_RINVPASWD',
    0x0f: 'ESME_RINVSYSID',
    0x14: 'ESME_RMSGQFUL',
    0x45: 'ESME_RSUBMITFAIL',
    0x58: 'ESME_RTHROTTLED',
    0x64: 'ESME_RX_T_APPN',
    0x65: 'ESME_RX_P_APPN',
    0x66: 'ESME_RX_R_APPN',
    0xfe: 'ESME_RDELIVERYFAILURE',
    0xff: 'ESME_RUNKNOWNERR',
    0x104: 'ESME_RINVDCS',
  };
  return names[status] ?? `0x${status.toString(16).padStart(8, '0')}`;
}

export interface PduHeader {
  length: number;
  commandId: number;
  status: number;
  sequence: number;
}

export function readHeader(pdu: Buffer): PduHeader {
  if (pdu.length < 16) throw new DecodeError(`PDU shorter than its header (${pdu.length} octets)`);
  return {
    length: pdu.readUInt32BE(0),
    commandId: pdu.readUInt32BE(4),
    status: pdu.readUInt32BE(8),
    sequence: pdu.readUInt32BE(12),
  };
}

class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
  ) {}
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  u8(field: string): number {
    if (this.pos + 1 > this.buf.length) throw new DecodeError(`PDU ends before ${field}`);
    return this.buf[this.pos++]!;
  }
  /** C-octet string of at most `max` octets including its NUL. */
  cstring(field: string, max: number): string {
    const limit = Math.min(this.buf.length, this.pos + max);
    const nul = this.buf.indexOf(0, this.pos);
    if (nul < 0 || nul >= limit) throw new DecodeError(`${field} is not NUL-terminated within ${max} octets`);
    const s = this.buf.toString('latin1', this.pos, nul);
    this.pos = nul + 1;
    return s;
  }
  bytes(field: string, n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new DecodeError(`${field} (${n} octets) runs past the end of the PDU`);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/** message_id of a submit_sm_resp: up to 65 octets, NUL tolerated missing at the very end. */
export function readSubmitRespMessageId(pdu: Buffer): string {
  const body = pdu.subarray(16);
  const nul = body.indexOf(0);
  const raw = body.subarray(0, nul < 0 ? body.length : nul);
  if (raw.length > 65) throw new DecodeError('submit_sm_resp message_id longer than 65 octets');
  return raw.toString('latin1');
}

export interface Tlv {
  tag: number;
  value: Buffer;
}

export interface DeliverSm {
  sourceAddr: string;
  destinationAddr: string;
  esmClass: number;
  dataCoding: number;
  /** short_message, or the message_payload TLV when short_message is empty. */
  message: Buffer;
  tlvs: Tlv[];
}

export const TLV = {
  receipted_message_id: 0x001e,
  sar_msg_ref_num: 0x020c,
  sar_total_segments: 0x020e,
  sar_segment_seqnum: 0x020f,
  message_payload: 0x0424,
  message_state: 0x0427,
} as const;

export function decodeDeliverSm(pdu: Buffer): DeliverSm {
  const header = readHeader(pdu);
  if (header.length !== pdu.length) throw new DecodeError('command_length does not match the PDU');
  const r = new Reader(pdu, 16);
  r.cstring('service_type', 6);
  r.u8('source_addr_ton');
  r.u8('source_addr_npi');
  const sourceAddr = r.cstring('source_addr', 65);
  r.u8('dest_addr_ton');
  r.u8('dest_addr_npi');
  const destinationAddr = r.cstring('destination_addr', 65);
  const esmClass = r.u8('esm_class');
  r.u8('protocol_id');
  r.u8('priority_flag');
  r.cstring('schedule_delivery_time', 17);
  r.cstring('validity_period', 17);
  r.u8('registered_delivery');
  r.u8('replace_if_present_flag');
  const dataCoding = r.u8('data_coding');
  r.u8('sm_default_msg_id');
  const smLength = r.u8('sm_length');
  let message = r.bytes('short_message', smLength);
  const tlvs: Tlv[] = [];
  while (r.remaining > 0) {
    if (r.remaining < 4) throw new DecodeError('truncated TLV header');
    const tag = (r.u8('tlv') << 8) | r.u8('tlv');
    const len = (r.u8('tlv') << 8) | r.u8('tlv');
    tlvs.push({ tag, value: r.bytes(`TLV 0x${tag.toString(16)}`, len) });
  }
  if (message.length === 0) {
    const payload = tlvs.find((t) => t.tag === TLV.message_payload);
    if (payload) message = payload.value;
  }
  return { sourceAddr, destinationAddr, esmClass, dataCoding, message, tlvs };
}

export function isReceipt(d: DeliverSm): boolean {
  // esm_class bits 5-2: 0001 SMSC delivery receipt, 0100 intermediate delivery notification
  const type = (d.esmClass >> 2) & 0x0f;
  return type === 0x01 || type === 0x08;
}

export interface ParsedReceipt {
  messageId: string;
  state: 'accepted' | 'delivered' | 'failed';
  detail: string;
}

const STAT_STATES: Record<string, ParsedReceipt['state']> = {
  DELIVRD: 'delivered',
  DELIVERED: 'delivered',
  ACCEPTD: 'accepted',
  ACCEPTED: 'accepted',
  ENROUTE: 'accepted',
  BUFFRED: 'accepted',
  EXPIRED: 'failed',
  DELETED: 'failed',
  UNDELIV: 'failed',
  UNDELIVERABLE: 'failed',
  REJECTD: 'failed',
  REJECTED: 'failed',
  UNKNOWN: 'failed',
};
/** SMPP 3.4 message_state values (5.2.28). */
const MESSAGE_STATES: Record<number, { state: ParsedReceipt['state']; name: string }> = {
  1: { state: 'accepted', name: 'ENROUTE' },
  2: { state: 'delivered', name: 'DELIVRD' },
  3: { state: 'failed', name: 'EXPIRED' },
  4: { state: 'failed', name: 'DELETED' },
  5: { state: 'failed', name: 'UNDELIV' },
  6: { state: 'accepted', name: 'ACCEPTD' },
  7: { state: 'failed', name: 'UNKNOWN' },
  8: { state: 'failed', name: 'REJECTD' },
};

/** A receipt's id: the TLV (NUL optional, bytes after it ignored), else the text's `id:`. */
export function parseReceipt(d: DeliverSm): ParsedReceipt | null {
  const text = d.message.toString('latin1');
  const idTlv = d.tlvs.find((t) => t.tag === TLV.receipted_message_id);
  let messageId = '';
  if (idTlv) {
    const nul = idTlv.value.indexOf(0);
    messageId = idTlv.value.subarray(0, nul < 0 ? idTlv.value.length : nul).toString('latin1').trim();
  }
  const idMatch = /(?:^|\s)id:([^\s]+)/i.exec(text);
  if (!messageId && idMatch) messageId = idMatch[1]!;
  if (!messageId || messageId.length > 65 || /[^\x21-\x7e]/.test(messageId)) return null;

  const statMatch = /(?:^|\s)stat:([A-Za-z_]+)/i.exec(text);
  const errMatch = /(?:^|\s)err:([^\s]+)/i.exec(text);
  const stateTlv = d.tlvs.find((t) => t.tag === TLV.message_state && t.value.length >= 1);
  let state: ParsedReceipt['state'] | undefined;
  let statName = '';
  if (stateTlv) {
    const m = MESSAGE_STATES[stateTlv.value[0]!];
    if (m) {
      state = m.state;
      statName = m.name;
    }
  }
  if (!state && statMatch) {
    statName = statMatch[1]!.toUpperCase();
    state = STAT_STATES[statName];
  }
  if (!state) return null;
  const detail = [statName && `stat:${statName}`, errMatch && `err:${errMatch[1]}`].filter(Boolean).join(' ');
  return { messageId, state, detail };
}

export interface MoPart {
  from: string;
  to: string;
  text: string;
  concat: ConcatInfo | null;
}

/** An MO deliver_sm → its text (UDH stripped) and concatenation info (UDH or SAR TLVs). */
export function decodeMo(d: DeliverSm): MoPart {
  let body: Uint8Array = d.message;
  let concat: ConcatInfo | null = null;
  if (d.esmClass & 0x40) {
    const split = splitUdh(d.message);
    if (!split) throw new DecodeError('malformed UDH');
    body = split.body;
    concat = split.concat;
  } else {
    const ref = d.tlvs.find((t) => t.tag === TLV.sar_msg_ref_num && t.value.length === 2);
    const total = d.tlvs.find((t) => t.tag === TLV.sar_total_segments && t.value.length === 1);
    const seq = d.tlvs.find((t) => t.tag === TLV.sar_segment_seqnum && t.value.length === 1);
    if (ref && total && seq) {
      const c = { ref: ref.value.readUInt16BE(0), total: total.value[0]!, seq: seq.value[0]! };
      if (c.total >= 1 && c.seq >= 1 && c.seq <= c.total) concat = c;
    }
  }
  if (concat && concat.total === 1) concat = null;
  return { from: d.sourceAddr, to: d.destinationAddr, text: decodeByDataCoding(d.dataCoding, body), concat };
}
