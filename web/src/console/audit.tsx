// Audit search (by target, action and actor) and, for any entry found, its inclusion proof checked in
// this browser against a signed checkpoint and the published checkpoint signing key (audit-proof.ts).
// The page trusts the server for nothing it can recompute: a tampered entry, path or checkpoint fails.
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply, type Problem } from '../shared/api.ts';
import { Field, Frame, ProblemBox } from '../shared/ui.tsx';
import { checkInclusion, type CheckpointFields, type EntryFields, type ProofChecks } from './audit-proof.ts';
import { Nav } from './nav.tsx';
import { t } from './texts.ts';

interface Search {
  readonly target: string;
  readonly action: string;
  readonly actor: string;
}

type Entry = EntryFields & { readonly actorType: string };

/** The newest checkpoint that covers entry `seq` (checkpoints come oldest first, a page at a time). */
async function coveringCheckpoint(seq: number): Promise<CheckpointFields | undefined | Problem> {
  let cursor: string | undefined;
  let newest: CheckpointFields | undefined;
  for (let page = 0; page < 20; page++) {
    const query = { limit: '500', ...(cursor === undefined ? {} : { cursor }) };
    const r = await reply(anfu.GET('/v1/audit/checkpoints', { params: { query } }));
    if (!r.ok) return r.problem;
    for (const c of r.body.items) if (c.treeSize >= seq) newest = c;
    if (r.body.nextCursor === null) break;
    cursor = r.body.nextCursor;
  }
  return newest;
}

type Outcome =
  | { readonly kind: 'checks'; readonly size: number; readonly checks: ProofChecks }
  | { readonly kind: 'uncovered' }
  | { readonly kind: 'problem'; readonly problem: Problem };

async function verifyEntry(entry: Entry): Promise<Outcome> {
  const checkpoint = await coveringCheckpoint(Number(entry.seq));
  if (checkpoint === undefined) return { kind: 'uncovered' };
  if ('code' in checkpoint) return { kind: 'problem', problem: checkpoint };
  const path = { seq: entry.seq };
  const query = { treeSize: String(checkpoint.treeSize) };
  const proof = await reply(anfu.GET('/v1/audit/entries/{seq}/inclusion-proof', { params: { path, query } }));
  if (!proof.ok) return { kind: 'problem', problem: proof.problem };
  const key = await reply(anfu.GET('/v1/audit/signing-key'));
  if (!key.ok) return { kind: 'problem', problem: key.problem };
  return { kind: 'checks', size: checkpoint.treeSize, checks: await checkInclusion(entry, proof.body, checkpoint, key.body) };
}

function Verification(props: { entry: Entry }) {
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setOutcome(await verifyEntry(props.entry));
    setBusy(false);
  };
  const sign = async () => {
    const r = await reply(anfu.POST('/v1/audit/checkpoints'));
    if (!r.ok) return setOutcome({ kind: 'problem', problem: r.problem });
    await run();
  };
  if (outcome === undefined)
    return (
      <button type="button" onClick={() => void run()} disabled={busy} aria-busy={busy}>
        {busy ? t('verifying') : t('verify')}
      </button>
    );
  if (outcome.kind === 'problem') return <ProblemBox problem={outcome.problem} />;
  if (outcome.kind === 'uncovered')
    return (
      <p role="status" data-testid="proof-uncovered">
        {t('noCheckpoint')}{' '}
        <button type="button" onClick={() => void sign()}>
          {t('signCheckpoint')}
        </button>
      </p>
    );
  const names = { leaf: 'checkLeaf', path: 'checkPath', key: 'checkKey', signature: 'checkSignature' } as const;
  const failed = (Object.keys(names) as (keyof ProofChecks)[]).filter((k) => !outcome.checks[k]);
  return (
    <p role="status" data-testid="proof-result" data-verified={failed.length === 0 ? 'true' : 'false'}>
      {failed.length === 0
        ? t('verified', { size: String(outcome.size) })
        : t('notVerified', { failed: failed.map((k) => t(names[k])).join('; ') })}
    </p>
  );
}

export function AuditSearch(props: { initial: Search }) {
  const [search, setSearch] = useState<Search>(props.initial);
  const [asked, setAsked] = useState<Search>(props.initial);
  const [items, setItems] = useState<readonly Entry[]>([]);
  // Every search draws its entries afresh: a verification shown belongs to the entry as last served.
  const [generation, setGeneration] = useState(0);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  useEffect(() => {
    const query = {
      limit: '100',
      ...(asked.target === '' ? {} : { target: asked.target }),
      ...(asked.action === '' ? {} : { action: asked.action }),
      ...(asked.actor === '' ? {} : { actor: asked.actor }),
    };
    setProblem(undefined);
    void reply(anfu.GET('/v1/audit/entries', { params: { query } })).then((r) =>
      r.ok ? (setItems(r.body.items), setGeneration((g) => g + 1)) : setProblem(r.problem),
    );
  }, [asked]);
  const set = (field: keyof Search) => (value: string) => setSearch({ ...search, [field]: value });
  return (
    <Frame title={t('audit')} nav={<Nav />}>
      <form
        id="audit-search"
        aria-label={t('search')}
        onSubmit={(e) => {
          e.preventDefault();
          setAsked({ target: search.target.trim(), action: search.action.trim(), actor: search.actor.trim() });
        }}
      >
        <Field label={t('target')} name="audit-target" value={search.target} onInput={set('target')} required={false} />
        <Field label={t('action')} name="audit-action" value={search.action} onInput={set('action')} required={false} />
        <Field label={t('actor')} name="audit-actor" value={search.actor} onInput={set('actor')} required={false} />
        <button type="submit" class="primary">
          {t('search')}
        </button>
      </form>
      <ProblemBox problem={problem} />
      {items.length === 0 ? <p class="muted">{t('noEntries')}</p> : null}
      {items.map((e) => (
        <section class="card" key={`${generation}-${e.seq}`} data-entry={e.seq} aria-label={`${t('seq')} ${e.seq}`}>
          <h2>
            #{e.seq} {e.action}
          </h2>
          <p>
            {new Date(e.time).toLocaleString()} · {t('actor')}: {e.actorType} {e.actorId ?? ''} · {t('target')}:{' '}
            <span class="mono">{e.target ?? '—'}</span> · {t('outcome')}: {e.outcome}
          </p>
          <pre class="mono">{e.details}</pre>
          <Verification entry={e} />
        </section>
      ))}
    </Frame>
  );
}
