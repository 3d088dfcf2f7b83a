import { GlobalOutlined } from '@ant-design/icons';
import { Button, Dropdown } from 'antd';
import { useTranslation } from 'react-i18next';
import { LANGS, currentLang, setLang, type Lang } from '../i18n';

export function LanguageSwitch({ compact = false }: { compact?: boolean }) {
  const { t } = useTranslation();
  const lang = currentLang();
  return (
    <Dropdown
      trigger={['click']}
      menu={{
        selectable: true,
        selectedKeys: [lang],
        items: LANGS.map((l) => ({ key: l, label: t(`lang.${l}`) })),
        onClick: ({ key }) => void setLang(key as Lang),
      }}
    >
      <Button type="text" icon={<GlobalOutlined />} aria-label={t('lang.label')}>
        {compact ? null : t(`lang.${lang}`)}
      </Button>
    </Dropdown>
  );
}
