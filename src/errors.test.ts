// Every code the source throws or returns must be registered, so the HTTP edge can render it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isProblemCode, problems } from './errors.ts';

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

test('every AnfuError code and ledger refusal in src/ is registered', () => {
  const used = new Set<string>();
  const patterns = [/new (?:AnfuError|CryptoError)\(\s*'([a-z_]+)'/g, /refused\('([a-z_]+)'/g, /code: '([a-z_]+)'/g];
  for (const file of sources('src')) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of patterns) for (const match of text.matchAll(pattern)) used.add(match[1] ?? '');
  }
  assert.ok(used.size > 10, 'the scan found the codes');
  const missing = [...used].filter((code) => !isProblemCode(code));
  assert.deepEqual(missing, []);
});

test('every registered code has a 4xx or 5xx status and a title', () => {
  for (const [code, definition] of Object.entries(problems)) {
    assert.ok(definition.status >= 400 && definition.status < 600, code);
    assert.ok(definition.title.length > 0, code);
  }
});
