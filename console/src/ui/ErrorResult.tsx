import { Button, Result } from 'antd';
import { useTranslation } from 'react-i18next';

/** The error state of a page or a block: what failed and a retry button. */
export function ErrorResult({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  const status = (error as { status?: number } | null)?.status;
  if (status === 403) {
    return <Result status="403" title={t('errors.forbiddenTitle')} subTitle={t('errors.forbiddenText')} />;
  }
  const detail = status === 0 ? t('errors.network') : error instanceof Error ? error.message : String(error);
  return (
    <Result
      status="error"
      title={t('errors.loadFailed')}
      subTitle={detail}
      extra={
        onRetry ? (
          <Button type="primary" onClick={onRetry}>
            {t('common.retry')}
          </Button>
        ) : null
      }
    />
  );
}
