// Security incidents: the list (newest first) with a form to open one, and an incident's facts,
// playbook, timeline and linked security events with forms to record an entry, link an event and close
// it with the post-incident review. Whether the operator may do any of this is the server's answer,
// shown as it comes.
import { useState } from 'preact/hooks';
import { anfu, reply } from '../shared/api.ts';
import { useLoaded } from '../shared/loaded.ts';
import { go, useSignal } from '../shared/signal.ts';
import { lang } from '../shared/i18n.ts';
import { Field, Form, Frame, ProblemBox } from '../shared/ui.tsx';
import { DetailPage, Nav } from './nav.tsx';
import { t } from './texts.ts';

const classifications = ['unauthorised_access', 'fraud', 'data_breach', 'service_outage', 'integrity', 'malware', 'other'] as const;
const severities = ['low', 'medium', 'high', 'critical'] as const;
const entryKinds = ['timeline', 'action', 'notification', 'note'] as const;
const when = (iso: string | null) => (iso === null ? '—' : new Date(iso).toLocaleString());

interface IncidentRow {
  readonly id: string;
  readonly title: string;
  readonly classification: string;
  readonly severity: string;
  readonly scope: string;
  readonly state: string;
  readonly openedBy: string;
  readonly openedAt: string;
  readonly closedBy: string | null;
  readonly closedAt: string | null;
  readonly review: unknown;
}

interface Incident extends IncidentRow {
  readonly securityEventIds: readonly string[];
  readonly entries: readonly { id: string; kind: string; text: string; recordedBy: string; recordedAt: string }[];
  readonly playbook: readonly string[];
}

interface EventRow {
  readonly id: string;
  readonly type: string;
  readonly severity: string;
  readonly subject: string | null;
  readonly createdAt: string;
}

function Choice(props: { id: string; label: string; value: string; options: readonly string[]; onChange: (v: string) => void }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Opens an incident, with the security event the operator came from (`#/incidents?event=…`) linked. */
function OpenIncident(props: { eventId: string }) {
  const [title, setTitle] = useState('');
  const [classification, setClassification] = useState<string>('unauthorised_access');
  const [severity, setSeverity] = useState<string>('high');
  const [scope, setScope] = useState('');
  const open = async () => {
    const body = {
      title: title.trim(), scope: scope.trim(),
      classification: classification as (typeof classifications)[number], severity: severity as (typeof severities)[number],
      ...(props.eventId === '' ? {} : { securityEventIds: [props.eventId] }),
    };
    const r = await reply(anfu.POST('/v1/incidents', { body }));
    if (r.ok) go(`/incidents/${r.body.id}`);
    return r;
  };
  return (
    <Form id="open-incident" label={t('openIncident')} submit={t('openIncident')} action={open}>
      <Field label={t('title')} name="incident-title" value={title} onInput={setTitle} />
      <Choice id="incident-classification" label={t('classification')} value={classification} options={classifications} onChange={setClassification} />
      <Choice id="incident-severity" label={t('severity')} value={severity} options={severities} onChange={setSeverity} />
      <Field label={t('scope')} name="incident-scope" value={scope} onInput={setScope} />
      {props.eventId === '' ? null : (
        <p>
          {t('linkedOnOpen')}: <span class="mono" data-testid="open-with-event">{props.eventId}</span>
        </p>
      )}
    </Form>
  );
}

export function Incidents(props: { eventId: string }) {
  useSignal(lang);
  const [state, setState] = useState('');
  const query = state === '' ? {} : { state: state as 'open' | 'closed' };
  const loaded = useLoaded(() => reply(anfu.GET('/v1/incidents', { params: { query } })), [state]);
  const items: readonly IncidentRow[] = loaded.value?.items ?? [];
  const { problem, setProblem } = loaded;
  // Coming from a security event's row: link it to an open incident instead of opening a new one.
  const link = async (incidentId: string) => {
    setProblem(undefined);
    const path = { incidentId };
    const body = { securityEventId: props.eventId };
    const r = await reply(anfu.POST('/v1/incidents/{incidentId}/security-events', { params: { path }, body }));
    if (r.ok) go(`/incidents/${incidentId}`);
    else setProblem(r.problem);
  };
  return (
    <Frame title={t('incidents')} nav={<Nav />}>
      <OpenIncident eventId={props.eventId} />
      <h2>{t('incidentList')}</h2>
      <label for="incident-state">{t('filter')}</label>
      <select id="incident-state" value={state} onChange={(e) => setState(e.currentTarget.value)}>
        <option value="">{t('all')}</option>
        <option value="open">open</option>
        <option value="closed">closed</option>
      </select>
      <ProblemBox problem={problem} />
      {items.length === 0 ? <p class="muted">{t('noIncidents')}</p> : null}
      <table aria-label={t('incidentList')}>
        <thead>
          <tr>
            <th scope="col">{t('title')}</th>
            <th scope="col">{t('classification')}</th>
            <th scope="col">{t('severity')}</th>
            <th scope="col">{t('state')}</th>
            <th scope="col">{t('openedAt')}</th>
            {props.eventId === '' ? null : <th scope="col">{t('linkEvent')}</th>}
          </tr>
        </thead>
        <tbody>
          {items.map((i) => (
            <tr key={i.id} data-incident={i.id}>
              <td>
                <a href={`#/incidents/${i.id}`}>{i.title}</a>
              </td>
              <td>{i.classification}</td>
              <td>{i.severity}</td>
              <td data-testid="incident-state">{i.state}</td>
              <td>{when(i.openedAt)}</td>
              {props.eventId === '' ? null : (
                <td>
                  {i.state === 'open' ? (
                    <button type="button" onClick={() => void link(i.id)} aria-label={`${t('linkEventHere')}: ${i.title}`}>
                      {t('linkEventHere')}
                    </button>
                  ) : null}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </Frame>
  );
}

function Facts(props: { incident: Incident }) {
  const i = props.incident;
  return (
    <dl class="facts">
      <dt>{t('classification')}</dt>
      <dd>{i.classification}</dd>
      <dt>{t('severity')}</dt>
      <dd>{i.severity}</dd>
      <dt>{t('state')}</dt>
      <dd data-testid="incident-state">{i.state}</dd>
      <dt>{t('scope')}</dt>
      <dd>{i.scope}</dd>
      <dt>{t('openedBy')}</dt>
      <dd class="mono">
        {i.openedBy} · {when(i.openedAt)}
      </dd>
      {i.closedAt === null ? null : (
        <>
          <dt>{t('closedBy')}</dt>
          <dd class="mono">
            {i.closedBy} · {when(i.closedAt)}
          </dd>
        </>
      )}
    </dl>
  );
}

function AddEntry(props: { id: string; done: (i: Incident) => void }) {
  const [kind, setKind] = useState<string>('action');
  const [text, setText] = useState('');
  const add = async () => {
    const body = { kind: kind as (typeof entryKinds)[number], text: text.trim() };
    const r = await reply(anfu.POST('/v1/incidents/{incidentId}/entries', { params: { path: { incidentId: props.id } }, body }));
    if (r.ok) {
      setText('');
      props.done(r.body);
    }
    return r;
  };
  return (
    <Form id="incident-entry" label={t('addEntry')} submit={t('addEntry')} action={add}>
      <Choice id="entry-kind" label={t('kind')} value={kind} options={entryKinds} onChange={setKind} />
      <Field label={t('entryText')} name="entry-text" value={text} onInput={setText} />
    </Form>
  );
}

/** Links a security event, chosen from the most recent ones the server lists. */
function LinkEvent(props: { id: string; linked: readonly string[]; done: (i: Incident) => void }) {
  const [chosen, setChosen] = useState('');
  const loaded = useLoaded(() => reply(anfu.GET('/v1/security/events', { params: { query: { limit: '100' } } })), []);
  const events: readonly EventRow[] = loaded.value?.items ?? [];
  const { problem } = loaded;
  const choices = events.filter((e) => !props.linked.includes(e.id));
  const link = async () => {
    const body = { securityEventId: chosen === '' ? (choices[0]?.id ?? '') : chosen };
    const r = await reply(anfu.POST('/v1/incidents/{incidentId}/security-events', { params: { path: { incidentId: props.id } }, body }));
    if (r.ok) props.done(r.body);
    return r;
  };
  return (
    <Form id="link-event" label={t('linkEvent')} submit={t('linkEvent')} action={link}>
      <ProblemBox problem={problem} />
      <label for="link-event-id">{t('event')}</label>
      <select id="link-event-id" value={chosen} onChange={(e) => setChosen(e.currentTarget.value)}>
        {choices.map((e) => (
          <option key={e.id} value={e.id}>
            {when(e.createdAt)} · {e.type} · {e.severity} · {e.id}
          </option>
        ))}
      </select>
    </Form>
  );
}

function CloseIncident(props: { id: string; done: (i: Incident) => void }) {
  const [summary, setSummary] = useState('');
  const [rootCause, setRootCause] = useState('');
  const [impact, setImpact] = useState('');
  const [lessons, setLessons] = useState('');
  const [followUps, setFollowUps] = useState('');
  const close = async () => {
    const followUpActions = followUps.split('\n').map((s) => s.trim()).filter((s) => s !== '');
    const review = { summary: summary.trim(), rootCause: rootCause.trim(), impact: impact.trim(), lessonsLearned: lessons.trim(), followUpActions };
    const r = await reply(anfu.POST('/v1/incidents/{incidentId}/close', { params: { path: { incidentId: props.id } }, body: { review } }));
    if (r.ok) props.done(r.body);
    return r;
  };
  return (
    <Form id="close-incident" label={t('closeIncident')} submit={t('closeIncident')} action={close}>
      <Field label={t('reviewSummary')} name="review-summary" value={summary} onInput={setSummary} />
      <Field label={t('rootCause')} name="review-root-cause" value={rootCause} onInput={setRootCause} />
      <Field label={t('impact')} name="review-impact" value={impact} onInput={setImpact} />
      <Field label={t('lessonsLearned')} name="review-lessons" value={lessons} onInput={setLessons} />
      <label for="review-follow-ups">{t('followUps')}</label>
      <textarea id="review-follow-ups" rows={4} value={followUps} onInput={(e) => setFollowUps(e.currentTarget.value)} />
    </Form>
  );
}

interface ReviewShape {
  readonly summary: string;
  readonly rootCause: string;
  readonly impact: string;
  readonly lessonsLearned: string;
  readonly followUpActions: readonly string[];
}

function Review(props: { review: ReviewShape }) {
  const r = props.review;
  return (
    <>
      <h2>{t('review')}</h2>
      <dl class="facts" data-testid="incident-review">
        <dt>{t('reviewSummary')}</dt>
        <dd>{r.summary}</dd>
        <dt>{t('rootCause')}</dt>
        <dd>{r.rootCause}</dd>
        <dt>{t('impact')}</dt>
        <dd>{r.impact}</dd>
        <dt>{t('lessonsLearned')}</dt>
        <dd>{r.lessonsLearned}</dd>
        <dt>{t('followUpActions')}</dt>
        <dd>
          <ul>
            {r.followUpActions.map((action) => (
              <li key={action}>{action}</li>
            ))}
          </ul>
        </dd>
      </dl>
    </>
  );
}

function Timeline(props: { incident: Incident }) {
  return (
    <>
      <h2>{t('playbook')}</h2>
      <ol aria-label={t('playbook')}>
        {props.incident.playbook.map((step) => (
          <li key={step}>{step}</li>
        ))}
      </ol>
      <h2>{t('incidentTimeline')}</h2>
      {props.incident.entries.length === 0 ? <p class="muted">{t('noIncidentEntries')}</p> : null}
      <ol class="timeline" aria-label={t('incidentTimeline')}>
        {props.incident.entries.map((e) => (
          <li key={e.id} data-entry={e.id} data-kind={e.kind}>
            {when(e.recordedAt)} · {e.kind} · <span data-testid="entry-text">{e.text}</span> · <span class="mono">{e.recordedBy}</span>
          </li>
        ))}
      </ol>
      <h2>{t('linkedEvents')}</h2>
      <ul aria-label={t('linkedEvents')}>
        {props.incident.securityEventIds.map((id) => (
          <li key={id} class="mono" data-linked-event={id}>
            {id}
          </li>
        ))}
      </ul>
      {props.incident.review === null ? null : <Review review={props.incident.review as ReviewShape} />}
    </>
  );
}

export function IncidentDetail(props: { id: string }) {
  useSignal(lang);
  const path = { incidentId: props.id };
  const loaded = useLoaded<Incident>(() => reply(anfu.GET('/v1/incidents/{incidentId}', { params: { path } })), [props.id]);
  const { value: incident, problem, set: setIncident } = loaded;
  const title = incident === undefined ? `${t('incident')} ${props.id}` : `${t('incident')}: ${incident.title}`;
  return (
    <DetailPage title={title} back="#/incidents" problem={problem}>
      {incident === undefined ? null : (
        <section data-incident={incident.id} aria-label={incident.title}>
          <Facts incident={incident} />
          <Timeline incident={incident} />
          {incident.state === 'open' ? (
            <>
              <AddEntry id={incident.id} done={setIncident} />
              <LinkEvent id={incident.id} linked={incident.securityEventIds} done={setIncident} />
              <CloseIncident id={incident.id} done={setIncident} />
            </>
          ) : null}
        </section>
      )}
    </DetailPage>
  );
}
