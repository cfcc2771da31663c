/* eslint-disable security/detect-non-literal-fs-filename -- paths under the operator's cluster directory */
// Starting and stopping the cluster's processes: each runs detached with its output in a log file
// and its pid in a file, so `anfu cluster down` (or a test's cleanup) finds and ends every one of
// them, and nothing else.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StartOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly dir: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Run as this system user (PostgreSQL refuses to run as root). */
  readonly user?: string;
}

function pidFileOf(dir: string, name: string): string {
  return join(dir, 'pids', `${name}.pid`);
}

export function userIds(user: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export function startProcess(options: StartOptions): number {
  const log = openSync(join(options.dir, 'logs', `${options.name}.log`), 'a');
  try {
    const ids = options.user === undefined ? {} : userIds(options.user);
    const child = spawn(options.command, [...options.args], {
      detached: true,
      stdio: ['ignore', log, log],
      env: options.env ?? process.env,
      cwd: options.dir,
      ...ids,
    });
    if (child.pid === undefined) throw new Error(`${options.name} did not start`);
    child.unref();
    writeFileSync(pidFileOf(options.dir, options.name), `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers signal 0: read its state.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

export function pidOf(dir: string, name: string): number | undefined {
  const file = pidFileOf(dir, name);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 1 && isAlive(pid) ? pid : undefined;
}

/** Every process this cluster directory started and that still runs, by name. */
export function runningProcesses(dir: string): Map<string, number> {
  const running = new Map<string, number>();
  const pidsDir = join(dir, 'pids');
  if (!existsSync(pidsDir)) return running;
  for (const file of readdirSync(pidsDir).filter((f) => f.endsWith('.pid'))) {
    const name = file.slice(0, -'.pid'.length);
    const pid = pidOf(dir, name);
    if (pid !== undefined) running.set(name, pid);
  }
  return running;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** SIGTERM (to the process group the process leads), then SIGKILL after `graceMs`. */
export async function stopProcess(dir: string, name: string, graceMs = 10_000): Promise<void> {
  const pid = pidOf(dir, name);
  if (pid !== undefined) {
    signalGroup(pid, 'SIGCONT');
    signalGroup(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
  }
  rmSync(pidFileOf(dir, name), { force: true });
}

export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** The children of a process (PostgreSQL's backends under its postmaster), from /proc. */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) children.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}
