/**
 * Text ↔ SMS bytes for the gateways: GSM 03.38 default alphabet (data_coding 0, one septet per
 * octet as SMPP carries it unpacked) or UCS-2 (data_coding 8, UTF-16BE), and splitting into
 * concatenated parts with an 8-bit-reference UDH (IEI 0x00).
 *
 * Which encoding and where the parts end come from the pipeline's rules (encoding.rules.ts), so
 * the gateway sends exactly the segments that were billed; this file turns them into octets.
 */
import { CAPACITY, chooseEncoding as chooseByRules, splitForSubmit } from '../encoding.rules.js';

/** GSM 03.38 basic character set, indexed by septet value. */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** Extension table (after ESC 0x1B): character → septet. */
const GSM_EXT: Record<string, number> = {
  '\f': 0x0a,
  '^': 0x14,
  '{': 0x28,
  '}': 0x29,
  '\\': 0x2f,
  '[': 0x3c,
  '~': 0x3d,
  ']': 0x3e,
  '|': 0x40,
  '€': 0x65,
};

const basicEnc = new Map<string, number>();
for (let i = 0; i < GSM_BASIC.length; i++) if (i !== 0x1b) basicEnc.set(GSM_BASIC[i]!, i);
const extDec = new Map<number, string>(Object.entries(GSM_EXT).map(([c, v]) => [v, c]));

export type SmsEncoding = 'gsm7' | 'ucs2';

export const DATA_CODING = { gsm7: 0, ucs2: 8 } as const;

export function isGsm7(text: string): boolean {
  return chooseByRules(text) === 'gsm7';
}

export function chooseEncoding(text: string): SmsEncoding {
  return chooseByRules(text);
}

export function encodeGsm7(text: string): Buffer {
  const out: number[] = [];
  for (const ch of text) {
    const b = basicEnc.get(ch);
    if (b !== undefined) out.push(b);
    else if (ch in GSM_EXT) out.push(0x1b, GSM_EXT[ch]!);
    else out.push(0x3f); // '?'; never reached when chooseEncoding picked gsm7
  }
  return Buffer.from(out);
}

/** Unpacked GSM-7 (one septet per octet) → text; unknown escapes and high bytes become '?'. */
export function decodeGsm7(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]! & 0x7f;
    if (b === 0x1b && i + 1 < bytes.length) {
      s += extDec.get(bytes[++i]! & 0x7f) ?? '?';
    } else {
      s += GSM_BASIC[b] ?? '?';
    }
  }
  return s;
}

export function encodeUcs2(text: string): Buffer {
  const le = Buffer.from(text, 'utf16le');
  return le.swap16();
}

export function decodeUcs2(bytes: Uint8Array): string {
  const even = bytes.length - (bytes.length % 2);
  const copy = Buffer.from(bytes.subarray(0, even));
  return copy.swap16().toString('utf16le');
}

/** Decode a short_message body by SMPP data_coding (lower nibble / well-known values). */
export function decodeByDataCoding(dataCoding: number, bytes: Uint8Array): string {
  const dc = dataCoding & 0xff;
  // SMPP 3.4 values 0..15 first; 0x10..0x3F are GSM 03.38 general coding groups (bits 3-2 =
  // alphabet), 0xF0..0xFF the message-class group (bit 2: 8-bit data).
  if (dc === 8 || (dc >= 0x10 && dc <= 0x3f && (dc & 0x0c) === 0x08)) return decodeUcs2(bytes);
  if (dc === 0 || (dc >= 0x10 && dc <= 0x3f && (dc & 0x0c) === 0) || (dc >= 0xf0 && (dc & 0x04) === 0)) {
    return decodeGsm7(bytes);
  }
  // 1 (IA5/ASCII), 3 (Latin-1) and anything else: bytes as Latin-1, never a throw.
  return Buffer.from(bytes).toString('latin1');
}

export interface EncodedSms {
  encoding: SmsEncoding;
  dataCoding: number;
  /** Bodies of the parts, without UDH; one element when the text fits a single SMS. */
  parts: Buffer[];
}

/** Limits: single message / per part of a concatenated message (UDH of 6 octets). */
export const LIMITS = CAPACITY;

/**
 * Encodes a text for submit_sm, split into parts by the pipeline's own rule
 * (encoding.rules.ts `splitForSubmit`: what is billed is what is sent). GSM-7 never splits an
 * escape pair; UCS-2 never splits a surrogate pair.
 */
export function encodeForSubmit(text: string): EncodedSms {
  const split = splitForSubmit(text);
  if (split.encoding === 'gsm7') return { encoding: 'gsm7', dataCoding: 0, parts: split.parts.map(encodeGsm7) };
  return { encoding: 'ucs2', dataCoding: 8, parts: split.parts.map(encodeUcs2) };
}

/** UDH for part `seq` (1-based) of `total`, 8-bit reference: 05 00 03 ref total seq. */
export function concatUdh(ref: number, total: number, seq: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, ref & 0xff, total & 0xff, seq & 0xff]);
}

export interface ConcatInfo {
  ref: number;
  total: number;
  seq: number;
}

/**
 * Splits a short_message that carries a UDH into the concatenation info (8- or 16-bit
 * reference) and the body. Returns null when the UDH is malformed (length beyond the message).
 */
export function splitUdh(sm: Uint8Array): { concat: ConcatInfo | null; body: Uint8Array } | null {
  if (sm.length < 1) return null;
  const udhl = sm[0]!;
  if (udhl + 1 > sm.length) return null;
  let concat: ConcatInfo | null = null;
  let p = 1;
  const end = 1 + udhl;
  while (p + 2 <= end) {
    const iei = sm[p]!;
    const len = sm[p + 1]!;
    if (p + 2 + len > end) return null;
    if (iei === 0x00 && len === 3) concat = { ref: sm[p + 2]!, total: sm[p + 3]!, seq: sm[p + 4]! };
    else if (iei === 0x08 && len === 4) concat = { ref: (sm[p + 2]! << 8) | sm[p + 3]!, total: sm[p + 4]!, seq: sm[p + 5]! };
    p += 2 + len;
  }
  if (concat && (concat.total < 1 || concat.seq < 1 || concat.seq > concat.total)) concat = null;
  return { concat, body: sm.subarray(end) };
}
