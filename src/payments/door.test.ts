// The payments door exports use cases, queries and types — never a raw table operation (issue 10).
// A raw table operation is a function defined in one of the capability's store modules
// (`payments/store/*.ts`, `payments/*-store.ts`): a single statement on a payments table that any
// caller could string together without the rules around it. The test loads every store module and
// fails when a value the door exports IS one of their functions (re-exported as is, under any name).
// The read side is `queries.ts`; writes reach the tables only through the use cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as door from './index.ts';

function storeModules(): string[] {
  const here = join('src', 'payments');
  const inStore = readdirSync(join(here, 'store'))
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
    .map((name) => join(here, 'store', name));
  const beside = readdirSync(here)
    .filter((name) => name.endsWith('-store.ts'))
    .map((name) => join(here, name));
  return [...inStore, ...beside];
}

test('the payments door exports no raw table operation', async () => {
  const raw = new Map<unknown, string>();
  for (const path of storeModules()) {
    const module = (await import(pathToFileURL(join(process.cwd(), path)).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) {
      if (typeof value === 'function') raw.set(value, `${path}#${name}`);
    }
  }
  assert.ok(raw.size > 20, `the store modules were found (${raw.size} functions)`);
  const exported = Object.entries(door as Record<string, unknown>)
    .filter(([, value]) => raw.has(value))
    .map(([name, value]) => `${name} (${raw.get(value) ?? ''})`)
    .sort();
  assert.deepEqual(exported, [], 'the door exports use cases and queries; these are table operations');
});

const writeStatement = /\b(INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b/i;

test('the read side (queries.ts) only reaches store functions that write nothing', async () => {
  const source = readFileSync(join('src', 'payments', 'queries.ts'), 'utf8');
  const namespaces = new Map<string, string>();
  for (const [, name, from] of source.matchAll(/import \* as (\w+) from '(\.[^']+)'/g)) {
    namespaces.set(String(name), join('src', 'payments', String(from)));
  }
  const called = [...source.matchAll(/\b(\w+)\.(\w+)\(/g)].filter(([, space]) => namespaces.has(String(space)));
  assert.ok(called.length > 10, 'the queries were found');
  const writers: string[] = [];
  for (const [, space, name] of called) {
    const path = namespaces.get(String(space)) ?? '';
    const module = (await import(pathToFileURL(join(process.cwd(), path)).href)) as Record<string, unknown>;
    const fn = module[String(name)];
    assert.equal(typeof fn, 'function', `${path}#${String(name)}`);
    if (writeStatement.test(String(fn))) writers.push(`${path}#${String(name)}`);
  }
  assert.deepEqual(writers, [], 'a query that writes is a use case, not a query');
});
