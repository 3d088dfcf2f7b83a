import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import type { FileFormat, TextEncoding } from './detect.rules.js';
import { uniqueHeaders } from './mapping.rules.js';

/** A problem with the file as a whole (it cannot be read past some point). */
export class FileProblem extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** spreadsheet row number where reading stopped, if known */
    readonly rowNo: number | null = null,
  ) {
    super(message);
  }
}

export interface SourceRow {
  /** 1-based row number as a spreadsheet shows it (the header is row 1) */
  rowNo: number;
  cells: string[];
}

/**
 * The rows of an uploaded file, read as a stream: only the current chunk and row are in
 * memory, whatever the size of the file.
 */
export interface RowSource {
  header: string[];
  headerRowNo: number;
  rows: AsyncIterator<SourceRow>;
  /** bytes of the file consumed so far (for progress) */
  bytesRead(): number;
  close(): void;
}

export interface StoredFile {
  path: string;
  format: FileFormat;
  encoding: TextEncoding | null;
  delimiter: string | null;
}

export async function openSource(file: StoredFile): Promise<RowSource> {
  const src = file.format === 'xlsx' ? openXlsx(file.path) : openCsv(file);
  let first: IteratorResult<SourceRow>;
  try {
    // the header is the first row with something in it
    do first = await src.rows.next();
    while (!first.done && first.value.cells.every((c) => c.trim() === ''));
  } catch (err) {
    src.close();
    throw err;
  }
  if (first.done) {
    src.close();
    throw new FileProblem('import_empty', 'The file has no header row: its first row must name the columns (手机号, 姓名, …)');
  }
  return { ...src, header: uniqueHeaders(first.value.cells), headerRowNo: first.value.rowNo };
}

// ---------------------------------------------------------------- CSV

function openCsv(file: StoredFile): Omit<RowSource, 'header' | 'headerRowNo'> {
  const input = createReadStream(file.path, { highWaterMark: 64 * 1024 });
  const parser = parse({
    delimiter: file.delimiter ?? ',',
    // rows may have fewer or more cells than the header: readRow sees the missing ones as empty
    relax_column_count: true,
    bom: true,
    // strict quoting: a stray quote is reported at its row instead of silently merging rows
    relax_quotes: false,
    max_record_size: 1024 * 1024,
  });
  const onError = () => undefined; // errors surface through the parser's iterator
  if (file.encoding === 'utf-8' || file.encoding === null) pipeline(input, parser, onError);
  else pipeline(input, iconv.decodeStream(file.encoding), parser, onError);

  const records = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;
  let rowNo = 0;
  const rows: AsyncIterator<SourceRow> = {
    async next() {
      try {
        const r = await records.next();
        if (r.done) return { done: true, value: undefined };
        rowNo++;
        return { done: false, value: { rowNo, cells: r.value } };
      } catch (err) {
        throw csvProblem(err, rowNo + 1);
      }
    },
  };
  return {
    rows,
    bytesRead: () => input.bytesRead,
    close: () => {
      input.destroy();
      parser.destroy();
    },
  };
}

/** csv-parse's errors, said so that someone with the file in Excel can find and fix the spot. */
export function csvProblem(err: unknown, rowNo: number): Error {
  if (!(err instanceof CsvError)) return err instanceof Error ? err : new Error(String(err));
  const info = err as unknown as { lines?: number; records?: number };
  // `records` counts the rows read before the broken one; the header is row 1
  const row = info.records !== undefined ? info.records + 1 : rowNo;
  const at = `Row ${row}${info.lines ? ` (line ${info.lines} of the file)` : ''}`;
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new FileProblem('csv_quoting', `${at}: a field opens with a quote (") that is never closed, so the rest of the file would run into it. Close the quote, or double a quote that is part of the text ("")`, row);
    case 'CSV_INVALID_CLOSING_QUOTE':
      return new FileProblem('csv_quoting', `${at}: text follows the closing quote of a quoted field. A quote inside a quoted field must be doubled ("")`, row);
    case 'INVALID_OPENING_QUOTE':
      return new FileProblem('csv_quoting', `${at}: a quote (") appears inside a field that is not quoted. Quote the whole field and double the quote ("a""b")`, row);
    case 'CSV_MAX_RECORD_SIZE':
      return new FileProblem('csv_row_too_large', `${at}: a row longer than 1 MB — most likely an unbalanced quote`, row);
    default:
      return new FileProblem('csv_unreadable', `${at}: ${err.message}`, row);
  }
}

// ---------------------------------------------------------------- xlsx

function openXlsx(path: string): Omit<RowSource, 'header' | 'headerRowNo'> {
  const input = createReadStream(path, { highWaterMark: 64 * 1024 });
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    // styles tell dates from numbers
    styles: 'cache',
    entries: 'ignore',
  });

  async function* generate(): AsyncGenerator<SourceRow> {
    let sawSheet = false;
    try {
      for await (const sheet of reader) {
        sawSheet = true;
        for await (const row of sheet) {
          const values = row.values as unknown[];
          const cells: string[] = [];
          for (let i = 1; i < values.length; i++) cells.push(cellText(values[i]));
          yield { rowNo: row.number, cells };
        }
        break; // the first worksheet only
      }
    } catch (err) {
      if (err instanceof FileProblem) throw err;
      throw new FileProblem('xlsx_unreadable', `The Excel workbook cannot be read (${err instanceof Error ? err.message : String(err)}): save it again as .xlsx, or as CSV UTF-8`);
    }
    if (!sawSheet) throw new FileProblem('xlsx_unreadable', 'This is a zip file but not an Excel workbook with a worksheet: upload a .xlsx or .csv file');
  }

  const it = generate();
  return {
    rows: it,
    bytesRead: () => input.bytesRead,
    close: () => {
      void it.return(undefined).catch(() => undefined);
      input.destroy();
    },
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An Excel cell as the text a CSV of it would hold. Dates keep the wall-clock value Excel
 * shows (exceljs hands them over as UTC). */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(0) : String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return '';
    const date = `${v.getUTCFullYear()}-${pad(v.getUTCMonth() + 1)}-${pad(v.getUTCDate())}`;
    const h = v.getUTCHours(), m = v.getUTCMinutes(), s = v.getUTCSeconds();
    return h || m || s ? `${date} ${pad(h)}:${pad(m)}:${pad(s)}` : date;
  }
  if (typeof v === 'object') {
    const o = v as { richText?: { text: string }[]; text?: unknown; result?: unknown; error?: string; hyperlink?: string };
    if (Array.isArray(o.richText)) return o.richText.map((r) => r.text).join('');
    if ('result' in o) return cellText(o.result);
    if (typeof o.text === 'string') return o.text;
    if (typeof o.error === 'string') return o.error;
  }
  return String(v);
}
