// The console's incidents screens in Debian's Chromium (playwright-core), against the real server
// started by `serve` on each store. An operator is locked out by failed logins, which the server
// records as a brute-force security event; the events screen offers to open an incident for it; a
// risk analyst (who may read security events and manage incidents) opens an incident in the page,
// links the event from the select of recent events, records a notification, is refused closing it
// with a blank review (the server's own code shown) and closes it with a real one. Each step is
// compared with the incident the API returns. An auditor may read incidents but neither link the
// event to the open incident from its row nor open one: the page shows the server's refusals. No
// serious or critical axe finding, no CSP violation or script error, both languages. Screenshots
// under test-results/web/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { APIRequestContext, Browser, Page } from 'playwright-core';
import { totpCodeAt } from '../access/index.ts';
import type { Running } from '../serve.ts';
import { testStoreKinds } from '../store/testing.ts';
import { enrolledTestOperator, testOperatorToken, type TestOperator } from '../wiring/test-operators.ts';
import {
  alerts,
  axeFindings,
  browserSkip,
  loginToConsole,
  shots,
  startBrowserRig,
  watch,
} from './testing/browser.ts';

interface IncidentOnServer {
  readonly id: string;
  readonly title: string;
  readonly state: string;
  readonly classification: string;
  readonly severity: string;
  readonly securityEventIds: string[];
  readonly entries: { kind: string; text: string }[];
  readonly review: Record<string, unknown> | null;
}

async function axeClean(page: Page, axeSource: string, screen: string): Promise<void> {
  assert.deepEqual(await axeFindings(page, axeSource), [], `${screen}: no serious or critical finding`);
}

/** Failed logins until the server locks the operator out and records a brute-force event; returns its id. */
async function bruteForceEvent(api: APIRequestContext, running: Running, victim: TestOperator): Promise<string> {
  const max = running.context.config.operatorLoginFailuresMax;
  for (let n = 0; n < max; n++) {
    const data = { name: victim.name, password: 'wrong password', totp: '000000' };
    const answer = await api.post('/v1/operator-sessions', { data });
    assert.equal(answer.status(), 401);
  }
  const row = await running.context.store.get(
    "SELECT id FROM security_events WHERE type = 'brute_force' AND subject = ?", [victim.id],
  );
  assert.ok(row !== undefined, 'the server recorded the brute-force event');
  return String(row.id);
}

async function openFromEvent(page: Page, eventId: string, axeSource: string): Promise<void> {
  await page.click('nav a[href="#/events"]');
  await page.click(`tr[data-event="${eventId}"] a`);
  assert.equal(await page.textContent('[data-testid=open-with-event]'), eventId);
  await axeClean(page, axeSource, 'incidents');
  await page.click('nav a[href="#/incidents"]');
  await page.waitForSelector('text=没有符合条件的事件处置记录。');
  assert.equal(await page.locator('[data-testid=open-with-event]').count(), 0);
}

type ServerIncident = (id: string) => Promise<IncidentOnServer>;

async function openIncident(page: Page, incident: ServerIncident): Promise<IncidentOnServer> {
  await page.fill('input[name=incident-title]', 'Operator account under brute force');
  await page.selectOption('#incident-classification', 'unauthorised_access');
  await page.selectOption('#incident-severity', 'high');
  await page.fill('input[name=incident-scope]', 'One operator account; console login');
  await page.click('#open-incident button[type=submit]');
  await page.waitForSelector('section[data-incident]');
  const id = (await page.getAttribute('section[data-incident]', 'data-incident')) ?? '';
  const opened = await incident(id);
  assert.deepEqual(
    [opened.title, opened.state, opened.classification, opened.severity, opened.securityEventIds],
    ['Operator account under brute force', 'open', 'unauthorised_access', 'high', []],
  );
  assert.equal(await page.textContent('[data-testid=incident-state]'), 'open');
  assert.ok((await page.locator('ol[aria-label="处置手册"] li').count()) > 0, 'the playbook is shown');
  return opened;
}

async function linkAndNote(page: Page, id: string, eventId: string, incident: ServerIncident) {
  await page.selectOption('#link-event-id', eventId);
  await page.click('#link-event button[type=submit]');
  await page.waitForSelector(`[data-linked-event="${eventId}"]`);
  assert.deepEqual((await incident(id)).securityEventIds, [eventId]);
  await page.selectOption('#entry-kind', 'notification');
  await page.fill('input[name=entry-text]', 'Security officer told by phone');
  await page.click('#incident-entry button[type=submit]');
  await page.waitForSelector('[data-entry][data-kind=notification]');
  const entries = (await incident(id)).entries.map((e) => [e.kind, e.text]);
  assert.deepEqual(entries, [['notification', 'Security officer told by phone']]);
}

async function closeWithReview(page: Page, id: string, incident: ServerIncident) {
  // A review of blanks: the page sends what was typed (trimmed) and shows the server's refusal.
  const review = [['summary', '   '], ['root-cause', 'Weak password'], ['impact', 'None'], ['lessons', 'MFA helps']];
  for (const [name, value] of review) await page.fill(`input[name=review-${name}]`, value ?? '');
  await page.click('#close-incident button[type=submit]');
  const refusal = page.locator('#close-incident [role=alert]');
  await refusal.waitFor();
  assert.equal(await refusal.getAttribute('data-code'), 'validation_failed', await alerts(page));
  assert.equal((await incident(id)).state, 'open', 'the refused close changed nothing');
  await page.fill('input[name=review-summary]', 'Password guessing against one operator');
  await page.fill('#review-follow-ups', 'Review password policy\nAlert on lockouts');
  await page.click('#close-incident button[type=submit]');
  await page.waitForSelector('[data-testid=incident-review]');
  const closed = await incident(id);
  assert.equal(closed.state, 'closed');
  assert.deepEqual(closed.review, {
    summary: 'Password guessing against one operator', rootCause: 'Weak password', impact: 'None',
    lessonsLearned: 'MFA helps', followUpActions: ['Review password policy', 'Alert on lockouts'],
  });
  assert.equal(await page.textContent('[data-testid=incident-state]'), 'closed');
  const shown = await page.locator('[data-testid=incident-review] li').allTextContents();
  assert.deepEqual(shown, ['Review password policy', 'Alert on lockouts'], 'the review shown is the one kept');
  assert.equal(await page.locator('form#close-incident').count(), 0);
}

/**
 * An auditor, in a browser of their own while the incident is open, comes from the event's row: linking it
 * to the open incident and opening a new one are both refused by the server, and the page shows it.
 */
async function auditorRefused(browser: Browser, origin: string, auditor: { op: TestOperator; codes: Set<string> },
  seen: { id: string; eventId: string; incident: ServerIncident; running: Running; axeSource: string }) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'zh-CN', baseURL: origin });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  const problems = await watch(page);
  await loginToConsole(page, origin, auditor.op, auditor.codes);
  await page.click('nav a[href="#/events"]');
  await page.click(`tr[data-event="${seen.eventId}"] a`);
  await page.click(`tr[data-incident="${seen.id}"] button`);
  await page.locator('main > [role=alert][data-code=forbidden]').waitFor();
  await page.fill('input[name=incident-title]', 'Should not open');
  await page.fill('input[name=incident-scope]', 'None');
  await page.click('#open-incident button[type=submit]');
  await page.locator('#open-incident [role=alert][data-code=forbidden]').waitFor();
  await axeClean(page, seen.axeSource, 'incidents (auditor, from an event)');
  const count = await seen.running.context.store.get('SELECT COUNT(*) AS n FROM incidents');
  assert.equal(Number(count?.n), 1, 'the refused incident was not opened');
  assert.deepEqual((await seen.incident(seen.id)).securityEventIds, [seen.eventId], 'nothing else was linked');
  await page.screenshot({ path: join(shots, 'console-incidents-auditor.png'), fullPage: true });
  await context.close();
  assert.deepEqual(problems, [], 'no CSP violation or script error in the auditor\'s console');
}

for (const kind of testStoreKinds()) {
  test(
    `web: console incidents screens in Chromium (${kind})`,
    {
      skip: browserSkip(),
      timeout: 300_000,
    },
    async () => {
      mkdirSync(shots, { recursive: true });
      const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
      const rig = await startBrowserRig(kind, 'console-incidents');
      const { running, browser, origin } = rig;
      try {
        const { store, access } = running.context;
        const deps = { store, totpSecrets: access.totpSecrets, policy: access.enrolmentPolicy };
        const responder = await enrolledTestOperator(deps, 'risk_analyst', Date.now());
        const auditor = await enrolledTestOperator(deps, 'auditor', Date.now());
        const victim = await enrolledTestOperator(deps, 'auditor', Date.now());
        // The code each one enrolled with is spent: the server refuses a TOTP code twice.
        const spent = (op: TestOperator) => new Set([totpCodeAt(op.totpSecret, Date.now())]);
        const [responderCodes, auditorCodes] = [spent(responder), spent(auditor)];
        const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'zh-CN', baseURL: origin });
        context.setDefaultTimeout(30_000);
        const api = context.request;
        const eventId = await bruteForceEvent(api, running, victim);
        const token = await testOperatorToken(store, responder.id, 1, Date.now());
        const incident = async (id: string) => {
          const answer = await api.get(`/v1/incidents/${id}`, { headers: { authorization: `Bearer ${token}` } });
          assert.equal(answer.status(), 200);
          return (await answer.json()) as IncidentOnServer;
        };
        const page = await context.newPage();
        const problems = await watch(page);
        await loginToConsole(page, origin, responder, responderCodes);
        await openFromEvent(page, eventId, axeSource);
        const { id } = await openIncident(page, incident);
        await axeClean(page, axeSource, 'incident');
        await linkAndNote(page, id, eventId, incident);
        const seen = { id, eventId, incident, running, axeSource };
        await auditorRefused(browser, origin, { op: auditor, codes: auditorCodes }, seen);
        await closeWithReview(page, id, incident);
        await axeClean(page, axeSource, 'closed incident');
        await page.screenshot({ path: join(shots, `${kind}-console-incident.png`), fullPage: true });
        await page.click('a[href="#/incidents"]');
        await page.waitForSelector(`tr[data-incident="${id}"] [data-testid=incident-state]:text("closed")`);
        await page.click('button.lang[aria-label^="EN"]');
        await page.click(`a[href="#/incidents/${id}"]`);
        await page.waitForSelector('h1:text("Incident: Operator account under brute force")');
        assert.equal(await page.getAttribute('html', 'lang'), 'en');
        await page.waitForSelector('h2:text("Post-incident review")');
        await axeClean(page, axeSource, 'incident (English)');
        assert.deepEqual(problems, [], 'no CSP violation or script error in the console');
      } catch (error) {
        for (const [n, open] of browser.contexts().flatMap((c) => c.pages()).entries())
          await open.screenshot({ path: join(shots, `${kind}-console-incidents-failure-${n}.png`), fullPage: true })
            .catch(() => undefined);
        throw error;
      } finally {
        await rig.stop();
      }
    },
  );
}
