// One partner's reconciliation: the daily report (statements, matched and unmatched, breaks by class
// with a way to their cases) and a bank file uploaded to the existing import routes as it is — a
// camt.053 or CSV statement, or a pacs.002 status report. The server parses and judges the file; what
// it imported, or its refusal with its code, is shown as it comes.
import { useState } from 'preact/hooks';
import { anfu, reply, type Problem, type Reply } from '../shared/api.ts';
import { useLoaded } from '../shared/loaded.ts';
import { lang } from '../shared/i18n.ts';
import { formatMinor } from '../shared/money.ts';
import { useSignal } from '../shared/signal.ts';
import { Field, Notice, ProblemBox } from '../shared/ui.tsx';
import { DetailPage } from './nav.tsx';
import { t } from './texts.ts';

type FileKind = 'camt.053' | 'csv' | 'pacs.002';
const fileKinds: readonly FileKind[] = ['camt.053', 'csv', 'pacs.002'];

interface Counted {
  readonly count: number;
  readonly amount: string;
}

interface Report {
  readonly date: string;
  readonly statements: readonly { readonly fileId: string; readonly lines: number; readonly balanced: boolean | null }[];
  readonly matched: Counted;
  readonly unmatched: Counted;
  readonly breaksByClass: Record<string, Counted>;
  readonly openPastDeadline: number;
}

/** The file as the request body, untouched: the server streams and parses it. */
function send(partnerId: string, kind: FileKind, file: File, csv: { columns: string; currency: string }): Promise<Reply<unknown>> {
  const path = { partnerId };
  const raw = { body: file as never, bodySerializer: (b: unknown) => b as BodyInit };
  if (kind === 'pacs.002') {
    const headers = { 'content-type': 'application/xml' };
    return reply(anfu.POST('/v1/clearing/partners/{partnerId}/status-reports', { params: { path }, headers, ...raw }));
  }
  const query = kind === 'csv' ? { kind, columns: csv.columns, currency: csv.currency } : { kind };
  const headers = { 'content-type': kind === 'csv' ? 'text/csv' : 'application/xml' };
  return reply(anfu.POST('/v1/clearing/partners/{partnerId}/statements', { params: { path, query }, headers, ...raw }));
}

function Upload(props: { partnerId: string; done: () => void }) {
  const [kind, setKind] = useState<FileKind>('camt.053');
  const [file, setFile] = useState<File | undefined>(undefined);
  const [columns, setColumns] = useState('bookingDate=Date,amount=Amount,direction=Direction,endToEndId=Reference');
  const [currency, setCurrency] = useState('CNY');
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [result, setResult] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const upload = async (event: Event) => {
    event.preventDefault();
    if (file === undefined || busy) return;
    setBusy(true);
    setProblem(undefined);
    setResult(undefined);
    const r = await send(props.partnerId, kind, file, { columns, currency });
    setBusy(false);
    if (!r.ok) return setProblem(r.problem);
    setResult(JSON.stringify(r.body));
    props.done();
  };
  return (
    <form id="bank-file" aria-label={t('uploadFile')} onSubmit={(e) => void upload(e)}>
      <label for="file-kind">{t('fileKind')}</label>
      <select id="file-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as FileKind)}>
        {fileKinds.map((k) => (
          <option key={k} value={k}>
            {k}
          </option>
        ))}
      </select>
      {kind === 'csv' ? (
        <>
          <Field label={t('csvColumns')} name="csv-columns" value={columns} onInput={setColumns} />
          <Field label={t('currency')} name="csv-currency" value={currency} onInput={setCurrency} />
        </>
      ) : null}
      <div class="field">
        <label for="bank-file-input">{t('file')}</label>
        <input id="bank-file-input" type="file" required onChange={(e) => setFile(e.currentTarget.files?.[0])} />
      </div>
      <ProblemBox problem={problem} />
      {result === undefined ? null : (
        <Notice>
          {t('imported')} <span class="mono" data-testid="import-result">{result}</span>
        </Notice>
      )}
      <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
        {t('uploadFile')}
      </button>
    </form>
  );
}

function ReportView(props: { report: Report; currency: string }) {
  const language = useSignal(lang);
  const r = props.report;
  const money = (v: string) => formatMinor(v, props.currency, language);
  const classes = Object.entries(r.breaksByClass);
  return (
    <>
      <dl class="facts" aria-label={t('reconciliation')}>
        <dt>{t('date')}</dt>
        <dd>{r.date}</dd>
        <dt>{t('statements')}</dt>
        <dd data-testid="report-statements">{r.statements.length}</dd>
        <dt>{t('matched')}</dt>
        <dd data-testid="report-matched">
          {r.matched.count} · {money(r.matched.amount)}
        </dd>
        <dt>{t('unmatched')}</dt>
        <dd data-testid="report-unmatched">
          {r.unmatched.count} · {money(r.unmatched.amount)}
        </dd>
        <dt>{t('pastDeadline')}</dt>
        <dd>{r.openPastDeadline}</dd>
      </dl>
      <h2>{t('breaks')}</h2>
      {classes.length === 0 ? <p class="muted">{t('noBreaks')}</p> : null}
      <table aria-label={t('breaks')}>
        <thead>
          <tr>
            <th scope="col">{t('breakClass')}</th>
            <th scope="col">{t('count')}</th>
            <th scope="col">{t('amount')}</th>
          </tr>
        </thead>
        <tbody>
          {classes.map(([name, c]) => (
            <tr key={name} data-break-class={name}>
              <th scope="row">{name}</th>
              <td>{c.count}</td>
              <td>{money(c.amount)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <a href="#/cases">{t('breakCases')}</a>
      </p>
    </>
  );
}

export function Reconciliation(props: { partnerId: string }) {
  useSignal(lang);
  const path = { partnerId: props.partnerId };
  const read = () => reply(anfu.GET('/v1/clearing/partners/{partnerId}/reconciliation-report', { params: { path } }));
  const { value: report, problem, reload } = useLoaded<Report>(read, [props.partnerId]);
  const partners = useLoaded(() => reply(anfu.GET('/v1/clearing/partners')), []);
  const currency = partners.value?.items.find((p) => p.id === props.partnerId)?.currency ?? 'CNY';
  return (
    <DetailPage title={t('reconciliation')} back="#/clearing" problem={problem}>
      {report === undefined ? null : <ReportView report={report} currency={currency} />}
      <h2>{t('uploadFile')}</h2>
      <Upload partnerId={props.partnerId} done={reload} />
    </DetailPage>
  );
}
