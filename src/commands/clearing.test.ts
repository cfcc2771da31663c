// `anfu settle merchants` cannot move customer money on one credential: without a second operator (the
// API's maker–checker proposal) the command is refused before any store is opened.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config } from '../config.ts';
import { clearingCommand } from './clearing.ts';

async function capturingStderr(work: () => Promise<number>): Promise<{ code: number; stderr: string }> {
  const original = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await work(), stderr };
  } finally {
    process.stderr.write = original;
  }
}

test('a merchant settlement run from the command line is refused: it needs two operators', async () => {
  let configRead = false;
  const config = (): Config => {
    configRead = true;
    throw new Error('the store must not be opened');
  };
  const run = await capturingStderr(() =>
    clearingCommand('settle', config, ['merchants', '--partner', 'ptn_01hzzzzzzzzzzzzzzzzzzzzzzz']),
  );
  assert.equal(run.code, 1);
  assert.match(run.stderr, /clearing_four_eyes_required/);
  assert.match(run.stderr, /POST \/v1\/clearing\/settlement-runs/);
  assert.equal(configRead, false, 'nothing was opened, so nothing was paid');
});
