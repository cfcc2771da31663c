// The console's Risk and AML screens in Debian's Chromium (playwright-core), against the real server
// started by `serve` on each store: a risk analyst sees the running rules, edits the set and back-tests
// the edit over the stored decisions (its rule's hits in the table), searches decisions, opens one and
// labels it (the label is the server's), proposes the edited set (then waiting in the inbox) and sees a
// bad rule refused with the server's codes; the review queue lists an open review case. On the AML
// screen the loaded lists are listed, a listed name is found with its score, and the screening of a
// listed applicant (refused at registration) is shown with its sanctions-hit case and that case's
// suspicious-transaction report. Under the strict CSP with no violation or script error, no serious or
// critical axe-core finding, both languages rendered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { APIRequestContext, Browser, Page } from 'playwright-core';
import type { Running } from '../serve.ts';
import { totpCodeAt } from '../access/index.ts';
import { openCase } from '../cases/index.ts';
import { newId } from '../ids.ts';
import { insertDecisions, neutralFeatures, type DecisionRecord, type RiskAction } from '../risk/index.ts';
import { loadLists } from '../sanctions/index.ts';
import { realOfacFiles, realUnFile, requireSharedLists } from '../sanctions/testing.ts';
import { testStoreKinds, type StoreKind } from '../store/testing.ts';
import { enrolledTestOperator } from '../wiring/test-operators.ts';
import { phoneNumber, residentIdNumber } from '../wiring/identity-test-app.ts';
import {
  alerts,
  axeFindings,
  browserSkip,
  loginToConsole,
  shots,
  smsCode,
  startBrowserRig,
  watch,
} from './testing/browser.ts';

const started = Date.now();
const step = (what: string) =>
  process.stderr.write(`web console risk +${((Date.now() - started) / 1000).toFixed(1)}s ${what}\n`);

async function register(api: APIRequestContext, running: Running, name: string, birth: string) {
  const phone = phoneNumber();
  const sent = await api.post('/v1/sms-codes', { data: { phone, purpose: 'registration' } });
  assert.equal(sent.status(), 202, await sent.text());
  const { codeId } = (await sent.json()) as { codeId: string };
  return api.post('/v1/customers', {
    data: {
      phone,
      smsCodeId: codeId,
      smsCode: smsCode(running, phone),
      name,
      idNumber: residentIdNumber(birth),
      password: `a long passphrase ${randomBytes(4).toString('hex')}`,
      device: { installId: randomBytes(8).toString('hex') },
    },
  });
}

/** Six payment decisions of one customer over the last hour (amounts 5, 15, … 55 CNY) and one review case. */
async function seedDecisions(running: Running, customerId: string): Promise<DecisionRecord[]> {
  const actions: RiskAction[] = ['allow', 'review', 'allow', 'deny', 'allow', 'challenge'];
  const now = Date.now();
  const records = actions.map((action, n): DecisionRecord => {
    const at = now - (6 - n) * 60_000;
    return {
      id: newId('rsk', at),
      event: 'payment',
      subjectRef: newId('pay', at),
      customerId,
      decision: {
        decision: action,
        score: n * 10,
        reasons: action === 'allow' ? [] : [`seeded_${action}`],
        hits: action === 'allow' ? [] : [{ rule: `seeded_${action}`, action, reason: `seeded_${action}` }],
        shadowHits: [],
        typologies: [],
        errors: [],
        factorStrength: 'any',
      },
      features: { ...neutralFeatures('payment', 'CNY'), amount: { minor: BigInt(500 + n * 1000), currency: 'CNY' } },
      version: 0,
      at,
    };
  });
  const { store } = running.context;
  await store.transaction(async (tx) => insertDecisions(tx, records));
  const review = records[1];
  assert.ok(review !== undefined);
  await openCase(
    store,
    {
      kind: 'risk_review',
      dedupeKey: review.id,
      title: 'Risk review: seeded_review',
      subject: { type: 'payment', id: review.subjectRef ?? review.id },
      customerId,
      severity: 'medium',
      evidence: [{ type: 'decision', ref: review.id }],
      openedBy: 'system:risk',
      details: { decisionId: review.id },
    },
    now,
  );
  return records;
}

/** An AML alert's case about that customer (as the monitors open one), for the AML queue and its report. */
async function seedAmlCase(running: Running, customerId: string): Promise<string> {
  const now = Date.now();
  const opened = await openCase(
    running.context.store,
    {
      kind: 'aml_alert',
      dedupeKey: `structuring:${customerId}:console-test`,
      title: 'AML structuring: 3 movements',
      subject: { type: 'customer', id: customerId },
      customerId,
      severity: 'high',
      amount: { minor: 14_900_000n, currency: 'CNY' },
      openedBy: 'system:aml',
      details: { pattern: 'structuring', day: new Date(now).toISOString().slice(0, 10) },
    },
    now,
  );
  return opened.id;
}

async function checkPage(page: Page, axeSource: string, what: string) {
  assert.deepEqual(await axeFindings(page, axeSource), [], `${what}: no serious or critical accessibility finding`);
}

async function ruleSetJourney(page: Page, axeSource: string): Promise<string> {
  await page.click('a[href="#/risk"]');
  await page.waitForSelector('tr[data-rule]');
  assert.ok((await page.locator('tr[data-rule]').count()) > 0, 'the active rules are listed');
  await checkPage(page, axeSource, 'risk');
  const editor = page.locator('#ruleset-text');
  const document = JSON.parse(await editor.inputValue()) as { rules: Array<Record<string, unknown>> };
  const added = {
    id: 'console_ten',
    on: ['payment'],
    when: 'amount >= 10 CNY',
    action: 'review',
    score: 10,
    reason: 'console_ten',
  };
  await editor.fill(JSON.stringify({ ...document, rules: [...document.rules, added] }, null, 2));
  step('back-test the edited set');
  await page.click('#backtest button[type=submit]');
  await page.waitForSelector('[data-testid=backtest-result] tr[data-rule=console_ten]');
  // Five of the six seeded payments are for 10 CNY or more.
  const hits = '[data-testid=backtest-result] tr[data-rule=console_ten] td:nth-child(2)';
  assert.equal(await page.textContent(hits), '5');
  step('propose it');
  await page.fill('input[name=ruleset-reason]', 'console test');
  await page.click('#ruleset-editor button[type=submit]');
  const proposed = page.locator('[data-testid=ruleset-proposed]');
  await proposed.waitFor();
  const proposalId = (await proposed.getAttribute('data-proposal')) ?? '';
  step('a bad rule is refused with its code');
  const bad = { ...added, id: 'console_bad', when: 'amount >= 5 CNY; drop' };
  await editor.fill(JSON.stringify({ ...document, rules: [...document.rules, bad] }));
  await page.click('#ruleset-editor button[type=submit]');
  const refusal = '#ruleset-editor [role=alert][data-code=risk_ruleset_invalid]';
  await page.waitForSelector(`${refusal} li[data-code=rule_syntax]`);
  return proposalId;
}

async function decisionJourney(page: Page, axeSource: string, customerId: string, seeded: DecisionRecord[]) {
  await page.selectOption('#decision-action', 'review');
  await page.fill('input[name=decision-customer]', customerId);
  await page.click('#decision-search button[type=submit]');
  const review = seeded[1]?.id ?? '';
  await page.waitForSelector(`tr[data-decision="${review}"]`);
  assert.equal(await page.locator('tr[data-decision]').count(), 1, 'only the review decision of that customer');
  await page.click(`tr[data-decision="${review}"] a`);
  await page.waitForSelector('[data-testid=decision-action]:text("review")');
  await page.waitForSelector('[data-hit=seeded_review]');
  await checkPage(page, axeSource, 'decision');
  await page.click('button:text("标注为欺诈")');
  await page.waitForSelector('[data-testid=decision-label]:text("fraud")');
}

/** Opens a case's suspicious-transaction report in a queue, downloads it and returns what was saved. */
async function reportOf(page: Page, queue: string, caseId: string): Promise<{ caseId?: string }> {
  const row = `[data-queue=${queue}] li[data-case="${caseId}"]`;
  await page.waitForSelector(row);
  await page.click(`${row} button`);
  await page.waitForSelector(`${row} [data-testid=suspicious-report], ${row} [role=alert]`);
  assert.equal(await page.locator(`${row} [role=alert]`).count(), 0, await alerts(page));
  const [saved] = await Promise.all([page.waitForEvent('download'), page.click(`${row} button:text("下载")`)]);
  const chunks: Buffer[] = [];
  for await (const chunk of await saved.createReadStream()) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as { caseId?: string };
}

async function amlJourney(page: Page, axeSource: string, cases: { hit: string; aml: string }) {
  await page.click('a[href="#/aml"]');
  await page.waitForSelector('tr[data-list]');
  await page.fill('input[name=sanctions-name]', 'Banco Nacional de Cuba');
  await page.click('#sanctions-search button[type=submit]');
  await page.waitForSelector('[data-testid=sanctions-result] tr[data-entry]');
  const top = await page.textContent('[data-testid=sanctions-result] tr[data-entry] td:nth-child(5)');
  assert.match(top ?? '', /^\d+\.\d%$/, 'a score is shown');
  await page.waitForSelector(`tr[data-screening] a:text("${cases.hit}")`);
  assert.equal((await reportOf(page, 'sanctions_hit', cases.hit)).caseId, cases.hit);
  assert.equal((await reportOf(page, 'aml_alert', cases.aml)).caseId, cases.aml);
  step('a re-screening is started');
  // The server starts a new run, or answers with the open one: the list shows what it holds.
  const runs = page.locator('li[data-rescreen]');
  const before = await runs.count();
  const latest = before === 0 ? '' : await runs.first().locator('[data-testid=rescreen-state]').textContent();
  const open = before > 0 && !/done|failed/.test(latest ?? '');
  await page.click('button:text("开始重新筛查")');
  await runs.nth(open ? before - 1 : before).waitFor();
  assert.equal(await page.locator('[role=alert]').count(), 0, await alerts(page));
  await checkPage(page, axeSource, 'aml');
}

/** The real server on its own store, with the published lists loaded, and a headless Chromium. */
async function start(kind: StoreKind) {
  const rig = await startBrowserRig(kind, 'web-risk');
  const loader = { type: 'operator' as const, id: 'opr_loader' };
  await loadLists(rig.running.context.store, { ofac: realOfacFiles, un: realUnFile }, loader, Date.now());
  return rig;
}

/** Registers a listed applicant (refused) once the server's index holds the loaded lists; its case. */
async function listedApplicantCase(api: APIRequestContext, running: Running): Promise<string> {
  // The server's index takes up the loaded lists on its next refresh (5 s).
  let refused = await register(api, running, '李方伟', '19720918');
  for (let n = 0; refused.status() === 201 && n < 20; n += 1) {
    await new Promise((r) => setTimeout(r, 500));
    refused = await register(api, running, '李方伟', '19720918');
  }
  assert.equal(refused.status(), 403, await refused.text());
  const hit = await running.context.store.get<{ case_id: string }>(
    "SELECT case_id FROM sanctions_screenings WHERE outcome = 'hit' AND case_id IS NOT NULL",
  );
  return hit?.case_id ?? '';
}

async function journey(kind: StoreKind, running: Running, browser: Browser, axeSource: string) {
  const origin = running.url.replace(/\/$/, '');
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'zh-CN', baseURL: origin });
  context.setDefaultTimeout(30_000);
  const api = context.request;
  const { store, access } = running.context;
  step('operators, a customer, decisions');
  const deps = { store, totpSecrets: access.totpSecrets, policy: access.enrolmentPolicy };
  const analyst = await enrolledTestOperator(deps, 'risk_analyst', Date.now());
  const used = new Set<string>([totpCodeAt(analyst.totpSecret, Date.now())]);
  const customer = await register(api, running, '王五', '19850101');
  assert.equal(customer.status(), 201, await customer.text());
  const customerId = ((await customer.json()) as { customerId: string }).customerId;
  const seeded = await seedDecisions(running, customerId);
  const amlCase = await seedAmlCase(running, customerId);

  const page = await context.newPage();
  const problems = await watch(page);
  await loginToConsole(page, origin, analyst, used);
  const proposalId = await ruleSetJourney(page, axeSource);
  await page.waitForSelector('[data-queue=risk_review] li[data-case]');
  step('decisions');
  await decisionJourney(page, axeSource, customerId, seeded);
  step('the proposal waits in the inbox');
  await page.click('a[href="#/"]');
  await page.waitForSelector(`[data-proposal="${proposalId}"] [data-testid=proposal-state]:text("pending")`);
  assert.equal(await page.textContent(`[data-proposal="${proposalId}"] h2`), 'risk.ruleset');

  step('AML: a listed applicant is refused and screened');
  await amlJourney(page, axeSource, { hit: await listedApplicantCase(api, running), aml: amlCase });
  await page.screenshot({ path: join(shots, `${kind}-console-aml-zh.png`), fullPage: true });
  step('English');
  await page.click('button.lang[aria-label="EN (English)"]');
  await page.waitForSelector('h1:text("AML and sanctions")');
  await page.click('a[href="#/risk"]');
  await page.waitForSelector('h2:text("Decision search")');
  await page.screenshot({ path: join(shots, `${kind}-console-risk-en.png`), fullPage: true });
  assert.deepEqual(problems, [], 'no CSP violation or script error');
}

for (const kind of testStoreKinds()) {
  test(
    `web: console risk and AML screens in Chromium (${kind})`,
    {
      skip: browserSkip(),
      timeout: 300_000,
    },
    async () => {
      requireSharedLists();
      mkdirSync(shots, { recursive: true });
      const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
      const { running, browser, stop } = await start(kind);
      try {
        await journey(kind, running, browser, axeSource);
      } catch (error) {
        step(`failed: ${String(error).slice(0, 400)}`);
        const pages = browser.contexts().flatMap((c) => c.pages());
        for (const [n, open] of pages.entries()) {
          const path = join(shots, `${kind}-risk-failure-${n}.png`);
          await open.screenshot({ path, fullPage: true }).catch(() => undefined);
        }
        throw error;
      } finally {
        await stop();
      }
    },
  );
}
