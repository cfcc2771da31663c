import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './config.ts';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

test('defaults: SQLite under ./data, HTTPS on 127.0.0.1:8443', () => {
  const config = loadConfig({});
  assert.equal(config.port, 8443);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.databaseUrl, undefined);
  assert.match(config.sqlitePath, /data\/anfu\.db$/);
  assert.equal(config.insecureHttp, false);
});

test('a postgres URL switches the store; flags win over the environment', () => {
  const config = loadConfig({ ANFU_DATABASE_URL: 'postgres://u@db:5432/anfu', ANFU_PORT: '9000' }, { ANFU_PORT: '9443' });
  assert.equal(config.databaseUrl, 'postgres://u@db:5432/anfu');
  assert.equal(config.port, 9443);
});

test('bad settings stop start-up, each named', () => {
  const problems = problemsOf({ ANFU_PORT: 'eighty', ANFU_DATABASE_URL: 'mysql://x', ANFU_LOG_LEVEL: 'loud', ANFU_AMOUNT_MAX_MINOR: '-5', ANFU_TLS_CERT_FILE: 'cert.pem' });
  assert.equal(problems.length, 5, problems.join('\n'));
  for (const name of ['ANFU_PORT', 'ANFU_DATABASE_URL', 'ANFU_LOG_LEVEL', 'ANFU_AMOUNT_MAX_MINOR', 'ANFU_TLS_CERT_FILE']) {
    assert.ok(problems.some((p) => p.includes(name)), name);
  }
  assert.equal(problemsOf({ ANFU_PORT: '65536' }).length, 1);
  assert.equal(problemsOf({ ANFU_PORT: '65535' }).length, 0);
});

test('production refuses plain HTTP', () => {
  assert.ok(problemsOf({ ANFU_ENV: 'production', ANFU_INSECURE_HTTP: 'true' }).some((p) => p.includes('ANFU_INSECURE_HTTP')));
});

test('a database password never appears in a configuration error', () => {
  const problems = problemsOf({ ANFU_DATABASE_URL: 'postgres://user:hunter2secret@db/x', ANFU_PORT: 'x' });
  assert.ok(!problems.join(' ').includes('hunter2secret'));
});
