// What the browser tests share: a store of their own, Chromium's whereabouts, the page's problems and
// accessibility findings, TOTP and SMS codes as a person would type them, the step-up prompt, logging in
// to the console, and interaction to next paint. Test support only (never imported by the product).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import {
  chromium, type APIRequestContext, type Browser, type BrowserContext, type CDPSession, type Page,
} from 'playwright-core';
import { loadConfig } from '../../config.ts';
import { serve, type Running } from '../../serve.ts';
import { totpCode } from '../../identity/totp.ts';
import { totpCodeAt } from '../../access/index.ts';
import type { DevelopmentSmsSink } from '../../identity/sms-sender.ts';
import { databaseFor, type StoreKind } from '../../store/testing.ts';
import { skipUnless } from '../../testing/required-tools.ts';
import { residentIdNumber, testEnv } from '../../wiring/identity-test-app.ts';
import { testKekEnv } from '../../wiring/test-app.ts';

export { databaseFor };

export const chromiumPath = '/usr/bin/chromium';
// eslint-disable-next-line security/detect-non-literal-fs-filename -- a fixed path beside this file
export const built = existsSync(new URL('../../../dist/web/wallet/index.html', import.meta.url));
export const shots = join(process.cwd(), 'test-results', 'web');
export const chromiumArgs = ['--no-sandbox'];

export function smsCode(running: Running, phone: string): string {
  const text = (running.context.identity.sms as DevelopmentSmsSink).latest(phone)?.text ?? '';
  const code = /\d{6}/.exec(text)?.[0];
  if (code === undefined) throw new Error('no SMS code reached the development sink');
  return code;
}

/** A TOTP code not used before in this test (the server refuses a code twice), waiting for the next step if needed. */
export async function freshTotp(
  secret: string,
  used: Set<string>,
  at: (secret: string, now: number) => string,
): Promise<string> {
  for (;;) {
    const code = at(secret, Date.now());
    if (!used.has(code)) {
      used.add(code);
      return code;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** The problems a page shows (their codes and titles), for a failure message that says what the user saw. */
export async function alerts(page: Page): Promise<string> {
  const shown = await page.locator('[role=alert]').evaluateAll((all) =>
    all.map((a) => `${a.getAttribute('data-code') ?? ''}: ${a.textContent ?? ''}`),
  );
  const forms = await page.locator('form[id]').evaluateAll((all) => all.map((f) => f.id));
  return `alerts [${shown.join(' | ')}], forms [${forms.join(', ')}]`;
}

/** Registers a customer in the wallet (SMS code, real-name data, a password); waits for the balance. */
export async function registerInWallet(
  page: Page,
  running: Running,
  phone: string,
  name: string,
  idNumber: string,
  password = `a long passphrase ${randomBytes(4).toString('hex')}`,
) {
  await page.click('a[href="#/register"]');
  await page.fill('input[name=phone]', phone);
  await page.click('#registration-code button[type=submit]');
  await page.waitForSelector('input[name=sms-code]');
  await page.fill('input[name=sms-code]', smsCode(running, phone));
  await page.fill('input[name=name]', name);
  await page.fill('input[name=id-number]', idNumber);
  await page.fill('input[name=new-password]', password);
  await page.click('#register button[type=submit]');
  await page.waitForSelector('[data-testid=balance-CNY]');
}

/**
 * A platform authenticator for `page` (CTAP2, internal, resident keys, user verification that always
 * succeeds, presence simulated), driven over CDP; WebAuthn needs an https origin whose host is the RP ID.
 */
export async function virtualAuthenticator(
  context: BrowserContext,
  page: Page,
): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const options = {
    protocol: 'ctap2' as const,
    transport: 'internal' as const,
    hasResidentKey: true,
    hasUserVerification: true,
    isUserVerified: true,
    automaticPresenceSimulation: true,
  };
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options });
  return { cdp, authenticatorId };
}

/** Watches a page for CSP violations (the page's own report) and script errors. */
export async function watch(page: Page): Promise<string[]> {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  return problems;
}

export async function axeFindings(page: Page, axeSource: string): Promise<string[]> {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> };
      }
    ).axe;
    return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  });
  return result
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}, ${v.nodes})`);
}

/** Answers the step-up prompt if the server asked for one (authenticator when enrolled, else SMS). */
export async function answerStepUp(
  page: Page,
  running: Running,
  phone: string,
  totp: { secret: string; used: Set<string> } | undefined,
) {
  if (totp !== undefined && (await page.locator('button[data-factor=totp]').count()) > 0) {
    await page.click('button[data-factor=totp]');
    await page.fill('input[name=step-up-code]', await freshTotp(totp.secret, totp.used, (s, n) => totpCode(s, n)));
  } else {
    await page.fill('input[name=step-up-code]', await sendStepUpSms(page, running, phone));
  }
  await page.click('#step-up-answer button[type=submit]');
}

/** Chooses SMS in the step-up prompt, has the code sent, and returns it as the phone received it. */
export async function sendStepUpSms(page: Page, running: Running, phone: string): Promise<string> {
  await page.click('button[data-factor=sms]');
  await page.click('#step-up-send button[type=submit]');
  await page.waitForSelector('input[name=step-up-code]');
  return smsCode(running, phone);
}

/**
 * Interaction to next paint, watched in every page (Event Timing: 'event' entries with an
 * interactionId). Installed by Playwright before the page's own scripts; not part of the served app.
 */
export function watchInteractions() {
  const box = globalThis as unknown as { anfuInteractions: number[] };
  box.anfuInteractions = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as unknown as { duration: number; interactionId?: number }[]) {
      if ((entry.interactionId ?? 0) > 0) box.anfuInteractions.push(entry.duration);
    }
  });
  observer.observe({ type: 'event', durationThreshold: 16, buffered: true } as never);
}

/** The INP of the interactions since the last call (for under 50 interactions: the longest), reset after. */
export async function interactionToNextPaint(page: Page): Promise<{ inpMs: number; interactions: number }> {
  const all = await page.evaluate(() =>
    (globalThis as unknown as { anfuInteractions: number[] }).anfuInteractions.splice(0),
  );
  // web-vitals' rule: the worst interaction, ignoring one per 50 (the 98th percentile of long sessions).
  const sorted = [...all].sort((a, b) => b - a);
  return { inpMs: sorted[Math.min(sorted.length - 1, Math.floor(all.length / 50))] ?? 0, interactions: all.length };
}

/** Logs an operator in to the console on `page` (password and a TOTP code not used before); waits for the inbox. */
export async function loginToConsole(
  page: Page,
  origin: string,
  op: { name: string; password: string; totpSecret: string },
  used: Set<string>,
): Promise<void> {
  await page.goto(`${origin}/console/`);
  await page.fill('input[name=operator-name]', op.name);
  await page.fill('input[name=operator-password]', op.password);
  await page.fill('input[name=operator-totp]', await freshTotp(op.totpSecret, used, totpCodeAt));
  await page.click('#operator-login button[type=submit]');
  await page.waitForSelector('[data-proposal], [data-testid=inbox-empty], nav a[href="#/dashboards"]');
}

/** The real server (`serve`) on a store and data directory of its own, and a headless Chromium. */
export interface BrowserRig {
  readonly running: Running;
  readonly browser: Browser;
  /** https://127.0.0.1:<port> */
  readonly origin: string;
  /** Closes the browser and the server, drops the database and removes the data directory. */
  stop(): Promise<void>;
}

/** Chromium's switches for every suite: no sandbox (CI runs as root), headless, nothing phoning home. */
const quietChromium = [
  ...chromiumArgs, '--headless', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/** A browser suite's `skip`: Debian's chromium and the built web apps (a failure under ANFU_REQUIRE_TOOLS=1). */
export function browserSkip(): false | string {
  return skipUnless(existsSync(chromiumPath), 'Debian chromium') || skipUnless(built, 'dist/web');
}

export async function startBrowserRig(
  kind: StoreKind,
  name: string,
  options: { readonly env?: Record<string, string>; readonly args?: readonly string[] } = {},
): Promise<BrowserRig> {
  const dataDir = mkdtempSync(join(tmpdir(), `anfu-${name}-`));
  const database = await databaseFor(kind);
  const env = {
    ...testEnv, ...database.env, ANFU_ENV: 'development', ANFU_DATA_DIR: dataDir, ANFU_PORT: '0',
    ANFU_HOST: '127.0.0.1', ANFU_LOG_LEVEL: process.env.WEB_TEST_LOG ?? 'silent', ...options.env,
  };
  const quiet = process.env.WEB_TEST_LOG === undefined;
  const running = await serve(loadConfig({ ...env, ...testKekEnv(env) }), { demo: false, quiet });
  const args = [...quietChromium, ...(options.args ?? [])];
  const browser = await chromium.launch({ executablePath: chromiumPath, args });
  return {
    running,
    browser,
    origin: running.url.replace(/\/$/, ''),
    async stop() {
      await browser.close();
      await running.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A customer registered through the API (SMS code as the phone received it): id and access token. */
export async function registerByApi(
  api: APIRequestContext,
  running: Running,
  phone: string,
): Promise<{ customerId: string; token: string }> {
  const sent = await api.post('/v1/sms-codes', { data: { phone, purpose: 'registration' } });
  assert.equal(sent.status(), 202);
  const { codeId } = (await sent.json()) as { codeId: string };
  const body = {
    phone,
    smsCodeId: codeId,
    smsCode: smsCode(running, phone),
    name: '李四',
    idNumber: residentIdNumber(),
    password: `another passphrase ${randomBytes(4).toString('hex')}`,
    device: { installId: randomBytes(8).toString('hex') },
  };
  const created = await api.post('/v1/customers', { data: body });
  assert.equal(created.status(), 201, await created.text());
  const made = (await created.json()) as { customerId: string; session: { accessToken: string } };
  return { customerId: made.customerId, token: made.session.accessToken };
}
