#!/usr/bin/env node
// Runs every *.test.ts under src/, test/, examples/ and packages/sdk/src/ with Node's built-in runner (TypeScript through tsx).
// Node 20's `--test` does not expand globs, so the files are listed here.
// Usage: node scripts/run-tests.mjs [filter-substring ...]
// A whole run (no filter) ends with a second pass of the ledger, flow and payment tests on the threaded SQLite store.
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

/** Runs one pass of the node test runner over `files`; resolves with its exit code and the skipped count. */
function pass(passFiles, env) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...passFiles],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...env, NODE_ENV: 'test' } },
  );
  let tail = '';
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    tail = (tail + chunk.toString('utf8')).slice(-4096);
  });
  return new Promise((done) => child.on('close', (code) => done({ code: code ?? 1, skipped: Number(/skipped (\d+)/.exec(tail)?.[1] ?? '0') })));
}

const first = await pass(files, process.env);
// Under ANFU_REQUIRE_TOOLS=1 (CI) a skipped test is a failure: CI must prove what it claims.
if (first.code === 0 && first.skipped > 0 && process.env.ANFU_REQUIRE_TOOLS === '1') {
  console.error(`${first.skipped} test(s) skipped while ANFU_REQUIRE_TOOLS=1: a required tool is missing`);
  process.exit(1);
}
if (first.code !== 0) process.exit(first.code);

// A whole run also runs the ledger, flow and payment tests once more on SQLite with the writer thread
// (ANFU_SQLITE_WRITER=worker's store): the same assertions must hold when every write and commit crosses
// to a worker thread. PostgreSQL is left out — its store is the same in both passes and ran above — so
// its variants skip here, which is why this pass does not count skips.
const threadedFiles = files.filter((f) => ['src/ledger/', 'src/flows/', 'src/payments/'].some((d) => f.startsWith(d)));
if (filters.length === 0 && process.env.ANFU_TEST_SQLITE_WRITER === undefined && threadedFiles.length > 0) {
  const { ANFU_TEST_DATABASE_URL: _postgres, ...rest } = process.env;
  console.log(`\n# again on the SQLite writer thread: ${threadedFiles.length} files`);
  const second = await pass(threadedFiles, { ...rest, ANFU_REQUIRE_TOOLS: '0', ANFU_TEST_SQLITE_WRITER: 'worker' });
  process.exit(second.code);
}
process.exit(0);
