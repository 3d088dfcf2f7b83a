import { Empty, Table, type TableProps } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

/** A list table: scrolls sideways on phones (key column fixed by the caller), a real empty
 * state, client-side pages over what is loaded. */
export function DataTable<T extends { id: string }>(props: TableProps<T> & { emptyText?: ReactNode; emptyAction?: ReactNode }) {
  const { t } = useTranslation();
  const { emptyText, emptyAction, ...rest } = props;
  return (
    <Table<T>
      rowKey="id"
      size="middle"
      scroll={{ x: 'max-content' }}
      pagination={{ defaultPageSize: 20, showSizeChanger: true, hideOnSinglePage: true, showTotal: (total) => t('common.total', { count: total }) }}
      locale={{
        emptyText: (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={emptyText}>
            {emptyAction}
          </Empty>
        ),
      }}
      {...rest}
    />
  );
}
