// A payment's receipt (`GET /v1/payments/{id}/receipt`): what was paid, to whom, its state, and the
// instruction this customer's device signed for it (signature, device, time), so a dispute can start
// from the proof the server holds.
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply, type Problem } from '../shared/api.ts';
import { lang } from '../shared/i18n.ts';
import { formatAmount } from '../shared/money.ts';
import { useSignal } from '../shared/signal.ts';
import { Field, Form, Frame, Notice, ProblemBox } from '../shared/ui.tsx';
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

interface Claim {
  readonly id: string;
  readonly status: string;
  readonly resolutionDueAt: string | null;
}

/**
 * "I did not make this payment": an unauthorised-payment claim on this payment (`POST /v1/support/claims`),
 * then its state as the server holds it; it is also listed with the tickets in Help.
 */
function ClaimThis(props: { paymentId: string }) {
  const language = useSignal(lang);
  const [text, setText] = useState('');
  const [claim, setClaim] = useState<Claim | undefined>(undefined);
  const file = async () => {
    const answer = await reply(anfu.POST('/v1/support/claims', { body: { paymentId: props.paymentId, text } }));
    if (answer.ok) setClaim(answer.body);
    return answer;
  };
  if (claim !== undefined) {
    return (
      <Notice>
        <span data-testid="claim-filed" data-claim={claim.id} data-status={claim.status}>
          {t('claimFiled', { status: t(`status_${claim.status}`) })}{' '}
          {claim.resolutionDueAt === null
            ? null
            : t('dueBy', { when: new Date(claim.resolutionDueAt).toLocaleString(language === 'zh' ? 'zh-CN' : 'en-GB') })}
        </span>{' '}
        <a href="#/help">{t('tickets')}</a>
      </Notice>
    );
  }
  return (
    <section class="card" aria-labelledby="claim-title">
      <h2 id="claim-title">{t('notMe')}</h2>
      <p class="muted">{t('notMeHelp')}</p>
      <Form id="claim" label={t('notMe')} submit={t('fileClaim')} action={file}>
        <Field label={t('claimText')} name="claim-text" value={text} onInput={setText} />
      </Form>
    </section>
  );
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
      {p === undefined ? null : <ClaimThis paymentId={p.id} />}
    </Frame>
  );
}
