// The "etcd unreachable" fault (issue 17, bad input): the DCS stops answering (SIGSTOP — connections
// hang, as behind a partition). Patroni cannot renew the leader key, so within its ttl the leader
// demotes itself to read-only rather than lead without consensus: writes must be refused, an API
// node's /ready must say why, and once etcd answers again a leader is elected and nothing
// acknowledged is lost (the drill's history check).
import { waitFor } from './cluster.ts';
import type { RequestRecord } from './drill-load.ts';
import { pidOf, signalGroup, sleep } from './processes.ts';
import type { Topology } from './topology.ts';

export interface EtcdOutage {
  /** /ready's problem detail on an API node while etcd was unreachable. */
  readonly notReadyDetail: string;
  /** Seconds from etcd freezing to /ready answering 503. */
  readonly notReadyAfterSeconds: number;
  /** Writes acknowledged from a second after /ready said not ready until etcd answered again: must be 0. */
  readonly acknowledgedWhileNotReady: number;
}

/** How long the outage is held once /ready reports it: long enough for writes to be tried and refused. */
const heldMs = 5_000;

async function notReadyDetail(topology: Topology): Promise<string | undefined> {
  const node = topology.apiNodes[0];
  if (node === undefined) throw new Error('no API node');
  const response = await fetch(`http://127.0.0.1:${node.port}/ready`, { signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as { detail?: string };
  return response.status === 503 ? (body.detail ?? '') : undefined;
}

export async function makeEtcdUnreachable(
  topology: Topology, timeoutMs: number, records: readonly RequestRecord[],
): Promise<EtcdOutage> {
  const pid = pidOf(topology.dir, 'etcd');
  if (pid === undefined) throw new Error('etcd is not running');
  const frozenAtMs = Date.now();
  signalGroup(pid, 'SIGSTOP');
  try {
    const detail = await waitFor('an API node to report not ready', () => notReadyDetail(topology), timeoutMs);
    const notReadyAtMs = Date.now();
    await sleep(heldMs);
    const from = notReadyAtMs + 1_000;
    const until = Date.now();
    const acknowledged = records.filter((r) =>
      r.outcome === 'acknowledged' && r.settledAtMs >= from && r.settledAtMs < until);
    return {
      notReadyDetail: detail,
      notReadyAfterSeconds: (notReadyAtMs - frozenAtMs) / 1000,
      acknowledgedWhileNotReady: acknowledged.length,
    };
  } finally {
    signalGroup(pid, 'SIGCONT');
  }
}
