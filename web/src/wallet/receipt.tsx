// A payment's receipt (`GET /v1/payments/{id}/receipt`): what was paid, to whom, its state, and the
// instruction this customer's device signed for it (signature, device, time), so a dispute can start
// from the proof the server holds.
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply, type Problem } from '../shared/api.ts';
import { lang } from '../shared/i18n.ts';
import { formatAmount } from '../shared/money.ts';
import { useSignal } from '../shared/signal.ts';
import { Frame, ProblemBox } from '../shared/ui.tsx';
import { WalletNav } from './nav.tsx';
import { t } from './texts.ts';

interface ReceiptBody {
  readonly payment: {
    readonly id: string;
    readonly kind: string;
    readonly state: string;
    readonly amount: string;
    readonly fee: string;
    readonly currency: string;
    readonly createdAt: string;
  };
  readonly proof: { readonly signature: string; readonly deviceId: string; readonly signedAt: string } | null;
}

export function Receipt(props: { paymentId: string }) {
  const language = useSignal(lang);
  const [receipt, setReceipt] = useState<ReceiptBody | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  useEffect(() => {
    const path = { paymentId: props.paymentId };
    void reply(anfu.GET('/v1/payments/{paymentId}/receipt', { params: { path } })).then((r) =>
      r.ok ? setReceipt(r.body as ReceiptBody) : setProblem(r.problem),
    );
  }, [props.paymentId]);
  const p = receipt?.payment;
  return (
    <Frame title={t('receipt')} nav={<WalletNav />}>
      <p>
        <a href="#/">{t('back')}</a>
      </p>
      <ProblemBox problem={problem} />
      {p === undefined ? null : (
        <dl class="facts">
          <dt>{t('kind')}</dt>
          <dd>{t(`kind_${p.kind}`)}</dd>
          <dt>{t('amount')}</dt>
          <dd data-testid="receipt-amount">{formatAmount(p.amount, p.currency, language)}</dd>
          <dt>{t('state')}</dt>
          <dd data-testid="receipt-state">{p.state}</dd>
          <dt>{t('when')}</dt>
          <dd>{new Date(p.createdAt).toLocaleString(language === 'zh' ? 'zh-CN' : 'en-GB')}</dd>
          <dt>{t('receiptId')}</dt>
          <dd class="mono">{p.id}</dd>
          <dt>{t('signedBy')}</dt>
          <dd class="mono" data-testid="receipt-signed">
            {receipt?.proof == null
              ? '—'
              : `${receipt.proof.deviceId} · ${new Date(receipt.proof.signedAt).toLocaleString()}`}
          </dd>
        </dl>
      )}
    </Frame>
  );
}
