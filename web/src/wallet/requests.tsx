// Requests for money: ask another customer (found by mobile number, confirmed by the masked name the
// server shows) for an amount with a note; see the requests made and received with their state as the
// server holds it; pay a received one with a signed instruction naming the request (one intent, one
// idempotency key, the step-up prompt if the payment is challenged), or decline it.
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply } from '../shared/api.ts';
import { lang } from '../shared/i18n.ts';
import { formatAmount, normaliseAmount } from '../shared/money.ts';
import { useSignal } from '../shared/signal.ts';
import { Field, Form, Frame, Notice } from '../shared/ui.tsx';
import { WalletNav } from './nav.tsx';
import { session } from './session.ts';
import { newIntent, PaymentOutcome, sendIntent, type Intent, type PaymentBody } from './sign-payment.tsx';
import { t } from './texts.ts';

interface Request {
  readonly id: string;
  readonly requesterId: string;
  readonly payerId: string;
  readonly amount: string;
  readonly currency: string;
  readonly note: string;
  readonly state: string;
}

function Ask(props: { onAsked: () => void }) {
  const [phone, setPhone] = useState('');
  const [payer, setPayer] = useState<{ walletId: string; maskedName: string } | undefined>(undefined);
  const [amount, setAmount] = useState('');
  const [note, setNote] = useState('');
  const lookUp = async () => {
    const answer = await reply(anfu.POST('/v1/payees/lookup', { body: { phone } }));
    if (answer.ok) setPayer(answer.body);
    return answer;
  };
  const ask = async () => {
    const normal = normaliseAmount(amount);
    if (payer === undefined || normal === undefined) {
      return { ok: false as const, problem: { status: 0, code: 'validation_failed', title: 'amount' } };
    }
    const body = { payerWalletId: payer.walletId, amount: normal, currency: 'CNY', note, expiresInSeconds: 86_400 };
    const answer = await reply(anfu.POST('/v1/collect-requests', { body }));
    if (answer.ok) {
      setPayer(undefined);
      setAmount('');
      setNote('');
      props.onAsked();
    }
    return answer;
  };
  if (payer === undefined) {
    return (
      <Form id="ask-look-up" label={t('askFrom')} submit={t('lookUp')} action={lookUp}>
        <Field label={t('phone')} name="ask-phone" value={phone} onInput={setPhone} type="tel" />
      </Form>
    );
  }
  return (
    <Form id="ask" label={t('askMoney')} submit={t('askMoney')} action={ask}>
      <Notice>
        <span data-testid="ask-payer">{t('askFromName', { name: payer.maskedName })}</span>
      </Notice>
      <Field label={`${t('amount')} (CNY)`} name="ask-amount" value={amount} onInput={setAmount} inputMode="decimal" />
      <Field label={t('askNote')} name="ask-note" value={note} onInput={setNote} required={false} />
    </Form>
  );
}

/** A received request: pay it (signed once per intent) or decline it. */
function Received(props: { request: Request; onChange: () => void }) {
  const [intent, setIntent] = useState<Intent | undefined>(undefined);
  const [payment, setPayment] = useState<PaymentBody | undefined>(undefined);
  const r = props.request;
  const pay = async () => {
    let current = intent;
    if (current === undefined) {
      const target = { kind: 'collect' as const, requestId: r.id };
      const made = await newIntent(target, { kind: 'collect_payment', target: r.id, amount: r.amount, currency: r.currency });
      if (!('key' in made)) return made;
      current = made;
      setIntent(made);
    }
    const answer = await sendIntent(current);
    if (answer.ok) setPayment(answer.body);
    return answer;
  };
  const decline = async () => {
    const answer = await reply(anfu.POST('/v1/collect-requests/{id}/decline', { params: { path: { id: r.id } } }));
    if (answer.ok) props.onChange();
    return answer;
  };
  if (payment !== undefined) {
    return (
      <PaymentOutcome
        payment={payment}
        onChange={(p) => {
          setPayment(p);
          if (p.state === 'succeeded') props.onChange();
        }}
      />
    );
  }
  return (
    <div class="row">
      <Form id={`pay-request-${r.id}`} label={t('payRequest')} submit={t('payRequest')} action={pay}>
        <span />
      </Form>
      <Form id={`decline-request-${r.id}`} label={t('declineRequest')} submit={t('declineRequest')} action={decline}>
        <span />
      </Form>
    </div>
  );
}

export function Requests() {
  const language = useSignal(lang);
  const me = session.get()?.customerId;
  const [items, setItems] = useState<readonly Request[]>([]);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    void reply(anfu.GET('/v1/collect-requests')).then((r) => r.ok && setItems(r.body.items));
  }, [version]);
  const refresh = () => setVersion((v) => v + 1);
  return (
    <Frame title={t('requests')} nav={<WalletNav />}>
      <section class="card" aria-labelledby="ask-title">
        <h2 id="ask-title">{t('askMoney')}</h2>
        <Ask onAsked={refresh} />
      </section>
      <section class="card" aria-labelledby="requests-title">
        <h2 id="requests-title">{t('requestList')}</h2>
        {items.length === 0 ? <p class="muted">{t('noRequests')}</p> : null}
        <ul>
          {items.map((r) => (
            <li key={r.id} data-request={r.id} data-state={r.state} data-role={r.payerId === me ? 'payer' : 'requester'}>
              <strong>{r.payerId === me ? t('requestReceived') : t('requestMade')}</strong>{' '}
              {formatAmount(r.amount, r.currency, language)} · {r.note} ·{' '}
              <span data-testid="request-state">{t(`request_${r.state}`) === `request_${r.state}` ? r.state : t(`request_${r.state}`)}</span>
              {r.payerId === me && r.state === 'pending' ? <Received request={r} onChange={refresh} /> : null}
            </li>
          ))}
        </ul>
      </section>
    </Frame>
  );
}
