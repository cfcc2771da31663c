// The promise .ci/run relies on: with ANFU_REQUIRE_TOOLS=1 a missing tool or service fails the run
// (skipUnless throws, and scripts/run-tests.mjs fails a run that skipped anything); without it, a
// developer's machine skips with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresSkip, skipUnless } from './required-tools.ts';

function withEnv<T>(values: Record<string, string | undefined>, work: () => T): T {
  const before = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return work();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

test('a missing tool skips on a developer machine and fails under ANFU_REQUIRE_TOOLS=1', () => {
  withEnv({ ANFU_REQUIRE_TOOLS: undefined }, () => {
    assert.equal(skipUnless(true, 'chromium'), false);
    assert.equal(skipUnless(false, 'chromium'), 'chromium is not available');
  });
  withEnv({ ANFU_REQUIRE_TOOLS: '1' }, () => {
    assert.equal(skipUnless(true, 'chromium'), false);
    assert.throws(() => skipUnless(false, 'chromium'), /chromium is required \(ANFU_REQUIRE_TOOLS=1\)/);
  });
  withEnv({ ANFU_REQUIRE_TOOLS: '1', ANFU_TEST_DATABASE_URL: undefined }, () => {
    assert.throws(() => postgresSkip(), /PostgreSQL \(ANFU_TEST_DATABASE_URL\) is required/);
  });
});

test('the runner fails a run that skipped a test when ANFU_REQUIRE_TOOLS=1, and passes it otherwise', () => {
  const dir = mkdtempSync(join(tmpdir(), 'anfu-skip-'));
  try {
    // The runner walks src/ from its working directory and loads TypeScript through tsx.
    mkdirSync(join(dir, 'src'));
    symlinkSync(join(process.cwd(), 'node_modules'), join(dir, 'node_modules'));
    const skipping = "import { test } from 'node:test';\ntest('needs a tool', { skip: 'absent' }, () => {});\n";
    writeFileSync(join(dir, 'src', 'skips.test.ts'), skipping);
    const runner = join(process.cwd(), 'scripts', 'run-tests.mjs');
    // Without NODE_TEST_CONTEXT: this test's own runner would make the nested one report to it instead.
    const { NODE_TEST_CONTEXT: _nested, ...outer } = process.env;
    const run = (required: string | undefined) =>
      spawnSync(process.execPath, [runner, 'skips'], {
        cwd: dir,
        env: { ...outer, ANFU_REQUIRE_TOOLS: required ?? '' },
        encoding: 'utf8',
      });
    const strict = run('1');
    assert.notEqual(strict.status, 0, strict.stdout);
    assert.match(strict.stderr, /1 test\(s\) skipped while ANFU_REQUIRE_TOOLS=1/);
    const relaxed = run(undefined);
    assert.equal(relaxed.status, 0, relaxed.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
