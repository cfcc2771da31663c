// Transfer to another customer by mobile number: the server shows the payee's masked name to confirm
// before anything is signed.
import { useState } from 'preact/hooks';
import { anfu, reply } from '../shared/api.ts';
import { lang } from '../shared/i18n.ts';
import { formatAmount, normaliseAmount } from '../shared/money.ts';
import { useSignal } from '../shared/signal.ts';
import { Field, Form, Frame, Notice } from '../shared/ui.tsx';
import { WalletNav } from './nav.tsx';
import { newIntent, PaymentOutcome, sendIntent, type Intent, type PaymentBody } from './sign-payment.tsx';
import { t } from './texts.ts';

export function Transfer() {
  const language = useSignal(lang);
  const [phone, setPhone] = useState('');
  const [payee, setPayee] = useState<{ walletId: string; maskedName: string } | undefined>(undefined);
  const [amount, setAmount] = useState('');
  const [memo, setMemo] = useState('');
  const [intent, setIntent] = useState<Intent | undefined>(undefined);
  const [payment, setPayment] = useState<PaymentBody | undefined>(undefined);
  const lookUp = async () => {
    const answer = await reply(anfu.POST('/v1/payees/lookup', { body: { phone } }));
    if (answer.ok) setPayee(answer.body);
    return answer;
  };
  const pay = async () => {
    const normal = normaliseAmount(amount);
    if (payee === undefined || normal === undefined) {
      return { ok: false as const, problem: { status: 0, code: 'validation_failed', title: 'amount' } };
    }
    let current = intent;
    if (current === undefined) {
      const made = await newIntent({ kind: 'transfer' }, { kind: 'transfer', target: payee.walletId, amount: normal, currency: 'CNY', memo });
      if (!('key' in made)) return made;
      current = made;
      setIntent(made);
    }
    const answer = await sendIntent(current);
    if (answer.ok) setPayment(answer.body);
    return answer;
  };
  const restart = () => {
    setPayee(undefined);
    setIntent(undefined);
    setPayment(undefined);
    setAmount('');
    setMemo('');
  };
  return (
    <Frame title={t('transfer')} nav={<WalletNav />}>
      {payment !== undefined ? (
        <>
          <PaymentOutcome payment={payment} onChange={setPayment} />
          <button type="button" onClick={restart}>
            {t('done')}
          </button>
        </>
      ) : payee === undefined ? (
        <Form id="look-up" label={t('lookUp')} submit={t('lookUp')} action={lookUp}>
          <Field label={t('phone')} name="payee-phone" value={phone} onInput={setPhone} type="tel" />
        </Form>
      ) : (
        <Form
          id="transfer"
          label={t('transfer')}
          submit={t('send', { amount: normaliseAmount(amount) === undefined ? '' : formatAmount(normaliseAmount(amount) ?? '0', 'CNY', language) })}
          action={pay}
        >
          <Notice>
            <span data-testid="payee-name">{t('payeeIs', { name: payee.maskedName })}</span>
          </Notice>
          <Field
            label={`${t('amount')} (CNY)`}
            name="amount"
            value={amount}
            inputMode="decimal"
            onInput={(v) => {
              setAmount(v);
              setIntent(undefined);
            }}
          />
          <Field
            label={t('memo')}
            name="memo"
            value={memo}
            required={false}
            onInput={(v) => {
              setMemo(v);
              setIntent(undefined);
            }}
          />
        </Form>
      )}
    </Frame>
  );
}
