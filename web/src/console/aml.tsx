// AML and sanctions for operators: the sanctions lists in force with their versions, a name search with
// its scores, recent screenings, re-screening runs (started here, progress as the server reports it),
// the open AML and sanctions-hit cases (worked in the cases screen) and an AML case's suspicious-
// transaction report, shown and downloadable as the server produces it.
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply, type Problem } from '../shared/api.ts';
import { lang } from '../shared/i18n.ts';
import { useSignal } from '../shared/signal.ts';
import { Field, Form, Frame, ProblemBox } from '../shared/ui.tsx';
import { download } from './chart.tsx';
import { Nav } from './nav.tsx';
import { CaseQueue } from './risk.tsx';
import { t } from './texts.ts';

const when = (iso: string | null) => (iso === null ? '—' : new Date(iso).toLocaleString());
const score = (permille: number) => `${(permille / 10).toFixed(1)}%`;

interface ListVersion {
  readonly source: string;
  readonly version: number;
  readonly entries: number;
  readonly sha256: string;
  readonly loadedAt: string;
}

function Lists() {
  const [items, setItems] = useState<readonly ListVersion[]>([]);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  useEffect(() => {
    void reply(anfu.GET('/v1/sanctions/lists')).then((r) => (r.ok ? setItems(r.body.items) : setProblem(r.problem)));
  }, []);
  return (
    <>
      <ProblemBox problem={problem} />
      {items.length === 0 ? <p class="muted">{t('noLists')}</p> : null}
      <table aria-label={t('sanctionsLists')}>
        <thead>
          <tr>
            <th scope="col">{t('source')}</th>
            <th scope="col">{t('version')}</th>
            <th scope="col">{t('entries')}</th>
            <th scope="col">{t('loadedAt')}</th>
            <th scope="col">SHA-256</th>
          </tr>
        </thead>
        <tbody>
          {items.map((l) => (
            <tr key={`${l.source}-${l.version}`} data-list={l.source}>
              <td>{l.source}</td>
              <td>{l.version}</td>
              <td>{l.entries}</td>
              <td>{when(l.loadedAt)}</td>
              <td class="mono">{l.sha256.slice(0, 16)}…</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

interface Match {
  readonly entryId: string;
  readonly source: string;
  readonly kind: string;
  readonly name: string;
  readonly matchedName: string;
  readonly scorePermille: number;
  readonly programs: readonly string[];
}

function NameSearch() {
  const [name, setName] = useState('');
  const [country, setCountry] = useState('');
  const [result, setResult] = useState<{ listVersions: string; matches: readonly Match[] } | undefined>(undefined);
  const search = async () => {
    const body = { name: name.trim(), ...(country.trim() === '' ? {} : { country: country.trim() }) };
    const r = await reply(anfu.POST('/v1/sanctions/searches', { body }));
    setResult(r.ok ? r.body : undefined);
    return r;
  };
  return (
    <>
      <Form id="sanctions-search" label={t('nameSearch')} submit={t('search')} action={search}>
        <Field label={t('personName')} name="sanctions-name" value={name} onInput={setName} />
        <Field label={t('country')} name="sanctions-country" value={country} onInput={setCountry} required={false} />
      </Form>
      {result === undefined ? null : (
        <section aria-label={t('searchResult')} data-testid="sanctions-result">
          <p>
            {t('listVersions')}: <span class="mono">{result.listVersions}</span>
          </p>
          {result.matches.length === 0 ? <p class="muted">{t('noMatches')}</p> : null}
          <table aria-label={t('matches')}>
            <thead>
              <tr>
                <th scope="col">{t('listedName')}</th>
                <th scope="col">{t('matchedName')}</th>
                <th scope="col">{t('source')}</th>
                <th scope="col">{t('kind')}</th>
                <th scope="col">{t('score')}</th>
                <th scope="col">{t('programs')}</th>
              </tr>
            </thead>
            <tbody>
              {result.matches.map((m) => (
                <tr key={m.entryId} data-entry={m.entryId}>
                  <td>{m.name}</td>
                  <td>{m.matchedName}</td>
                  <td>{m.source}</td>
                  <td>{m.kind}</td>
                  <td>{score(m.scorePermille)}</td>
                  <td>{m.programs.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}

interface Screening {
  readonly id: string;
  readonly context: string;
  readonly subjectType: string;
  readonly subjectId: string;
  readonly outcome: string;
  readonly matchedName: string;
  readonly scorePermille: number;
  readonly caseId: string | null;
  readonly screenedAt: string;
}

function Screenings() {
  const [items, setItems] = useState<readonly Screening[]>([]);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  useEffect(() => {
    void reply(anfu.GET('/v1/sanctions/screenings')).then((r) => (r.ok ? setItems(r.body.items) : setProblem(r.problem)));
  }, []);
  return (
    <>
      <ProblemBox problem={problem} />
      {items.length === 0 ? <p class="muted">{t('noScreenings')}</p> : null}
      <table aria-label={t('screenings')}>
        <thead>
          <tr>
            <th scope="col">{t('when')}</th>
            <th scope="col">{t('context')}</th>
            <th scope="col">{t('target')}</th>
            <th scope="col">{t('outcome')}</th>
            <th scope="col">{t('matchedName')}</th>
            <th scope="col">{t('score')}</th>
            <th scope="col">{t('cases')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((s) => (
            <tr key={s.id} data-screening={s.id}>
              <td>{when(s.screenedAt)}</td>
              <td>{s.context}</td>
              <td>
                {s.subjectType} <span class="mono">{s.subjectId}</span>
              </td>
              <td>{s.outcome}</td>
              <td>{s.matchedName}</td>
              <td>{score(s.scorePermille)}</td>
              <td>{s.caseId === null ? '—' : <a href="#/cases">{s.caseId}</a>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

interface Rescreen {
  readonly id: string;
  readonly state: string;
  readonly listVersions: string;
  readonly phase: string;
  readonly screened: number;
  readonly hits: number;
  readonly nearHits: number;
  readonly requestedAt: string;
  readonly finishedAt: string | null;
  readonly detail: string | null;
}

function RescreenRow(props: { run: Rescreen }) {
  const [run, setRun] = useState(props.run);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const refresh = async () => {
    const r = await reply(anfu.GET('/v1/sanctions/rescreens/{id}', { params: { path: { id: run.id } } }));
    if (r.ok) setRun(r.body);
    setProblem(r.ok ? undefined : r.problem);
  };
  return (
    <li data-rescreen={run.id}>
      <span class="mono">{run.id}</span> · <span data-testid="rescreen-state">{run.state}</span> · {run.phase} ·{' '}
      {t('rescreenProgress', { screened: String(run.screened), hits: String(run.hits), nearHits: String(run.nearHits) })} ·{' '}
      {when(run.requestedAt)}
      {run.detail === null ? '' : ` · ${run.detail}`}{' '}
      <button type="button" onClick={() => void refresh()} aria-label={`${t('refresh')} ${run.id}`}>
        {t('refresh')}
      </button>
      <ProblemBox problem={problem} />
    </li>
  );
}

function Rescreens() {
  const [items, setItems] = useState<readonly Rescreen[]>([]);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    void reply(anfu.GET('/v1/sanctions/rescreens')).then((r) => (r.ok ? setItems(r.body.items) : setProblem(r.problem)));
  }, [version]);
  const start = async () => {
    setProblem(undefined);
    const r = await reply(anfu.POST('/v1/sanctions/rescreens'));
    if (!r.ok) setProblem(r.problem);
    setVersion((v) => v + 1);
  };
  return (
    <>
      <button type="button" onClick={() => void start()}>
        {t('startRescreen')}
      </button>
      <ProblemBox problem={problem} />
      {items.length === 0 ? <p class="muted">{t('noRescreens')}</p> : null}
      <ul aria-label={t('rescreens')}>
        {items.map((run) => (
          <RescreenRow key={`${run.id}-${version}`} run={run} />
        ))}
      </ul>
    </>
  );
}

function SuspiciousReport(props: { caseId: string }) {
  const [report, setReport] = useState<string | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const load = async () => {
    const path = { caseId: props.caseId };
    const r = await reply(anfu.GET('/v1/aml/cases/{caseId}/suspicious-report', { params: { path } }));
    setProblem(r.ok ? undefined : r.problem);
    setReport(r.ok ? JSON.stringify(r.body, null, 2) : undefined);
  };
  const save = () => {
    if (report !== undefined) download(new Blob([report], { type: 'application/json' }), `str-${props.caseId}.json`);
  };
  return (
    <div>
      <button type="button" onClick={() => void load()} aria-label={`${t('suspiciousReport')} ${props.caseId}`}>
        {t('suspiciousReport')}
      </button>
      <ProblemBox problem={problem} />
      {report === undefined ? null : (
        <>
          <pre class="mono" data-testid="suspicious-report">
            {report}
          </pre>
          <button type="button" onClick={save} aria-label={`${t('download')} ${props.caseId}`}>
            {t('download')}
          </button>
        </>
      )}
    </div>
  );
}

export function Aml() {
  useSignal(lang);
  return (
    <Frame title={t('aml')} nav={<Nav />}>
      <h2>{t('sanctionsLists')}</h2>
      <Lists />
      <h2>{t('nameSearch')}</h2>
      <NameSearch />
      <h2>{t('screenings')}</h2>
      <Screenings />
      <h2>{t('rescreens')}</h2>
      <Rescreens />
      <h2>{t('amlCases')}</h2>
      <CaseQueue kind="aml_alert" label={t('amlCases')} extra={(c) => <SuspiciousReport caseId={c.id} />} />
      <h2>{t('sanctionsCases')}</h2>
      <CaseQueue kind="sanctions_hit" label={t('sanctionsCases')} extra={(c) => <SuspiciousReport caseId={c.id} />} />
    </Frame>
  );
}
