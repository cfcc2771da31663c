// Bank cards: bind a card (the server asks for a second factor first; then the issuer checks card,
// CVV2 and cardholder and sends its own one-time code to the phone it holds, which the person types
// here), then top up the wallet from it or withdraw to it. Each top-up or withdrawal is one signed
// intent with one idempotency key; a challenged one is finished with the step-up prompt, and its state
// is shown as the server reports it. Card number and CVV2 are sent once and never kept in the page.
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply, type Problem, type Reply } from '../shared/api.ts';
import { lang } from '../shared/i18n.ts';
import { formatAmount, normaliseAmount } from '../shared/money.ts';
import { useSignal } from '../shared/signal.ts';
import { Field, Form, Frame, Notice, ProblemBox } from '../shared/ui.tsx';
import { WalletNav } from './nav.tsx';
import { newIntent, sendIntent, type Intent, type PaymentBody } from './sign-payment.tsx';
import { StepUp, useFactors, type StepUpAnswer } from './step-up.tsx';
import { t } from './texts.ts';

interface Card {
  readonly id: string;
  readonly maskedPan: string;
  readonly bank: string;
  readonly verified: boolean;
}
interface Binding {
  readonly id: string;
  readonly maskedPan: string;
}
type CardDetails = { pan: string; expiryMonth: number; expiryYear: number; cvv: string };
type Kind = 'top_up' | 'withdrawal';

/** Card binding and funding take a code (no passkey is offered for them): the answer as they take it. */
function codeOf(a: StepUpAnswer): { kind: 'totp' | 'sms'; code: string } {
  return a.kind === 'passkey' ? { kind: 'totp', code: '' } : { kind: a.kind, code: a.code };
}

/** A funding step-up's answer: an SMS code goes with the id it was sent under (for this top-up or withdrawal). */
function fundingAnswerOf(a: StepUpAnswer): { kind: 'totp' | 'sms'; code: string; codeId?: string } {
  return a.kind === 'sms' && a.codeId !== undefined ? { ...codeOf(a), codeId: a.codeId } : codeOf(a);
}

const sendSms = () => reply(anfu.POST('/v1/me/step-up/sms'));

/** Card details, the server's step-up when it asks, then the issuer's one-time code. */
function BindCard(props: { onBound: () => void }) {
  const factors = useFactors();
  const [pan, setPan] = useState('');
  const [expiry, setExpiry] = useState('');
  const [cvv, setCvv] = useState('');
  const [asked, setAsked] = useState<CardDetails | undefined>(undefined);
  const [binding, setBinding] = useState<Binding | undefined>(undefined);
  const [code, setCode] = useState('');
  // A refusal of the card itself after the step-up is shown back on the card form, where it can be fixed.
  const [refused, setRefused] = useState<Problem | undefined>(undefined);
  const bind = async (details: CardDetails, stepUp?: StepUpAnswer): Promise<Reply<unknown>> => {
    const body = { ...details, ...(stepUp === undefined ? {} : { stepUp: codeOf(stepUp) }) };
    const answer = await reply(anfu.POST('/v1/cards', { body }));
    if (!answer.ok && answer.problem.code === 'step_up_required' && stepUp === undefined) setAsked(details);
    else if (answer.ok && answer.status === 202) setBinding(answer.body as unknown as Binding);
    else if (answer.ok) props.onBound();
    if (answer.ok) setAsked(undefined);
    if (!answer.ok && stepUp !== undefined && answer.problem.code.startsWith('card_')) {
      setAsked(undefined);
      setRefused(answer.problem);
    }
    return answer;
  };
  const start = async () => {
    const m = /^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/.exec(expiry.trim());
    if (m === null) return { ok: false as const, problem: { status: 0, code: 'card_expiry_invalid', title: 'MM/YY' } };
    const year = Number(m[2]);
    const details = { pan: pan.trim(), expiryMonth: Number(m[1]), expiryYear: year < 100 ? 2000 + year : year, cvv };
    setRefused(undefined);
    return bind(details);
  };
  const confirm = async () => {
    if (binding === undefined) return undefined;
    const path = { id: binding.id };
    const answer = await reply(anfu.POST('/v1/card-bindings/{id}/confirmation', { params: { path }, body: { code } }));
    if (answer.ok) {
      setBinding(undefined);
      setPan('');
      setCvv('');
      setCode('');
      props.onBound();
    }
    return answer;
  };
  if (asked !== undefined) {
    return <StepUp<unknown> factors={factors} sendSms={sendSms} answer={(a) => bind(asked, a)} done={() => undefined} />;
  }
  if (binding !== undefined) {
    return (
      <Form id="card-otp" label={t('cardOtp')} submit={t('confirm')} action={confirm}>
        <Notice>
          <span data-testid="card-otp-sent">{t('cardOtpSent', { card: binding.maskedPan })}</span>
        </Notice>
        <Field label={t('cardOtp')} name="card-otp" value={code} onInput={setCode} inputMode="numeric" autocomplete="one-time-code" />
      </Form>
    );
  }
  return (
    <Form id="bind-card" label={t('bindCard')} submit={t('bindCard')} action={start}>
      <ProblemBox problem={refused} />
      <Field label={t('cardNumber')} name="card-pan" value={pan} onInput={setPan} inputMode="numeric" autocomplete="cc-number" />
      <Field label={t('cardExpiry')} name="card-expiry" value={expiry} onInput={setExpiry} autocomplete="cc-exp" />
      <Field label={t('cardCvv')} name="card-cvv" value={cvv} onInput={setCvv} inputMode="numeric" autocomplete="cc-csc" />
    </Form>
  );
}

/** The top-up or withdrawal the server reports; a challenged one is answered with the step-up prompt. */
function FundingOutcome(props: { funding: PaymentBody; onChange: (f: PaymentBody) => void }) {
  const language = useSignal(lang);
  const factors = useFactors();
  const f = props.funding;
  if (f.state === 'challenged') {
    const path = { id: f.id };
    return (
      <StepUp<PaymentBody>
        factors={factors}
        sendSms={() => reply(anfu.POST('/v1/funding/{id}/step-up/sms', { params: { path } }))}
        answer={(a) => reply(anfu.POST('/v1/funding/{id}/step-up', { params: { path }, body: fundingAnswerOf(a) }))}
        done={props.onChange}
      />
    );
  }
  return (
    <Notice>
      <span data-testid="funding-state" data-state={f.state} data-funding-id={f.id}>
        {t(`funding_${f.state}`) === `funding_${f.state}` ? t('fundingState', { state: f.state }) : t(`funding_${f.state}`)}
      </span>{' '}
      {formatAmount(f.amount, f.currency, language)}
      {f.failureCode === null ? null : <span> ({f.failureCode})</span>}
    </Notice>
  );
}

/** A top-up from, or a withdrawal to, a verified card: one intent, signed once, sent with one key. */
function MoveMoney(props: { kind: Kind; cards: readonly Card[] }) {
  const [cardId, setCardId] = useState('');
  const [amount, setAmount] = useState('');
  const [intent, setIntent] = useState<Intent | undefined>(undefined);
  const [funding, setFunding] = useState<PaymentBody | undefined>(undefined);
  const chosen = cardId === '' ? props.cards[0]?.id : cardId;
  const go = async () => {
    const normal = normaliseAmount(amount);
    if (chosen === undefined || normal === undefined) {
      return { ok: false as const, problem: { status: 0, code: 'validation_failed', title: 'amount' } };
    }
    let current = intent;
    if (current === undefined) {
      const made = await newIntent({ kind: props.kind }, { kind: props.kind, target: chosen, amount: normal, currency: 'CNY' });
      if (!('key' in made)) return made;
      current = made;
      setIntent(made);
    }
    const answer = await sendIntent(current);
    if (answer.ok) setFunding(answer.body);
    return answer;
  };
  const id = props.kind === 'top_up' ? 'top-up' : 'withdraw';
  if (funding !== undefined) {
    return (
      <section class="card" aria-label={t(props.kind)}>
        <FundingOutcome funding={funding} onChange={setFunding} />
        <button
          type="button"
          onClick={() => {
            setFunding(undefined);
            setIntent(undefined);
            setAmount('');
          }}
        >
          {t('done')}
        </button>
      </section>
    );
  }
  return (
    <Form id={id} label={t(props.kind)} submit={t(props.kind)} action={go}>
      <div class="field">
        <label for={`f-${id}-card`}>{t('card')}</label>
        <select
          id={`f-${id}-card`}
          name={`${id}-card`}
          value={chosen}
          onChange={(e) => {
            setCardId((e.currentTarget as HTMLSelectElement).value);
            setIntent(undefined);
          }}
        >
          {props.cards.map((c) => (
            <option key={c.id} value={c.id}>
              {c.bank} {c.maskedPan}
            </option>
          ))}
        </select>
      </div>
      <Field
        label={`${t('amount')} (CNY)`}
        name={`${id}-amount`}
        value={amount}
        inputMode="decimal"
        onInput={(v) => {
          setAmount(v);
          setIntent(undefined);
        }}
      />
    </Form>
  );
}

export function Cards() {
  const [cards, setCards] = useState<readonly Card[]>([]);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    void reply(anfu.GET('/v1/cards')).then((r) => r.ok && setCards(r.body.items));
  }, [version]);
  const verified = cards.filter((c) => c.verified);
  return (
    <Frame title={t('cards')} nav={<WalletNav />}>
      <section class="card" aria-labelledby="cards-title">
        <h2 id="cards-title">{t('yourCards')}</h2>
        {cards.length === 0 ? <p class="muted">{t('noCards')}</p> : null}
        <ul>
          {cards.map((c) => (
            <li key={c.id} data-card={c.id} data-verified={String(c.verified)}>
              {c.bank} <span class="mono">{c.maskedPan}</span> {c.verified ? t('cardVerified') : t('cardUnverified')}
            </li>
          ))}
        </ul>
      </section>
      <section class="card" aria-labelledby="bind-title">
        <h2 id="bind-title">{t('bindCard')}</h2>
        <BindCard onBound={() => setVersion((v) => v + 1)} />
      </section>
      {verified.length === 0 ? null : (
        <>
          <MoveMoney kind="top_up" cards={verified} />
          <MoveMoney kind="withdrawal" cards={verified} />
        </>
      )}
    </Frame>
  );
}
