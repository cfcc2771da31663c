// Log in with phone and password; when the server asks for a second factor (a new device, a risky
// login), answer it with a passkey, the authenticator or an SMS code. A session that ended by itself
// (its renewal refused) is said so here. Registration with an SMS code and real-name
// data (the server checks the ID number and the name).
import { useState } from 'preact/hooks';
import { anfu, reply } from '../shared/api.ts';
import { useSignal } from '../shared/signal.ts';
import { Field, Form, Frame, Notice } from '../shared/ui.tsx';
import { begin, device, endedBecause, isChallenge, type LoginChallenge, type LoginReply, type SessionBody } from './session.ts';
import { StepUp } from './step-up.tsx';
import { t } from './texts.ts';

/** An SMS or authenticator answer as the login challenge takes it. */
function codeOf(a: { code: string; codeId?: string }) {
  return { code: a.code, ...(a.codeId === undefined ? {} : { codeId: a.codeId }) };
}

export function Login() {
  const [phone, setPhone] = useState('');
  const [password, setPassword] = useState('');
  const [challenge, setChallenge] = useState<LoginChallenge | undefined>(undefined);
  const ended = useSignal(endedBecause);
  const path = challenge === undefined ? undefined : { challengeId: challenge.challengeId };
  const logIn = async () => {
    const answer: LoginReply = await reply(anfu.POST('/v1/customer-sessions', { body: { phone, password, device: await device() } }));
    if (answer.ok) {
      if (isChallenge(answer.body)) setChallenge(answer.body);
      else begin(answer.body);
    }
    return answer;
  };
  return (
    <Frame title={t('login')} nav={<a href="#/register">{t('register')}</a>}>
      {ended === undefined ? null : (
        <Notice>
          <span data-testid="session-ended">{t('sessionEnded')}</span>
        </Notice>
      )}
      {challenge === undefined || path === undefined ? (
        <Form id="login" label={t('login')} submit={t('login')} action={logIn}>
          <Field label={t('phone')} name="phone" value={phone} onInput={setPhone} type="tel" autocomplete="tel" />
          <Field label={t('password')} name="password" value={password} onInput={setPassword} type="password" autocomplete="current-password" />
        </Form>
      ) : (
        <StepUp<SessionBody>
          factors={challenge.factors}
          sendSms={() => reply(anfu.POST('/v1/login-challenges/{challengeId}/sms', { params: { path } }))}
          passkeyOptions={() => reply(anfu.POST('/v1/login-challenges/{challengeId}/passkey-options', { params: { path } }))}
          answer={(a) =>
            reply(
              anfu.POST('/v1/login-challenges/{challengeId}', {
                params: { path },
                body: a.kind === 'passkey' ? { factor: 'passkey', response: a.response } : { factor: a.kind, ...codeOf(a) },
              }),
            )
          }
          done={begin}
        />
      )}
      <p>
        <a href="#/register">{t('noAccount')}</a>
      </p>
    </Frame>
  );
}

export function Register() {
  const [phone, setPhone] = useState('');
  const [codeId, setCodeId] = useState<string | undefined>(undefined);
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [idNumber, setIdNumber] = useState('');
  const [password, setPassword] = useState('');
  const sendCode = async () => {
    const answer = await reply(anfu.POST('/v1/sms-codes', { body: { phone, purpose: 'registration' } }));
    if (answer.ok) setCodeId(answer.body.codeId);
    return answer;
  };
  const register = async () => {
    const body = { phone, smsCodeId: codeId ?? '', smsCode: code, name, idNumber, password, device: await device() };
    const answer = await reply(anfu.POST('/v1/customers', { body }));
    if (answer.ok) begin(answer.body.session);
    return answer;
  };
  return (
    <Frame title={t('register')} nav={<a href="#/login">{t('login')}</a>}>
      {codeId === undefined ? (
        <Form id="registration-code" label={t('sendCode')} submit={t('sendCode')} action={sendCode}>
          <Field label={t('phone')} name="phone" value={phone} onInput={setPhone} type="tel" autocomplete="tel" />
        </Form>
      ) : (
        <Form id="register" label={t('register')} submit={t('register')} action={register}>
          <Notice>{t('codeSent')}</Notice>
          <Field label={t('smsCode')} name="sms-code" value={code} onInput={setCode} inputMode="numeric" autocomplete="one-time-code" />
          <Field label={t('name')} name="name" value={name} onInput={setName} autocomplete="name" />
          <Field label={t('idNumber')} name="id-number" value={idNumber} onInput={setIdNumber} />
          <Field label={t('password')} name="new-password" value={password} onInput={setPassword} type="password" autocomplete="new-password" />
        </Form>
      )}
      <p>
        <a href="#/login">{t('haveAccount')}</a>
      </p>
    </Frame>
  );
}
