// The SDK's types follow the API: a change of shape in the document (a field of the checkout order
// renamed, a path moved) regenerates types that no longer compile against the examples, so `npm run docs` followed
// by `npm run typecheck` fails until every client call is fixed. The unchanged document compiles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { renderSdkTypes } from '../../../scripts/docs.ts';

const run = promisify(execFile);

/** Type-checks the examples against types generated from `document`; the compiler's output, or '' when clean. */
async function typecheckExamplesAgainst(document: string): Promise<string> {
  mkdirSync('.tmp', { recursive: true });
  const dir = mkdtempSync(join('.tmp', 'sdk-types-'));
  try {
    cpSync('packages/sdk/src', join(dir, 'sdk'), { recursive: true, filter: (path) => !path.endsWith('.test.ts') });
    writeFileSync(join(dir, 'sdk', 'schema.ts'), await renderSdkTypes(document));
    cpSync('examples', join(dir, 'examples'), { recursive: true, filter: (path) => !path.endsWith('.test.ts') });
    const root = JSON.parse(readFileSync('tsconfig.json', 'utf8')) as { compilerOptions: Record<string, unknown> };
    const compilerOptions = {
      ...root.compilerOptions,
      paths: { '@anfu/sdk': ['./sdk/index.ts'], '@anfu/sdk/sm2': ['./sdk/sm2.ts'] },
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['sdk', 'examples'] }));
    const tsc = join('node_modules', 'typescript', 'bin', 'tsc');
    return await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')]).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? 'failed',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a changed API shape breaks the typecheck of the SDK and its examples', async () => {
  const document = readFileSync('docs/openapi.json', 'utf8');
  assert.equal(await typecheckExamplesAgainst(document), '');
  // A path renamed and a request field renamed: each call that used them stops compiling.
  const changed = document
    .replaceAll('"/v1/orders/by-code/{code}"', '"/v1/orders/code/{code}"')
    .replaceAll('"merchantReference"', '"reference"');
  assert.notEqual(changed, document);
  const errors = await typecheckExamplesAgainst(changed);
  assert.match(errors, /examples\/customer-pay\.ts\(\d+,\d+\): error TS\d+: .*by-code/);
  assert.match(errors, /examples\/merchant-server\.ts\(\d+,\d+\): error TS\d+: .*merchantReference/);
});
