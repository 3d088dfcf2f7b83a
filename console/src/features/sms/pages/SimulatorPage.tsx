import { MobileOutlined, SendOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Empty, Flex, Input, Select, Space, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isApiError } from '../../../app/api/client';
import { can, useSession } from '../../../app/auth/session';
import { useFormat } from '../../../app/format';
import { PageHeader } from '../../../ui/PageHeader';
import { sendInbound, sendOwnInbound, usePlatformTenants, useSandboxOutbox } from '../api';

interface Line {
  key: string;
  mine: boolean;
  text: string;
  at: string;
  from: string;
}

/**
 * 短信模拟器 (sandbox gateway): type as a phone to a merchant's port and watch the replies the
 * simulated SMSC receives. The platform administrator picks any merchant (POST
 * /sandbox/sms/inbound); a merchant's operator with sms.send texts their own port, with an
 * optional sub-code (POST /sms/sandbox/inbound); other operators see the replies to a phone.
 */
export function SimulatorPage() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const me = useSession();
  const platform = me.user.kind === 'platform';
  const canSend = platform || can(me, 'sms.send');
  const tenants = usePlatformTenants(platform);
  const [port, setPort] = useState<string | undefined>(me.tenant?.smsPort);
  const [phone, setPhone] = useState('13700137000');
  const [text, setText] = useState('');
  const [subCode, setSubCode] = useState('');
  const [sent, setSent] = useState<Line[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const digits = phone.replace(/\D/g, '');
  const outbox = useSandboxOutbox(digits.length >= 11 ? digits : null);

  const lines = useMemo(() => {
    const replies: Line[] = (outbox.data ?? [])
      .filter((r) => !port || r.from.startsWith(port))
      .map((r) => ({ key: `r${r.id}`, mine: false, text: r.text, at: r.createdAt, from: r.from }));
    const mine = sent.filter((l) => l.from === `${digits}>${port}`);
    return [...replies, ...mine].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }, [outbox.data, sent, port, digits]);

  const send = async () => {
    if (!port || !text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      if (platform) await sendInbound({ from: digits, to: port, text });
      else await sendOwnInbound({ from: digits, text, subCode: subCode || undefined });
      setSent((s) => [...s, { key: `m${s.length}`, mine: true, text, at: new Date().toISOString(), from: `${digits}>${port}` }]);
      setText('');
    } catch (err) {
      setError(isApiError(err) && err.status === 404 ? t('sms.simulator.noSandbox') : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader title={t('sms.simulator.title')} subtitle={t('sms.simulator.subtitle')} />
      {!canSend ? <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('sms.simulator.operatorNote')} /> : null}
      <Flex wrap gap={16} align="flex-start">
        <Card style={{ width: 380, maxWidth: '100%' }} data-testid="simulator">
          <Flex vertical gap={8}>
            {platform ? (
              <Select
                showSearch
                optionFilterProp="label"
                placeholder={t('sms.simulator.merchant')}
                aria-label={t('sms.simulator.merchant')}
                value={port}
                onChange={setPort}
                loading={tenants.isPending}
                options={(tenants.data ?? []).map((x) => ({ value: x.smsPort, label: `${x.name} (${x.smsPort})` }))}
              />
            ) : (
              <Typography.Text>
                {t('sms.simulator.port')} <Typography.Text strong>{port}</Typography.Text>
              </Typography.Text>
            )}
            {!platform && canSend ? (
              <Input
                value={subCode}
                onChange={(e) => setSubCode(e.target.value.replace(/\D/g, '').slice(0, 6))}
                prefix={<Typography.Text type="secondary">{port}</Typography.Text>}
                placeholder={t('sms.simulator.subCodePlaceholder')}
                aria-label={t('sms.simulator.subCode')}
                inputMode="numeric"
              />
            ) : null}
            <Input prefix={<MobileOutlined />} value={phone} onChange={(e) => setPhone(e.target.value)} aria-label={t('sms.simulator.phone')} inputMode="tel" maxLength={20} />
          </Flex>
          <div
            data-testid="conversation"
            style={{ background: '#f5f5f5', borderRadius: 12, padding: 12, margin: '12px 0', minHeight: 320, maxHeight: 420, overflowY: 'auto' }}
          >
            {lines.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('sms.simulator.empty')} />
            ) : (
              <Flex vertical gap={8}>
                {lines.map((l) => (
                  <Flex key={l.key} justify={l.mine ? 'flex-end' : 'flex-start'} data-testid={l.mine ? 'sim-out' : 'sim-in'}>
                    <div style={{ maxWidth: '85%' }}>
                      <div style={{ background: l.mine ? '#95ec69' : '#fff', borderRadius: 10, padding: '6px 10px', whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>{l.text}</div>
                      <div style={{ fontSize: 11, color: '#999', textAlign: l.mine ? 'right' : 'left' }}>
                        {l.mine ? '' : `${l.from} · `}
                        {fmt.dateTime(l.at)}
                      </div>
                    </div>
                  </Flex>
                ))}
              </Flex>
            )}
          </div>
          {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 8 }} /> : null}
          <Space.Compact style={{ width: '100%' }}>
            <Input
              value={text}
              onChange={(e) => setText(e.target.value)}
              onPressEnter={() => void send()}
              placeholder={t('sms.simulator.textPlaceholder')}
              aria-label={t('sms.simulator.text')}
              disabled={!canSend}
            />
            <Button type="primary" icon={<SendOutlined />} loading={busy} disabled={!canSend || !port || !text.trim()} onClick={() => void send()}>
              {t('sms.simulator.send')}
            </Button>
          </Space.Compact>
        </Card>
        <Card size="small" style={{ flex: '1 1 260px', maxWidth: 480 }} title={t('sms.simulator.tryTitle')}>
          <Typography.Paragraph>{t('sms.simulator.try')}</Typography.Paragraph>
        </Card>
      </Flex>
    </>
  );
}
