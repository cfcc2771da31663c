// Test helper: `anfu clearing-sim` as its own process (as it runs beside a development deployment),
// with its output kept and every wait bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repositoryRoot = resolve(import.meta.dirname, '../../..');
const startTimeoutMs = 60_000;

export interface ClearingSimProcess {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  /** GET or POST a simulator endpoint; undefined on 204. */
  call(method: 'GET' | 'POST', path: string): Promise<string | undefined>;
  stop(): Promise<number | null>;
}

export async function startClearingSimProcess(
  rules: unknown,
  env: Record<string, string> = {},
): Promise<ClearingSimProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'anfu-clearing-sim-'));
  const rulesFile = join(dir, 'rules.json');
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a fresh temporary directory of our own
  writeFileSync(rulesFile, JSON.stringify(rules));
  const child = spawn(process.execPath, ['bin/anfu.js', 'clearing-sim', '--port', '0', '--rules', rulesFile], {
    cwd: repositoryRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`clearing-sim did not start:\n${output}`)), startTimeoutMs);
    const look = (): void => {
      const line = output.split('\n').find((l) => l.includes('"listening"'));
      if (line === undefined) return;
      clearTimeout(timer);
      done((JSON.parse(line) as { port: number }).port);
    };
    child.stdout?.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`clearing-sim exited with ${code}:\n${output}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    child,
    output: () => output,
    async call(method, path) {
      const response = await fetch(`${url}${path}`, { method, signal: AbortSignal.timeout(10_000) });
      if (response.status === 204) return undefined;
      const text = await response.text();
      if (!response.ok) throw new Error(`clearing-sim ${path}: ${response.status} ${text}`);
      return text;
    },
    stop() {
      return new Promise((done) => {
        if (child.exitCode !== null) return done(child.exitCode);
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', (code) => {
          clearTimeout(timer);
          done(code);
        });
        child.kill('SIGTERM');
      });
    },
  };
}
