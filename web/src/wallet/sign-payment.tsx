// One payment intent: the instruction is signed once with this browser's device key and sent with one
// idempotency key; a retry of the same intent (a lost answer, a double click) sends the very same body
// and key, so the server answers with the first result instead of paying twice. A challenged payment
// is finished with the step-up prompt.
import { useEffect, useState } from 'preact/hooks';
import { call, intentKey, nonce, type Reply } from '../shared/api.ts';
import { deviceRecord, signInstruction, type Instruction } from '../shared/device-key.ts';
import { lang } from '../shared/i18n.ts';
import { formatAmount } from '../shared/money.ts';
import { useSignal } from '../shared/signal.ts';
import { Notice } from '../shared/ui.tsx';
import { session } from './session.ts';
import { StepUp } from './step-up.tsx';
import { t } from './texts.ts';

export interface PaymentBody {
  readonly id: string;
  readonly state: string;
  readonly amount: string;
  readonly currency: string;
  readonly failureCode: string | null;
}

export interface Intent {
  readonly key: string;
  readonly path: string;
  readonly body: { instruction: Instruction; signature: string };
}

/** Signs a new intent; undefined (with the refusal to show) when this device is not certified. */
export async function newIntent(
  path: string,
  fields: Pick<Instruction, 'kind' | 'target' | 'amount' | 'currency'> & { memo?: string },
): Promise<Intent | Reply<never>> {
  const who = session.get();
  const record = who === undefined ? undefined : await deviceRecord(who.customerId);
  if (who === undefined || record?.deviceId === undefined) {
    return { ok: false, problem: { status: 0, code: 'device_not_certified', title: 'This device is not certified' } };
  }
  const instruction: Instruction = {
    version: 1,
    ...fields,
    ...(fields.memo === undefined || fields.memo === '' ? {} : { memo: fields.memo }),
    payer: who.customerId,
    device: record.deviceId,
    nonce: nonce(),
    timestamp: Date.now(),
  };
  return { key: intentKey('pay'), path, body: await signInstruction(record, instruction) };
}

export function sendIntent(intent: Intent): Promise<Reply<PaymentBody>> {
  return call<PaymentBody>('POST', intent.path, { body: intent.body, idempotencyKey: intent.key });
}

export function PaymentOutcome(props: { payment: PaymentBody; onChange: (p: PaymentBody) => void }) {
  const language = useSignal(lang);
  const [factors, setFactors] = useState<readonly string[]>(['sms']);
  useEffect(() => {
    void call<{ factors: { totp: boolean } }>('GET', '/me').then((r) => {
      if (r.ok && r.body.factors.totp) setFactors(['totp', 'sms']);
    });
  }, []);
  const p = props.payment;
  if (p.state === 'challenged') {
    return (
      <StepUp<PaymentBody>
        factors={factors}
        sendSms={() => call('POST', `/payments/${p.id}/step-up/sms`)}
        answer={(a) => call('POST', `/payments/${p.id}/step-up`, { body: a })}
        done={props.onChange}
      />
    );
  }
  return (
    <Notice>
      <span data-testid="payment-state" data-state={p.state}>
        {p.state === 'succeeded' ? t('sent') : t('paymentState', { state: p.state })}
      </span>{' '}
      {formatAmount(p.amount, p.currency, language)} <span class="mono">{p.id}</span>
      {p.failureCode === null ? null : <span> ({p.failureCode})</span>}
    </Notice>
  );
}
