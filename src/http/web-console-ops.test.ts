// The console's operations screens in Debian's Chromium (playwright-core), against the real server
// started by `serve` on each store, as an administrator: Clearing shows the configured partner and its
// cap; a run started there locks the withdrawals that were due into a batch, listed and opened with its
// hash and instructions; the partner's reconciliation report renders, a bad bank file uploaded there
// shows the server's own code, and the bank's pacs.002 for the batch is applied with its counts shown;
// Backups starts a job and follows it to its end (SQLite: the server's worker thread; PostgreSQL
// without a pgBackRest repository set up: the job stays queued, which is what the server says, and the
// page shows exactly that); the self-assessment runs with its six indicators; Keys lists the keyring
// with no material; an operator is created (enrolment code shown once) and a token issued, shown once,
// then revoked. No serious or critical axe finding, no CSP violation or script error, both languages.
// Screenshots under test-results/web/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { totpCodeAt } from '../access/index.ts';
import { createPartner, isoDateTime, pacs002 } from '../clearing/index.ts';
import { fundedWithdrawals } from '../clearing/testing/context.ts';
import type { Running } from '../serve.ts';
import { testStoreKinds, type StoreKind } from '../store/testing.ts';
import { enrolledTestOperator } from '../wiring/test-operators.ts';
import {
  alerts,
  axeFindings,
  browserSkip,
  loginToConsole,
  shots,
  startBrowserRig,
  watch,
} from './testing/browser.ts';

const started = Date.now();
const step = (what: string) =>
  process.stderr.write(`console ops +${((Date.now() - started) / 1000).toFixed(1)}s ${what}\n`);

async function axeClean(page: Page, axeSource: string, screen: string): Promise<void> {
  assert.deepEqual(await axeFindings(page, axeSource), [], `${screen}: no serious or critical finding`);
}

/** A partner with two withdrawals due, as the clearing tests make them. */
async function partnerWithWithdrawals(running: Running): Promise<string> {
  const { store, ledger, clearing } = running.context;
  const partner = await createPartner(store, ledger, {
    name: 'Web Bank', role: 'settlement_bank', currency: 'CNY', bic: 'WEBBCNBJ', accountNumber: '6222000012345678',
    netDebitCap: 1_000_000n,
  }, 'test', Date.now());
  const withdrawals = await fundedWithdrawals(clearing, ledger, partner.id, 'cus_web', 'web', () => undefined);
  await withdrawals.out(1_234n, 1);
  await withdrawals.out(766n, 2);
  return partner.id;
}

/** What the partner's bank would answer for the batch: every payment accepted (ACSC). */
async function statusReportFor(running: Running, partnerId: string): Promise<string> {
  const { store } = running.context;
  const batch = await store.get('SELECT message_id FROM clearing_batches WHERE partner_id = ?', [partnerId]);
  const lines = await store.all('SELECT end_to_end_id FROM clearing_instructions WHERE partner_id = ?', [partnerId]);
  return pacs002({
    messageId: 'WEB-PSR-1', created: isoDateTime(Date.now()), originalMessageId: String(batch?.message_id),
    originalKind: 'pain.001.001.09', groupStatus: 'ACSC',
    lines: lines.map((l) => ({ endToEndId: String(l.end_to_end_id), status: 'ACSC' })),
  });
}

async function clearingScreens(page: Page, running: Running, partnerId: string, axeSource: string) {
  await page.click('nav a[href="#/clearing"]');
  const card = page.locator(`[data-partner="${partnerId}"]`);
  await card.waitFor();
  assert.equal(await page.textContent('h1'), '清算');
  assert.equal(await card.locator('[data-testid=partner-cap]').textContent(), '¥10,000.00');
  await page.waitForSelector('text=没有清算批次。');
  await card.locator('button', { hasText: '发起清算' }).click();
  await page.waitForSelector('[data-batch]');
  const batchId = (await page.getAttribute('[data-batch]', 'data-batch')) ?? '';
  const held = await running.context.store.get(
    'SELECT count, net_debit, file_sha256 FROM clearing_batches WHERE id = ?', [batchId],
  );
  assert.equal(Number(held?.count), 2, 'the server locked both withdrawals into the batch shown');
  assert.ok((await card.locator('[data-testid=clearing-said]').innerText()).includes(batchId));
  await axeClean(page, axeSource, 'clearing');
  await page.click(`a[href="#/clearing/batches/${batchId}"]`);
  await page.waitForSelector('[data-testid=batch-hash]');
  assert.equal(await page.textContent('[data-testid=batch-hash]'), String(held?.file_sha256));
  assert.equal(await page.textContent('[data-testid=batch-net]'), '¥20.00');
  assert.equal(await page.locator('[data-instruction]').count(), 2);
  await axeClean(page, axeSource, 'clearing batch');
  await page.screenshot({ path: join(shots, 'console-ops-batch.png'), fullPage: true });
}

async function reconciliationScreen(page: Page, running: Running, partnerId: string, axeSource: string) {
  await page.click('nav a[href="#/clearing"]');
  await page.click(`[data-partner="${partnerId}"] a[href="#/clearing/reconciliation/${partnerId}"]`);
  await page.waitForSelector('[data-testid=report-matched]');
  assert.equal(await page.textContent('[data-testid=report-matched]'), '0 · ¥0.00');
  await page.selectOption('#file-kind', 'camt.053');
  await page.setInputFiles('#bank-file-input', {
    name: 'statement.xml', mimeType: 'application/xml', buffer: Buffer.from('<Document>not a statement'),
  });
  await page.click('#bank-file button[type=submit]');
  const refusal = page.locator('#bank-file [role=alert]');
  await refusal.waitFor();
  const code = (await refusal.getAttribute('data-code')) ?? '';
  assert.match(code, /^bank_file_/, await alerts(page));
  const files = await running.context.store.get('SELECT COUNT(*) AS n FROM bank_files');
  assert.equal(Number(files?.n), 0, 'the refused file imported nothing');
  // The bank's pacs.002 for the batch, accepting both payments, uploaded the same way: applied, shown.
  await page.selectOption('#file-kind', 'pacs.002');
  await page.setInputFiles('#bank-file-input', {
    name: 'status.xml', mimeType: 'application/xml', buffer: Buffer.from(await statusReportFor(running, partnerId)),
  });
  await page.click('#bank-file button[type=submit]');
  await page.waitForSelector('[data-testid=import-result]');
  const shown = JSON.parse((await page.textContent('[data-testid=import-result]')) ?? '{}') as Record<string, unknown>;
  assert.deepEqual([shown.accepted, shown.rejected, shown.pending], [2, 0, 0]);
  const states = await running.context.store.all(
    'SELECT DISTINCT state FROM clearing_instructions WHERE partner_id = ?', [partnerId],
  );
  assert.deepEqual(states.map((r) => r.state), ['accepted'], 'the server applied the report the page showed');
  await axeClean(page, axeSource, 'reconciliation');
  return code;
}

async function backupScreen(page: Page, kind: StoreKind, running: Running, axeSource: string) {
  await page.click('nav a[href="#/backups"]');
  await page.selectOption('#backup-kind', 'full');
  await page.click('button.primary');
  await page.waitForSelector('[data-job] [data-testid=job-state]');
  const jobId = (await page.getAttribute('[data-job]', 'data-job')) ?? '';
  if (kind === 'sqlite') {
    // The server's schedule runs queued jobs on its next pass (at most 30 s); the page polls until it ends.
    await page.waitForSelector('[data-job] [data-testid=job-state]:text-matches("succeeded|failed|abandoned")', {
      timeout: 90_000,
    });
    assert.equal(await page.textContent('[data-job] [data-testid=job-state]'), 'succeeded', await alerts(page));
  } else {
    // No pgBackRest repository here: no node runs PostgreSQL jobs, and the server keeps it queued.
    await page.waitForTimeout(2_000);
    assert.equal(await page.textContent('[data-job] [data-testid=job-state]'), 'queued');
  }
  const row = await running.context.store.get('SELECT state FROM backup_jobs WHERE id = ?', [jobId]);
  assert.equal(await page.textContent('[data-job] [data-testid=job-state]'), String(row?.state));
  await axeClean(page, axeSource, 'backups');
}

async function assessmentScreen(page: Page, axeSource: string) {
  await page.click('nav a[href="#/assessment"]');
  await page.waitForSelector('text=还没有自评估记录。');
  await page.click('button.primary:has-text("立即运行自评估")');
  await page.waitForSelector('[data-indicator]', { timeout: 120_000 });
  assert.equal(await page.locator('[data-indicator]').count(), 6);
  assert.equal(await page.locator('[data-run]').count(), 1);
  // The HTML report, fetched with the session and saved as a file.
  const runId = (await page.getAttribute('[data-run]', 'data-run')) ?? '';
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-run] button')]);
  assert.equal(download.suggestedFilename(), `assessment-${runId}.html`);
  assert.match(readFileSync(await download.path(), 'utf8'), /<html[\s\S]*<\/html>/i);
  // An attestation the server finds too thin is refused with its code; a real one is listed.
  await page.fill('input[name=attest-statement]', 'checked');
  await page.fill('input[name=attest-days]', '30');
  await page.click('#attest button[type=submit]');
  await page.locator('#attest [role=alert][data-code=attestation_invalid]').waitFor();
  await page.fill('input[name=attest-statement]', 'Server room access log reviewed, ref. DOC-7');
  await page.click('#attest button[type=submit]');
  await page.waitForSelector('[data-attestation]:has-text("DOC-7")');
  await axeClean(page, axeSource, 'assessment');
}

async function keysScreen(page: Page, running: Running, axeSource: string) {
  await page.click('nav a[href="#/keys"]');
  await page.waitForSelector('[data-key]');
  assert.equal(await page.textContent('[data-testid=kek-id]'), running.context.keyring.kekId);
  const versions = await running.context.keyring.versions();
  assert.equal(await page.locator('[data-key]').count(), versions.length);
  const text = await page.locator('main').innerText();
  for (const v of versions) {
    if (v.wrappedKey !== undefined) assert.ok(!text.includes(v.wrappedKey.toString('base64').slice(0, 16)));
    if (v.publicKey !== undefined) assert.ok(!text.includes('BEGIN'));
  }
  await axeClean(page, axeSource, 'keys');
}

async function operatorsScreen(page: Page, running: Running, axeSource: string) {
  await page.click('nav a[href="#/operators"]');
  await page.fill('input[name=new-operator-name]', 'web-new-operator');
  await page.selectOption('#new-operator-role', 'auditor');
  await page.click('#create-operator button[type=submit]');
  await page.waitForSelector('[data-testid=enrolment-code]');
  const created = await running.context.store.get("SELECT id FROM operators WHERE name = 'web-new-operator'");
  assert.ok(created !== undefined, 'the server holds the new operator');
  await page.waitForSelector('[data-operator="web-new-operator"]');
  await page.fill('input[name=token-name]', 'console test token');
  await page.click('#issue-token button[type=submit]');
  await page.waitForSelector('[data-testid=issued-token]');
  const token = (await page.textContent('[data-testid=issued-token]')) ?? '';
  // The token shown is the real one: it works until it is revoked.
  const api = page.context().request;
  const asToken = { headers: { authorization: `Bearer ${token}` } };
  assert.equal((await api.get('/v1/operators/me', asToken)).status(), 200);
  const row = page.locator('tr[data-token]', { hasText: 'console test token' });
  await row.locator('button').click();
  await row.locator('text=已吊销').waitFor();
  assert.equal((await api.get('/v1/operators/me', asToken)).status(), 401, 'the server refuses the revoked token');
  await axeClean(page, axeSource, 'operators');
}

for (const kind of testStoreKinds()) {
  test(
    `web: console operations screens in Chromium (${kind})`,
    {
      skip: browserSkip(),
      timeout: 600_000,
    },
    async () => {
      mkdirSync(shots, { recursive: true });
      const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
      const rig = await startBrowserRig(kind, 'console-ops');
      const { running, browser, origin } = rig;
      try {
        const partnerId = await partnerWithWithdrawals(running);
        const { store, access } = running.context;
        const admin = await enrolledTestOperator(
          { store, totpSecrets: access.totpSecrets, policy: access.enrolmentPolicy }, 'administrator', Date.now(),
        );
        const used = new Set([totpCodeAt(admin.totpSecret, Date.now())]);
        const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'zh-CN', baseURL: origin });
        context.setDefaultTimeout(30_000);
        const page = await context.newPage();
        const problems = await watch(page);
        await loginToConsole(page, origin, admin, used);
        step('clearing');
        await clearingScreens(page, running, partnerId, axeSource);
        step('reconciliation');
        const code = await reconciliationScreen(page, running, partnerId, axeSource);
        step(`bad file refused: ${code}`);
        await backupScreen(page, kind, running, axeSource);
        step('backups');
        await assessmentScreen(page, axeSource);
        step('assessment');
        await keysScreen(page, running, axeSource);
        await operatorsScreen(page, running, axeSource);
        step('operators');
        await page.click('button.lang[aria-label^="EN"]');
        await page.click('nav a[href="#/keys"]');
        await page.waitForSelector('h1:text("Keys and rotations")');
        assert.equal(await page.getAttribute('html', 'lang'), 'en');
        await axeClean(page, axeSource, 'keys (English)');
        await page.screenshot({ path: join(shots, `${kind}-console-keys-en.png`), fullPage: true });
        assert.deepEqual(problems, [], 'no CSP violation or script error in the console');
      } catch (error) {
        for (const [n, open] of browser.contexts().flatMap((c) => c.pages()).entries())
          await open.screenshot({ path: join(shots, `${kind}-console-ops-failure-${n}.png`), fullPage: true })
            .catch(() => undefined);
        throw error;
      } finally {
        await rig.stop();
      }
    },
  );
}
