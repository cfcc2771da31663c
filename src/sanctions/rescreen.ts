// Re-screening existing parties when the lists change (issue 12, item 7; docs/sanctions.md
// "Re-screening"). A run is a row (sanctions_rescreens) with a resume point: the kind of party being
// screened (customers, then merchants — payees are customers or merchants) and the last id done. A
// step, under the cluster-wide lease `sanctions:rescreen`, screens pages of parties until its time
// budget is spent and saves the resume point after each page, so a run survives a restart and any
// process continues it. A new list version starts a run by itself (the step compares the lists in
// force with the last run's); an operator can start one too. A hit opens a `sanctions_hit` case once
// per party and list entry whatever the number of runs (the case's dedupe key). A customer's hit also
// freezes their outgoing money until the case is decided (screen-party.ts, once per case); a merchant's
// freezes nothing (there is no merchant freeze): the compliance analyst decides in the case.
import { appendAudit } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Queryable, Store } from '../store/index.ts';
import { toNumber, underLease } from '../store/index.ts';
import type { Sanctions } from './sanctions.ts';
import { screenParty } from './screen-party.ts';

export interface PartyToScreen {
  readonly id: string;
  readonly name: string;
  readonly birthDate?: string | undefined;
  readonly country?: string | undefined;
  /** The customer whose case this is (customers: themselves). */
  readonly customerId?: string | undefined;
}

/** One kind of party, read page by page in id order after `after`. */
export interface PartySource {
  readonly type: 'customer' | 'merchant';
  page(after: string, limit: number): Promise<readonly PartyToScreen[]>;
}

export type RescreenState = 'queued' | 'running' | 'done' | 'failed';

export interface RescreenRun {
  readonly id: string;
  readonly state: RescreenState;
  readonly listVersions: string;
  /** Index into the sources (0 = customers, 1 = merchants); equal to their number when done. */
  readonly phase: number;
  readonly cursor: string;
  readonly screened: number;
  readonly hits: number;
  readonly nearHits: number;
  readonly requestedBy: string;
  readonly requestedAt: number;
  readonly startedAt: number | null;
  readonly heartbeatAt: number | null;
  readonly finishedAt: number | null;
  readonly detail: string | null;
}

export const rescreenLease = 'sanctions:rescreen';

const columns = `id, state, list_versions, phase, cursor, screened, hits, near_hits, requested_by, requested_at,
  started_at, heartbeat_at, finished_at, detail`;
const nullableNumber = (v: unknown): number | null => (v === null || v === undefined ? null : toNumber(v));

function runOf(r: Record<string, unknown>): RescreenRun {
  return {
    id: r.id as string,
    state: r.state as RescreenState,
    listVersions: r.list_versions as string,
    phase: toNumber(r.phase),
    cursor: r.cursor as string,
    screened: toNumber(r.screened),
    hits: toNumber(r.hits),
    nearHits: toNumber(r.near_hits),
    requestedBy: r.requested_by as string,
    requestedAt: toNumber(r.requested_at),
    startedAt: nullableNumber(r.started_at),
    heartbeatAt: nullableNumber(r.heartbeat_at),
    finishedAt: nullableNumber(r.finished_at),
    detail: (r.detail as string | null) ?? null,
  };
}

export async function rescreenRuns(q: Queryable, limit: number): Promise<RescreenRun[]> {
  const rows = await q.all(`SELECT ${columns} FROM sanctions_rescreens ORDER BY requested_at DESC, id DESC LIMIT ?`, [
    limit,
  ]);
  return rows.map(runOf);
}

export async function rescreenRun(q: Queryable, id: string): Promise<RescreenRun | undefined> {
  const row = await q.get(`SELECT ${columns} FROM sanctions_rescreens WHERE id = ?`, [id]);
  return row === undefined ? undefined : runOf(row);
}

async function openRun(q: Queryable): Promise<RescreenRun | undefined> {
  const row = await q.get(
    `SELECT ${columns} FROM sanctions_rescreens WHERE state IN ('queued', 'running')
     ORDER BY requested_at, id LIMIT 1`,
  );
  return row === undefined ? undefined : runOf(row);
}

/**
 * Starts a run over the lists in force, or returns the run already open (one at a time: a second
 * request while one runs is that run). Audited as `sanctions.rescreen`.
 */
export async function requestRescreen(
  sanctions: Sanctions,
  requestedBy: string,
): Promise<{ run: RescreenRun; created: boolean }> {
  const lists = await sanctions.lists.current();
  // An operator's request in a state that cannot serve it (nothing loaded yet), not an outage.
  if (lists === undefined) throw new AnfuError('sanctions_lists_not_loaded');
  const now = sanctions.clock();
  return sanctions.store.transaction(async (tx) => {
    const open = await openRun(tx);
    if (open !== undefined) return { run: open, created: false };
    const id = newId('rsc', now);
    await tx.run(
      `INSERT INTO sanctions_rescreens (id, state, list_versions, requested_by, requested_at)
       VALUES (?, 'queued', ?, ?, ?)`,
      [id, lists.label, requestedBy, now],
    );
    const actorType = requestedBy.startsWith('system:') ? ('system' as const) : ('operator' as const);
    const details = { runId: id, listVersions: lists.label };
    await appendAudit(
      tx,
      [{ actorType, actorId: requestedBy, action: 'sanctions.rescreen', target: id, outcome: 'success', details }],
      now,
    );
    const run = await rescreenRun(tx, id);
    if (run === undefined) throw new Error('sanctions invariant: the rescreen run vanished');
    return { run, created: true };
  });
}

export interface RescreenStepOptions {
  /** Parties per page (the resume point is saved after each page). */
  readonly pageSize?: number;
  /** Stop taking new pages after this long; the run continues at the next step. */
  readonly budgetMs?: number;
  /** Start a run by itself when the lists in force differ from the last run's (the server's schedule). */
  readonly auto?: boolean;
}

/** One step of the open run under the lease; `ran: false` when another process holds it. */
export async function rescreenStep(
  sanctions: Sanctions,
  sources: readonly PartySource[],
  options: RescreenStepOptions = {},
): Promise<{ ran: boolean; run?: RescreenRun }> {
  const budgetMs = options.budgetMs ?? 5_000;
  const result = await underLease(
    sanctions.store,
    rescreenLease,
    sanctions.clock,
    () => stepUnderLease(sanctions, sources, options.pageSize ?? 100, budgetMs, options.auto === true),
    Math.max(60_000, budgetMs * 6),
  );
  return result.ran ? { ran: true, ...(result.result === undefined ? {} : { run: result.result }) } : { ran: false };
}

async function stepUnderLease(
  sanctions: Sanctions,
  sources: readonly PartySource[],
  pageSize: number,
  budgetMs: number,
  auto: boolean,
): Promise<RescreenRun | undefined> {
  const { store, clock } = sanctions;
  if (auto) await startOnListChange(sanctions);
  let run = await openRun(store);
  if (run === undefined) return undefined;
  const started = clock();
  if (run.state === 'queued')
    await store.run(`UPDATE sanctions_rescreens SET state = 'running', started_at = ? WHERE id = ?`, [started, run.id]);
  try {
    // At least one page per step, then more while the budget lasts.
    do run = await screenPage(sanctions, sources, run, pageSize);
    while (run.phase < sources.length && clock() - started < budgetMs);
    if (run.phase >= sources.length) {
      const label = (await sanctions.lists.current())?.label ?? run.listVersions;
      await store.run(
        `UPDATE sanctions_rescreens SET state = 'done', finished_at = ?, list_versions = ? WHERE id = ?`,
        [clock(), label, run.id],
      );
    }
  } catch (error) {
    const detail = error instanceof Error ? error.message.slice(0, 300) : 'failed';
    await store.run(`UPDATE sanctions_rescreens SET state = 'failed', finished_at = ?, detail = ? WHERE id = ?`, [
      clock(),
      detail,
      run.id,
    ]);
  }
  return rescreenRun(store, run.id);
}

async function startOnListChange(sanctions: Sanctions): Promise<void> {
  const lists = await sanctions.lists.current();
  if (lists === undefined) return;
  const [last] = await rescreenRuns(sanctions.store, 1);
  if (last === undefined || (last.listVersions !== lists.label && last.state !== 'queued' && last.state !== 'running'))
    await requestRescreen(sanctions, 'system:sanctions');
}

/** Screens one page and saves the progress and the resume point (a page cut short is screened again). */
async function screenPage(
  sanctions: Sanctions,
  sources: readonly PartySource[],
  run: RescreenRun,
  pageSize: number,
): Promise<RescreenRun> {
  const source = sources[run.phase];
  if (source === undefined) return run;
  const parties = await source.page(run.cursor, pageSize);
  let hits = 0;
  let nearHits = 0;
  for (const party of parties) {
    const verdict = await screenParty(sanctions, {
      context: 'rescreen',
      subject: { type: source.type, id: party.id },
      name: party.name,
      birthDate: party.birthDate,
      country: party.country,
      customerId: party.customerId,
      actor: 'system:sanctions',
    });
    if (verdict.outcome === 'hit') hits += 1;
    if (verdict.outcome === 'near_hit') nearHits += 1;
  }
  const last = parties.at(-1);
  const done = parties.length < pageSize;
  const next = {
    ...run,
    phase: done ? run.phase + 1 : run.phase,
    cursor: done || last === undefined ? '' : last.id,
    screened: run.screened + parties.length,
    hits: run.hits + hits,
    nearHits: run.nearHits + nearHits,
    heartbeatAt: sanctions.clock(),
  };
  await saveProgress(sanctions.store, next);
  return next;
}

async function saveProgress(store: Store, run: RescreenRun): Promise<void> {
  await store.run(
    `UPDATE sanctions_rescreens SET phase = ?, cursor = ?, screened = ?, hits = ?, near_hits = ?, heartbeat_at = ?
     WHERE id = ?`,
    [run.phase, run.cursor, run.screened, run.hits, run.nearHits, run.heartbeatAt, run.id],
  );
}
