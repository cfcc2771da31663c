// Self-attack on the supply chain and the repository (issue 14): no secret is committed, the scanner
// finds what it should (and prints no value), the lockfile resolves only over HTTPS from the npm
// registry with integrity hashes, and npm audit finds no high or critical advisory when the registry
// answers (unknown otherwise: reported, never counted as a pass).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { scanRepository, scanText } from '../../scripts/security/secret-scan.ts';
import { npmAudit } from '../assessment/index.ts';

const root = resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);

test('the repository holds no committed secret (scripts/security/secret-scan.ts)', () => {
  const findings = scanRepository(root);
  assert.deepEqual(findings, [], findings.map((f) => `${f.path}:${f.line}: ${f.rule}`).join('\n'));
});

test('the secret scanner finds keys and tokens, prints no value, and honours the allowlist', () => {
  // Built at run time, so this file itself holds no secret for the repository scan to find.
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  const operatorToken = ['anfu', 'op', randomBytes(32).toString('base64url')].join('_');
  const assigned = `const apiKey = "${randomBytes(24).toString('base64')}";`;
  const text = [`key: ${JSON.stringify(pem)}`, String(pem), `token ${operatorToken}`, assigned].join('\n');
  const findings = scanText('src/example.ts', text);
  assert.deepEqual(findings.map((f) => f.rule).sort(), [
    'anfu-operator-token',
    'assigned-secret',
    'pem-private-key',
    'pem-private-key',
  ]);
  for (const f of findings) assert.deepEqual(Object.keys(f).sort(), ['line', 'path', 'rule']);
  // A PEM header in code that writes keys, a low-entropy placeholder: not secrets.
  const benign = ['const h = `-----BEGIN PRIVATE KEY-----\\n${body}`;', 'password = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"'];
  assert.deepEqual(scanText('src/writer.ts', benign.join('\n')), []);
  // A test vector allowed by path and rule; the same text elsewhere is still found.
  const allow = [{ path: 'test/vectors/', rule: 'pem-private-key', reason: 'published test vector' }];
  assert.deepEqual(scanText('test/vectors/sm2.pem', String(pem), allow), []);
  assert.equal(scanText('src/sm2.pem', String(pem), allow).length, 1);
});

test('lockfile-lint: the lockfile passes; an entry over http, from another host or without sha512 fails', async () => {
  const bin = join(root, 'node_modules', '.bin', 'lockfile-lint');
  const args = (path: string) => [
    '--path',
    path,
    '--type',
    'npm',
    '--allowed-hosts',
    'npm',
    '--validate-https',
    '--validate-integrity',
  ];
  await run(bin, args(join(root, 'package-lock.json')), { cwd: root });
  // This installation omits `resolved` URLs (npm's omit-lockfile-registry-resolved), so the
  // registry's own host is implied; an entry that names another source must still be refused.
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { resolved?: string; integrity?: string }>;
  };
  const name = Object.keys(lock.packages).find((k) => k.startsWith('node_modules/') && lock.packages[k]?.integrity);
  assert.ok(name !== undefined);
  const dir = mkdtempSync(join(tmpdir(), 'anfu-lockfile-'));
  const tamperings: Record<string, (entry: { resolved?: string; integrity?: string }) => void> = {
    http: (e) => (e.resolved = `http://registry.npmjs.org/${name.slice(13)}/-/x-1.0.0.tgz`),
    host: (e) => (e.resolved = `https://registry.evil.example/${name.slice(13)}/-/x-1.0.0.tgz`),
    sha1: (e) => (e.integrity = 'sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk='),
  };
  for (const [what, tamper] of Object.entries(tamperings)) {
    const copy = structuredClone(lock);
    const entry = copy.packages[name];
    assert.ok(entry !== undefined);
    tamper(entry);
    const path = join(dir, `${what}.json`);
    writeFileSync(path, JSON.stringify(copy));
    await assert.rejects(run(bin, args(path), { cwd: root }), `a lockfile with a ${what} entry must fail`);
  }
});

test('npm audit: no high or critical advisory when the registry answers', async (t) => {
  const report = await npmAudit(root, 120_000);
  if (!report.answered) {
    t.diagnostic(`npm audit: unknown — ${report.note}`);
    return;
  }
  assert.equal(report.counts.critical + report.counts.high, 0, JSON.stringify(report.counts));
});
