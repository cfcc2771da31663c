// Transport proven from outside: the real server (src/serve.ts) on 127.0.0.1 is scanned with sslscan
// (Debian's package) and probed with `openssl s_client`: SSLv3, TLS 1.0 and 1.1 are refused, TLS 1.2
// and 1.3 accepted, and every accepted suite is forward-secret (ECDHE) AEAD: no CBC, RC4, 3DES, NULL or
// EXPORT. HSTS is on every response. Skipped (with a reason) only if neither tool is installed.
import { skipUnless } from '../testing/required-tools.ts';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../config.ts';
import { serve, type Running } from '../serve.ts';

const run = promisify(execFile);

async function installed(tool: string): Promise<boolean> {
  return run('which', [tool]).then(() => true, () => false);
}

/** Runs `openssl s_client` pinned to one protocol; true if the handshake completed. */
async function handshake(target: string, protocol: string): Promise<boolean> {
  // SECLEVEL=0 lets the client offer old protocols, so a refusal is the server's, not the client's.
  const args = ['s_client', '-connect', target, `-${protocol}`, '-cipher', 'DEFAULT@SECLEVEL=0', '-brief'];
  const result = await new Promise<{ ok: boolean; text: string }>((resolve) => {
    const child = execFile('openssl', args, { timeout: 15_000 }, (error, stdout, stderr) => resolve({ ok: error === null, text: `${stdout}${stderr}` }));
    child.stdin?.end(); // EOF on stdin: s_client closes after the handshake instead of waiting for input
  });
  return result.ok && /Protocol version:\s*TLSv1\.[0-3]/.test(result.text);
}

function hstsHeader(url: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/health`, { rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.headers['strict-transport-security']);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS of the real server', () => {
  let running: Running | undefined;
  let target = '';

  before(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'anfu-tls-'));
    running = await serve(loadConfig({ ANFU_ENV: 'development', ANFU_DATA_DIR: dataDir, ANFU_HOST: '127.0.0.1', ANFU_PORT: '0', ANFU_LOG_LEVEL: 'silent', ANFU_MTLS_CA_FILE: 'platform' }), { demo: false, quiet: true });
    target = running.url.replace('https://', '');
  });
  after(async () => {
    await running?.close();
  });

  it('sslscan: only TLS 1.2 and 1.3, only ECDHE AEAD suites', { timeout: 120_000 }, async (t) => {
    const skip = skipUnless(await installed('sslscan'), 'sslscan');
    if (skip !== false) return t.skip(skip);
    const { stdout } = await run('sslscan', ['--no-colour', target], { timeout: 110_000 });
    const protocols = Object.fromEntries([...stdout.matchAll(/^(SSLv2|SSLv3|TLSv1\.[0-3])\s+(enabled|disabled)/gm)].map((m) => [m[1], m[2]]));
    assert.deepEqual(protocols, { SSLv2: 'disabled', SSLv3: 'disabled', 'TLSv1.0': 'disabled', 'TLSv1.1': 'disabled', 'TLSv1.2': 'enabled', 'TLSv1.3': 'enabled' }, stdout);
    const suites = [...stdout.matchAll(/^(?:Preferred|Accepted)\s+(TLSv1\.[0-3]|SSLv[23])\s+(\d+) bits\s+(\S+)/gm)].map((m) => ({ protocol: m[1], bits: Number(m[2]), name: m[3] ?? '' }));
    assert.ok(suites.some((s) => s.protocol === 'TLSv1.2') && suites.some((s) => s.protocol === 'TLSv1.3'), stdout);
    for (const suite of suites) {
      assert.ok(suite.bits >= 128, `${suite.name} is ${suite.bits} bits`);
      assert.doesNotMatch(suite.name, /CBC|RC4|3DES|DES-|NULL|EXP|MD5|anon|PSK|SRP/i, `weak suite ${suite.name}`);
      assert.match(suite.name, /GCM|CHACHA20/, `${suite.name} is not AEAD`);
      if (suite.protocol === 'TLSv1.2') assert.match(suite.name, /^ECDHE-/, `${suite.name} is not forward-secret ECDHE`);
    }
  });

  it('openssl s_client: TLS 1.0 and 1.1 handshakes fail, TLS 1.2 and 1.3 succeed; HSTS is sent', { timeout: 60_000 }, async (t) => {
    const skip = skipUnless(await installed('openssl'), 'openssl');
    if (skip !== false) return t.skip(skip);
    assert.equal(await handshake(target, 'tls1'), false, 'TLS 1.0 accepted');
    assert.equal(await handshake(target, 'tls1_1'), false, 'TLS 1.1 accepted');
    assert.equal(await handshake(target, 'tls1_2'), true, 'TLS 1.2 refused');
    assert.equal(await handshake(target, 'tls1_3'), true, 'TLS 1.3 refused');
    assert.match((await hstsHeader(running?.url ?? '')) ?? '', /max-age=63072000; includeSubDomains/);
  });
});
