// The frozen leader's return (issue 17): a leader frozen with SIGSTOP lost its leadership while it
// slept; when it resumes it still believes it leads until Patroni demotes it. During that window a
// client that reaches it directly (a stale pool, a misrouted connection) must not get a write
// acknowledged. The probe connects straight to its port again and again from the moment it resumes
// and tries to commit the smallest transaction that must wait for the synchronous standby (the
// replay fence: a WAL record; a transaction that only took an xid commits without waiting, so it
// would prove nothing — store/replay-fence.ts): every try must be refused (read-only, in recovery,
// shutting down, unreachable) or left unanswered (its COMMIT waits for a synchronous standby that
// no longer follows it). An answered COMMIT is a violation; one answered only with PostgreSQL's
// "cancelled the wait for synchronous replication" warning counts apart (committed locally, never
// replicated: the Patroni #1412 pitfall).
import pg from 'pg';
import { replayFenceCall } from '../store/index.ts';
import type { DatabaseNode } from './topology.ts';
import { sleep } from './processes.ts';

export interface ResumedLeaderProbe {
  readonly attempts: number;
  /** Through the write address (haproxy), COMMITs this node acknowledged while another member led. Must be 0. */
  readonly acknowledgedViaWriteAddress: number;
  /** Straight at its port: COMMIT answered as a success while another member held leadership (before and after
   *  the try). Must be 0: the COMMIT waits for a synchronous standby, and none follows the old leader. */
  readonly acknowledged: number;
  /** COMMIT answered while Patroni named this node the leader again (a later, legitimate election). */
  readonly acknowledgedAsLeader: number;
  /** COMMIT answered after the synchronous wait was cancelled: not acknowledged as durable. */
  readonly cancelledWait: number;
  readonly refused: number;
  readonly unanswered: number;
}

type Attempt = 'acknowledged' | 'acknowledgedAsLeader' | 'cancelledWait' | 'refused' | 'unanswered';

/** `port`: set to the port of the server that committed (`inet_server_port()`). */
async function attemptWrite(connectionString: string, answerMs: number, served?: { port?: number }): Promise<Attempt> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: answerMs });
  let waitCancelled = false;
  client.on('error', () => undefined);
  client.on('notice', (notice: { message?: string }) => {
    if (/synchronous replication/i.test(notice.message ?? '')) waitCancelled = true;
  });
  let timer: NodeJS.Timeout | undefined;
  const unanswered = new Promise<Attempt>((resolve) => { timer = setTimeout(() => resolve('unanswered'), answerMs); });
  const write = (async (): Promise<Attempt> => {
    try {
      await client.connect();
      await client.query('BEGIN');
      const sql = `SELECT ${replayFenceCall} AS fence, inet_server_port() AS port`;
      const row = await client.query<{ port: number }>(sql);
      if (served !== undefined) served.port = row.rows[0]?.port;
      await client.query('COMMIT');
      return waitCancelled ? 'cancelledWait' : 'acknowledged';
    } catch {
      return 'refused';
    }
  })();
  const outcome = await Promise.race([write, unanswered]);
  clearTimeout(timer);
  void client.end().catch(() => undefined);
  return outcome;
}

/**
 * Tries writes straight to `node` for `durationMs` from now; returns how each try ended. `leads`
 * asks Patroni (the DCS) whether the node holds leadership now: an acknowledged write counts against
 * the node only when it did not lead before nor after the try.
 */
export async function probeResumedLeader(
  node: DatabaseNode, writePort: number, databaseName: string, durationMs: number, leads: () => Promise<boolean>,
): Promise<ResumedLeaderProbe> {
  const connectionString = `postgres://postgres@127.0.0.1:${node.postgresPort}/${databaseName}`;
  const writeAddress = `postgres://postgres@127.0.0.1:${writePort}/${databaseName}`;
  let acknowledgedViaWriteAddress = 0;
  const counts: Record<Attempt, number> = {
    acknowledged: 0, acknowledgedAsLeader: 0, cancelledWait: 0, refused: 0, unanswered: 0,
  };
  const deadline = Date.now() + durationMs;
  let attempts = 0;
  const leading = () => leads().catch(() => true); // unknown: not counted against the node
  while (Date.now() < deadline) {
    const before = await leading();
    let outcome = await attemptWrite(connectionString, 2_000);
    if (outcome === 'acknowledged' && (before || (await leading()))) outcome = 'acknowledgedAsLeader';
    counts[outcome]++;
    const served: { port?: number } = {};
    const routed = await attemptWrite(writeAddress, 2_000, served);
    if (routed === 'acknowledged' && served.port === node.postgresPort && !before && !(await leading())) {
      acknowledgedViaWriteAddress++;
    }
    attempts++;
    await sleep(250);
  }
  return { attempts, acknowledgedViaWriteAddress, ...counts };
}
