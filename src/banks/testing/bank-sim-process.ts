// Test helper: `anfu bank-sim` as a real separate process, as it runs in production, with its
// stdout kept (to find the bound ports and to check that no PAN was ever logged) and its HTTP
// control port wrapped. Every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BankSimRules } from '../bank-sim-rules.ts';
import type { IssuerSnapshot } from '../bank-sim-issuer.ts';

export const bankSimStartTimeoutMs = 60_000;
const repositoryRoot = resolve(import.meta.dirname, '../../..');

export interface BankSimProcess {
  readonly port: number;
  readonly controlPort: number;
  readonly child: ChildProcess;
  /** Everything the process wrote, stdout and stderr. */
  output(): string;
  state(): Promise<IssuerSnapshot>;
  putRules(rules: BankSimRules): Promise<void>;
  stop(): Promise<number | null>;
}

export async function startBankSimProcess(rules: BankSimRules, extraArgs: readonly string[] = []): Promise<BankSimProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'anfu-bank-sim-'));
  const rulesFile = join(dir, 'rules.json');
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a fresh temporary directory of our own
  writeFileSync(rulesFile, JSON.stringify(rules));
  const args = ['bin/anfu.js', 'bank-sim', '--port', '0', '--control-port', '0', '--rules', rulesFile, ...extraArgs];
  const child = spawn(process.execPath, args, { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const ports = await new Promise<{ port: number; controlPort: number }>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`bank-sim did not start within ${bankSimStartTimeoutMs} ms:\n${output}`)), bankSimStartTimeoutMs);
    const look = (): void => {
      for (const line of output.split('\n')) {
        if (!line.includes('"listening"')) continue;
        const parsed = JSON.parse(line) as { port: number; controlPort: number };
        clearTimeout(timer);
        child.stdout?.off('data', look);
        done(parsed);
        return;
      }
    };
    child.stdout?.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`bank-sim exited with ${code}:\n${output}`));
    });
  });
  const control = `http://127.0.0.1:${ports.controlPort}`;
  return {
    ...ports,
    child,
    output: () => output,
    async state() {
      const response = await fetch(`${control}/state`, { signal: AbortSignal.timeout(5_000) });
      return (await response.json()) as IssuerSnapshot;
    },
    async putRules(next) {
      const response = await fetch(`${control}/rules`, { method: 'PUT', body: JSON.stringify(next), signal: AbortSignal.timeout(5_000) });
      if (response.status !== 200) throw new Error(`rules refused: ${await response.text()}`);
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
