import { Flex } from 'antd';
import type { ReactNode } from 'react';

/** The filter bar above a table: filters on the left, summary or extra actions on the right.
 * Wraps onto several lines on phones. */
export function ListToolbar({ filters, extra }: { filters: ReactNode; extra?: ReactNode }) {
  return (
    <Flex justify="space-between" align="center" wrap gap="small" style={{ marginBottom: 12 }}>
      <Flex wrap gap="small" align="center" style={{ flex: '1 1 auto', minWidth: 0 }}>
        {filters}
      </Flex>
      {extra ? <Flex gap="small" align="center">{extra}</Flex> : null}
    </Flex>
  );
}
