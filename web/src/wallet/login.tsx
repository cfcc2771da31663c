// Log in with phone and password; when the server asks for a second factor (a new device, a risky
// login), answer it with the authenticator or an SMS code. Registration with an SMS code and real-name
// data (the server checks the ID number and the name).
import { useState } from 'preact/hooks';
import { call } from '../shared/api.ts';
import { Field, Form, Frame, Notice } from '../shared/ui.tsx';
import { begin, device, isChallenge, type LoginChallenge, type LoginReply, type SessionBody } from './session.ts';
import { StepUp } from './step-up.tsx';
import { t } from './texts.ts';

export function Login() {
  const [phone, setPhone] = useState('');
  const [password, setPassword] = useState('');
  const [challenge, setChallenge] = useState<LoginChallenge | undefined>(undefined);
  const logIn = async () => {
    const reply: LoginReply = await call('POST', '/customer-sessions', { body: { phone, password, device: await device() } });
    if (reply.ok) {
      if (isChallenge(reply.body)) setChallenge(reply.body);
      else begin(reply.body);
    }
    return reply;
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
          sendSms={() => call('POST', `/login-challenges/${challenge.challengeId}/sms`)}
          answer={(a) => call('POST', `/login-challenges/${challenge.challengeId}`, { body: { factor: a.kind, code: a.code, ...(a.codeId === undefined ? {} : { codeId: a.codeId }) } })}
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
    const reply = await call<{ codeId: string }>('POST', '/sms-codes', { body: { phone, purpose: 'registration' } });
    if (reply.ok) setCodeId(reply.body.codeId);
    return reply;
  };
  const register = async () => {
    const body = { phone, smsCodeId: codeId, smsCode: code, name, idNumber, password, device: await device() };
    const reply = await call<{ session: SessionBody }>('POST', '/customers', { body });
    if (reply.ok) begin(reply.body.session);
    return reply;
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
