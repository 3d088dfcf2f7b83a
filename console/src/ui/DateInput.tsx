import { DatePicker, type DatePickerProps } from 'antd';
import dayjs from 'dayjs';

/** A DatePicker whose form value is the API's `YYYY-MM-DD` string (or undefined), so forms
 * hold plain strings and nothing else needs to know about dayjs. */
export function DateInput(
  props: Omit<DatePickerProps, 'value' | 'onChange' | 'picker'> & {
    value?: string | null;
    onChange?: (v: string | undefined) => void;
    /** Days after today cannot be picked (birthdays). */
    pastOnly?: boolean;
  },
) {
  const { value, onChange, pastOnly, ...rest } = props;
  const parsed = value ? dayjs(value) : null;
  return (
    <DatePicker
      format="YYYY-MM-DD"
      style={{ width: '100%' }}
      disabledDate={pastOnly ? (d) => d.isAfter(dayjs(), 'day') : undefined}
      {...rest}
      value={parsed && parsed.isValid() ? parsed : null}
      onChange={(d) => {
        const one = Array.isArray(d) ? d[0] : d;
        onChange?.(one ? one.format('YYYY-MM-DD') : undefined);
      }}
    />
  );
}
