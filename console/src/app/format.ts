import { useTranslation } from 'react-i18next';
import { formatDateTime, formatFen } from '../ui/format';
import { useSession } from './auth/session';

/** Money and times the way this user should see them: the merchant's currency and time zone,
 * the console's language. */
export function useFormat() {
  const { i18n } = useTranslation();
  const me = useSession();
  const currency = me.tenant?.currency ?? 'CNY';
  const timeZone = me.tenant?.timezone ?? 'Asia/Shanghai';
  return {
    money: (fen: number, cur: string = currency) => formatFen(fen, cur),
    dateTime: (iso: string | null | undefined, tz: string = timeZone) => formatDateTime(iso, i18n.language, tz),
  };
}
