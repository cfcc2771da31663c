// The security self-assessment: the latest report with its six indicators and each one's findings, the
// run history, a run requested now, the self-contained HTML report of a run (fetched with the session and
// saved as a file: the page never puts the token in a URL), and the attestations — listed, and recorded
// for the controls that rest on one. The server decides every result; this page only shows it.
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply, type Problem } from '../shared/api.ts';
import { lang } from '../shared/i18n.ts';
import { useSignal } from '../shared/signal.ts';
import { Field, Form, Frame, Notice, ProblemBox } from '../shared/ui.tsx';
import { Nav } from './nav.tsx';
import { t } from './texts.ts';

interface Row {
  readonly id: string;
  readonly indicator: string;
  readonly requirement: string;
  readonly evidence: string;
  readonly result: string;
  readonly advice: string;
}

interface Run {
  readonly id: string;
  readonly at: string;
  readonly summary: Record<string, string>;
  readonly rows: readonly Row[];
}

interface RunSummary {
  readonly id: string;
  readonly at: string;
  readonly actor: string;
  readonly summary: Record<string, string>;
}

async function saveReport(runId: string): Promise<Problem | undefined> {
  const path = { runId };
  const r = await reply(anfu.GET('/v1/assessments/{runId}/report.html', { params: { path }, parseAs: 'text' }));
  if (!r.ok) return r.problem;
  const url = URL.createObjectURL(new Blob([r.body as string], { type: 'text/html;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `assessment-${runId}.html`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return undefined;
}

function Indicators(props: { run: Run }) {
  return (
    <>
      {Object.entries(props.run.summary).map(([indicator, result]) => (
        <section class="card" key={indicator} data-indicator={indicator} aria-label={indicator}>
          <h3>
            {indicator}: <span data-testid="indicator-result">{result}</span>
          </h3>
          <ul>
            {props.run.rows
              .filter((r) => r.indicator === indicator)
              .map((r) => (
                <li key={r.id} data-finding={r.id}>
                  <strong>{r.result}</strong> {r.requirement} — <span class="muted">{r.evidence}</span>
                  {r.advice === '' ? null : <p>{r.advice}</p>}
                </li>
              ))}
          </ul>
        </section>
      ))}
    </>
  );
}

function History(props: { items: readonly RunSummary[]; onProblem: (p: Problem | undefined) => void }) {
  return (
    <table aria-label={t('history')}>
      <thead>
        <tr>
          <th scope="col">{t('when')}</th>
          <th scope="col">{t('actor')}</th>
          <th scope="col">{t('summary')}</th>
          <th scope="col">{t('report')}</th>
        </tr>
      </thead>
      <tbody>
        {props.items.map((run) => (
          <tr key={run.id} data-run={run.id}>
            <td>{new Date(run.at).toLocaleString()}</td>
            <td>{run.actor}</td>
            <td>{Object.values(run.summary).join(' · ')}</td>
            <td>
              <button type="button" onClick={() => void saveReport(run.id).then(props.onProblem)}>
                {t('htmlReport')}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface Attestation {
  readonly id: string;
  readonly controlId: string;
  readonly statement: string;
  readonly attestedBy: string;
  readonly expiresAt: string;
}

function Attestations() {
  const [controls, setControls] = useState<readonly { id: string; requirement: string }[]>([]);
  const [items, setItems] = useState<readonly Attestation[]>([]);
  const [controlId, setControlId] = useState('');
  const [statement, setStatement] = useState('');
  const [days, setDays] = useState('90');
  const [version, setVersion] = useState(0);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  useEffect(() => {
    void reply(anfu.GET('/v1/assessments/attestations')).then((r) => {
      if (!r.ok) return setProblem(r.problem);
      setControls(r.body.controls);
      setItems(r.body.items);
      setControlId((c) => (c === '' ? (r.body.controls[0]?.id ?? '') : c));
    });
  }, [version]);
  const record = async () => {
    const body = { controlId, statement, validDays: Number(days) };
    const r = await reply(anfu.POST('/v1/assessments/attestations', { body }));
    if (r.ok) setVersion((v) => v + 1);
    return r;
  };
  return (
    <>
      <h2>{t('attestations')}</h2>
      <ProblemBox problem={problem} />
      <ul>
        {items.map((a) => (
          <li key={a.id} data-attestation={a.id}>
            <span class="mono">{a.controlId}</span> — {a.statement} ({a.attestedBy}, {t('expires')}{' '}
            {new Date(a.expiresAt).toLocaleDateString()})
          </li>
        ))}
      </ul>
      <Form id="attest" label={t('attest')} submit={t('attest')} action={record}>
        <label for="attest-control">{t('control')}</label>
        <select id="attest-control" value={controlId} onChange={(e) => setControlId(e.currentTarget.value)}>
          {controls.map((c) => (
            <option key={c.id} value={c.id}>
              {c.id} — {c.requirement}
            </option>
          ))}
        </select>
        <Field label={t('statement')} name="attest-statement" value={statement} onInput={setStatement} />
        <Field label={t('validDays')} name="attest-days" value={days} onInput={setDays} inputMode="numeric" />
      </Form>
    </>
  );
}

export function Assessment() {
  useSignal(lang);
  const [latest, setLatest] = useState<Run | undefined>(undefined);
  const [history, setHistory] = useState<readonly RunSummary[]>([]);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    // No run yet answers assessment_not_found: the page then only offers to run one.
    void reply(anfu.GET('/v1/assessments/latest')).then((r) => (r.ok ? setLatest(r.body) : undefined));
    void reply(anfu.GET('/v1/assessments')).then((r) => (r.ok ? setHistory(r.body.items) : setProblem(r.problem)));
  }, [version]);
  const run = async () => {
    setBusy(true);
    setProblem(undefined);
    const r = await reply(anfu.POST('/v1/assessments'));
    setBusy(false);
    if (!r.ok) return setProblem(r.problem);
    setLatest(r.body);
    setVersion((v) => v + 1);
  };
  return (
    <Frame title={t('assessment')} nav={<Nav />}>
      <button type="button" class="primary" disabled={busy} aria-busy={busy} onClick={() => void run()}>
        {t('runAssessment')}
      </button>
      <ProblemBox problem={problem} />
      {latest === undefined ? (
        <p class="muted">{t('noAssessment')}</p>
      ) : (
        <>
          <Notice>
            {t('latestRun')}: <span class="mono" data-testid="latest-run">{latest.id}</span> ·{' '}
            {new Date(latest.at).toLocaleString()}
          </Notice>
          <Indicators run={latest} />
        </>
      )}
      <h2>{t('history')}</h2>
      <History items={history} onProblem={setProblem} />
      <Attestations />
    </Frame>
  );
}
