// Risk control for operators: the running rule set, an editor that proposes a new one (a maker–checker
// proposal; a refused set is shown with the server's codes and places), a back-test of the edited set
// over a time range, decision search with a decision's snapshot and its label, and the review queue
// (open `risk_review` cases, worked in the cases screen). The server judges everything asked here.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply, type Problem } from '../shared/api.ts';
import { useLoaded } from '../shared/loaded.ts';
import { lang } from '../shared/i18n.ts';
import { useSignal } from '../shared/signal.ts';
import { Field, Form, Frame, Notice, ProblemBox } from '../shared/ui.tsx';
import { DetailPage, Nav } from './nav.tsx';
import { t } from './texts.ts';

type Action = 'allow' | 'challenge' | 'review' | 'deny';
type RiskEvent = 'payment' | 'topup' | 'withdrawal' | 'login' | 'card_binding' | 'factor_change';
const actions: readonly Action[] = ['allow', 'challenge', 'review', 'deny'];
const events: readonly RiskEvent[] = ['payment', 'topup', 'withdrawal', 'login', 'card_binding', 'factor_change'];

interface Rule {
  readonly id: string;
  readonly on: readonly string[];
  readonly when: string;
  readonly action: string;
  readonly score: number;
  readonly reason: string;
  readonly mode?: string;
}
interface RuleSetDocument {
  readonly rules: readonly Rule[];
  readonly typologies: readonly { readonly id: string; readonly on: readonly string[]; readonly alertAction: string }[];
}

const day = 86_400_000;
const dateText = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const when = (ms: number) => new Date(ms).toLocaleString();

function RuleTable(props: { document: RuleSetDocument }) {
  return (
    <>
      <table aria-label={t('rules')}>
        <thead>
          <tr>
            <th scope="col">{t('rule')}</th>
            <th scope="col">{t('on')}</th>
            <th scope="col">{t('condition')}</th>
            <th scope="col">{t('action')}</th>
            <th scope="col">{t('score')}</th>
            <th scope="col">{t('reason')}</th>
            <th scope="col">{t('shadow')}</th>
          </tr>
        </thead>
        <tbody>
          {props.document.rules.map((r) => (
            <tr key={r.id} data-rule={r.id}>
              <td class="mono">{r.id}</td>
              <td>{r.on.join(', ')}</td>
              <td class="mono">{r.when}</td>
              <td>{r.action}</td>
              <td>{r.score}</td>
              <td>{r.reason}</td>
              <td>{r.mode === 'shadow' ? t('yes') : t('no')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{t('typologies')}</h3>
      <ul aria-label={t('typologies')}>
        {props.document.typologies.map((ty) => (
          <li key={ty.id} data-typology={ty.id}>
            <span class="mono">{ty.id}</span> · {ty.on.join(', ')} · {ty.alertAction}
          </li>
        ))}
      </ul>
    </>
  );
}

/**
 * The editor's text as the document the API takes; JSON syntax is the only thing checked here (sent
 * as typed `never`: the server, not the page, judges whether it is a rule set).
 */
function parsed(text: string): { document: Record<string, unknown> } | { problem: Problem } {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { document: value as Record<string, unknown> };
    return { problem: { status: 0, code: 'json_invalid', title: t('notJsonObject') } };
  } catch (error) {
    return { problem: { status: 0, code: 'json_invalid', title: t('notJson'), detail: String(error).slice(0, 200) } };
  }
}

interface RuleStats {
  readonly hits: number;
  readonly shadowHits: number;
  readonly fraudHits: number;
  readonly legitimateHits: number;
}
interface BacktestReport {
  readonly decisions: number;
  readonly changed: number;
  readonly outcomes: Record<string, number>;
  readonly rules: Record<string, RuleStats>;
  readonly labelled: number;
  readonly precision: number | null;
  readonly recall: number | null;
}

const ratio = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);

function BacktestTable(props: { report: BacktestReport }) {
  const r = props.report;
  return (
    <section aria-label={t('backtestResult')} data-testid="backtest-result">
      <p>
        {t('backtestSummary', { decisions: String(r.decisions), changed: String(r.changed), labelled: String(r.labelled) })} ·{' '}
        {t('precision')}: {ratio(r.precision)} · {t('recall')}: {ratio(r.recall)}
      </p>
      <p>{actions.map((a) => `${a}: ${r.outcomes[a] ?? 0}`).join(' · ')}</p>
      <table aria-label={t('backtestRules')}>
        <thead>
          <tr>
            <th scope="col">{t('rule')}</th>
            <th scope="col">{t('hits')}</th>
            <th scope="col">{t('shadowHits')}</th>
            <th scope="col">{t('fraudHits')}</th>
            <th scope="col">{t('legitimateHits')}</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(r.rules).map(([rule, s]) => (
            <tr key={rule} data-rule={rule}>
              <td class="mono">{rule}</td>
              <td>{s.hits}</td>
              <td>{s.shadowHits}</td>
              <td>{s.fraudHits}</td>
              <td>{s.legitimateHits}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Backtest(props: { text: string }) {
  const [from, setFrom] = useState(dateText(Date.now() - 7 * day));
  const [to, setTo] = useState(dateText(Date.now() + day));
  const [report, setReport] = useState<BacktestReport | undefined>(undefined);
  const run = async () => {
    const draft = parsed(props.text);
    if ('problem' in draft) return { ok: false as const, problem: draft.problem };
    const body = { from: Date.parse(from), to: Date.parse(to), document: draft.document as never };
    const r = await reply(anfu.POST('/v1/risk/backtest', { body }));
    setReport(r.ok ? (r.body as unknown as BacktestReport) : undefined);
    return r;
  };
  return (
    <>
      <Form id="backtest" label={t('backtest')} submit={t('runBacktest')} action={run}>
        <Field label={t('from')} name="backtest-from" value={from} onInput={setFrom} type="date" />
        <Field label={t('to')} name="backtest-to" value={to} onInput={setTo} type="date" />
      </Form>
      {report === undefined ? null : <BacktestTable report={report} />}
    </>
  );
}

function RuleEditor(props: { text: string; setText: (text: string) => void; version: number }) {
  const [reason, setReason] = useState('');
  const [proposed, setProposed] = useState<string | undefined>(undefined);
  const propose = async () => {
    setProposed(undefined);
    const draft = parsed(props.text);
    if ('problem' in draft) return { ok: false as const, problem: draft.problem };
    const body = { document: draft.document as never, basedOn: props.version, ...(reason.trim() === '' ? {} : { reason: reason.trim() }) };
    const r = await reply(anfu.POST('/v1/risk/rulesets', { body }));
    if (r.ok) setProposed(r.body.id);
    return r;
  };
  return (
    <>
      <Form id="ruleset-editor" label={t('ruleEditor')} submit={t('proposeRuleSet')} action={propose}>
        <div class="field">
          <label for="ruleset-text">{t('ruleSetJson')}</label>
          <textarea
            id="ruleset-text"
            class="mono"
            rows={16}
            spellcheck={false}
            value={props.text}
            onInput={(e) => props.setText(e.currentTarget.value)}
          />
        </div>
        <Field label={t('reason')} name="ruleset-reason" value={reason} onInput={setReason} required={false} />
      </Form>
      {proposed === undefined ? null : (
        <Notice>
          <span data-testid="ruleset-proposed" data-proposal={proposed}>
            {t('ruleSetProposed', { id: proposed })}
          </span>
        </Notice>
      )}
    </>
  );
}

function RuleSets() {
  const [active, setActive] = useState<{ version: number; document: RuleSetDocument } | undefined>(undefined);
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  useEffect(() => {
    void reply(anfu.GET('/v1/risk/rulesets/active')).then((r) => {
      if (!r.ok) return setProblem(r.problem);
      const document = r.body.document as unknown as RuleSetDocument;
      setActive({ version: r.body.version, document });
      setText(JSON.stringify(document, null, 2));
    });
  }, []);
  return (
    <>
      <ProblemBox problem={problem} />
      {active === undefined ? null : (
        <>
          <h2>{t('activeRuleSet', { version: String(active.version) })}</h2>
          <RuleTable document={active.document} />
          <h2>{t('ruleEditor')}</h2>
          <RuleEditor text={text} setText={setText} version={active.version} />
          <h2>{t('backtest')}</h2>
          <Backtest text={text} />
        </>
      )}
    </>
  );
}

interface DecisionRow {
  readonly id: string;
  readonly event: string;
  readonly subjectRef: string | null;
  readonly customerId: string | null;
  readonly decision: string;
  readonly score: number;
  readonly reasons: readonly string[];
  readonly hits: readonly Record<string, unknown>[];
  readonly shadowHits: readonly Record<string, unknown>[];
  readonly features: Record<string, unknown>;
  readonly version: number;
  readonly label: string | null;
  readonly at: number;
}

function Select(props: { id: string; label: string; value: string; options: readonly string[]; onChange: (v: string) => void }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">{t('all')}</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );
}

function DecisionTable(props: { items: readonly DecisionRow[] }) {
  return (
    <table aria-label={t('decisions')}>
      <thead>
        <tr>
          <th scope="col">{t('decisionId')}</th>
          <th scope="col">{t('when')}</th>
          <th scope="col">{t('event')}</th>
          <th scope="col">{t('action')}</th>
          <th scope="col">{t('score')}</th>
          <th scope="col">{t('reasons')}</th>
          <th scope="col">{t('label')}</th>
        </tr>
      </thead>
      <tbody>
        {props.items.map((d) => (
          <tr key={d.id} data-decision={d.id}>
            <td class="mono">
              <a href={`#/risk/decisions/${d.id}`}>{d.id}</a>
            </td>
            <td>{when(d.at)}</td>
            <td>{d.event}</td>
            <td>{d.decision}</td>
            <td>{d.score}</td>
            <td>{d.reasons.join(', ')}</td>
            <td>{d.label ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DecisionSearch() {
  const [filter, setFilter] = useState({ action: '', event: '', customer: '', from: '', to: '' });
  const [items, setItems] = useState<readonly DecisionRow[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [searched, setSearched] = useState(false);
  const set = (key: keyof typeof filter) => (value: string) => setFilter({ ...filter, [key]: value });
  const load = async (cursor: string | undefined) => {
    const f = filter;
    const query = {
      limit: '50',
      ...(f.action === '' ? {} : { action: f.action as Action }),
      ...(f.event === '' ? {} : { event: f.event as RiskEvent }),
      ...(f.customer.trim() === '' ? {} : { customer: f.customer.trim() }),
      ...(f.from === '' ? {} : { from: String(Date.parse(f.from)) }),
      ...(f.to === '' ? {} : { to: String(Date.parse(f.to)) }),
      ...(cursor === undefined ? {} : { cursor }),
    };
    const r = await reply(anfu.GET('/v1/risk/decisions', { params: { query } }));
    if (r.ok) {
      setItems((old) => (cursor === undefined ? r.body.items : [...old, ...r.body.items]));
      setNext(r.body.nextCursor);
      setSearched(true);
    }
    return r;
  };
  return (
    <>
      <Form id="decision-search" label={t('decisionSearch')} submit={t('search')} action={() => load(undefined)}>
        <div class="row">
          <Select id="decision-action" label={t('action')} value={filter.action} options={actions} onChange={set('action')} />
          <Select id="decision-event" label={t('event')} value={filter.event} options={events} onChange={set('event')} />
        </div>
        <Field label={t('customer')} name="decision-customer" value={filter.customer} onInput={set('customer')} required={false} />
        <div class="row">
          <Field label={t('from')} name="decision-from" value={filter.from} onInput={set('from')} type="date" required={false} />
          <Field label={t('to')} name="decision-to" value={filter.to} onInput={set('to')} type="date" required={false} />
        </div>
      </Form>
      {searched && items.length === 0 ? <p class="muted">{t('noDecisions')}</p> : null}
      {items.length === 0 ? null : <DecisionTable items={items} />}
      {next === null ? null : (
        <button type="button" onClick={() => void load(next)}>
          {t('more')}
        </button>
      )}
    </>
  );
}

interface CaseRow {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly status: string;
  readonly subject: { readonly type: string; readonly id: string };
  readonly createdAt: string;
}

/** Open cases of one kind, each linking to the cases screen where they are worked. */
export function CaseQueue(props: { kind: string; label: string; extra?: (row: CaseRow) => ComponentChildren }) {
  const [items, setItems] = useState<readonly CaseRow[]>([]);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  useEffect(() => {
    const query = { kind: props.kind, status: 'open' as const, limit: '50' };
    void reply(anfu.GET('/v1/cases', { params: { query } })).then((r) => (r.ok ? setItems(r.body.items) : setProblem(r.problem)));
  }, [props.kind]);
  return (
    <section aria-label={props.label} data-queue={props.kind}>
      <ProblemBox problem={problem} />
      {items.length === 0 ? <p class="muted">{t('noCases')}</p> : null}
      <ul>
        {items.map((c) => (
          <li key={c.id} data-case={c.id}>
            <a href="#/cases">{c.title}</a> · {c.status} · {c.subject.type} <span class="mono">{c.subject.id}</span> ·{' '}
            {new Date(c.createdAt).toLocaleString()}
            {props.extra?.(c)}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Risk() {
  useSignal(lang);
  return (
    <Frame title={t('risk')} nav={<Nav />}>
      <RuleSets />
      <h2>{t('decisionSearch')}</h2>
      <DecisionSearch />
      <h2>{t('reviewQueue')}</h2>
      <CaseQueue kind="risk_review" label={t('reviewQueue')} />
    </Frame>
  );
}

function HitList(props: { label: string; hits: readonly Record<string, unknown>[] }) {
  return (
    <ul aria-label={props.label}>
      {props.hits.length === 0 ? <li class="muted">—</li> : null}
      {props.hits.map((h, n) => (
        <li key={n} data-hit={String(h.rule ?? '')}>
          <span class="mono">{String(h.rule ?? '')}</span> · {String(h.action ?? '')} · {String(h.reason ?? '')}
        </li>
      ))}
    </ul>
  );
}

function DecisionFacts(props: { d: DecisionRow }) {
  const d = props.d;
  return (
    <dl class="facts">
      <dt>{t('event')}</dt>
      <dd>{d.event}</dd>
      <dt>{t('action')}</dt>
      <dd data-testid="decision-action">{d.decision}</dd>
      <dt>{t('score')}</dt>
      <dd>{d.score}</dd>
      <dt>{t('reasons')}</dt>
      <dd>{d.reasons.join(', ') || '—'}</dd>
      <dt>{t('target')}</dt>
      <dd class="mono">{d.subjectRef ?? '—'}</dd>
      <dt>{t('customer')}</dt>
      <dd class="mono">{d.customerId ?? '—'}</dd>
      <dt>{t('ruleSetVersion')}</dt>
      <dd>{d.version}</dd>
      <dt>{t('when')}</dt>
      <dd>{when(d.at)}</dd>
      <dt>{t('label')}</dt>
      <dd data-testid="decision-label">{d.label ?? '—'}</dd>
    </dl>
  );
}

export function DecisionDetail(props: { id: string }) {
  useSignal(lang);
  const path = { decisionId: props.id };
  const loaded = useLoaded<DecisionRow>(() => reply(anfu.GET('/v1/risk/decisions/{decisionId}', { params: { path } })), [props.id]);
  const { value: d, problem, setProblem } = loaded;
  const label = async (value: 'fraud' | 'legitimate') => {
    setProblem(undefined);
    const r = await reply(anfu.POST('/v1/risk/decisions/{decisionId}/label', { params: { path }, body: { label: value } }));
    if (!r.ok) setProblem(r.problem);
    loaded.reload();
  };
  return (
    <DetailPage title={`${t('decision')} ${props.id}`} back="#/risk" problem={problem}>
      {d === undefined ? null : (
        <>
          <DecisionFacts d={d} />
          <div class="row">
            <button type="button" onClick={() => void label('fraud')}>
              {t('labelFraud')}
            </button>
            <button type="button" onClick={() => void label('legitimate')}>
              {t('labelLegitimate')}
            </button>
          </div>
          <h2>{t('rulesHit')}</h2>
          <HitList label={t('rulesHit')} hits={d.hits} />
          <h2>{t('shadowHits')}</h2>
          <HitList label={t('shadowHits')} hits={d.shadowHits} />
          <h2>{t('features')}</h2>
          <table aria-label={t('features')}>
            <tbody>
              {Object.entries(d.features).map(([name, value]) => (
                <tr key={name}>
                  <th scope="row" class="mono">
                    {name}
                  </th>
                  <td class="mono">{JSON.stringify(value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </DetailPage>
  );
}
