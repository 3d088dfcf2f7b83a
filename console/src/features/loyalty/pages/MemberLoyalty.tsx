import { EditOutlined, GiftOutlined, RollbackOutlined, ShoppingCartOutlined, TrophyOutlined, WalletOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Flex, Form, Input, InputNumber, Progress, Radio, Select, Space, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import type { Member } from '../../../app/api/types';
import { can, useSession } from '../../../app/auth/session';
import { useFormat } from '../../../app/format';
import { yuanToFen } from '../../../ui/format';
import { ModalForm } from '../../../ui/ModalForm';
import { PagedList } from '../../../ui/PagedList';
import { useAdjust, useCashOut, useLedger, useLoyaltySummary, useOverrideTier, useRedeem, useRules, useTierChanges, useTiers, useTopUp, useTransactions } from '../api';
import { TOP_UP_TENDERS, type LedgerEntry, type LedgerKind, type TierChangeEntry, type TopUpTender } from '../types';
import { TransactionList } from './TransactionParts';
import { causeLabel, Delta, TierName, TierChangeText, useIdempotencyKey } from './shared';

const reasonRule = (t: (k: 'validation.required') => string) => [{ required: true, whitespace: true, message: t('validation.required') }];

/** The bonus a top-up of `fen` gets: the rule with the highest minimum not above it. */
export function bonusFor(rules: readonly { minFen: number; bonusFen: number }[], fen: number): number {
  let best: { minFen: number; bonusFen: number } | null = null;
  for (const r of rules) if (r.minFen <= fen && (!best || r.minFen > best.minFen)) best = r;
  return best?.bonusFen ?? 0;
}

function TopUpModal({ member, open, onClose }: { member: Member; open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const { message } = App.useApp();
  const rules = useRules();
  const topUp = useTopUp();
  const [key, renew] = useIdempotencyKey();
  const bonusRules = [...(rules.data?.storedValue.topUpBonus ?? [])].sort((a, b) => a.minFen - b.minFen);
  return (
    <ModalForm<{ amount?: number; tender: TopUpTender }>
      open={open}
      title={t('loyalty.topUp.title')}
      okText={t('loyalty.topUp.submit')}
      onOpen={renew}
      onClose={onClose}
      initialValues={{ tender: 'cash' }}
      onSubmit={async (v) => {
        const r = await topUp.mutateAsync({ memberId: member.id, amountFen: yuanToFen(v.amount ?? 0), tender: v.tender, key });
        message.success(t('loyalty.topUp.done', { amount: fmt.money(r.amountFen), bonus: fmt.money(r.bonusFen), balance: fmt.money(r.storedValueFen) }));
      }}
    >
      {(form) => (
        <>
          <Card size="small" style={{ marginBottom: 16 }} data-testid="top-up-rules">
            <Typography.Text strong>{t('loyalty.topUp.rules')}</Typography.Text>
            {bonusRules.length ? (
              bonusRules.map((r) => <div key={r.minFen}>{t('loyalty.topUp.rule', { min: fmt.money(r.minFen), bonus: fmt.money(r.bonusFen) })}</div>)
            ) : (
              <div>{t('loyalty.topUp.noRules')}</div>
            )}
          </Card>
          <Form.Item name="amount" label={t('loyalty.topUp.amount')} rules={[{ required: true, message: t('validation.required') }]}>
            <InputNumber min={0.01} precision={2} prefix="¥" style={{ width: 200 }} />
          </Form.Item>
          <Form.Item noStyle shouldUpdate>
            {() => {
              const fen = yuanToFen(form.getFieldValue('amount') ?? 0);
              if (!fen) return null;
              const bonus = bonusFor(bonusRules, fen);
              return (
                <Alert
                  type={bonus ? 'success' : 'info'}
                  style={{ marginBottom: 16 }}
                  data-testid="top-up-preview"
                  title={bonus ? t('loyalty.topUp.preview', { bonus: fmt.money(bonus), total: fmt.money(fen + bonus) }) : t('loyalty.topUp.previewNone', { total: fmt.money(fen) })}
                />
              );
            }}
          </Form.Item>
          <Form.Item name="tender" label={t('loyalty.topUp.tender')}>
            <Select options={TOP_UP_TENDERS.map((x) => ({ value: x, label: t(`loyalty.topUpTenders.${x}`) }))} />
          </Form.Item>
        </>
      )}
    </ModalForm>
  );
}

function RedeemModal({ member, open, onClose }: { member: Member; open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const redeem = useRedeem();
  const [key, renew] = useIdempotencyKey();
  return (
    <ModalForm<{ points?: number; reason?: string }>
      open={open}
      title={t('loyalty.redeem.title')}
      okText={t('loyalty.redeem.submit')}
      onOpen={renew}
      onClose={onClose}
      errorCodes={{ insufficient_points: { field: 'points', message: t('loyalty.errors.pointsShortHave', { points: member.points }) } }}
      onSubmit={async (v) => {
        const r = await redeem.mutateAsync({ memberId: member.id, points: v.points ?? 0, reason: v.reason!.trim(), key });
        message.success(t('loyalty.redeem.done', { points: v.points, balance: r.member.points }));
      }}
    >
      <Typography.Paragraph>{t('loyalty.redeem.balance', { points: member.points })}</Typography.Paragraph>
      <Form.Item name="points" label={t('loyalty.redeem.points')} rules={[{ required: true, message: t('validation.required') }]}>
        <InputNumber min={1} precision={0} style={{ width: 200 }} />
      </Form.Item>
      <Form.Item name="reason" label={t('loyalty.redeem.reason')} rules={reasonRule(t)} extra={t('loyalty.redeem.reasonHelp')}>
        <Input maxLength={500} />
      </Form.Item>
    </ModalForm>
  );
}

function AdjustModal({ member, open, onClose }: { member: Member; open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const adjust = useAdjust();
  const [key, renew] = useIdempotencyKey();
  return (
    <ModalForm<{ kind: 'points' | 'tier_points'; direction: 'add' | 'deduct'; amount?: number; reason?: string }>
      open={open}
      title={t('loyalty.adjust.title')}
      okText={t('loyalty.adjust.submit')}
      onOpen={renew}
      onClose={onClose}
      initialValues={{ kind: 'points', direction: 'add' }}
      errorCodes={{
        insufficient_points: { field: 'amount', message: t('loyalty.errors.pointsShortHave', { points: member.points }) },
        insufficient_tier_points: { field: 'amount', message: t('loyalty.errors.tierPointsShort', { points: member.tierPoints }) },
      }}
      onSubmit={async (v) => {
        const delta = (v.direction === 'deduct' ? -1 : 1) * (v.amount ?? 0);
        const r = await adjust.mutateAsync({ memberId: member.id, delta, reason: v.reason!.trim(), kind: v.kind, key });
        message.success(t('loyalty.adjust.done', { points: v.kind === 'points' ? r.member.points : r.member.tierPoints }));
      }}
    >
      <Form.Item name="kind" label={t('loyalty.adjust.kind')}>
        <Radio.Group
          options={[
            { value: 'points', label: t('members.points') },
            { value: 'tier_points', label: t('members.tierPoints') },
          ]}
        />
      </Form.Item>
      <Form.Item name="direction" label={t('loyalty.adjust.direction')}>
        <Radio.Group
          options={[
            { value: 'add', label: t('loyalty.adjust.add') },
            { value: 'deduct', label: t('loyalty.adjust.deduct') },
          ]}
        />
      </Form.Item>
      <Form.Item name="amount" label={t('loyalty.adjust.amount')} rules={[{ required: true, message: t('validation.required') }]}>
        <InputNumber min={1} precision={0} style={{ width: 200 }} />
      </Form.Item>
      <Form.Item name="reason" label={t('loyalty.reason')} rules={reasonRule(t)} extra={t('loyalty.adjust.audited')}>
        <Input maxLength={500} />
      </Form.Item>
    </ModalForm>
  );
}

function TierModal({ member, open, onClose }: { member: Member; open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const tiers = useTiers();
  const override = useOverrideTier();
  const [key, renew] = useIdempotencyKey();
  const NONE = '__none__';
  return (
    <ModalForm<{ code?: string; reason?: string }>
      open={open}
      title={t('loyalty.tierOverride.title')}
      okText={t('common.save')}
      onOpen={renew}
      onClose={onClose}
      initialValues={{ code: member.tier?.code ?? NONE }}
      onSubmit={async (v) => {
        const r = await override.mutateAsync({ memberId: member.id, code: v.code === NONE ? null : (v.code ?? null), reason: v.reason!.trim(), key });
        message.success(t('loyalty.tierOverride.done', { tier: r.member.tier?.name ?? t('members.noTier') }));
      }}
    >
      <Typography.Paragraph type="secondary">{t('loyalty.tierOverride.help')}</Typography.Paragraph>
      <Form.Item name="code" label={t('members.tier')}>
        <Select options={[{ value: NONE, label: t('members.noTier') }, ...(tiers.data ?? []).map((x) => ({ value: x.code, label: x.name }))]} />
      </Form.Item>
      <Form.Item name="reason" label={t('loyalty.reason')} rules={reasonRule(t)} extra={t('loyalty.adjust.audited')}>
        <Input maxLength={500} />
      </Form.Item>
    </ModalForm>
  );
}

function CashOutModal({ member, open, onClose }: { member: Member; open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const { message } = App.useApp();
  const summary = useLoyaltySummary(member.id).data;
  const cashOut = useCashOut();
  const [key, renew] = useIdempotencyKey();
  return (
    <ModalForm<{ amount?: number; reason?: string }>
      open={open}
      title={t('loyalty.cashOut.title')}
      okText={t('loyalty.cashOut.submit')}
      danger
      onOpen={renew}
      onClose={onClose}
      onSubmit={async (v) => {
        const r = await cashOut.mutateAsync({ memberId: member.id, amountFen: v.amount ? yuanToFen(v.amount) : undefined, reason: v.reason!.trim(), key });
        message.success(t('loyalty.cashOut.done', { principal: fmt.money(r.principalFen), bonus: fmt.money(r.bonusForfeitedFen), balance: fmt.money(r.storedValueFen) }));
      }}
    >
      {summary ? (
        <Typography.Paragraph>
          {t('loyalty.cashOut.balance', { total: fmt.money(summary.storedValueFen), principal: fmt.money(summary.storedPrincipalFen), bonus: fmt.money(summary.storedBonusFen) })}
        </Typography.Paragraph>
      ) : null}
      <Form.Item name="amount" label={t('loyalty.cashOut.amount')} extra={t('loyalty.cashOut.amountHelp')}>
        <InputNumber min={0.01} max={summary ? summary.storedPrincipalFen / 100 : undefined} precision={2} prefix="¥" style={{ width: 200 }} />
      </Form.Item>
      <Form.Item name="reason" label={t('loyalty.reason')} rules={reasonRule(t)} extra={t('loyalty.adjust.audited')}>
        <Input maxLength={500} />
      </Form.Item>
    </ModalForm>
  );
}

type Action = 'topUp' | 'redeem' | 'adjust' | 'tier' | 'cashOut';

/** The value actions of the member page: checkout, top-up, redeem (loyalty.write); adjust and
 * tier override (loyalty.adjust). */
export function MemberLoyaltyActions({ member }: { member: Member }) {
  const { t } = useTranslation();
  const me = useSession();
  const navigate = useNavigate();
  const [open, setOpen] = useState<Action | null>(null);
  const writer = can(me, 'loyalty.write');
  const adjuster = can(me, 'loyalty.adjust');
  if (!writer && !adjuster) return null;
  const close = () => setOpen(null);
  return (
    <Space wrap data-testid="loyalty-actions">
      {writer ? (
        <>
          <Button type="primary" icon={<ShoppingCartOutlined />} onClick={() => navigate(`/checkout?member=${member.id}`)}>
            {t('loyalty.actions.checkout')}
          </Button>
          <Button icon={<WalletOutlined />} onClick={() => setOpen('topUp')}>
            {t('loyalty.actions.topUp')}
          </Button>
          <Button icon={<GiftOutlined />} onClick={() => setOpen('redeem')}>
            {t('loyalty.actions.redeem')}
          </Button>
        </>
      ) : null}
      {adjuster ? (
        <>
          <Button icon={<EditOutlined />} onClick={() => setOpen('adjust')}>
            {t('loyalty.actions.adjust')}
          </Button>
          <Button icon={<TrophyOutlined />} onClick={() => setOpen('tier')}>
            {t('loyalty.actions.tier')}
          </Button>
          {member.storedValueFen > 0 ? (
            <Button danger icon={<RollbackOutlined />} onClick={() => setOpen('cashOut')}>
              {t('loyalty.actions.cashOut')}
            </Button>
          ) : null}
        </>
      ) : null}
      {writer ? (
        <>
          <TopUpModal member={member} open={open === 'topUp'} onClose={close} />
          <RedeemModal member={member} open={open === 'redeem'} onClose={close} />
        </>
      ) : null}
      {adjuster ? (
        <>
          <AdjustModal member={member} open={open === 'adjust'} onClose={close} />
          <TierModal member={member} open={open === 'tier'} onClose={close} />
          <CashOutModal member={member} open={open === 'cashOut'} onClose={close} />
        </>
      ) : null}
    </Space>
  );
}

/** Next tier, points about to expire, stored value split into principal and bonus. */
export function MemberLoyaltySummary({ memberId }: { memberId: string }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const s = useLoyaltySummary(memberId).data;
  if (!s) return null;
  const next = s.nextTier;
  const expiring = s.expiring.reduce((n, e) => n + e.points, 0);
  return (
    <Flex vertical gap={4} style={{ marginTop: 12 }} data-testid="loyalty-summary">
      {next ? (
        <Flex align="center" gap={8} wrap>
          <Typography.Text>{t('loyalty.summary.nextTier', { tier: next.name, points: next.tierPointsNeeded })}</Typography.Text>
          <Progress percent={Math.min(100, Math.floor((s.tierPoints / Math.max(1, next.threshold)) * 100))} size="small" style={{ width: 160, margin: 0 }} showInfo={false} />
        </Flex>
      ) : null}
      {s.storedValueFen ? (
        <Typography.Text type="secondary">{t('loyalty.summary.storedSplit', { principal: fmt.money(s.storedPrincipalFen), bonus: fmt.money(s.storedBonusFen) })}</Typography.Text>
      ) : null}
      {expiring ? (
        <Typography.Text type="warning">{t('loyalty.summary.expiring', { points: expiring, date: fmt.dateTime(s.expiring[0]!.expiresAt) })}</Typography.Text>
      ) : null}
    </Flex>
  );
}

function LedgerTab({ memberId, kind }: { memberId: string; kind: LedgerKind }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const ledger = useLedger(memberId, kind);
  const money = kind === 'stored_value';
  const columns: ColumnsType<LedgerEntry> = [
    { title: t('loyalty.ledger.time'), dataIndex: 'createdAt', fixed: 'left', render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{fmt.dateTime(v)}</span> },
    { title: t('loyalty.ledger.cause'), dataIndex: 'cause', render: (v: string) => causeLabel(v) },
    { title: t('loyalty.ledger.delta'), dataIndex: 'delta', align: 'right', render: (v: number) => <Delta value={v} money={money} /> },
    { title: t('loyalty.ledger.balance'), dataIndex: 'balanceAfter', align: 'right', render: (v: number) => (money ? fmt.money(v) : v.toLocaleString()) },
    ...(money
      ? [{ title: t('loyalty.ledger.bonusPart'), dataIndex: 'bonusDelta', align: 'right' as const, render: (v: number | null) => (v ? <Delta value={v} money /> : '—') }]
      : []),
    // automatic entries carry their cause as the reason: nothing to add
    { title: t('loyalty.ledger.reason'), dataIndex: 'reason', render: (v: string, e) => (v && v !== e.cause ? v : '') },
    { title: t('loyalty.ledger.operator'), dataIndex: 'actorName' },
  ];
  const card = (e: LedgerEntry) => (
    <Card size="small" data-testid="ledger-card">
      <Flex justify="space-between" align="baseline">
        <Typography.Text strong>{causeLabel(e.cause)}</Typography.Text>
        <Delta value={e.delta} money={money} />
      </Flex>
      <Flex justify="space-between" wrap gap={8}>
        <Typography.Text type="secondary">{fmt.dateTime(e.createdAt)}</Typography.Text>
        <span>
          {t('loyalty.ledger.balance')} {money ? fmt.money(e.balanceAfter) : e.balanceAfter.toLocaleString()}
        </span>
      </Flex>
      {e.reason && e.reason !== e.cause ? <Typography.Text type="secondary">{e.reason}</Typography.Text> : null}
    </Card>
  );
  return <PagedList source={ledger} columns={columns} card={card} emptyText={t('loyalty.ledger.empty')} testId={`ledger-${kind}`} />;
}

function TierChangesTab({ memberId }: { memberId: string }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const changes = useTierChanges(memberId);
  const columns: ColumnsType<TierChangeEntry> = [
    { title: t('loyalty.ledger.time'), dataIndex: 'createdAt', fixed: 'left', render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{fmt.dateTime(v)}</span> },
    { title: t('loyalty.tierChanges.change'), key: 'change', render: (_: unknown, c) => <TierChangeText change={{ from: c.from, to: c.to }} /> },
    { title: t('loyalty.ledger.cause'), dataIndex: 'cause', render: (v: string) => causeLabel(`tier_${v}`) },
    { title: t('loyalty.ledger.reason'), dataIndex: 'reason', render: (v: string | null) => v ?? '—' },
    { title: t('loyalty.ledger.operator'), dataIndex: 'actorName' },
  ];
  const card = (c: TierChangeEntry) => (
    <Card size="small">
      <Flex justify="space-between" wrap gap={8}>
        <Space size={4}>
          <TierName tier={c.from} />→<TierName tier={c.to} />
        </Space>
        <Typography.Text type="secondary">{fmt.dateTime(c.createdAt)}</Typography.Text>
      </Flex>
      <Typography.Text type="secondary">
        {causeLabel(`tier_${c.cause}`)}
        {c.reason ? ` · ${c.reason}` : ''}
      </Typography.Text>
    </Card>
  );
  return <PagedList source={changes} columns={columns} card={card} emptyText={t('loyalty.tierChanges.empty')} testId="tier-changes" />;
}

function MemberTransactionsTab({ memberId }: { memberId: string }) {
  const list = useTransactions({ memberId });
  return <TransactionList source={list} showMember={false} testId="member-transactions" />;
}

/** The member page's loyalty tabs. */
export function MemberLoyaltyTab({ memberId, tab }: { memberId: string; tab: 'orders' | 'points' | 'storedValue' | 'tiers' }) {
  switch (tab) {
    case 'orders':
      return <MemberTransactionsTab memberId={memberId} />;
    case 'points':
      return <LedgerTab memberId={memberId} kind="points" />;
    case 'storedValue':
      return <LedgerTab memberId={memberId} kind="stored_value" />;
    case 'tiers':
      return <TierChangesTab memberId={memberId} />;
  }
}
