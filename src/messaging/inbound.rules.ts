/**
 * Inbound messages (pure): which merchant a destination belongs to, and what a text asks for.
 */

/**
 * The merchant port that owns a destination: the longest registered extension such that
 * serviceNumber + extension prefixes the destination; the digits after it are the sub-code.
 * @example routeDestination('10657021600188', '1065702160', ['01', '0', '2']) → {extension: '01', subCode: '88'}
 */
export function routeDestination(
  destination: string,
  serviceNumber: string,
  extensions: readonly string[],
): { extension: string; subCode: string } | null {
  const dest = destination.replace(/[\s+-]/g, '');
  if (!/^\d+$/.test(dest) || !dest.startsWith(serviceNumber)) return null;
  const rest = dest.slice(serviceNumber.length);
  let best: string | null = null;
  for (const ext of extensions) {
    if (rest.startsWith(ext) && (best === null || ext.length > best.length)) best = ext;
  }
  return best === null ? null : { extension: best, subCode: rest.slice(best.length) };
}

/** Every extension a destination could belong to (its prefixes after the service number, at
 * most 6 digits), for an indexed lookup before `routeDestination` picks the longest. */
export function candidateExtensions(destination: string, serviceNumber: string): string[] {
  const dest = destination.replace(/[\s+-]/g, '');
  if (!/^\d+$/.test(dest) || !dest.startsWith(serviceNumber)) return [];
  const rest = dest.slice(serviceNumber.length);
  const out: string[] = [];
  for (let i = 1; i <= Math.min(6, rest.length); i++) out.push(rest.slice(0, i));
  return out;
}

/** Case-, width- and space-insensitive form of a keyword or message: NFKC (full-width digits,
 * letters and ＃ become ASCII, the ideographic space a space), trimmed, upper case. */
export function normalizeKeyword(text: string): string {
  return text.normalize('NFKC').trim().replace(/\s+/g, ' ').toUpperCase();
}

export type Intent =
  | { kind: 'join' }
  | { kind: 'points' }
  | { kind: 'optout' }
  | { kind: 'lottery'; answer: string }
  | { kind: 'custom'; keyword: string }
  | { kind: 'feedback' };

const OPT_OUT = new Set(['TD', 'T', '退订']);

/** Keywords a tenant may not define for itself. */
export function isReservedKeyword(normalized: string): boolean {
  return normalized === '888' || normalized === '666' || OPT_OUT.has(normalized) || normalized.startsWith('CJ#');
}

/** What an inbound text asks for. Custom keywords are given already normalised. */
export function classifyInbound(text: string, customKeywords: readonly string[] = []): Intent {
  const n = normalizeKeyword(text);
  if (n === '888') return { kind: 'join' };
  if (n === '666') return { kind: 'points' };
  if (OPT_OUT.has(n)) return { kind: 'optout' };
  if (n.startsWith('CJ#')) {
    // the answer as the member typed it (width-normalised, trimmed), not upper-cased
    const raw = text.normalize('NFKC').trim();
    return { kind: 'lottery', answer: raw.slice(raw.indexOf('#') + 1).trim() };
  }
  if (n !== '' && customKeywords.includes(n)) return { kind: 'custom', keyword: n };
  return { kind: 'feedback' };
}

/** The keyword an inbound message is filed under in the log and the keyword report. */
export function keywordOf(intent: Intent): string | null {
  switch (intent.kind) {
    case 'join':
      return '888';
    case 'points':
      return '666';
    case 'optout':
      return 'TD';
    case 'lottery':
      return 'lottery';
    case 'custom':
      return intent.keyword;
    case 'feedback':
      return null;
  }
}
