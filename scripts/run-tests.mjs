#!/usr/bin/env node
// Runs every *.test.ts under src/, test/, examples/ and packages/sdk/src/ with Node's built-in runner (TypeScript through tsx).
// Node 20's `--test` does not expand globs, so the files are listed here.
// Usage: node scripts/run-tests.mjs [filter-substring ...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

function walk(dir, out) {
  let names;
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = [...walk('src', []), ...walk('test', []), ...walk('examples', []), ...walk('packages/sdk/src', [])]
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const concurrency = process.env.ANFU_TEST_CONCURRENCY ?? '2';
// Under ANFU_REQUIRE_TOOLS=1 (CI) a skipped test is a failure: CI must prove what it claims.
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'test' } },
);
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString('utf8')).slice(-4096);
});
child.on('close', (code) => {
  const skipped = Number(/skipped (\d+)/.exec(tail)?.[1] ?? '0');
  if (code === 0 && skipped > 0 && process.env.ANFU_REQUIRE_TOOLS === '1') {
    console.error(`${skipped} test(s) skipped while ANFU_REQUIRE_TOOLS=1: a required tool is missing`);
    process.exit(1);
  }
  process.exit(code ?? 1);
});
