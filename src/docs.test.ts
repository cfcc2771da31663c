// docs/ must stay true: the committed OpenAPI document and configuration reference are what the
// code renders today. Regenerate with `npm run docs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderConfiguration, renderOpenApi, renderSdkTypes, sdkTypesPath } from '../scripts/docs.ts';

test('docs/openapi.json is the API the app serves', async () => {
  const committed = JSON.parse(readFileSync('docs/openapi.json', 'utf8')) as unknown;
  assert.deepEqual(committed, JSON.parse(await renderOpenApi()), 'docs/openapi.json is stale: run npm run docs');
});

test('the SDK types are the ones generated from docs/openapi.json', async () => {
  const generated = await renderSdkTypes(readFileSync('docs/openapi.json', 'utf8'));
  assert.equal(readFileSync(sdkTypesPath, 'utf8'), generated, `${sdkTypesPath} is stale: run npm run docs`);
});

test('docs/CONFIGURATION.md lists every setting', () => {
  assert.equal(readFileSync('docs/CONFIGURATION.md', 'utf8'), renderConfiguration(), 'docs/CONFIGURATION.md is stale: run npm run docs');
});
