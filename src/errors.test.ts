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

/** AnfuError and every class in src/ that extends it, directly or through another subclass. */
function errorClasses(texts: readonly string[]): Set<string> {
  const classes = new Set(['AnfuError']);
  const declarations = texts.flatMap((text) => [...text.matchAll(/class (\w+) extends (\w+)/g)].map((m) => [m[1] ?? '', m[2] ?? ''] as const));
  for (let grew = true; grew;) {
    grew = false;
    for (const [name, base] of declarations) {
      if (!classes.has(base) || classes.has(name)) continue;
      classes.add(name);
      grew = true;
    }
  }
  return classes;
}

test('the scan knows every AnfuError subclass', () => {
  const classes = errorClasses(sources('src').map((file) => readFileSync(file, 'utf8')));
  for (const name of ['CryptoError', 'KeyringError']) assert.ok(classes.has(name), name);
});

test('every AnfuError code and ledger refusal in src/ is registered', () => {
  const used = new Set<string>();
  const texts = sources('src').map((file) => readFileSync(file, 'utf8'));
  // eslint-disable-next-line security/detect-non-literal-regexp -- class names matched by \w+ from the source's own declarations
  const thrown = new RegExp(`new (?:${[...errorClasses(texts)].join('|')})\\(\\s*'([a-z_]+)'`, 'g');
  const patterns = [thrown, /refused\('([a-z_]+)'/g, /code: '([a-z_]+)'/g];
  for (const text of texts) {
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
