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
  const config = loadConfig(
    { ANFU_DATABASE_URL: 'postgres://u@db:5432/anfu', ANFU_PORT: '9000' },
    { ANFU_PORT: '9443' },
  );
  assert.equal(config.databaseUrl, 'postgres://u@db:5432/anfu');
  assert.equal(config.port, 9443);
});

test('bad settings stop start-up, each named', () => {
  const problems = problemsOf({
    ANFU_PORT: 'eighty',
    ANFU_DATABASE_URL: 'mysql://x',
    ANFU_LOG_LEVEL: 'loud',
    ANFU_AMOUNT_MAX_MINOR: '-5',
    ANFU_TLS_CERT_FILE: 'cert.pem',
  });
  assert.equal(problems.length, 5, problems.join('\n'));
  for (const name of [
    'ANFU_PORT',
    'ANFU_DATABASE_URL',
    'ANFU_LOG_LEVEL',
    'ANFU_AMOUNT_MAX_MINOR',
    'ANFU_TLS_CERT_FILE',
  ]) {
    assert.ok(
      problems.some((p) => p.includes(name)),
      name,
    );
  }
  assert.equal(problemsOf({ ANFU_PORT: '65536' }).length, 1);
  assert.equal(problemsOf({ ANFU_PORT: '65535' }).length, 0);
});

test('production refuses plain HTTP', () => {
  assert.ok(
    problemsOf({ ANFU_ENV: 'production', ANFU_INSECURE_HTTP: 'true' }).some((p) => p.includes('ANFU_INSECURE_HTTP')),
  );
});

test('a database password never appears in a configuration error', () => {
  const problems = problemsOf({ ANFU_DATABASE_URL: 'postgres://user:hunter2secret@db/x', ANFU_PORT: 'x' });
  assert.ok(!problems.join(' ').includes('hunter2secret'));
});

test('production refuses to start without an SMS gateway and an identity provider, naming what to set', () => {
  const problems = problemsOf({ ANFU_ENV: 'production' });
  assert.ok(
    problems.some((p) =>
      p.startsWith(
        'production needs an SMS gateway: set ANFU_SMS_GATEWAY_URL (https), ANFU_SMS_GATEWAY_KEY_ID and ANFU_SMS_GATEWAY_SECRET',
      ),
    ),
    problems.join('\n'),
  );
  assert.ok(
    problems.some((p) =>
      p.startsWith('production needs an identity-verification provider: set ANFU_IDENTITY_PROVIDER_URL (https)'),
    ),
    problems.join('\n'),
  );
});

test('production refuses the provider simulator (loopback), plain http, a URL without its key, and a short secret', () => {
  const secret = 'x'.repeat(32);
  const real = {
    ANFU_ENV: 'production',
    ANFU_SMS_GATEWAY_URL: 'https://sms.example.com',
    ANFU_SMS_GATEWAY_KEY_ID: 'anfu',
    ANFU_SMS_GATEWAY_SECRET: secret,
    ANFU_IDENTITY_PROVIDER_URL: 'https://id.example.com',
    ANFU_IDENTITY_PROVIDER_KEY_ID: 'anfu',
    ANFU_IDENTITY_PROVIDER_SECRET: secret,
  };
  const providerProblems = (env: Record<string, string>) =>
    problemsOf(env).filter((p) => /SMS_GATEWAY|IDENTITY_PROVIDER|SMS_RECEIPT/.test(p));
  assert.deepEqual(providerProblems(real), []);
  for (const url of ['http://127.0.0.1:8600', 'https://localhost:8600', 'https://[::1]:8600', 'https://127.1.2.3']) {
    assert.ok(
      providerProblems({ ...real, ANFU_SMS_GATEWAY_URL: url }).some((p) =>
        p.includes('provider simulator is refused in production'),
      ),
      url,
    );
  }
  assert.ok(
    providerProblems({ ...real, ANFU_IDENTITY_PROVIDER_URL: 'http://id.example.com' }).some((p) =>
      p.includes('must be https in production'),
    ),
  );
  assert.ok(providerProblems({ ...real, ANFU_IDENTITY_PROVIDER_SECRET: '' }).length > 0);
  const { ANFU_SMS_GATEWAY_KEY_ID: _keyId, ...withoutKey } = real;
  assert.ok(providerProblems(withoutKey).some((p) => p.includes('ANFU_SMS_GATEWAY_URL needs ANFU_SMS_GATEWAY_KEY_ID')));
  assert.ok(
    providerProblems({ ...real, ANFU_SMS_GATEWAY_SECRET: 'x'.repeat(31) }).some((p) =>
      p.includes('at least 32 characters'),
    ),
  );
  assert.ok(
    providerProblems({ ...real, ANFU_SMS_RECEIPT_URL: 'http://pay.example.com/v1/providers/sms/receipts' }).some((p) =>
      p.includes('ANFU_SMS_RECEIPT_URL'),
    ),
  );
});

test('development may use the simulator over plain http on loopback; the provider secret never prints', () => {
  const config = loadConfig({
    ANFU_SMS_GATEWAY_URL: 'http://127.0.0.1:8600',
    ANFU_SMS_GATEWAY_KEY_ID: 'dev',
    ANFU_SMS_GATEWAY_SECRET: 'development secret 1234',
  });
  assert.equal(config.smsGatewayUrl, 'http://127.0.0.1:8600');
  assert.ok(
    !JSON.stringify(config, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)).includes(
      'development secret 1234',
    ),
  );
  assert.ok(!String(config.smsGatewaySecret).includes('development secret 1234'));
  assert.equal(loadConfig({}).smsGatewayUrl, undefined, 'unset: the development sink');
});
