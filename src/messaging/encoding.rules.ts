/**
 * SMS encodings and segments (pure).
 *
 * GSM 03.38: the 7-bit default alphabet, plus the extension table whose characters take two
 * septets (ESC + char). Any other character makes the whole message UCS-2, where a character
 * outside the BMP (emoji, rare CJK) takes two UTF-16 units.
 *
 * Billing (api.md): UCS-2 ≤ 70 units is one segment, longer is ⌈n/67⌉; GSM-7 ≤ 160 septets is
 * one, longer ⌈n/153⌉. We bill what is actually sent: `segments(text)` is the number of parts
 * `splitForSubmit` produces, which equals those formulas unless a surrogate pair or an escape
 * pair would straddle a part boundary (then the part is one unit shorter and there may be one
 * part more, and that extra part is billed because the carrier bills it).
 */

export type SmsEncoding = 'gsm7' | 'ucs2';

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set(GSM7_BASIC);
const EXTENSION = new Set(GSM7_EXTENSION);

/** Single-part and per-part capacities, in septets (GSM-7) or UTF-16 units (UCS-2). */
export const CAPACITY = {
  gsm7: { single: 160, part: 153 },
  ucs2: { single: 70, part: 67 },
} as const;

/** The longest message memberdesk accepts (signature and opt-out hint included), in characters
 * (UTF-16 units). Carriers and platforms cap a message at about 500 characters. */
export const MAX_TEXT_LENGTH = 500;

export function isGsm7Char(ch: string): boolean {
  return BASIC.has(ch) || EXTENSION.has(ch);
}

/** GSM-7 if every character is in the basic or extension table, else UCS-2. */
export function chooseEncoding(text: string): SmsEncoding {
  for (const ch of text) {
    if (!BASIC.has(ch) && !EXTENSION.has(ch)) return 'ucs2';
  }
  return 'gsm7';
}

/** Length in the encoding's units: septets (extension characters count 2) or UTF-16 units. */
export function encodedLength(text: string, encoding: SmsEncoding = chooseEncoding(text)): number {
  if (encoding === 'ucs2') return text.length;
  let n = 0;
  for (const ch of text) n += EXTENSION.has(ch) ? 2 : 1;
  return n;
}

/** api.md's formula: 1 when it fits one SMS, else ⌈n / per-part⌉. */
export function formulaSegments(units: number, encoding: SmsEncoding): number {
  const cap = CAPACITY[encoding];
  if (units <= cap.single) return 1;
  return Math.ceil(units / cap.part);
}

export interface SplitResult {
  encoding: SmsEncoding;
  /** Units of the whole text (septets or UTF-16 units). */
  units: number;
  /** One string when it fits a single SMS; otherwise parts of at most 153 septets / 67 units. */
  parts: string[];
}

/**
 * Splits a message for submission. A single SMS when it fits (160 septets / 70 units);
 * otherwise parts that each fit a concatenated segment, never splitting a surrogate pair
 * (a code point is atomic) or a GSM escape pair (an extension character is atomic).
 */
export function splitForSubmit(text: string): SplitResult {
  const encoding = chooseEncoding(text);
  const units = encodedLength(text, encoding);
  const cap = CAPACITY[encoding];
  if (units <= cap.single) return { encoding, units, parts: [text] };
  const parts: string[] = [];
  let current = '';
  let used = 0;
  for (const ch of text) {
    const w = encoding === 'ucs2' ? ch.length : EXTENSION.has(ch) ? 2 : 1;
    if (used + w > cap.part) {
      parts.push(current);
      current = '';
      used = 0;
    }
    current += ch;
    used += w;
  }
  if (current) parts.push(current);
  return { encoding, units, parts };
}

/** Billed segments of a text: the number of parts it is sent in. */
export function segmentsOf(text: string): number {
  return splitForSubmit(text).parts.length;
}
