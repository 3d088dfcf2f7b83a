import { Card, Flex, Segmented, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import { useFormat } from '../../../app/format';
import { ListToolbar } from '../../../ui/ListToolbar';
import { PagedList } from '../../../ui/PagedList';
import { PageHeader } from '../../../ui/PageHeader';
import { useExpiring } from '../api';
import type { ExpiringMember } from '../types';

type Row = ExpiringMember & { id: string };

/** 积分即将过期: members whose reward points lapse within N days. */
export function ExpiringPage() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const navigate = useNavigate();
  const [days, setDays] = useState(30);
  const q = useExpiring(days);
  const rows = useMemo<Row[]>(() => q.rows.map((r) => ({ ...r, id: r.memberId })), [q.rows]);
  const source = { ...q, rows };
  const columns: ColumnsType<Row> = [
    { title: t('members.cardNo'), dataIndex: 'cardNo', fixed: 'left', render: (v: string, r) => <Link to={`/members/${r.memberId}`} onClick={(e) => e.stopPropagation()}>{v}</Link> },
    { title: t('members.name'), dataIndex: 'name', render: (v: string | null) => v ?? t('members.noName') },
    { title: t('members.points'), dataIndex: 'points', align: 'right', render: (v: number) => v.toLocaleString() },
    { title: t('loyalty.expiring.points'), dataIndex: 'expiringPoints', align: 'right', render: (v: number) => <Typography.Text type="warning" strong>{v.toLocaleString()}</Typography.Text> },
    { title: t('loyalty.expiring.at'), dataIndex: 'expiresAt', render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{fmt.dateTime(v)}</span> },
  ];
  const card = (r: Row) => (
    <Card size="small" hoverable onClick={() => navigate(`/members/${r.memberId}`)} data-testid="expiring-card">
      <Flex justify="space-between">
        <Typography.Text strong>{r.name ?? t('members.noName')}</Typography.Text>
        <Typography.Text type="secondary">{r.cardNo}</Typography.Text>
      </Flex>
      <div>{t('loyalty.expiring.line', { points: r.expiringPoints, date: fmt.dateTime(r.expiresAt), balance: r.points })}</div>
    </Card>
  );
  return (
    <>
      <PageHeader title={t('loyalty.expiring.title')} subtitle={t('loyalty.expiring.subtitle')} />
      <Card>
        <ListToolbar
          filters={
            <Segmented<number>
              value={days}
              onChange={setDays}
              options={[7, 30, 90, 365].map((d) => ({ value: d, label: t('loyalty.expiring.within', { days: d }) }))}
            />
          }
          extra={
            <Typography.Text type="secondary" data-testid="expiring-count">
              {t('loyalty.expiring.loaded', { count: rows.length })}
            </Typography.Text>
          }
        />
        <PagedList source={source} columns={columns} card={card} emptyText={t('loyalty.expiring.empty', { days })} onOpen={(r) => navigate(`/members/${r.memberId}`)} testId="expiring" />
      </Card>
    </>
  );
}
