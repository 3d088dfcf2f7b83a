const SYMBOLS: Record<string, string> = { CNY: '¥', HKD: 'HK$', MOP: 'MOP$', TWD: 'NT$', USD: '$', EUR: '€', GBP: '£', SGD: 'S$' };

/** Money from the minor unit: formatFen(123450) === '¥1,234.50'; integer arithmetic only. */
export function formatFen(fen: number, currency = 'CNY'): string {
  const symbol = SYMBOLS[currency] ?? `${currency} `;
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(fen));
  const major = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const minor = String(abs % 100).padStart(2, '0');
  return `${sign}${symbol}${major}.${minor}`;
}

/** Yuan typed in a form (may carry float noise: 0.1 + 0.2) to whole fen. */
export function yuanToFen(yuan: number): number {
  return Math.round(yuan * 100);
}

export function fenToYuan(fen: number): number {
  return fen / 100;
}

/** A timestamp in the merchant's time zone, e.g. '2025/01/31 14:05:09' (zh-CN). */
export function formatDateTime(iso: string | null | undefined, locale: string, timeZone?: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'zh-CN', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
    }).format(d);
  } catch {
    return d.toISOString();
  }
}

/** A phone as staff read it: mainland mobiles without the +86 ('+8613800138000' →
 * '13800138000'); other E.164 numbers and masked ones ('138****8000') as they are. */
export function formatPhone(phone: string): string {
  const m = /^\+86(1\d{10})$/.exec(phone);
  return m ? m[1]! : phone;
}
