import { Button, Empty, Flex, Spin } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { DataTable } from './DataTable';
import { ErrorResult } from './ErrorResult';
import { useIsMobile } from './useIsMobile';

/** What PagedList needs of a paged query (usePaged in app/api gives it). */
export interface PagedSource<T> {
  rows: T[];
  error: unknown;
  isPending: boolean;
  isFetching: boolean;
  isFetchingNextPage: boolean;
  hasNextPage: boolean;
  fetchNextPage: () => unknown;
  refetch: () => unknown;
}

/**
 * The body of a list page or tab: a table on a desktop, tappable cards on a phone (when
 * `card` is given; otherwise the table scrolls sideways), the empty and error states, and
 * "load more" for the next cursor page.
 */
export function PagedList<T extends { id: string }>(props: {
  source: PagedSource<T>;
  columns: ColumnsType<T>;
  card?: (row: T) => ReactNode;
  emptyText: ReactNode;
  onOpen?: (row: T) => void;
  testId?: string;
}) {
  const { t } = useTranslation();
  const mobile = useIsMobile();
  const { source: s } = props;
  if (s.error) return <ErrorResult error={s.error} onRetry={() => void s.refetch()} />;
  return (
    <div data-testid={props.testId}>
      {mobile && props.card ? (
        <Spin spinning={s.isFetching && !s.isFetchingNextPage}>
          <Flex vertical gap={8}>
            {s.rows.map((r) => (
              <div key={r.id}>{props.card!(r)}</div>
            ))}
            {!s.isPending && s.rows.length === 0 ? <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={props.emptyText} /> : null}
          </Flex>
        </Spin>
      ) : (
        <DataTable<T>
          columns={props.columns}
          dataSource={s.rows}
          loading={s.isFetching && !s.isFetchingNextPage}
          pagination={false}
          emptyText={props.emptyText}
          onRow={props.onOpen ? (r) => ({ onClick: () => props.onOpen!(r), style: { cursor: 'pointer' } }) : undefined}
        />
      )}
      {s.hasNextPage ? (
        <Button block style={{ marginTop: 12 }} loading={s.isFetchingNextPage} onClick={() => void s.fetchNextPage()}>
          {t('common.loadMore')}
        </Button>
      ) : null}
    </div>
  );
}
