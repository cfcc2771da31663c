// Log in with phone and password; when the server asks for a second factor (a new device, a risky
// login), answer it with the authenticator or an SMS code. Registration with an SMS code and real-name
// data (the server checks the ID number and the name).
import { useState } from 'preact/hooks';
import { anfu, reply } from '../shared/api.ts';
import { Field, Form, Frame, Notice } from '../shared/ui.tsx';
import { begin, device, isChallenge, type LoginChallenge, type LoginReply, type SessionBody } from './session.ts';
import { StepUp } from './step-up.tsx';
import { t } from './texts.ts';

export function Login() {
  const [phone, setPhone] = useState('');
  const [password, setPassword] = useState('');
  const [challenge, setChallenge] = useState<LoginChallenge | undefined>(undefined);
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
      {challenge === undefined ? (
        <Form id="login" label={t('login')} submit={t('login')} action={logIn}>
          <Field label={t('phone')} name="phone" value={phone} onInput={setPhone} type="tel" autocomplete="tel" />
          <Field label={t('password')} name="password" value={password} onInput={setPassword} type="password" autocomplete="current-password" />
        </Form>
      ) : (
        <StepUp<SessionBody>
          factors={challenge.factors}
          sendSms={() => reply(anfu.POST('/v1/login-challenges/{challengeId}/sms', { params: { path: { challengeId: challenge.challengeId } } }))}
          answer={(a) =>
            reply(
              anfu.POST('/v1/login-challenges/{challengeId}', {
                params: { path: { challengeId: challenge.challengeId } },
                body: { factor: a.kind, code: a.code, ...(a.codeId === undefined ? {} : { codeId: a.codeId }) },
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
