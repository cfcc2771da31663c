// Cases (complaints, claims, AML, sanctions, outcome-unknown withdrawals…), oldest first as a queue is
// worked. A decision is asked of the server: a four-eyes decision comes back as a `case.decide`
// proposal for a checker (shown with its id, approved in the inbox), any refusal is shown as it comes.
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply, type Problem } from '../shared/api.ts';
import { lang } from '../shared/i18n.ts';
import { useSignal } from '../shared/signal.ts';
import { Field, Form, Frame, Notice, ProblemBox } from '../shared/ui.tsx';
import { Nav } from './nav.tsx';
import { t } from './texts.ts';

interface CaseRow {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly status: string;
  readonly subject: { readonly type: string; readonly id: string };
  readonly decision: string | null;
  readonly pendingProposalId: string | null;
  readonly createdAt: string;
}

function Decide(props: { row: CaseRow; done: (proposalId: string | null) => void }) {
  const [decision, setDecision] = useState('');
  const [reason, setReason] = useState('');
  const decide = async () => {
    const path = { caseId: props.row.id };
    const body = { decision: decision.trim(), reason: reason.trim() };
    const r = await reply(anfu.POST('/v1/cases/{caseId}/decisions', { params: { path }, body }));
    if (r.ok) props.done(r.body.proposalId);
    return r;
  };
  return (
    <Form id={`decide-${props.row.id}`} label={t('decide')} submit={t('decide')} action={decide}>
      <Field label={t('decision')} name={`decision-${props.row.id}`} value={decision} onInput={setDecision} />
      <Field label={t('reason')} name={`reason-${props.row.id}`} value={reason} onInput={setReason} />
    </Form>
  );
}

export function Cases() {
  useSignal(lang);
  const [status, setStatus] = useState('');
  const [items, setItems] = useState<readonly CaseRow[]>([]);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [version, setVersion] = useState(0);
  // What the server answered to a decision, by case: null = decided, an id = a proposal for a checker.
  const [answered, setAnswered] = useState<Record<string, string | null>>({});
  useEffect(() => {
    const query = { limit: '100', ...(status === '' ? {} : { status: status as 'open' }) };
    void reply(anfu.GET('/v1/cases', { params: { query } })).then((r) =>
      r.ok ? setItems(r.body.items) : setProblem(r.problem),
    );
  }, [status, version]);
  const assign = async (id: string) => {
    setProblem(undefined);
    const r = await reply(anfu.POST('/v1/cases/{caseId}/assign', { params: { path: { caseId: id } }, body: {} }));
    if (!r.ok) setProblem(r.problem);
    setVersion((v) => v + 1);
  };
  return (
    <Frame title={t('cases')} nav={<Nav />}>
      <label for="case-status">{t('filter')}</label>
      <select id="case-status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
        <option value="">{t('all')}</option>
        {['open', 'assigned', 'waiting', 'decided', 'closed'].map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <ProblemBox problem={problem} />
      {items.length === 0 ? <p class="muted">{t('noCases')}</p> : null}
      {items.map((c) => (
        <section class="card" key={c.id} data-case={c.id} data-kind={c.kind} aria-label={`${c.kind} ${c.id}`}>
          <h2>
            {c.kind}: {c.title}
          </h2>
          <p>
            {t('state')}: <span data-testid="case-status">{c.status}</span> · {t('target')}: {c.subject.type}{' '}
            <span class="mono">{c.subject.id}</span>
            {c.decision === null ? '' : ` · ${t('decision')}: ${c.decision}`}
          </p>
          {c.status === 'open' ? (
            <button type="button" onClick={() => void assign(c.id)}>
              {t('assignMe')}
            </button>
          ) : null}
          {['open', 'assigned', 'waiting'].includes(c.status) && c.pendingProposalId === null ? (
            <Decide
              row={c}
              done={(proposalId) => {
                setAnswered({ ...answered, [c.id]: proposalId });
                setVersion((v) => v + 1);
              }}
            />
          ) : null}
          {answered[c.id] === undefined ? null : (
            <Notice>
              <span data-testid="case-decided" data-proposal={answered[c.id] ?? ''}>
                {answered[c.id] === null ? t('caseDecided') : t('caseProposed', { id: answered[c.id] ?? '' })}
              </span>
            </Notice>
          )}
        </section>
      ))}
    </Frame>
  );
}
