// One payment intent: the instruction is signed once with this browser's device key and sent with one
// idempotency key; a retry of the same intent (a lost answer, a double click) sends the very same body
// and key, so the server answers with the first result instead of paying twice. A challenged payment
// is finished with the step-up prompt.
import { newInstruction, p256DeviceKey, signInstruction, type Instruction, type SignedInstruction } from '@anfu/sdk';
import { anfu, intentKey, reply, type Reply } from '../shared/api.ts';
import { deviceRecord } from '../shared/device-key.ts';
import { lang } from '../shared/i18n.ts';
import { formatAmount } from '../shared/money.ts';
import { useSignal } from '../shared/signal.ts';
import { Notice } from '../shared/ui.tsx';
import { session } from './session.ts';
import { StepUp, useFactors } from './step-up.tsx';
import { t } from './texts.ts';

export interface PaymentBody {
  readonly id: string;
  readonly state: string;
  readonly amount: string;
  readonly currency: string;
  readonly failureCode: string | null;
}

/** Where a signed instruction goes: the transfer route, or an order's payment route. */
export type IntentTarget =
  | { readonly kind: 'transfer' }
  | { readonly kind: 'order'; readonly orderId: string }
  | { readonly kind: 'top_up' }
  | { readonly kind: 'withdrawal' }
  | { readonly kind: 'collect'; readonly requestId: string };

export interface Intent {
  readonly key: string;
  readonly target: IntentTarget;
  readonly body: SignedInstruction;
}

/** Signs a new intent; a refusal to show when this device is not certified. */
export async function newIntent(
  target: IntentTarget,
  fields: Pick<Instruction, 'kind' | 'target' | 'amount' | 'currency'> & { memo?: string },
): Promise<Intent | Reply<never>> {
  const who = session.get();
  const record = who === undefined ? undefined : await deviceRecord(who.customerId);
  if (who === undefined || record?.deviceId === undefined) {
    return { ok: false, problem: { status: 0, code: 'device_not_certified', title: 'This device is not certified' } };
  }
  const { memo, ...rest } = fields;
  const instruction = newInstruction({ ...rest, ...(memo === undefined || memo === '' ? {} : { memo }), payer: who.customerId, device: record.deviceId });
  return { key: intentKey('pay'), target, body: await signInstruction(p256DeviceKey(record.keys), instruction) };
}

export function sendIntent(intent: Intent): Promise<Reply<PaymentBody>> {
  const header = { 'idempotency-key': intent.key };
  if (intent.target.kind === 'transfer') {
    return reply(anfu.POST('/v1/payments/transfers', { params: { header }, body: intent.body }));
  }
  if (intent.target.kind === 'top_up') return reply(anfu.POST('/v1/top-ups', { params: { header }, body: intent.body }));
  if (intent.target.kind === 'withdrawal') {
    return reply(anfu.POST('/v1/withdrawals', { params: { header }, body: intent.body }));
  }
  if (intent.target.kind === 'collect') {
    const path = { id: intent.target.requestId };
    return reply(anfu.POST('/v1/collect-requests/{id}/payments', { params: { header, path }, body: intent.body }));
  }
  const path = { orderId: intent.target.orderId };
  return reply(anfu.POST('/v1/orders/{orderId}/payments', { params: { header, path }, body: intent.body }));
}

export function PaymentOutcome(props: { payment: PaymentBody; onChange: (p: PaymentBody) => void }) {
  const language = useSignal(lang);
  const factors = useFactors();
  const p = props.payment;
  const path = { paymentId: p.id };
  if (p.state === 'challenged') {
    return (
      <StepUp<PaymentBody>
        factors={factors}
        sendSms={() => reply(anfu.POST('/v1/payments/{paymentId}/step-up/sms', { params: { path } }))}
        passkeyOptions={() => reply(anfu.POST('/v1/payments/{paymentId}/step-up/passkey-options', { params: { path } }))}
        answer={(a) => reply(anfu.POST('/v1/payments/{paymentId}/step-up', { params: { path }, body: a }))}
        done={props.onChange}
      />
    );
  }
  return (
    <Notice>
      <span data-testid="payment-state" data-state={p.state} data-payment-id={p.id}>
        {p.state === 'succeeded' ? t('sent') : t('paymentState', { state: p.state })}
      </span>{' '}
      {formatAmount(p.amount, p.currency, language)} <span class="mono">{p.id}</span>
      {p.failureCode === null ? null : <span> ({p.failureCode})</span>}
    </Notice>
  );
}
