// The house rule of issue 10: flows only orchestrate and routes stay thin — neither holds SQL. Every
// table belongs to a capability, whose store files are the only place its statements are written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const sqlStatement = /\b(SELECT\s+[\w*(]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX))\b/;
const sqlCall = /\b(tx|store|q|client)\.(run|get|all|query)\(/;

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

test('src/flows and src/http hold no SQL and make no database calls of their own', () => {
  const offenders: string[] = [];
  for (const file of [...sourcesUnder('src/flows'), ...sourcesUnder('src/http')]) {
    readFileSync(file, 'utf8').split('\n').forEach((line, index) => {
      if (sqlStatement.test(line) || sqlCall.test(line)) offenders.push(`${file}:${index + 1}: ${line.trim().slice(0, 100)}`);
    });
  }
  assert.deepEqual(offenders, [], 'SQL belongs in the owning capability’s store files');
});
