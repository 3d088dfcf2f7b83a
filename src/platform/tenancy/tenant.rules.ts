/**
 * SMS extensions route inbound messages by longest prefix, so no extension may equal, start,
 * or start with another one; otherwise one merchant's port would swallow another's.
 * @example extensionClash('01', ['011']) === '011'; extensionClash('02', ['01']) === null
 */
export function extensionClash(candidate: string, existing: Iterable<string>): string | null {
  for (const other of existing) {
    if (other.startsWith(candidate) || candidate.startsWith(other)) return other;
  }
  return null;
}

export function smsPort(serviceNumber: string, extension: string): string {
  return serviceNumber + extension;
}

/** IANA zone names that this Node's ICU knows. */
export function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz.includes('/') || tz === 'UTC';
  } catch {
    return false;
  }
}

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
export function isValidCurrency(code: string): boolean {
  return CURRENCIES.has(code);
}
