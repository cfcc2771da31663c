// Generated documentation: the OpenAPI document of the running app and the configuration reference,
// both rendered from the code so they cannot drift (src/docs.test.ts fails when they are stale).
// Usage: npm run docs   (writes docs/openapi.json and docs/CONFIGURATION.md)
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { settings } from '../src/config.ts';
import { createTestApp } from '../src/wiring/test-app.ts';

export async function renderOpenApi(): Promise<string> {
  const t = await createTestApp('sqlite', { ANFU_LOG_LEVEL: 'silent' });
  try {
    return `${JSON.stringify(t.app.swagger(), null, 2)}\n`;
  } finally {
    await t.close();
  }
}

export function renderConfiguration(): string {
  const rows = settings.map(([name, fallback, meaning]) => `| \`${name}\` | ${fallback.replaceAll('|', '\\|')} | ${meaning.replaceAll('|', '\\|')} |`);
  return [
    '# Configuration',
    '',
    'Generated from `src/config.ts` by `npm run docs`; `anfu config` prints the same table. Every setting is an',
    'environment variable; `--data-dir`, `--host`, `--port`, `--database-url` and `--log-level` override the',
    'matching ones. A bad value stops start-up with a message naming the setting.',
    '',
    '| setting | default | meaning |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync('docs/openapi.json', await renderOpenApi());
  writeFileSync('docs/CONFIGURATION.md', renderConfiguration());
  console.log('wrote docs/openapi.json and docs/CONFIGURATION.md');
}
