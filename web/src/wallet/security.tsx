// Security: the authenticator (TOTP), passkeys, and this device's certificate, which payments need; the devices
// and sessions of the account, each revocable; and the security notices the server sent. Where the
// server wants a fresh second factor first (step_up_required) the step-up prompt appears, then the
// action runs again.
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply, type Reply } from '../shared/api.ts';
import { p256DeviceKey } from '@anfu/sdk';
import { deviceKeys, deviceRecord, saveCertificate } from '../shared/device-key.ts';
import { Field, Form, Frame, Notice, ProblemBox } from '../shared/ui.tsx';
import { WalletNav } from './nav.tsx';
import { session } from './session.ts';
import { forgetFactors, StepUp, useFactors } from './step-up.tsx';
import { t } from './texts.ts';

interface Me {
  readonly name: string;
  readonly factors: { readonly totp: boolean; readonly passkeys: number };
}
interface DeviceRow {
  readonly deviceId: string;
  readonly label: string;
  readonly status: string;
  readonly certified: boolean;
  readonly current: boolean;
}
interface SessionRow {
  readonly sessionId: string;
  readonly factors: readonly string[];
  readonly current: boolean;
  readonly createdAt: string;
}
interface NoticeRow {
  readonly noticeId: string;
  readonly kind: string;
  readonly createdAt: string;
}

/** Runs an action; if the server wants a step-up first, shows the prompt and runs it again after. */
function useStepUpGate() {
  const factors = useFactors();
  const [pending, setPending] = useState<(() => Promise<Reply<unknown>>) | undefined>(undefined);
  const run = async <T,>(action: () => Promise<Reply<T>>): Promise<Reply<T>> => {
    const reply = await action();
    if (!reply.ok && reply.problem.code === 'step_up_required') setPending(() => action as () => Promise<Reply<unknown>>);
    return reply;
  };
  const gate =
    pending === undefined ? null : (
      <StepUp<{ strength: string }>
        factors={factors}
        sendSms={() => reply(anfu.POST('/v1/me/step-up/sms'))}
        passkeyOptions={() => reply(anfu.POST('/v1/me/step-up/passkey-options'))}
        answer={(a) => reply(anfu.POST('/v1/me/step-up', { body: a }))}
        done={() => {
          const again = pending;
          setPending(undefined);
          void again();
        }}
      />
    );
  return { run, gate };
}

/** The browser makes a passkey for the server's options, and the server keeps its public key. */
async function registerPasskey(): Promise<Reply<{ passkeyId: string }>> {
  const options = await reply(anfu.POST('/v1/me/passkeys/options'));
  if (!options.ok) return options;
  let response: Record<string, unknown>;
  try {
    const { startRegistration } = await import('@simplewebauthn/browser');
    response = (await startRegistration({ optionsJSON: options.body as never })) as unknown as Record<string, unknown>;
  } catch {
    return { ok: false, problem: { status: 0, code: 'passkey_not_registered', title: 'The passkey was not added' } };
  }
  return reply(anfu.POST('/v1/me/passkeys', { body: { response, label: 'wallet' } }));
}

export function Security() {
  const [me, setMe] = useState<Me | undefined>(undefined);
  const [devices, setDevices] = useState<readonly DeviceRow[]>([]);
  const [sessions, setSessions] = useState<readonly SessionRow[]>([]);
  const [notices, setNotices] = useState<readonly NoticeRow[]>([]);
  const [certified, setCertified] = useState(false);
  const [totp, setTotp] = useState<{ secret: string; qrSvg: string } | undefined>(undefined);
  const [code, setCode] = useState('');
  const [version, setVersion] = useState(0);
  const { run, gate } = useStepUpGate();
  const who = session.get();
  useEffect(() => {
    void reply(anfu.GET('/v1/me')).then((r) => r.ok && setMe(r.body));
    void reply(anfu.GET('/v1/me/devices')).then((r) => r.ok && setDevices(r.body.items));
    void reply(anfu.GET('/v1/me/sessions')).then((r) => r.ok && setSessions(r.body.items));
    void reply(anfu.GET('/v1/me/notices')).then((r) => r.ok && setNotices(r.body.items));
    if (who !== undefined) void deviceRecord(who.customerId).then((d) => setCertified(d?.deviceId !== undefined));
  }, [version]);
  const refresh = () => {
    forgetFactors();
    setVersion((v) => v + 1);
  };
  const startTotp = () =>
    run(async () => {
      const answer = await reply(anfu.POST('/v1/me/totp'));
      if (answer.ok) setTotp(answer.body);
      return answer;
    });
  const confirmTotp = async () => {
    const answer = await reply(anfu.POST('/v1/me/totp/confirm', { body: { code } }));
    if (answer.ok) {
      setTotp(undefined);
      setCode('');
      refresh();
    }
    return answer;
  };
  const addPasskey = () =>
    run(async () => {
      const answer = await registerPasskey();
      if (answer.ok) refresh();
      return answer;
    });
  const certify = () =>
    run(async () => {
      if (who === undefined) return { ok: false as const, problem: { status: 401, code: 'unauthenticated', title: '' } };
      const record = await deviceKeys(who.customerId);
      const publicKey = await p256DeviceKey(record.keys).publicKeyPem();
      const answer = await reply(anfu.POST('/v1/me/device-certificate', { body: { publicKey } }));
      if (answer.ok) {
        await saveCertificate(record, answer.body.deviceId, answer.body.certificate);
        refresh();
      }
      return answer;
    });
  const revoke = async (send: () => Promise<Reply<unknown>>) => {
    const answer = await send();
    refresh();
    return answer;
  };
  const revokeDevice = (deviceId: string) => () => reply(anfu.DELETE('/v1/me/devices/{deviceId}', { params: { path: { deviceId } } }));
  const revokeSession = (sessionId: string) => () =>
    reply(anfu.DELETE('/v1/me/sessions/{sessionId}', { params: { path: { sessionId } } }));
  return (
    <Frame title={t('security')} nav={<WalletNav />}>
      {gate}
      <section class="card" aria-labelledby="factors">
        <h2 id="factors">{t('factors')}</h2>
        <p data-testid="totp-status">{me?.factors.totp === true ? t('totpOn') : t('totpOff')}</p>
        {me?.factors.totp === true ? null : totp === undefined ? (
          <Form id="enrol-totp" label={t('enrolTotp')} submit={t('enrolTotp')} action={startTotp}>
            <span />
          </Form>
        ) : (
          <Form id="confirm-totp" label={t('confirmTotp')} submit={t('confirmTotp')} action={confirmTotp}>
            <p>{t('totpScan')}</p>
            <img class="qr" alt="TOTP QR" width={180} height={180} src={`data:image/svg+xml;base64,${btoa(totp.qrSvg)}`} />
            <p class="mono" data-testid="totp-secret">
              {totp.secret}
            </p>
            <Field label={t('totpCode')} name="totp-code" value={code} onInput={setCode} inputMode="numeric" autocomplete="one-time-code" />
          </Form>
        )}
      </section>
      <section class="card" aria-labelledby="passkeys">
        <h2 id="passkeys">{t('passkeys')}</h2>
        <p data-testid="passkey-count" data-count={me?.factors.passkeys ?? 0}>
          {me === undefined || me.factors.passkeys === 0 ? t('noPasskeys') : t('passkeyCount', { count: String(me.factors.passkeys) })}
        </p>
        <Form id="add-passkey" label={t('addPasskey')} submit={t('addPasskey')} action={addPasskey}>
          <span />
        </Form>
      </section>
      <section class="card" aria-labelledby="device">
        <h2 id="device">{t('device')}</h2>
        {certified ? (
          <Notice>
            <span data-testid="device-certified">{t('deviceCertified')}</span>
          </Notice>
        ) : (
          <Form id="certify-device" label={t('certify')} submit={t('certify')} action={certify}>
            <p>{t('deviceNotCertified')}</p>
          </Form>
        )}
      </section>
      <Rows title={t('devices')} rows={devices.map((d) => ({ id: d.deviceId, text: `${d.label} · ${d.status}${d.certified ? ' · ✓' : ''}`, current: d.current, send: revokeDevice(d.deviceId) }))} revoke={revoke} />
      <Rows title={t('sessions')} rows={sessions.map((s) => ({ id: s.sessionId, text: `${s.factors.join(' + ')} · ${new Date(s.createdAt).toLocaleString()}`, current: s.current, send: revokeSession(s.sessionId) }))} revoke={revoke} />
      <section class="card" aria-labelledby="notices">
        <h2 id="notices">{t('notices')}</h2>
        <ul>
          {notices.map((n) => (
            <li key={n.noticeId}>
              {n.kind} · {new Date(n.createdAt).toLocaleString()}
            </li>
          ))}
        </ul>
      </section>
    </Frame>
  );
}

function Rows(props: {
  title: string;
  rows: readonly { id: string; text: string; current: boolean; send: () => Promise<Reply<unknown>> }[];
  revoke: (send: () => Promise<Reply<unknown>>) => Promise<Reply<unknown>>;
}) {
  const [problem, setProblem] = useState<Reply<unknown> | undefined>(undefined);
  return (
    <section class="card" aria-label={props.title}>
      <h2>{props.title}</h2>
      <ProblemBox problem={problem !== undefined && !problem.ok ? problem.problem : undefined} />
      <ul>
        {props.rows.map((r) => (
          <li key={r.id}>
            {r.text} {r.current ? `(${t('current')})` : null}{' '}
            {r.current ? null : (
              <button type="button" onClick={async () => setProblem(await props.revoke(r.send))}>
                {t('revoke')}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
