// Dashboards from the operations report (GET /v1/reports/operations): volumes, success and decline
// rates, latency, risk rates, reconciliation breaks and complaints, each drawn as an SVG bar chart
// (chart.tsx) and exportable as CSV, SVG or PNG. A section the server reports unavailable says so.
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply, type Problem } from '../shared/api.ts';
import { lang } from '../shared/i18n.ts';
import { useSignal } from '../shared/signal.ts';
import { Frame, ProblemBox } from '../shared/ui.tsx';
import { BarChart, exportCsv, exportPng, exportSvg, type ChartRow } from './chart.tsx';
import { Nav } from './nav.tsx';
import { t } from './texts.ts';

interface ChartSpec {
  readonly id: string;
  readonly section: string;
  readonly metrics: readonly string[];
  /** Only these dimensions (e.g. latency's 'all' rather than every route). */
  readonly dimensions?: readonly string[];
}

const specs: readonly ChartSpec[] = [
  { id: 'volumes', section: 'volumes', metrics: ['count'] },
  { id: 'success', section: 'outcomes', metrics: ['success_rate'] },
  { id: 'decline', section: 'outcomes', metrics: ['decline_rate'] },
  { id: 'latency', section: 'latency', metrics: ['p50_ms', 'p95_ms', 'p99_ms'], dimensions: ['all'] },
  { id: 'risk', section: 'risk', metrics: ['risk_flag_rate', 'risk_deny_rate'] },
  { id: 'breaks', section: 'reconciliation', metrics: ['open'] },
  { id: 'complaints', section: 'complaints', metrics: ['received'] },
];

interface Report {
  readonly periods: readonly string[];
  readonly sections: Record<
    string,
    {
      available: boolean;
      note: string;
      rows: readonly { period: string; dimension: string; metric: string; value: number | string | null }[];
    }
  >;
}

/** The rows of one chart: numbers only (rates may be null when nothing reached a final state). */
export function chartRows(report: Report, spec: ChartSpec): ChartRow[] {
  const rows = report.sections[spec.section]?.rows ?? [];
  return rows.flatMap((r) => {
    if (!spec.metrics.includes(r.metric)) return [];
    if (spec.dimensions !== undefined && !spec.dimensions.includes(r.dimension)) return [];
    const value = typeof r.value === 'string' ? Number(r.value) : r.value;
    if (value === null || !Number.isFinite(value)) return [];
    return [{ period: r.period, series: spec.metrics.length > 1 ? r.metric : r.dimension, value }];
  });
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

function ChartCard(props: { spec: ChartSpec; report: Report }) {
  const { spec, report } = props;
  const section = report.sections[spec.section];
  const rows = chartRows(report, spec);
  const title = t(`chart_${spec.id}`);
  const svgId = `chart-${spec.id}`;
  const name = `anfu-${spec.id}-${report.periods[0] ?? ''}`;
  return (
    <figure class="card chart" data-chart={spec.id} aria-labelledby={`${svgId}-caption`}>
      <figcaption id={`${svgId}-caption`}>
        <strong>{title}</strong>
      </figcaption>
      {section?.available === false ? (
        <p class="muted">{section.note}</p>
      ) : (
        <>
          <BarChart id={svgId} title={title} periods={report.periods} rows={rows} />
          {rows.length === 0 ? <p class="muted">{t('noData')}</p> : null}
        </>
      )}
      <div class="row">
        <button type="button" data-export="csv" onClick={() => exportCsv(rows, name)}>
          CSV
        </button>
        <button type="button" data-export="svg" onClick={() => exportSvg(svgId, name)}>
          SVG
        </button>
        <button type="button" data-export="png" onClick={() => void exportPng(svgId, name)}>
          PNG
        </button>
      </div>
    </figure>
  );
}

export function Dashboards() {
  useSignal(lang);
  const [from, setFrom] = useState(day(-6));
  const [to, setTo] = useState(day(1));
  const [granularity, setGranularity] = useState<'day' | 'week'>('day');
  const [report, setReport] = useState<Report | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [asked, setAsked] = useState(0);
  useEffect(() => {
    setProblem(undefined);
    const query = { from, to, granularity };
    void reply(anfu.GET('/v1/reports/operations', { params: { query } })).then((r) =>
      r.ok ? setReport(r.body) : setProblem(r.problem),
    );
  }, [asked]);
  return (
    <Frame title={t('dashboards')} nav={<Nav />}>
      <form
        id="report-range"
        aria-label={t('range')}
        onSubmit={(e) => {
          e.preventDefault();
          setAsked((n) => n + 1);
        }}
      >
        <div class="row">
          <div class="field">
            <label for="report-from">{t('from')}</label>
            <input id="report-from" type="date" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="report-to">{t('to')}</label>
            <input id="report-to" type="date" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="report-granularity">{t('granularity')}</label>
            <select
              id="report-granularity"
              value={granularity}
              onChange={(e) => setGranularity(e.currentTarget.value === 'week' ? 'week' : 'day')}
            >
              <option value="day">{t('byDay')}</option>
              <option value="week">{t('byWeek')}</option>
            </select>
          </div>
        </div>
        <button type="submit" class="primary">
          {t('show')}
        </button>
      </form>
      <ProblemBox problem={problem} />
      {report === undefined ? null : specs.map((spec) => <ChartCard key={spec.id} spec={spec} report={report} />)}
    </Frame>
  );
}
