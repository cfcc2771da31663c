// Backups and restore tests: the recent jobs with their progress and the schedule, and a job requested
// now (`POST /v1/backups/jobs`), followed by polling its progress until it ends (succeeded, failed or
// abandoned) — whatever the node that runs it reports, including why it failed.
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply, type Problem } from '../shared/api.ts';
import { lang } from '../shared/i18n.ts';
import { useSignal } from '../shared/signal.ts';
import { Frame, ProblemBox } from '../shared/ui.tsx';
import { Nav } from './nav.tsx';
import { t } from './texts.ts';

const kinds = ['full', 'incremental', 'differential', 'test'] as const;
type Kind = (typeof kinds)[number];
const ended = new Set(['succeeded', 'failed', 'abandoned']);
/** How often a running job is asked for its progress. */
const pollMs = 1_000;

interface Job {
  readonly id: string;
  readonly kind: string;
  readonly state: string;
  readonly step: string | null;
  readonly percent: number | null;
  readonly backupId: string | null;
  readonly detail: string | null;
  readonly queuedAt: string;
  readonly finishedAt: string | null;
}

function JobProgress(props: { job: Job }) {
  const j = props.job;
  return (
    <section class="card" data-job={j.id} aria-label={`${j.kind} ${j.id}`} aria-live="polite">
      <h3>
        {j.kind} · <span class="mono">{j.id}</span>
      </h3>
      <p>
        {t('state')}: <span data-testid="job-state">{j.state}</span>
        {j.step === null ? '' : ` · ${t('step')}: ${j.step}`}
        {j.percent === null ? '' : ` · ${j.percent} %`}
      </p>
      {j.percent === null ? null : <progress max={100} value={j.percent} aria-label={t('progress')} />}
      {j.backupId === null ? null : <p class="mono">{j.backupId}</p>}
      {j.detail === null ? null : <p data-testid="job-detail">{j.detail}</p>}
    </section>
  );
}

function useJob(id: string | undefined, onEnd: () => void): [Job | undefined, Problem | undefined] {
  const [job, setJob] = useState<Job | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  useEffect(() => {
    if (id === undefined) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      const r = await reply(anfu.GET('/v1/backups/jobs/{jobId}', { params: { path: { jobId: id } } }));
      if (!r.ok) return setProblem(r.problem);
      setJob(r.body);
      if (ended.has(r.body.state)) onEnd();
      else timer = setTimeout(() => void poll(), pollMs);
    };
    void poll();
    return () => clearTimeout(timer);
  }, [id]);
  return [job, problem];
}

export function Backups() {
  useSignal(lang);
  const [items, setItems] = useState<readonly Job[]>([]);
  const [schedule, setSchedule] = useState<Record<string, number>>({});
  const [kind, setKind] = useState<Kind>('full');
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [current, setCurrent] = useState<string | undefined>(undefined);
  const [version, setVersion] = useState(0);
  const [job, jobProblem] = useJob(current, () => setVersion((v) => v + 1));
  useEffect(() => {
    void reply(anfu.GET('/v1/backups')).then((r) => {
      if (!r.ok) return setProblem(r.problem);
      setItems(r.body.items);
      setSchedule(r.body.schedule);
    });
  }, [version]);
  const start = async () => {
    setProblem(undefined);
    const r = await reply(anfu.POST('/v1/backups/jobs', { body: { kind } }));
    if (r.ok) setCurrent(r.body.id);
    else setProblem(r.problem);
  };
  return (
    <Frame title={t('backups')} nav={<Nav />}>
      <div class="row">
        <label for="backup-kind">{t('kind')}</label>
        <select id="backup-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as Kind)}>
          {kinds.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <button type="button" class="primary" onClick={() => void start()}>
          {t('startBackup')}
        </button>
      </div>
      <ProblemBox problem={problem ?? jobProblem} />
      {job === undefined ? null : <JobProgress job={job} />}
      <h2>{t('schedule')}</h2>
      <p class="muted">
        {Object.entries(schedule)
          .map(([k, ms]) => `${k}: ${ms === 0 ? t('off') : `${Math.round(ms / 60_000)} min`}`)
          .join(' · ')}
      </p>
      <h2>{t('recentJobs')}</h2>
      <table aria-label={t('recentJobs')}>
        <thead>
          <tr>
            <th scope="col">{t('kind')}</th>
            <th scope="col">{t('state')}</th>
            <th scope="col">{t('created')}</th>
            <th scope="col">{t('detail')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((j) => (
            <tr key={j.id} data-job-row={j.id}>
              <td>{j.kind}</td>
              <td>{j.state}</td>
              <td>{new Date(j.queuedAt).toLocaleString()}</td>
              <td>{j.detail ?? j.backupId ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Frame>
  );
}
