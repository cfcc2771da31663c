// Stored assessment runs (migration 270): each run whole, as JSON, so the next run shows what changed.
import { toNumber, type Queryable } from '../store/index.ts';
import type { Assessment, AssessmentRow, Indicator, Result } from './types.ts';

export interface StoredRun {
  readonly id: string;
  readonly at: number;
  readonly actor: string;
  readonly summary: Readonly<Record<Indicator, Result>>;
  readonly rows: readonly AssessmentRow[];
}

function runOf(row: Record<string, unknown>): StoredRun {
  return {
    id: String(row.id),
    at: toNumber(row.at as bigint),
    actor: String(row.actor),
    summary: JSON.parse(String(row.summary)) as StoredRun['summary'],
    rows: JSON.parse(String(row.rows)) as AssessmentRow[],
  };
}

export async function latestRun(q: Queryable): Promise<StoredRun | undefined> {
  const row = await q.get(
    'SELECT id, at, actor, summary, rows FROM assessment_runs ORDER BY at DESC, id DESC LIMIT 1',
    [],
  );
  return row === undefined ? undefined : runOf(row);
}

export async function runById(q: Queryable, id: string): Promise<StoredRun | undefined> {
  const row = await q.get('SELECT id, at, actor, summary, rows FROM assessment_runs WHERE id = ?', [id]);
  return row === undefined ? undefined : runOf(row);
}

/** Newest first, without the rows (the trend). */
export async function listRuns(q: Queryable, limit: number): Promise<Array<Omit<StoredRun, 'rows'>>> {
  const rows = await q.all('SELECT id, at, actor, summary FROM assessment_runs ORDER BY at DESC, id DESC LIMIT ?', [
    limit,
  ]);
  return rows.map((row) => {
    const { rows: _rows, ...run } = runOf({ ...row, rows: '[]' });
    return run;
  });
}

export async function insertRun(q: Queryable, run: Assessment): Promise<void> {
  await q.run('INSERT INTO assessment_runs (id, at, actor, summary, rows) VALUES (?, ?, ?, ?, ?)', [
    run.id,
    run.at,
    run.actor,
    JSON.stringify(run.summary),
    JSON.stringify(run.rows),
  ]);
}
