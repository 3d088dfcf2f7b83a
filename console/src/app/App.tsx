import { QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { useEffect, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { RouterProvider } from 'react-router-dom';
import { onUnauthorized } from './api/client';
import { qk } from './api/keys';
import { queryClient } from './api/queryClient';
import { router } from './router';

const REDUCED_MOTION = '(prefers-reduced-motion: reduce)';
/** Whether the person asked their system for less motion (then antd animates nothing). */
function usePrefersReducedMotion(): boolean {
  return useSyncExternalStore(
    (onChange) => {
      const query = window.matchMedia(REDUCED_MOTION);
      query.addEventListener('change', onChange);
      return () => query.removeEventListener('change', onChange);
    },
    () => window.matchMedia(REDUCED_MOTION).matches,
  );
}

/** Providers: data cache, antd theme and locale (following the console language), router. */
export function App() {
  const { i18n, t } = useTranslation();
  const lang = i18n.language === 'en' ? 'en' : 'zh-CN';
  const reducedMotion = usePrefersReducedMotion();

  useEffect(() => {
    // Any 401 means the session is over: forget who we were; RequireAuth sends us to login.
    onUnauthorized(() => queryClient.setQueryData(qk.me, null));
    return () => onUnauthorized(null);
  }, []);

  useEffect(() => {
    document.title = t('app.title');
    // Date pickers name months and weekdays in the console's language.
    dayjs.locale(lang === 'en' ? 'en' : 'zh-cn');
  }, [t, lang]);

  return (
    <QueryClientProvider client={queryClient}>
      <ConfigProvider
        locale={lang === 'en' ? enUS : zhCN}
        theme={{ token: { colorPrimary: '#1677ff', borderRadius: 6, motion: !reducedMotion } }}
        button={{ autoInsertSpace: false }}
      >
        <AntApp>
          <RouterProvider router={router} />
        </AntApp>
      </ConfigProvider>
    </QueryClientProvider>
  );
}
