import { Flex, Spin } from 'antd';
import { useTranslation } from 'react-i18next';

export function Loading({ fullPage = false }: { fullPage?: boolean }) {
  const { t } = useTranslation();
  return (
    <Flex justify="center" align="center" style={{ minHeight: fullPage ? '100vh' : 200 }} aria-busy="true">
      <Spin size="large" description={t('common.loading')} />
    </Flex>
  );
}
