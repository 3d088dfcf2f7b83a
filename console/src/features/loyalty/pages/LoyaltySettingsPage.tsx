import { SafetyCertificateOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Table, Tabs, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';
import { can, useSession } from '../../../app/auth/session';
import { PageHeader } from '../../../ui/PageHeader';
import { fetchReconcile } from '../api';
import type { Reconcile } from '../types';
import { RulesCard } from './RulesCard';
import { TiersCard } from './TiersCard';

/** 对账: every balance against its ledger. */
function ReconcileCard() {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Reconcile | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await fetchReconcile());
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={t('loyalty.reconcile.title')} data-testid="reconcile">
      <Typography.Paragraph type="secondary">{t('loyalty.reconcile.help')}</Typography.Paragraph>
      <Button icon={<SafetyCertificateOutlined />} loading={busy} onClick={() => void run()}>
        {t('loyalty.reconcile.run')}
      </Button>
      {error ? <Alert type="error" showIcon style={{ marginTop: 12 }} title={error} /> : null}
      {result ? (
        result.ok ? (
          <Alert type="success" showIcon style={{ marginTop: 12 }} data-testid="reconcile-result" title={t('loyalty.reconcile.ok', { members: result.members, entries: result.ledgerEntries })} />
        ) : (
          <div style={{ marginTop: 12 }} data-testid="reconcile-result">
            <Alert type="error" showIcon title={t('loyalty.reconcile.bad', { count: result.mismatches.length, members: result.members })} />
            <Table
              size="small"
              style={{ marginTop: 8 }}
              rowKey={(r) => `${r.memberId}-${r.check}`}
              dataSource={result.mismatches}
              pagination={false}
              scroll={{ x: 'max-content' }}
              columns={[
                { title: t('loyalty.member'), dataIndex: 'memberId', render: (v: string) => <Link to={`/members/${v}`}>{t('loyalty.tx.memberNo', { id: v })}</Link> },
                { title: t('loyalty.reconcile.check'), dataIndex: 'check' },
                { title: t('loyalty.reconcile.balance'), dataIndex: 'balance', render: (v: unknown) => String(v ?? '—') },
                { title: t('loyalty.reconcile.expected'), dataIndex: 'expected', render: (v: unknown) => String(v ?? '—') },
              ]}
            />
          </div>
        )
      ) : null}
    </Card>
  );
}

const TABS = ['tiers', 'rules', 'reconcile'] as const;
type Tab = (typeof TABS)[number];

/** 等级与积分规则: tiers, the versioned rules, and the reconciliation. */
export function LoyaltySettingsPage() {
  const { t } = useTranslation();
  const me = useSession();
  const [params, setParams] = useSearchParams();
  const tab: Tab = (TABS as readonly string[]).includes(params.get('tab') ?? '') ? (params.get('tab') as Tab) : 'tiers';
  const tabs = TABS.filter((k) => k !== 'reconcile' || can(me, 'loyalty.settings'));
  return (
    <>
      <PageHeader title={t('loyalty.settings.title')} subtitle={t('loyalty.settings.subtitle')} />
      <Tabs
        activeKey={tab}
        onChange={(k) => setParams(k === 'tiers' ? {} : { tab: k }, { replace: true })}
        destroyOnHidden
        items={tabs.map((k) => ({
          key: k,
          label: t(`loyalty.settings.tabs.${k}`),
          children: k === 'tiers' ? <TiersCard /> : k === 'rules' ? <RulesCard /> : <ReconcileCard />,
        }))}
      />
    </>
  );
}
