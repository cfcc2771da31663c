// The one step-up prompt: wherever the server asks for a second factor (a challenged payment, a
// factor change, a login) the person picks an authenticator code or an SMS code and answers it here.
import { useState } from 'preact/hooks';
import type { Reply } from '../shared/api.ts';
import { Field, Form, Notice } from '../shared/ui.tsx';
import { t } from './texts.ts';

export interface StepUpAnswer {
  readonly kind: 'totp' | 'sms';
  readonly code: string;
  readonly codeId?: string;
}

export function StepUp<T>(props: {
  factors: readonly string[];
  sendSms: () => Promise<Reply<{ codeId: string }>>;
  answer: (answer: StepUpAnswer) => Promise<Reply<T>>;
  done: (body: T) => void;
}) {
  const canTotp = props.factors.includes('totp');
  const [kind, setKind] = useState<'totp' | 'sms'>(canTotp ? 'totp' : 'sms');
  const [code, setCode] = useState('');
  const [codeId, setCodeId] = useState<string | undefined>(undefined);
  const send = async () => {
    const sent = await props.sendSms();
    if (sent.ok) setCodeId(sent.body.codeId);
    return sent;
  };
  return (
    <section class="card" aria-labelledby="step-up-title">
      <h2 id="step-up-title">{t('stepUpTitle')}</h2>
      <p class="muted">{t('stepUpHelp')}</p>
      <div class="row">
        {canTotp ? (
          <button type="button" data-factor="totp" aria-pressed={kind === 'totp'} onClick={() => setKind('totp')}>
            {t('useTotp')}
          </button>
        ) : null}
        <button type="button" data-factor="sms" aria-pressed={kind === 'sms'} onClick={() => setKind('sms')}>
          {t('useSms')}
        </button>
      </div>
      {kind === 'sms' && codeId === undefined ? (
        <Form id="step-up-send" label={t('sendCode')} submit={t('sendCode')} action={send}>
          <span />
        </Form>
      ) : (
        <Form
          id="step-up-answer"
          label={t('stepUpTitle')}
          submit={t('confirm')}
          action={async () => {
            const reply = await props.answer({ kind, code, ...(kind === 'sms' && codeId !== undefined ? { codeId } : {}) });
            if (reply.ok) props.done(reply.body);
            return reply;
          }}
        >
          {kind === 'sms' ? <Notice>{t('codeSent')}</Notice> : null}
          <Field
            label={kind === 'totp' ? t('totpCode') : t('smsCode')}
            name="step-up-code"
            value={code}
            onInput={setCode}
            inputMode="numeric"
            autocomplete="one-time-code"
          />
        </Form>
      )}
    </section>
  );
}
