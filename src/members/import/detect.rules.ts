import iconv from 'iconv-lite';

/**
 * What an uploaded file is, decided from its bytes while it streams to disk, so a 100 MB
 * upload is looked at once and never held in memory.
 *
 * Order of the checks (first match wins):
 *   1. `PK\x03\x04` (a zip)            → xlsx (opening the workbook confirms it later)
 *   2. `D0 CF 11 E0` (OLE2)            → rejected: Excel 97–2003 .xls is not read; save as .xlsx
 *   3. a UTF-16 byte-order mark         → CSV in UTF-16 (Excel's "Unicode text" export)
 *   4. a NUL byte anywhere              → rejected: binary, not text
 *   5. valid UTF-8 throughout (BOM or not) → CSV in UTF-8
 *   6. valid GB18030 throughout, with no control characters → CSV in GB18030 (a superset of
 *      GBK and GB2312, which is what Excel on Chinese Windows writes as "CSV")
 *   7. otherwise                        → rejected, naming the offset of the first bad byte
 *
 * UTF-8 is tried first because GB18030 accepts almost any byte pair: a UTF-8 file would
 * "decode" as GB18030 into nonsense, while GBK text is almost never valid UTF-8.
 */
export type FileFormat = 'csv' | 'xlsx';
export type TextEncoding = 'utf-8' | 'gb18030' | 'utf-16le' | 'utf-16be';

export type Detection =
  | { ok: true; format: 'xlsx' }
  | { ok: true; format: 'csv'; encoding: TextEncoding }
  | { ok: false; code: 'import_file_type' | 'import_encoding' | 'import_empty'; message: string };

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/;

export class FormatSniffer {
  private size = 0;
  private head = Buffer.alloc(0);
  private utf8: TextDecoder | null = new TextDecoder('utf-8', { fatal: true });
  private utf8BadAt = -1;
  private gb: ReturnType<typeof iconv.getDecoder> | null = iconv.getDecoder('gb18030');
  private nulAt = -1;

  /** Feed the next chunk of the file. */
  push(chunk: Buffer): void {
    if (this.head.length < 8) this.head = Buffer.concat([this.head, chunk.subarray(0, 8 - this.head.length)]);
    const offset = this.size;
    this.size += chunk.length;
    if (this.isBinaryContainer()) return; // zip/OLE: no text checks
    if (this.nulAt < 0) {
      const i = chunk.indexOf(0);
      if (i >= 0) this.nulAt = offset + i;
    }
    if (this.utf8) {
      try {
        this.utf8.decode(chunk, { stream: true });
      } catch {
        this.utf8BadAt = offset + firstInvalidUtf8(chunk);
        this.utf8 = null;
      }
    }
    if (this.gb) {
      const text = this.gb.write(chunk);
      if (badTextIndex(text) >= 0) this.gb = null;
    }
  }

  private isBinaryContainer(): boolean {
    return this.head.length >= 4 && (isZip(this.head) || isOle(this.head));
  }

  /** The verdict once the whole file has been pushed. */
  finish(): Detection {
    if (this.size === 0) return { ok: false, code: 'import_empty', message: 'The file is empty' };
    if (isZip(this.head)) return { ok: true, format: 'xlsx' };
    if (isOle(this.head)) {
      return { ok: false, code: 'import_file_type', message: 'Excel 97–2003 workbooks (.xls) are not supported: open the file in Excel or WPS and save it as .xlsx or CSV' };
    }
    if (this.head[0] === 0xff && this.head[1] === 0xfe) return { ok: true, format: 'csv', encoding: 'utf-16le' };
    if (this.head[0] === 0xfe && this.head[1] === 0xff) return { ok: true, format: 'csv', encoding: 'utf-16be' };
    if (this.nulAt >= 0) {
      return { ok: false, code: 'import_file_type', message: `This is not a CSV or Excel file (binary data at byte ${this.nulAt}): upload a .csv or .xlsx file` };
    }
    if (this.utf8) {
      try {
        this.utf8.decode(new Uint8Array(0)); // flush: an incomplete sequence at the very end is invalid
        return { ok: true, format: 'csv', encoding: 'utf-8' };
      } catch {
        this.utf8BadAt = this.size - 1;
        this.utf8 = null;
      }
    }
    if (this.gb) {
      const rest = this.gb.end() ?? '';
      if (badTextIndex(rest) < 0) return { ok: true, format: 'csv', encoding: 'gb18030' };
    }
    return {
      ok: false,
      code: 'import_encoding',
      message:
        `The file is neither UTF-8 nor GBK/GB18030 text (the first byte that is not UTF-8 is at offset ${this.utf8BadAt}, ` +
        `and it does not read as GBK either). Save it as "CSV UTF-8" or as an Excel .xlsx workbook`,
    };
  }
}

const isZip = (h: Buffer) => h[0] === 0x50 && h[1] === 0x4b && h[2] === 0x03 && h[3] === 0x04;
const isOle = (h: Buffer) => h[0] === 0xd0 && h[1] === 0xcf && h[2] === 0x11 && h[3] === 0xe0;

/** Index of a replacement character (an undecodable sequence) or a control character other
 * than tab, CR, LF and form feed; -1 if the text is clean. */
function badTextIndex(text: string): number {
  const r = text.indexOf('\ufffd');
  const m = CONTROL.exec(text);
  const c = m ? m.index : -1;
  if (r < 0) return c;
  if (c < 0) return r;
  return Math.min(r, c);
}

function firstInvalidUtf8(chunk: Buffer): number {
  // Binary search the longest prefix that decodes (chunk boundaries may split a character,
  // hence `stream: true`); only runs once, on the chunk that failed.
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(chunk.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}

/**
 * The field delimiter of a CSV, from its first line: the most frequent of comma, tab and
 * semicolon outside quotes (comma when none appears).
 * @example guessDelimiter('手机\t姓名\t生日') === '\t'
 */
export function guessDelimiter(firstLine: string): ',' | '\t' | ';' {
  const counts = { ',': 0, '\t': 0, ';': 0 };
  let quoted = false;
  for (const ch of firstLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ',' || ch === '\t' || ch === ';')) counts[ch]++;
  }
  if (counts['\t'] > counts[','] && counts['\t'] >= counts[';']) return '\t';
  if (counts[';'] > counts[',']) return ';';
  return ',';
}
