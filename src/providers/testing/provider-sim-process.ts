// Test helper: `anfu provider-sim` as a real separate process, with its output kept (to find the
// port and to check that no phone or ID number was ever logged) and its test-only read side wrapped.
// Every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ProviderSimState } from '../provider-sim-server.ts';

export const providerSimStartTimeoutMs = 60_000;
const repositoryRoot = resolve(import.meta.dirname, '../../..');

export interface ProviderSimProcess {
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  state(): Promise<ProviderSimState & { smsFailNext: number }>;
  putRules(rules: Record<string, unknown>): Promise<void>;
  /** The newest SMS the simulator took for `to`, with the code it carries. */
  lastSms(
    to: string,
  ): Promise<
    { messageId: string; clientReference: string; text: string; code: string | null; purpose: string } | undefined
  >;
  stop(): Promise<number | null>;
}

export async function startProviderSimProcess(
  keys: ReadonlyArray<readonly [string, string]>,
  rules: Record<string, unknown> = {},
): Promise<ProviderSimProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'anfu-provider-sim-'));
  const rulesFile = join(dir, 'rules.json');
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a fresh temporary directory of our own
  writeFileSync(rulesFile, JSON.stringify(rules));
  const env = {
    ...process.env,
    ANFU_ENV: 'test',
    ANFU_PROVIDER_SIM_KEYS: keys.map(([id, secret]) => `${id}=${secret}`).join(','),
  };
  const child = spawn(process.execPath, ['bin/anfu.js', 'provider-sim', '--port', '0', '--rules', rulesFile], {
    cwd: repositoryRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`provider-sim did not start within ${providerSimStartTimeoutMs} ms:\n${output}`)),
      providerSimStartTimeoutMs,
    );
    const look = (): void => {
      const line = output.split('\n').find((l) => l.includes('"listening"'));
      if (line === undefined) return;
      clearTimeout(timer);
      child.stdout?.off('data', look);
      done((JSON.parse(line) as { port: number }).port);
    };
    child.stdout?.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`provider-sim exited with ${code}:\n${output}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    port,
    url,
    child,
    output: () => output,
    async state() {
      return (await (
        await fetch(`${url}/_sim/state`, { signal: AbortSignal.timeout(5_000) })
      ).json()) as ProviderSimState & { smsFailNext: number };
    },
    async putRules(next) {
      const response = await fetch(`${url}/_sim/rules`, {
        method: 'PUT',
        body: JSON.stringify(next),
        signal: AbortSignal.timeout(5_000),
      });
      if (response.status !== 200) throw new Error(`rules refused: ${await response.text()}`);
    },
    async lastSms(to) {
      const response = await fetch(`${url}/_sim/sms/last?to=${encodeURIComponent(to)}`, {
        signal: AbortSignal.timeout(5_000),
      });
      if (response.status === 404) return undefined;
      return (await response.json()) as {
        messageId: string;
        clientReference: string;
        text: string;
        code: string | null;
        purpose: string;
      };
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
