// Forks one of the ledger's test workers (TypeScript through tsx) and waits for its IPC report,
// with a deadline: a worker that hangs fails the test instead of hanging it.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function workerPath(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

export function forkWorker(name: string, env: Record<string, string>, stdio: 'inherit' | 'pipe' = 'inherit'): ChildProcess {
  return fork(workerPath(name), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: stdio === 'pipe' ? ['ignore', 'pipe', 'inherit', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Resolves with the child's one IPC message once it has exited cleanly. */
export function reportOf<T>(child: ChildProcess, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let message: T | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker ${child.pid} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (m) => {
      message = m as T;
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 || message === undefined) reject(new Error(`worker ${child.pid} exited with ${code ?? signal} ${message === undefined ? 'without a report' : ''}`));
      else resolve(message);
    });
  });
}
