// Operators and their API tokens. A role change is never made here: it is proposed (maker–checker),
// and another administrator approves it in the inbox; the server's refusal (e.g. a change to one's
// own access, `proposal_self_target`) is shown as it comes. A token can be revoked at once.
// Creating an operator shows the single-use enrolment code the server gives (the new operator sets
// their own password and TOTP: the server never reveals either); a token issued here is shown once.
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply, type Problem } from '../shared/api.ts';
import { lang } from '../shared/i18n.ts';
import { useSignal } from '../shared/signal.ts';
import { Field, Form, Frame, Notice, ProblemBox } from '../shared/ui.tsx';
import { Nav } from './nav.tsx';
import { t } from './texts.ts';

const roles = ['administrator', 'operations', 'risk_analyst', 'customer_service', 'auditor'] as const;
type Role = (typeof roles)[number];

interface OperatorRow {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly status: string;
  readonly locked: boolean;
}

interface TokenRow {
  readonly id: string;
  readonly name: string;
  readonly operatorName: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
}

function RoleChange(props: { operator: OperatorRow }) {
  const [role, setRole] = useState<Role>((props.operator.role as Role) ?? 'operations');
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [proposed, setProposed] = useState<string | undefined>(undefined);
  const propose = async () => {
    setProblem(undefined);
    const body = {
      kind: 'operator.role_change',
      payload: { operatorId: props.operator.id, role },
      reason: 'role change requested in the console',
    };
    const r = await reply(anfu.POST('/v1/proposals', { body }));
    if (r.ok) setProposed(r.body.id);
    else setProblem(r.problem);
  };
  const selectId = `role-${props.operator.id}`;
  return (
    <div class="row" data-role-change={props.operator.name}>
      <label for={selectId}>{t('newRole')}</label>
      <select id={selectId} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
        {roles.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <button type="button" onClick={() => void propose()}>
        {t('proposeRole')}
      </button>
      <ProblemBox problem={problem} />
      {proposed === undefined ? null : (
        <Notice>
          <span data-testid="role-proposed" data-proposal={proposed}>
            {t('roleProposed')}
          </span>
        </Notice>
      )}
    </div>
  );
}

interface Created {
  readonly name: string;
  readonly enrolmentCode: string;
  readonly enrolmentExpiresAt: string;
  readonly grantProposalId: string | null;
}

function CreateOperator(props: { created: () => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('operations');
  const [created, setCreated] = useState<Created | undefined>(undefined);
  const create = async () => {
    setCreated(undefined);
    const r = await reply(anfu.POST('/v1/operators', { body: { name: name.trim(), role } }));
    if (r.ok) {
      setCreated(r.body);
      props.created();
    }
    return r;
  };
  return (
    <>
      <Form id="create-operator" label={t('createOperator')} submit={t('createOperator')} action={create}>
        <Field label={t('name')} name="new-operator-name" value={name} onInput={setName} />
        <label for="new-operator-role">{t('role')}</label>
        <select id="new-operator-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          {roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </Form>
      {created === undefined ? null : (
        <Notice>
          <span data-testid="operator-created">
            {t('enrolmentCodeOnce', { name: created.name, expires: new Date(created.enrolmentExpiresAt).toLocaleString() })}
          </span>{' '}
          <strong class="mono" data-testid="enrolment-code">
            {created.enrolmentCode}
          </strong>
          {created.grantProposalId === null ? null : ` ${t('grantProposed', { id: created.grantProposalId })}`}
        </Notice>
      )}
    </>
  );
}

function IssueToken(props: { issued: () => void }) {
  const [name, setName] = useState('');
  const [days, setDays] = useState('30');
  const [token, setToken] = useState<string | undefined>(undefined);
  const issue = async () => {
    setToken(undefined);
    const r = await reply(anfu.POST('/v1/operator-tokens', { body: { name: name.trim(), expiresInDays: Number(days) } }));
    if (r.ok) {
      setToken(r.body.token);
      props.issued();
    }
    return r;
  };
  return (
    <>
      <Form id="issue-token" label={t('issueToken')} submit={t('issueToken')} action={issue}>
        <Field label={t('tokenName')} name="token-name" value={name} onInput={setName} />
        <Field label={t('validDays')} name="token-days" value={days} onInput={setDays} inputMode="numeric" />
      </Form>
      {token === undefined ? null : (
        <Notice>
          {t('tokenOnce')}{' '}
          <strong class="mono" data-testid="issued-token">
            {token}
          </strong>
        </Notice>
      )}
    </>
  );
}

function Tokens() {
  useSignal(lang);
  const [items, setItems] = useState<readonly TokenRow[]>([]);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    void reply(anfu.GET('/v1/operator-tokens')).then((r) => (r.ok ? setItems(r.body.items) : setProblem(r.problem)));
  }, [version]);
  const revoke = async (id: string) => {
    const r = await reply(anfu.DELETE('/v1/operator-tokens/{tokenId}', { params: { path: { tokenId: id } } }));
    if (!r.ok) setProblem(r.problem);
    setVersion((v) => v + 1);
  };
  return (
    <>
      <h2>{t('tokens')}</h2>
      <IssueToken issued={() => setVersion((v) => v + 1)} />
      <ProblemBox problem={problem} />
      {items.length === 0 ? <p class="muted">{t('noTokens')}</p> : null}
      <table aria-label={t('tokens')}>
        <thead>
          <tr>
            <th scope="col">{t('name')}</th>
            <th scope="col">{t('operator')}</th>
            <th scope="col">{t('expires')}</th>
            <th scope="col">{t('state')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((k) => (
            <tr key={k.id} data-token={k.id}>
              <td>{k.name}</td>
              <td>{k.operatorName}</td>
              <td>{new Date(k.expiresAt).toLocaleString()}</td>
              <td>
                {k.revokedAt === null ? (
                  <button type="button" onClick={() => void revoke(k.id)}>
                    {t('revoke')}
                  </button>
                ) : (
                  t('revoked')
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function Operators() {
  useSignal(lang);
  const [items, setItems] = useState<readonly OperatorRow[]>([]);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    void reply(anfu.GET('/v1/operators')).then((r) => (r.ok ? setItems(r.body.items) : setProblem(r.problem)));
  }, [version]);
  return (
    <Frame title={t('operators')} nav={<Nav />}>
      <ProblemBox problem={problem} />
      <CreateOperator created={() => setVersion((v) => v + 1)} />
      {items.map((o) => (
        <section class="card" key={o.id} data-operator={o.name} aria-label={o.name}>
          <h2>{o.name}</h2>
          <p>
            {t('role')}: <span data-testid="operator-role">{o.role}</span> · {t('state')}: {o.status}
            {o.locked ? ` · ${t('locked')}` : ''}
          </p>
          <RoleChange operator={o} />
        </section>
      ))}
      <Tokens />
    </Frame>
  );
}
