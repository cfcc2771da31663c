// The assessment against live listeners and through the operator API: a listener configured as Anfu
// configures it passes the TLS row; one that still accepts TLS 1.0 and non-AEAD suites fails it. The
// report runs through POST /v1/assessments (permission checked), and its HTML is self-contained and
// escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { developmentCertificate, tlsServerOptions } from '../http/tls.ts';
import { createTestApp } from '../wiring/test-app.ts';
import {
  assessmentProbes,
  parseNpmAudit,
  renderAssessmentHtml,
  runAssessment,
  type Assessment,
  type AssessmentRow,
  type Listener,
} from './index.ts';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

async function tlsRow(listener: Listener): Promise<AssessmentRow> {
  const t = await createTestApp('sqlite');
  try {
    const probes = assessmentProbes({
      store: t.store,
      config: t.config,
      clock: Date.now,
      keyring: t.keyring,
      verifyLedger: () => t.ledger.verify(),
      listener: () => listener,
      dependencyAdvisories: async () => ({
        answered: false,
        counts: { critical: 0, high: 0, moderate: 0, low: 0, info: 0 },
        note: 'not asked',
      }),
    });
    const run = await runAssessment(probes(), { type: 'system', id: 'cli:test' });
    const row = run.rows.find((r) => r.id === 'network.tls');
    assert.ok(row);
    return row;
  } finally {
    await t.close();
  }
}

test('TLS row: the listener as Anfu configures it passes; one accepting TLS 1.0 and CBC fails', async () => {
  const material = await developmentCertificate(mkdtempSync(join(tmpdir(), 'anfu-tls-')));
  const strong = createServer(tlsServerOptions(material), (_q, s) => s.end());
  const weak = createServer(
    { cert: material.cert, key: material.key, minVersion: 'TLSv1', ciphers: 'ALL:@SECLEVEL=0' },
    (_q, s) => s.end(),
  );
  try {
    const good = await tlsRow({ host: '127.0.0.1', port: await listen(strong), tls: true });
    assert.equal(good.result, 'pass', good.evidence);
    assert.match(good.evidence, /TLS 1\.0: refused/);
    assert.match(good.evidence, /TLS 1\.3: accepted \(TLSv1\.3/);
    assert.match(good.evidence, /TLS 1\.2 without forward secrecy or AEAD: refused/);
    const bad = await tlsRow({ host: '127.0.0.1', port: await listen(weak), tls: true });
    assert.equal(bad.result, 'fail', bad.evidence);
    assert.match(bad.advice, /refuse TLS 1\.0/);
    assert.match(bad.evidence, /TLS 1\.0: accepted/);
    assert.match(bad.evidence, /TLS 1\.2 ECDHE with CBC: accepted/);
    const plain = await tlsRow({ host: '127.0.0.1', port: 1, tls: false });
    assert.equal(plain.result, 'warn');
  } finally {
    strong.close();
    weak.close();
  }
});

test('POST /v1/assessments runs for permitted roles; the stored HTML is self-contained and escaped', async () => {
  const t = await createTestApp('sqlite');
  try {
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    const refused = await t.app.inject({
      method: 'POST',
      url: '/v1/assessments',
      headers: as(await t.tokenFor('customer_service')),
    });
    assert.equal(refused.statusCode, 403);
    const created = await t.app.inject({ method: 'POST', url: '/v1/assessments', headers: as(t.token) });
    assert.equal(created.statusCode, 201, created.body);
    const run = created.json() as Assessment & { at: string };
    assert.equal(run.rows.length, 19, '13 live checks and 6 attested controls');
    assert.deepEqual(Object.keys(run.summary).sort(), [
      'availability',
      'confidentiality',
      'integrity',
      'non-repudiation',
      'security',
      'traceability',
    ]);
    assert.equal(run.rows.find((r) => r.id === 'network.tls')?.result, 'unknown'); // inject: no listener
    assert.notEqual(run.rows.find((r) => r.id === 'application.dependencies')?.result, 'pass');
    const html = await t.app.inject({
      method: 'GET',
      url: `/v1/assessments/${run.id}/report.html`,
      headers: as(await t.tokenFor('auditor')),
    });
    assert.equal(html.statusCode, 200);
    assert.match(String(html.headers['content-type']), /^text\/html/);
    assert.equal(html.headers['content-security-policy'], "default-src 'none'; style-src 'unsafe-inline'");
    assert.doesNotMatch(html.body, /<script|<link|<img|<iframe|src=|href=|url\(|@import/i);
    assert.match(html.body, /10\.7 Security · business continuity/);
    const list = await t.app.inject({ method: 'GET', url: '/v1/assessments', headers: as(t.token) });
    assert.equal((list.json() as { items: unknown[] }).items.length, 1);
    const missing = await t.app.inject({
      method: 'GET',
      url: '/v1/assessments/asr_00000000000000000000000000',
      headers: as(t.token),
    });
    assert.equal(missing.statusCode, 404);
    assert.equal((missing.json() as { code: string }).code, 'assessment_not_found');
    // Escaping: evidence quoting hostile text renders as text.
    const hostile = {
      ...run,
      at: Date.now(),
      rows: run.rows.map((r) => ({ ...r, evidence: '<img src=x onerror=alert(1)> & "q"' })),
    };
    const page = renderAssessmentHtml(hostile);
    assert.doesNotMatch(page, /<img/);
    assert.match(page, /&lt;img src=x onerror=alert\(1\)&gt; &amp; &quot;q&quot;/);
  } finally {
    await t.close();
  }
});

test('npm audit output: a registry error is "not answered" (never a pass); counts are read when it answers', () => {
  const refused = parseNpmAudit(
    JSON.stringify({ message: '405 Method Not Allowed', error: { summary: '', detail: '' } }),
  );
  assert.equal(refused.answered, false);
  assert.match(refused.note, /405 Method Not Allowed/);
  assert.equal(parseNpmAudit('not json').answered, false);
  const vulnerabilities = { info: 0, low: 1, moderate: 0, high: 2, critical: 0, total: 3 };
  const answered = parseNpmAudit(
    JSON.stringify({ auditReportVersion: 2, vulnerabilities: {}, metadata: { vulnerabilities } }),
  );
  assert.equal(answered.answered, true);
  assert.equal(answered.counts.high, 2);
});
