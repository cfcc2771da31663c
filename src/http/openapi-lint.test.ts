// Redocly CLI's recommended rules (redocly.yaml) over the committed OpenAPI document, offline: no
// error and no warning. A copy with one operation's security and operationId removed must fail the
// same lint, so this test can tell a broken document from a clean one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const cli = join('node_modules', '@redocly', 'cli', 'bin', 'cli.js');

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; message: string }[];
}

async function lint(file: string): Promise<LintReport> {
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
  const outcome = await run(process.execPath, [cli, 'lint', file, '--format=json', '--config=redocly.yaml'], {
    env,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  return JSON.parse(outcome.stdout) as LintReport;
}

test('docs/openapi.json lints clean under Redocly recommended rules', async () => {
  const report = await lint('docs/openapi.json');
  assert.deepEqual(
    report.problems.map((p) => `${p.ruleId}: ${p.message}`),
    [],
  );
  assert.deepEqual(report.totals, { ...report.totals, errors: 0, warnings: 0 });
});

test('the lint fails a document whose operation lost its security and operationId', async () => {
  const doc = JSON.parse(readFileSync('docs/openapi.json', 'utf8')) as {
    paths: Record<string, Record<string, { security?: unknown; operationId?: string }>>;
  };
  const operation = doc.paths['/v1/merchant/orders']?.post;
  assert.ok(operation !== undefined);
  delete operation.security;
  delete operation.operationId;
  const file = join(mkdtempSync(join(tmpdir(), 'anfu-lint-')), 'broken.json');
  writeFileSync(file, JSON.stringify(doc));
  const report = await lint(file);
  const rules = new Set(report.problems.map((p) => p.ruleId));
  assert.ok(report.totals.errors > 0);
  assert.ok(rules.has('security-defined') && rules.has('operation-operationId'), [...rules].join(', '));
});
