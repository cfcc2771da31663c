// The operator console: password + TOTP login, the maker–checker inbox (the server decides who may
// approve what; a refusal is shown as the server gives it), payments and their timelines, audit search
// with proofs checked in the browser, ledger accounts, security events and incidents, risk and AML/sanctions,
// clearing and reconciliation, backups, the self-assessment and the keys.
// Operators can look and request; nothing here forces a state the server would refuse.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply, setToken, type Problem } from '../shared/api.ts';
import { lang } from '../shared/i18n.ts';
import { formatAmount } from '../shared/money.ts';
import { go, route, useSignal } from '../shared/signal.ts';
import { Field, Form, Frame, ProblemBox } from '../shared/ui.tsx';
import { Aml } from './aml.tsx';
import { Assessment } from './assessment.tsx';
import { AuditSearch } from './audit.tsx';
import { Backups } from './backups.tsx';
import { Cases } from './cases.tsx';
import { BatchDetail, Clearing } from './clearing.tsx';
import { Dashboards } from './dashboards.tsx';
import { IncidentDetail, Incidents } from './incidents.tsx';
import { Journal } from './journal.tsx';
import { Keys } from './keys.tsx';
import { Nav } from './nav.tsx';
import { Operators } from './operators.tsx';
import { PaymentTimeline, Payments } from './payments.tsx';
import { DecisionDetail, Risk } from './risk.tsx';
import { Reconciliation } from './reconciliation.tsx';
import { operator, splitRoute } from './session.ts';
import { t } from './texts.ts';

function Login() {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const logIn = async () => {
    const answer = await reply(anfu.POST('/v1/operator-sessions', { body: { name, password, totp } }));
    if (answer.ok) {
      setToken(answer.body.token);
      operator.set(name);
      go('/');
    }
    return answer;
  };
  return (
    <Frame title={t('console')}>
      <Form id="operator-login" label={t('login')} submit={t('login')} action={logIn}>
        <Field label={t('name')} name="operator-name" value={name} onInput={setName} autocomplete="username" />
        <Field label={t('password')} name="operator-password" value={password} onInput={setPassword} type="password" autocomplete="current-password" />
        <Field label={t('totp')} name="operator-totp" value={totp} onInput={setTotp} inputMode="numeric" autocomplete="one-time-code" />
      </Form>
    </Frame>
  );
}

type ProposalState = 'pending' | 'executed' | 'rejected' | 'expired' | 'failed';

interface Proposal {
  readonly id: string;
  readonly kind: string;
  readonly payload: unknown;
  readonly proposedBy: string;
  readonly state: string;
  readonly expiresAt: string;
}

function Inbox() {
  const [items, setItems] = useState<readonly Proposal[]>([]);
  const [state, setState] = useState('pending');
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const query = { state: state as ProposalState };
    void reply(anfu.GET('/v1/proposals', { params: { query } })).then((r) => (r.ok ? setItems(r.body.items) : setProblem(r.problem)));
  }, [state, version]);
  const decide = async (id: string, verb: 'approve' | 'reject') => {
    setProblem(undefined);
    const path = { proposalId: id };
    const answer = await reply(
      verb === 'approve'
        ? anfu.POST('/v1/proposals/{proposalId}/approve', { params: { path } })
        : anfu.POST('/v1/proposals/{proposalId}/reject', { params: { path } }),
    );
    if (!answer.ok) setProblem(answer.problem);
    setVersion((v) => v + 1);
  };
  return (
    <Frame title={t('inbox')} nav={<Nav />}>
      <label for="state-filter">{t('filter')}</label>
      <select id="state-filter" value={state} onChange={(e) => setState((e.currentTarget as HTMLSelectElement).value)}>
        {['pending', 'executed', 'rejected', 'expired', 'failed'].map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <ProblemBox problem={problem} />
      {items.length === 0 ? <p class="muted">{t('noProposals')}</p> : null}
      {items.map((p) => (
        <section class="card" key={p.id} data-proposal={p.id} aria-label={`${p.kind} ${p.id}`}>
          <h2>{p.kind}</h2>
          <p>
            {t('proposedBy')}: {p.proposedBy} · {t('state')}: <span data-testid="proposal-state">{p.state}</span> · {t('expires')}:{' '}
            {new Date(p.expiresAt).toLocaleString()}
          </p>
          <pre class="mono">{JSON.stringify(p.payload, null, 2)}</pre>
          {p.state === 'pending' ? (
            <div class="row">
              <button type="button" class="primary" onClick={() => void decide(p.id, 'approve')}>
                {t('approve')}
              </button>
              <button type="button" onClick={() => void decide(p.id, 'reject')}>
                {t('reject')}
              </button>
            </div>
          ) : null}
        </section>
      ))}
    </Frame>
  );
}

interface AccountRow {
  readonly id: string;
  readonly code: string | null;
  readonly kind: string;
  readonly currency: string;
  readonly name: string;
  readonly balance: string;
  readonly available: string;
}

function Accounts() {
  const language = useSignal(lang);
  const [items, setItems] = useState<readonly AccountRow[]>([]);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  useEffect(() => {
    void reply(anfu.GET('/v1/accounts', { params: { query: { limit: '100' } } })).then((r) => (r.ok ? setItems(r.body.items) : setProblem(r.problem)));
  }, []);
  return (
    <Frame title={t('accounts')} nav={<Nav />}>
      <ProblemBox problem={problem} />
      <table aria-label={t('accounts')}>
        <thead>
          <tr>
            <th scope="col">{t('code')}</th>
            <th scope="col">{t('kind')}</th>
            <th scope="col">{t('balance')}</th>
            <th scope="col">{t('available')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((a) => (
            <tr key={a.id}>
              <td class="mono">
                <a href={`#/accounts/${a.id}`}>{a.code ?? a.id}</a>
              </td>
              <td>{a.kind}</td>
              <td>{formatAmount(a.balance, a.currency, language)}</td>
              <td>{formatAmount(a.available, a.currency, language)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Frame>
  );
}

interface EventRow {
  readonly id: string;
  readonly type: string;
  readonly severity: string;
  readonly createdAt: string;
}

function Events() {
  const [items, setItems] = useState<readonly EventRow[]>([]);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  useEffect(() => {
    void reply(anfu.GET('/v1/security/events', { params: { query: { limit: '100' } } })).then((r) => (r.ok ? setItems(r.body.items) : setProblem(r.problem)));
  }, []);
  return (
    <Frame title={t('events')} nav={<Nav />}>
      <ProblemBox problem={problem} />
      <table aria-label={t('events')}>
        <thead>
          <tr>
            <th scope="col">{t('when')}</th>
            <th scope="col">{t('type')}</th>
            <th scope="col">{t('severity')}</th>
            <th scope="col">{t('incident')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr key={e.id} data-event={e.id}>
              <td>{e.createdAt}</td>
              <td>{e.type}</td>
              <td>{e.severity}</td>
              <td>
                <a href={`#/incidents?event=${encodeURIComponent(e.id)}`} aria-label={`${t('openIncidentFor')} ${e.type} ${e.id}`}>
                  {t('openIncidentFor')}
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Frame>
  );
}

function Console() {
  const who = useSignal(operator);
  const path = useSignal(route);
  useSignal(lang);
  if (who === undefined) return <Login />;
  const { path: screen, query } = splitRoute(path);
  if (screen === '/dashboards') return <Dashboards />;
  if (screen === '/operators') return <Operators />;
  if (screen === '/cases') return <Cases />;
  if (screen === '/risk') return <Risk />;
  if (screen.startsWith('/risk/decisions/')) return <DecisionDetail key={screen} id={screen.slice('/risk/decisions/'.length)} />;
  if (screen === '/aml') return <Aml />;
  if (screen === '/clearing') return <Clearing />;
  if (screen.startsWith('/clearing/batches/')) return <BatchDetail key={screen} id={screen.slice('/clearing/batches/'.length)} />;
  if (screen.startsWith('/clearing/reconciliation/')) {
    return <Reconciliation key={screen} partnerId={screen.slice('/clearing/reconciliation/'.length)} />;
  }
  if (screen === '/incidents') return <Incidents key={path} eventId={query.get('event') ?? ''} />;
  if (screen.startsWith('/incidents/')) return <IncidentDetail key={screen} id={screen.slice('/incidents/'.length)} />;
  if (screen === '/backups') return <Backups />;
  if (screen === '/assessment') return <Assessment />;
  if (screen === '/keys') return <Keys />;
  if (screen.startsWith('/accounts/')) return <Journal key={screen} accountId={screen.slice('/accounts/'.length)} />;
  if (screen === '/payments') return <Payments />;
  if (screen.startsWith('/payments/')) return <PaymentTimeline key={screen} id={screen.slice('/payments/'.length)} />;
  if (screen === '/audit') {
    const initial = { target: query.get('target') ?? '', action: query.get('action') ?? '', actor: query.get('actor') ?? '' };
    return <AuditSearch key={path} initial={initial} />;
  }
  if (path === '/accounts') return <Accounts />;
  if (path === '/events') return <Events />;
  return <Inbox />;
}

document.documentElement.lang = lang.get() === 'zh' ? 'zh-CN' : 'en';
const root = document.getElementById('app');
if (root !== null) render(<Console />, root);
