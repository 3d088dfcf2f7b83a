import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import iconv from 'iconv-lite';
import { AppError } from '../../platform/http/problem.js';
import { FormatSniffer, guessDelimiter, type FileFormat, type TextEncoding } from './detect.rules.js';
import { FileProblem, openSource, type StoredFile } from './source.js';

export const SAMPLE_ROWS = 5;

export interface InspectedFile extends StoredFile {
  size: number;
  header: string[];
  headerRowNo: number;
  sample: string[][];
}

/**
 * Streams an upload to `dest` (never into memory), checking its size and deciding on the way
 * what the file is (see detect.rules.ts); then reads its header and first rows. Any problem is
 * a 4xx AppError and leaves no file behind.
 */
export async function receiveUpload(
  body: Readable,
  dest: string,
  opts: { maxBytes: number; encoding?: TextEncoding; delimiter?: string },
): Promise<InspectedFile> {
  const sniffer = new FormatSniffer();
  let size = 0;
  const inspect = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > opts.maxBytes) {
        done(new AppError(413, 'import_too_large', `The file is larger than ${Math.round(opts.maxBytes / 1024 / 1024)} MB: split it into several files`));
        return;
      }
      sniffer.push(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(body, inspect, createWriteStream(dest, { mode: 0o600 }));
    const detected = sniffer.finish();
    if (!detected.ok) throw new AppError(400, detected.code, detected.message);
    const format: FileFormat = detected.format;
    let encoding: TextEncoding | null = null;
    let delimiter: string | null = null;
    if (detected.format === 'csv') {
      encoding = opts.encoding ?? detected.encoding;
      delimiter = opts.delimiter ?? guessDelimiter(await firstLine(dest, encoding));
    }
    const file: StoredFile = { path: dest, format, encoding, delimiter };
    const { header, headerRowNo, sample } = await readHead(file);
    return { ...file, size, header, headerRowNo, sample };
  } catch (err) {
    await fs.rm(dest, { force: true });
    if (err instanceof FileProblem) throw new AppError(400, err.code, err.message);
    throw err;
  }
}

async function firstLine(path: string, encoding: TextEncoding): Promise<string> {
  const stream = createReadStream(path, { start: 0, end: 64 * 1024 - 1 });
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  const text = iconv.decode(Buffer.concat(chunks), encoding).replace(/^\ufeff/, '');
  const nl = text.search(/\r?\n/);
  return nl >= 0 ? text.slice(0, nl) : text;
}

/** The header row and the first data rows, for the mapping step. */
export async function readHead(file: StoredFile): Promise<{ header: string[]; headerRowNo: number; sample: string[][] }> {
  const src = await openSource(file);
  try {
    const sample: string[][] = [];
    while (sample.length < SAMPLE_ROWS) {
      const next = await src.rows.next();
      if (next.done) break;
      if (next.value.cells.every((c) => c.trim() === '')) continue;
      sample.push(next.value.cells.slice(0, src.header.length).map((c) => c.slice(0, 200)));
    }
    return { header: src.header, headerRowNo: src.headerRowNo, sample };
  } finally {
    src.close();
  }
}
