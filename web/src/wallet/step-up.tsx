// The one step-up prompt: wherever the server asks for a second factor (a challenged payment, a
// factor change, a login) the person answers with a passkey, an authenticator code or an SMS code.
// The factors offered are the enrolled ones; until they are known the prompt says so instead of
// offering SMS and switching under the person's hand.
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply, type Reply } from '../shared/api.ts';
import { signal, useSignal } from '../shared/signal.ts';
import { Field, Form, Notice } from '../shared/ui.tsx';
import { session } from './session.ts';
import { t } from './texts.ts';

export type StepUpAnswer =
  | { readonly kind: 'totp'; readonly code: string }
  | { readonly kind: 'sms'; readonly code: string; readonly codeId?: string }
  | { readonly kind: 'passkey'; readonly response: Record<string, unknown> };
type Kind = StepUpAnswer['kind'];

/** Most convenient first: a passkey is one touch, an authenticator code needs no network. */
const preference: readonly Kind[] = ['passkey', 'totp', 'sms'];

let known: { owner: object | undefined; factors: Promise<readonly string[]> } | undefined;

/** Factors enrolled in the account of this session, loaded once and shared by every prompt. */
export function enrolledFactors(): Promise<readonly string[]> {
  const owner = session.get();
  if (known === undefined || known.owner !== owner) {
    const factors = reply(anfu.GET('/v1/me')).then((r) => {
      if (!r.ok) {
        known = undefined;
        return ['sms'];
      }
      return [...(r.body.factors.passkeys > 0 ? ['passkey'] : []), ...(r.body.factors.totp ? ['totp'] : []), 'sms'];
    });
    known = { owner, factors };
  }
  return known.factors;
}

const factorsChanged = signal(0);

/** After enrolling or removing a factor: the prompts ask the server again. */
export function forgetFactors(): void {
  known = undefined;
  factorsChanged.set(factorsChanged.get() + 1);
}

/** The enrolled factors, or undefined while they load. */
export function useFactors(): readonly string[] | undefined {
  const [factors, setFactors] = useState<readonly string[] | undefined>(undefined);
  const version = useSignal(factorsChanged);
  useEffect(() => {
    let live = true;
    void enrolledFactors().then((f) => live && setFactors(f));
    return () => {
      live = false;
    };
  }, [version]);
  return factors;
}

/** Runs the browser's passkey ceremony with the server's options; a problem to show when it cannot. */
export async function passkeyAssertion(
  options: () => Promise<Reply<Record<string, unknown>>>,
): Promise<Reply<Record<string, unknown>>> {
  const asked = await options();
  if (!asked.ok) return asked;
  try {
    const { startAuthentication } = await import('@simplewebauthn/browser');
    const response = await startAuthentication({ optionsJSON: asked.body as never });
    return { ok: true, status: 200, body: response as unknown as Record<string, unknown> };
  } catch {
    return { ok: false, problem: { status: 0, code: 'passkey_cancelled', title: 'The passkey was not used' } };
  }
}

export function StepUp<T>(props: {
  /** Undefined while the enrolled factors load. */
  factors: readonly string[] | undefined;
  sendSms: () => Promise<Reply<{ codeId: string }>>;
  /** Where this step-up's WebAuthn options come from; without it no passkey is offered. */
  passkeyOptions?: () => Promise<Reply<Record<string, unknown>>>;
  answer: (answer: StepUpAnswer) => Promise<Reply<T>>;
  done: (body: T) => void;
}) {
  const offered = preference.filter(
    (k) => props.factors?.includes(k) === true && (k !== 'passkey' || props.passkeyOptions !== undefined),
  );
  const [picked, setPicked] = useState<Kind | undefined>(undefined);
  const kind = picked ?? offered[0];
  return (
    <section class="card" aria-labelledby="step-up-title">
      <h2 id="step-up-title">{t('stepUpTitle')}</h2>
      {kind === undefined ? (
        <p class="muted" data-testid="step-up-loading">
          {t('stepUpLoading')}
        </p>
      ) : (
        <>
          <p class="muted">{kind === 'passkey' ? t('stepUpPasskeyHelp') : t('stepUpHelp')}</p>
          <div class="row">
            {offered.map((k) => (
              <button key={k} type="button" data-factor={k} aria-pressed={kind === k} onClick={() => setPicked(k)}>
                {t(k === 'passkey' ? 'usePasskey' : k === 'totp' ? 'useTotp' : 'useSms')}
              </button>
            ))}
          </div>
          <Answer key={kind} kind={kind} {...props} />
        </>
      )}
    </section>
  );
}

function Answer<T>(props: {
  kind: Kind;
  sendSms: () => Promise<Reply<{ codeId: string }>>;
  passkeyOptions?: () => Promise<Reply<Record<string, unknown>>>;
  answer: (answer: StepUpAnswer) => Promise<Reply<T>>;
  done: (body: T) => void;
}) {
  const [code, setCode] = useState('');
  const [codeId, setCodeId] = useState<string | undefined>(undefined);
  const finish = async (answer: StepUpAnswer) => {
    const answered = await props.answer(answer);
    if (answered.ok) props.done(answered.body);
    return answered;
  };
  if (props.kind === 'passkey') {
    const options = props.passkeyOptions;
    const usePasskey = async () => {
      if (options === undefined) return undefined;
      const assertion = await passkeyAssertion(options);
      return assertion.ok ? finish({ kind: 'passkey', response: assertion.body }) : assertion;
    };
    return (
      <Form id="step-up-passkey" label={t('usePasskey')} submit={t('usePasskey')} action={usePasskey}>
        <span />
      </Form>
    );
  }
  if (props.kind === 'sms' && codeId === undefined) {
    const send = async () => {
      const sent = await props.sendSms();
      if (sent.ok) setCodeId(sent.body.codeId);
      return sent;
    };
    return (
      <Form id="step-up-send" label={t('sendCode')} submit={t('sendCode')} action={send}>
        <span />
      </Form>
    );
  }
  const answer: StepUpAnswer =
    props.kind === 'sms' ? { kind: 'sms', code, ...(codeId === undefined ? {} : { codeId }) } : { kind: 'totp', code };
  return (
    <Form id="step-up-answer" label={t('stepUpTitle')} submit={t('confirm')} action={() => finish(answer)}>
      {props.kind === 'sms' ? <Notice>{t('codeSent')}</Notice> : null}
      <Field
        label={props.kind === 'totp' ? t('totpCode') : t('smsCode')}
        name="step-up-code"
        value={code}
        onInput={setCode}
        inputMode="numeric"
        autocomplete="one-time-code"
      />
    </Form>
  );
}
