// Failover drills: transfers through the API nodes under load while a fault is injected — the
// leader's PostgreSQL killed or frozen, an API node killed, a planned switchover — then the history
// is checked against the database. The levers act on processes this cluster started, by pid.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import pg from 'pg';
import { startApiNode, waitFor, waitForApiNode, waitForHealthyCluster } from './cluster.ts';
import { windowFigures, type WindowFigures } from './drill-checks.ts';
import { startLoad, type LoadOptions, type RequestRecord } from './drill-load.ts';
import { membersOf, postmasterPidOf, streamingFrom } from './patroni.ts';
import { childrenOf, pidOf, signalGroup, sleep } from './processes.ts';
import type { DatabaseNode, Topology } from './topology.ts';
import { probeResumedLeader, type ResumedLeaderProbe } from './resumed-leader-probe.ts';
import { watchWriteAddress, type FaultTimeline } from './fault-timeline.ts';
import { makeEtcdUnreachable, type EtcdOutage } from './etcd-fault.ts';
import { replayFenceSql } from '../store/index.ts';

export type FaultName = 'leader-sigkill' | 'leader-sigstop' | 'api-node-kill' | 'switchover' | 'etcd-unreachable';

export interface PhaseReport extends WindowFigures {
  readonly fault: FaultName;
  readonly requests: number;
  readonly leaderBefore: string;
  /** The leader elected while the fault lasted (undefined when the fault was not the leader's). */
  readonly leaderElected: string | undefined;
  readonly leaderAfter: string;
  /** The old leader, asked directly afterwards, refused a write (undefined when it leads again, or never lost it). */
  readonly oldLeaderRefusedWrite: boolean | undefined;
  /** Members that could not rejoin by themselves (a diverged timeline) and were rebuilt from the leader. */
  readonly reinitialised: string[];
  /** Every member streams again from the leader, a synchronous standby among them (else why not). */
  readonly rejoined: true | string;
  /** SIGSTOP only: writes tried straight at the frozen leader from the moment it resumed. */
  readonly resumedLeaderProbe?: ResumedLeaderProbe;
  /** etcd unreachable only: what an API node's /ready said, and writes acknowledged while it said so. */
  readonly etcdOutage?: EtcdOutage;
  /** Where the write outage went (ms after the fault). */
  readonly timeline: FaultTimeline;
}

interface Observed {
  resumedLeaderProbe?: ResumedLeaderProbe;
  etcdOutage?: EtcdOutage;
  readonly timeline: FaultTimeline;
}

export interface PhaseOptions {
  readonly topology: Topology;
  readonly load: Omit<LoadOptions, 'keyPrefix'>;
  /** Load before the fault and after writes resume (also the throughput windows). */
  readonly steadyMs: number;
  /** Bound on the wait for a new leader and for acknowledged writes after the fault. */
  readonly recoveryTimeoutMs: number;
}

async function leaderNode(topology: Topology): Promise<DatabaseNode> {
  const leaderName = async () => (await membersOf(topology)).find((m) => m.role === 'leader')?.name;
  const name = await waitFor('a leader', leaderName, 60_000);
  const node = topology.databases.find((n) => n.name === name);
  if (node === undefined) throw new Error(`unknown leader ${name}`);
  return node;
}

/** Signals the postmaster and every backend under it (a machine stopping, not a polite shutdown). */
function signalPostgres(node: DatabaseNode, signal: NodeJS.Signals): void {
  const pid = postmasterPidOf(node);
  if (pid === undefined) throw new Error(`no PostgreSQL runs on ${node.name}`);
  const all = [pid, ...childrenOf(pid)];
  for (const each of all) {
    try {
      process.kill(each, signal);
    } catch {
      // ended meanwhile
    }
  }
}

/** How long writes are tried straight at a resumed frozen leader (Patroni's loop runs every 2 s here). */
const resumedProbeMs = 15_000;

function newLeaderElected(topology: Topology, old: string, timeoutMs: number): Promise<string> {
  return waitFor(`a leader other than ${old}`, async () => {
    const leader = (await membersOf(topology)).find((m) => m.role === 'leader' && m.state === 'running');
    return leader !== undefined && leader.name !== old ? leader.name : undefined;
  }, timeoutMs);
}

/** A direct connection to the old leader must not take a write: it is a replica now (or down). */
async function refusesWrite(node: DatabaseNode, databaseName: string): Promise<boolean> {
  const connectionString = `postgres://postgres@127.0.0.1:${node.postgresPort}/${databaseName}`;
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000 });
  // An error after the query (haproxy cutting the session) must not become an uncaught exception.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('BEGIN');
    await client.query(replayFenceSql);
    await client.query('ROLLBACK');
    return false;
  } catch {
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Injects the fault and waits it out; returns the leader elected meanwhile, if leadership had to move. */
async function inject(
  fault: FaultName,
  options: PhaseOptions,
  leader: DatabaseNode,
  writesResumed: (afterMs?: number) => Promise<unknown>,
  observed: Observed,
  faultAtMs: number,
  records: readonly RequestRecord[],
): Promise<string | undefined> {
  const { topology } = options;
  const elected = async () => {
    const name = await newLeaderElected(topology, leader.name, options.recoveryTimeoutMs);
    observed.timeline.newLeaderInDcsMs = Date.now() - faultAtMs;
    return name;
  };
  switch (fault) {
    case 'leader-sigkill':
      signalPostgres(leader, 'SIGKILL');
      return elected();
    case 'leader-sigstop':
      signalPostgres(leader, 'SIGSTOP');
      let electedName: string;
      try {
        electedName = await elected();
        // Resumed only once the new leader has acknowledged writes — settled after its election, not a
        // write the old leader finished just before it froze: a settled succession, not a race.
        await writesResumed(Date.now());
      } finally {
        signalPostgres(leader, 'SIGCONT');
      }
      // From the moment it runs again, the old leader must acknowledge no write (Patroni demotes it).
      const leads = async () => (await membersOf(topology)).some((m) => m.name === leader.name && m.role === 'leader');
      const { primaryPort, databaseName } = topology;
      observed.resumedLeaderProbe = await probeResumedLeader(leader, primaryPort, databaseName, resumedProbeMs, leads);
      return electedName;
    case 'api-node-kill': {
      const node = topology.apiNodes[0];
      const pid = node === undefined ? undefined : pidOf(topology.dir, node.name);
      if (node === undefined || pid === undefined) throw new Error('no API node to kill');
      signalGroup(pid, 'SIGKILL');
      await sleep(3_000);
      startApiNode(topology, node);
      await waitForApiNode(node, options.recoveryTimeoutMs);
      return undefined;
    }
    case 'switchover': {
      const candidate = (await membersOf(topology)).find((m) => m.role === 'sync_standby')?.name;
      if (candidate === undefined) throw new Error('no synchronous standby to switch over to');
      const config = join(leader.dir, 'patroni.yml');
      const args = ['-c', config, 'switchover', '--leader', leader.name, '--candidate', candidate, '--force'];
      // Asynchronously: a blocking call would stall the load's clients and post-date their acknowledgements.
      await promisify(execFile)('patronictl', args, { timeout: 60_000 });
      observed.timeline.commandReturnedMs = Date.now() - faultAtMs;
      return elected();
    }
    case 'etcd-unreachable':
      observed.etcdOutage = await makeEtcdUnreachable(topology, options.recoveryTimeoutMs, records);
      return (await leaderNode(topology)).name;
  }
}

/**
 * Waits for every member to run again with a synchronous standby. A member that stays out — its
 * timeline went past the leader's, which pg_rewind does not undo — is rebuilt from the leader
 * (`patronictl reinit`), as the runbook says (docs/OPERATIONS.md, "Failure modes and runbook").
 */
async function rejoinAll(topology: Topology): Promise<string[]> {
  try {
    await waitForHealthyCluster(topology, 60_000);
    return [];
  } catch {
    const leader = await leaderNode(topology);
    const { streaming } = await streamingFrom(leader);
    const stuck = topology.databases.filter((n) => n.name !== leader.name && !streaming.includes(n.name));
    for (const member of stuck) {
      const args = ['-c', join(leader.dir, 'patroni.yml'), 'reinit', topology.scope, member.name, '--force', '--wait'];
      execFileSync('patronictl', args, { stdio: 'ignore', timeout: 120_000 });
    }
    await waitForHealthyCluster(topology, 90_000);
    return stuck.map((m) => m.name);
  }
}

/** One drill: load, the fault, load until writes have resumed for `steadyMs`, then the cluster whole again. */
export async function runPhase(
  fault: FaultName,
  options: PhaseOptions,
  records: RequestRecord[],
): Promise<PhaseReport> {
  const { topology } = options;
  const leader = await leaderNode(topology);
  // Keys unique per phase, so a fault drilled twice (ANFU_DRILL_FAULTS=switchover,switchover) sends new transfers.
  const load = startLoad({ ...options.load, keyPrefix: `drill-${fault}-${Date.now()}` });
  let faultAtMs = Date.now();
  let leaderElected: string | undefined;
  const observed: Observed = { timeline: {} };
  let watcher: { stop(): Promise<void> } | undefined;
  try {
    await sleep(options.steadyMs);
    faultAtMs = Date.now();
    const keepsLeader = fault === 'api-node-kill' || fault === 'etcd-unreachable';
    watcher = watchWriteAddress(topology, keepsLeader ? undefined : leader, faultAtMs, observed.timeline);
    const acknowledgedAfter = (afterMs: number) =>
      load.records.some((r) => r.outcome === 'acknowledged' && r.settledAtMs > afterMs);
    const writesResumed = (afterMs = faultAtMs) => waitFor('writes to be acknowledged again', async () =>
      (acknowledgedAfter(afterMs) ? true : undefined), options.recoveryTimeoutMs);
    leaderElected = await inject(fault, options, leader, writesResumed, observed, faultAtMs, load.records);
    await writesResumed();
    await sleep(options.steadyMs);
  } finally {
    await watcher?.stop();
    await load.stop();
    records.push(...load.records);
  }
  let reinitialised: string[] = [];
  let rejoined: true | string = true;
  try {
    reinitialised = await rejoinAll(topology);
  } catch (error) {
    rejoined = error instanceof Error ? error.message : String(error);
  }
  const leaderAfter = (await leaderNode(topology)).name;
  // The old leader may lead again by the end (a later, legitimate election): then there is nothing to refuse.
  const moved = leaderElected !== undefined && leaderAfter !== leader.name;
  return {
    fault,
    requests: load.records.length,
    leaderBefore: leader.name,
    leaderElected,
    leaderAfter,
    oldLeaderRefusedWrite: moved ? await refusesWrite(leader, topology.databaseName) : undefined,
    reinitialised,
    rejoined,
    ...observed,
    ...windowFigures(load.records, faultAtMs, options.steadyMs),
  };
}
