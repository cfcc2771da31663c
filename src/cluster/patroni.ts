/* eslint-disable security/detect-non-literal-fs-filename -- paths under the operator's cluster directory */
// What Patroni says about the cluster, from its REST API, and the PostgreSQL process behind a node.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseNode, Topology } from './topology.ts';

export interface Member {
  readonly name: string;
  /** 'leader', 'sync_standby' or 'replica'. */
  readonly role: string;
  /** 'running' or 'streaming' when healthy. */
  readonly state: string;
  readonly timeline: number | undefined;
  /** Bytes of WAL a replica is behind (undefined for the leader). */
  readonly lag: number | undefined;
}

const restTimeoutMs = 2_000;

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(restTimeoutMs) });
  return response.json();
}

/** The members as any reachable node reports them (empty when no node answers). */
export async function membersOf(topology: Topology): Promise<Member[]> {
  for (const node of topology.databases) {
    try {
      const body = (await getJson(`http://127.0.0.1:${node.restPort}/cluster`)) as { members?: unknown[] };
      if (!Array.isArray(body.members)) continue;
      return body.members.map((raw) => {
        const m = raw as Record<string, unknown>;
        return {
          name: String(m.name), role: String(m.role), state: String(m.state),
          timeline: typeof m.timeline === 'number' ? m.timeline : undefined,
          lag: typeof m.lag === 'number' ? m.lag : undefined,
        };
      });
    } catch {
      // this node does not answer; ask the next
    }
  }
  return [];
}

/** Nodes whose own REST API says they are the writable primary (more than one is split brain). */
export async function primariesOf(topology: Topology): Promise<DatabaseNode[]> {
  const answers = await Promise.all(
    topology.databases.map(async (node) => {
      try {
        const url = `http://127.0.0.1:${node.restPort}/primary`;
        const response = await fetch(url, { signal: AbortSignal.timeout(restTimeoutMs) });
        await response.body?.cancel();
        return response.status === 200 ? node : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  return answers.filter((node): node is DatabaseNode => node !== undefined);
}

export function healthy(member: Member): boolean {
  return member.state === 'running' || member.state === 'streaming';
}

/** The members streaming from `leader`, by name, and which of them are synchronous (asked of PostgreSQL itself). */
export async function streamingFrom(leader: DatabaseNode): Promise<{ streaming: string[]; synchronous: string[] }> {
  const connectionString = `postgres://postgres@127.0.0.1:${leader.postgresPort}/postgres`;
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: restTimeoutMs });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const result = await client.query<{ name: string; sync_state: string }>(
      "SELECT application_name AS name, sync_state FROM pg_stat_replication WHERE state = 'streaming'",
    );
    const synchronous = result.rows.filter((r) => r.sync_state === 'sync' || r.sync_state === 'quorum');
    return { streaming: result.rows.map((r) => r.name), synchronous: synchronous.map((r) => r.name) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The postmaster's pid, from its data directory (undefined when PostgreSQL is not running there). */
export function postmasterPidOf(node: DatabaseNode): number | undefined {
  try {
    const pid = Number(readFileSync(join(node.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}
