// The wallet and the console in Debian's Chromium (playwright-core), against the real server started
// by `serve` on each store: a customer registers with an SMS code and real-name data, turns on the
// authenticator and certifies this browser's device key (answering the server's step-ups), an operator
// proposes a credit that another operator approves in the console (the maker's own approval refused,
// shown as the server says it), the customer sees the money, transfers to another customer by phone
// after the masked name, pays a merchant's order (onboarded by an operator, the order made through the
// SDK's signed merchant client) by its payment code, and the balances are exact; then files a
// complaint about that payment in Help and sees it listed. Every page runs under the strict CSP with no
// violation, has no serious or critical axe-core finding, and renders in both languages.
// Screenshots are kept under test-results/web/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type APIRequestContext, type BrowserContext, type Page } from 'playwright-core';
import { createAnfuClient, data } from '@anfu/sdk';
import { type Running } from '../serve.ts';
import { totpCode } from '../identity/totp.ts';
import { totpCodeAt } from '../access/index.ts';
import { walletOf } from '../payments/index.ts';
import { balanceOf } from '../ledger/index.ts';
import { ticketByCase } from '../support/index.ts';
import { testStoreKinds } from '../store/testing.ts';
import { enrolledTestOperator } from '../wiring/test-operators.ts';
import { phoneNumber, residentIdNumber } from '../wiring/identity-test-app.ts';
import {
  alerts,
  answerStepUp,
  axeFindings,
  browserSkip,
  freshTotp,
  interactionToNextPaint,
  loginToConsole,
  registerByApi,
  registerInWallet,
  sendStepUpSms,
  shots,
  startBrowserRig,
  watch,
  watchInteractions,
} from './testing/browser.ts';
import { withCheckDigit } from '../cards/index.ts';
import { startBankSimProcess, type BankSimProcess } from '../banks/testing/bank-sim-process.ts';

const started = Date.now();
const step = (what: string) =>
  process.stderr.write(`web journey +${((Date.now() - started) / 1000).toFixed(1)}s ${what}\n`);

/** Turns on the authenticator and certifies the device key, answering step-ups as the server asks. */
async function secureDevice(
  page: Page,
  running: Running,
  phone: string,
): Promise<{ secret: string; used: Set<string> }> {
  await page.click('a[href="#/security"]');
  await page.click('#enrol-totp button[type=submit]');
  await page.waitForSelector('[data-testid=totp-secret], #step-up-answer, #step-up-send');
  if ((await page.locator('[data-testid=totp-secret]').count()) === 0) {
    await answerStepUp(page, running, phone, undefined);
  }
  const secret = (await page.textContent('[data-testid=totp-secret]'))?.trim() ?? '';
  const totp = { secret, used: new Set<string>() };
  await page.fill('input[name=totp-code]', await freshTotp(secret, totp.used, (s, n) => totpCode(s, n)));
  await page.click('#confirm-totp button[type=submit]');
  await page.waitForSelector('#certify-device');
  await page.click('#certify-device button[type=submit]');
  await page.waitForSelector('[data-testid=device-certified], #step-up-answer, #step-up-send');
  if ((await page.locator('[data-testid=device-certified]').count()) === 0) {
    await answerStepUp(page, running, phone, totp);
    await page.waitForSelector('[data-testid=device-certified]');
  }
  return totp;
}

async function approveInConsole(
  context: BrowserContext,
  origin: string,
  op: { name: string; password: string; totpSecret: string },
  used: Set<string>,
  axeSource: string,
) {
  const page = await context.newPage();
  const problems = await watch(page);
  await loginToConsole(page, origin, op, used);
  await page.waitForSelector('[data-proposal]');
  assert.deepEqual(
    await axeFindings(page, axeSource),
    [],
    'console inbox: no serious or critical accessibility finding',
  );
  return { page, problems };
}

const inpFigures: string[] = [];
async function reportInp(page: Page, kind: string, flow: string) {
  const { inpMs, interactions } = await interactionToNextPaint(page);
  const line = `INP ${kind} ${flow}: ${inpMs} ms over ${interactions} interactions of 16 ms or more`;
  inpFigures.push(line);
  step(line);
}

/** An operator follows the customer's payment from the list to its timeline and into the audit log. */
async function followPaymentInConsole(page: Page, paymentId: string, axeSource: string) {
  await page.click('a[href="#/payments"]');
  await page.click(`tr[data-payment="${paymentId}"] a`);
  await page.waitForSelector('[data-testid=timeline-state]:text("succeeded")');
  await page.locator('[data-ledger]').nth(1).waitFor();
  const amounts = await page.locator('[data-testid=ledger-amount]').allTextContents();
  assert.deepEqual(amounts, ['¥100.00', '¥0.60'], 'the principal and the merchant fee, as journalled');
  const last = page.locator('ol.timeline li').last();
  assert.equal(await last.getAttribute('data-to'), 'succeeded');
  const audited = await page.locator('[data-audit-seq]').count();
  assert.ok(audited >= 2, `the payment's creation and its transitions are audited (${audited})`);
  assert.deepEqual(await axeFindings(page, axeSource), [], 'payment timeline: no serious or critical finding');
  await page.click('[data-testid=follow-audit]');
  await page.locator('[data-entry]').nth(audited - 1).waitFor();
  assert.equal(await page.locator('[data-entry]').count(), audited, 'the audit search finds exactly its entries');
  assert.equal(await page.inputValue('input[name=audit-target]'), paymentId);
}

/** Verifies the first entry found in the browser, signing a checkpoint first when none covers it yet. */
async function verifyFirstEntry(page: Page): Promise<string> {
  const first = page.locator('[data-entry]').first();
  await first.locator('button:text-matches("验证|Verify")').click();
  const result = first.locator('[data-testid=proof-result], [data-testid=proof-uncovered]');
  await result.waitFor();
  if ((await first.locator('[data-testid=proof-uncovered]').count()) > 0) {
    await first.locator('[data-testid=proof-uncovered] button').click();
    await first.locator('[data-testid=proof-result]').waitFor();
  }
  return (await first.locator('[data-testid=proof-result]').getAttribute('data-verified')) ?? '';
}

/** Saves what a click downloads and returns its bytes. */
async function downloaded(page: Page, selector: string): Promise<Buffer> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return readFileSync(await file.path());
}

/** The dashboards draw today's payments and complaint, and each chart exports as CSV, SVG and PNG. */
async function readDashboards(page: Page, axeSource: string) {
  await page.click('a[href="#/dashboards"]');
  const today = new Date().toISOString().slice(0, 10);
  const bar = (chart: string, series: string) =>
    page.locator(`[data-chart=${chart}] rect[data-series="${series}"][data-period="${today}"]`);
  await bar('volumes', 'transfer.CNY').waitFor();
  assert.equal(await bar('volumes', 'transfer.CNY').getAttribute('data-value'), '1');
  assert.equal(await bar('volumes', 'order_payment.CNY').getAttribute('data-value'), '1');
  assert.equal(await bar('success', 'transfer').getAttribute('data-value'), '1', 'every final transfer succeeded');
  assert.equal(await bar('complaints', 'merchant').getAttribute('data-value'), '1', 'the one complaint, by category');
  assert.deepEqual(await axeFindings(page, axeSource), [], 'dashboards: no serious or critical finding');
  const csv = (await downloaded(page, '[data-chart=volumes] [data-export=csv]')).toString('utf8');
  assert.match(csv, /^period,series,value\n/);
  assert.ok(csv.includes(`${today},transfer.CNY,1\n`), csv);
  const svg = (await downloaded(page, '[data-chart=volumes] [data-export=svg]')).toString('utf8');
  assert.match(svg, /^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(svg.includes('data-series="transfer.CNY"'));
  const png = await downloaded(page, '[data-chart=volumes] [data-export=png]');
  assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG file');
  assert.ok(png.length > 1000, `the PNG holds the drawing (${png.length} bytes)`);
}

/** The customer's wallet journal as the console shows it: newest first, signed from the account's side. */
async function readJournal(page: Page, walletCode: string) {
  await page.click('a[href="#/accounts"]');
  await page.click(`a:text("${walletCode}")`);
  await page.locator('[data-journal]').nth(2).waitFor();
  const amounts = await page.locator('[data-testid=journal-amount]').allTextContents();
  assert.deepEqual(amounts, ['−¥100.00', '−¥12.34', '¥1,000.00'], 'the order, the transfer, the adjustment');
}

/** A role change is proposed, never applied; one's own is refused by the server and shown as such. */
async function proposeRoleChange(page: Page, self: string, other: string, axeSource: string): Promise<string> {
  await page.click('a[href="#/operators"]');
  const own = page.locator(`[data-role-change="${self}"]`);
  await own.locator('select').selectOption('auditor');
  await own.locator('button').click();
  await own.locator('[role=alert][data-code=proposal_self_target]').waitFor();
  const theirs = page.locator(`[data-role-change="${other}"]`);
  await theirs.locator('select').selectOption('risk_analyst');
  await theirs.locator('button').click();
  const proposed = theirs.locator('[data-testid=role-proposed]');
  await proposed.waitFor();
  const role = page.locator(`[data-operator="${other}"] [data-testid=operator-role]`);
  assert.equal(await role.textContent(), 'operations', 'nothing changes before another administrator approves');
  assert.deepEqual(await axeFindings(page, axeSource), [], 'operators: no serious or critical finding');
  return (await proposed.getAttribute('data-proposal')) ?? '';
}

/** The complaint's case is taken and decided in the console; a decision its kind lacks is refused. */
async function decideComplaint(page: Page, caseId: string, axeSource: string) {
  await page.click('a[href="#/cases"]');
  const card = page.locator(`[data-case="${caseId}"]`);
  await card.locator('button:text-matches("分配给我|Assign to me")').click();
  await card.locator('[data-testid=case-status]:text("assigned")').waitFor();
  await page.fill(`input[name="decision-${caseId}"]`, 'compensate');
  await page.fill(`input[name="reason-${caseId}"]`, 'checked with the merchant');
  await page.click(`[id="decide-${caseId}"] button[type=submit]`);
  const refusal = card.locator('[role=alert]');
  await refusal.waitFor();
  assert.deepEqual(await axeFindings(page, axeSource), [], 'cases: no serious or critical finding');
  const refused = (await refusal.getAttribute('data-code')) ?? '';
  await page.fill(`input[name="decision-${caseId}"]`, 'resolved');
  await page.click(`[id="decide-${caseId}"] button[type=submit]`);
  await card.locator('[data-testid=case-decided][data-proposal=""]').waitFor();
  await card.locator('[data-testid=case-status]:text("decided")').waitFor();
  return refused;
}

/** The SDK's fetch, carried by Playwright's request context (which accepts the development certificate). */
function fetchThrough(api: APIRequestContext): (request: Request) => Promise<Response> {
  return async (request) => {
    const body = request.method === 'GET' ? undefined : Buffer.from(await request.arrayBuffer());
    const answer = await api.fetch(request.url, {
      method: request.method,
      headers: Object.fromEntries(request.headers),
      ...(body === undefined || body.length === 0 ? {} : { data: body }),
      failOnStatusCode: false,
    });
    const headers = Object.entries(answer.headers()).filter(([name]) => name !== 'content-encoding');
    const status = answer.status();
    return new Response(status === 204 ? null : await answer.body(), { status, headers });
  };
}

/** An operator onboards a merchant; the merchant (through the SDK, every request signed) creates an order. */
async function merchantOrder(api: APIRequestContext, origin: string, operatorToken: string, amount: string) {
  const onboarded = await api.post('/v1/merchants', {
    headers: { authorization: `Bearer ${operatorToken}` },
    data: {
      name: 'Tea House',
      businessRegistration: '91310000MA1K00000X',
      contactEmail: 'ops@tea.example',
      settlementAccount: '6222020200112233445',
      feeBps: 60,
    },
  });
  assert.equal(onboarded.status(), 201, await onboarded.text());
  const merchant = (await onboarded.json()) as { id: string; apiKey: string };
  const client = createAnfuClient({
    baseUrl: origin,
    credentials: { kind: 'merchant', apiKey: merchant.apiKey },
    fetch: fetchThrough(api),
  });
  const order = await data(
    client.POST('/v1/merchant/orders', {
      body: { merchantReference: 'web-1', amount, currency: 'CNY', description: 'Tea', expiresInSeconds: 600 },
    }),
  );
  return { merchantId: merchant.id, orderId: order.id, paymentCode: order.paymentCode };
}

/** The customer pays the order in the wallet by typing its payment code (answering a step-up if asked). */
async function payOrderInWallet(
  page: Page,
  running: Running,
  phone: string,
  totp: { secret: string; used: Set<string> },
  paymentCode: string,
): Promise<string> {
  await page.click('a[href="#/pay"]');
  await page.fill('input[name=payment-code]', paymentCode);
  await page.click('#find-order button[type=submit]');
  await page.waitForSelector('[data-testid=order-description]');
  await page.click('#pay-order button[type=submit]');
  await page.waitForSelector('[data-testid=payment-state], #step-up-answer, #step-up-send');
  if ((await page.locator('[data-testid=payment-state]').count()) === 0) await answerStepUp(page, running, phone, totp);
  const paid = page.locator('[data-testid=payment-state][data-state=succeeded]');
  await paid.waitFor();
  return (await paid.getAttribute('data-payment-id')) ?? '';
}

/** Files a complaint about the payment in the Help screen and finds it listed with its state and message. */
async function complainInHelp(page: Page, paymentId: string, axeSource: string): Promise<string> {
  await page.click('a[href="#/help"]');
  await page.waitForSelector(`#f-payment option[value="${paymentId}"]`, { state: 'attached' });
  // Text that is empty once cleaned is refused by the server, and the refusal is shown by its code.
  await page.fill('textarea[name=complaint-text]', '\u200b ');
  await page.click('#complaint button[type=submit]');
  await page.waitForSelector('#complaint [role=alert][data-code=validation_failed]');
  assert.equal(await page.locator('[data-ticket]').count(), 0, 'nothing was filed');
  await page.selectOption('#f-category', 'merchant');
  await page.selectOption('#f-payment', paymentId);
  await page.fill('textarea[name=complaint-text]', 'The tea never arrived.');
  await page.click('#complaint button[type=submit]');
  await page.waitForSelector('[data-testid=complaint-filed]');
  const ticket = page.locator('[data-ticket]', { has: page.locator('[data-testid=ticket-payment]') });
  await ticket.waitFor();
  assert.equal(await page.locator('[data-ticket]').count(), 1);
  assert.match((await ticket.getAttribute('data-status')) ?? '', /^(open|assigned)$/);
  const about = (await ticket.locator('[data-testid=ticket-payment]').textContent()) ?? '';
  assert.ok(about.includes(paymentId), `the ticket names the payment: ${about}`);
  assert.equal(await ticket.locator('[data-from=customer]').count(), 1, 'the first message is the complaint text');
  assert.deepEqual(await axeFindings(page, axeSource), [], 'help: no serious or critical accessibility finding');
  const id = (await ticket.getAttribute('data-ticket')) ?? '';
  // The customer adds to the conversation; the list shows it after the server took it.
  await page.fill(`textarea[name="reply-${id}"]`, 'Order reference web-1.');
  await page.click(`[id="reply-${id}"] button[type=submit]`);
  await ticket.locator('[data-from=customer]').nth(1).waitFor();
  assert.equal(await ticket.locator('[data-from=customer]').count(), 2);
  return id;
}

/** The customer's card at the simulated issuer: in their own name, with the phone the bank holds. */
const cardPan = withCheckDigit('622202000000007777');
const cardBankPhone = '+8613900007777';

/** The issuer's latest one-time code to the phone it holds. */
async function issuerCode(sim: BankSimProcess): Promise<string> {
  const code = (await sim.state()).otpsSent.filter((o) => o.phone === cardBankPhone).at(-1)?.code;
  assert.ok(code !== undefined, 'the issuer sent a one-time code');
  return code;
}

/**
 * Binds the card in the wallet: a wrong CVV2 refused in the person's language, then the server's step-up,
 * the issuer's one-time code (a wrong one refused first), and the card listed as verified.
 */
async function bindCardInWallet(
  page: Page,
  running: Running,
  phone: string,
  totp: { secret: string; used: Set<string> },
  sim: BankSimProcess,
) {
  await page.click('a[href="#/cards"]');
  await page.waitForSelector('#bind-card');
  const fillCard = async (cvv: string) => {
    await page.fill('input[name=card-pan]', cardPan);
    await page.fill('input[name=card-expiry]', '12/30');
    await page.fill('input[name=card-cvv]', cvv);
    await page.click('#bind-card button[type=submit]');
  };
  await fillCard('999');
  await page.waitForSelector('#bind-card [role=alert], #step-up-answer, #step-up-send');
  if ((await page.locator('#bind-card [role=alert]').count()) === 0) {
    await answerStepUp(page, running, phone, totp);
  }
  await page.waitForSelector('[role=alert][data-code=card_security_code_invalid]');
  const refusal = (await page.textContent('[role=alert][data-code=card_security_code_invalid] strong')) ?? '';
  assert.match(refusal, /安全码/, 'the refusal is in Chinese and says what to check');
  assert.equal(await page.locator('[data-card]').count(), 0, 'no card bound on a refused attempt');
  await fillCard('737');
  await page.waitForSelector('[data-testid=card-otp-sent], #step-up-answer, #step-up-send');
  if ((await page.locator('[data-testid=card-otp-sent]').count()) === 0) await answerStepUp(page, running, phone, totp);
  await page.waitForSelector('[data-testid=card-otp-sent]');
  const right = await issuerCode(sim);
  await page.fill('input[name=card-otp]', right === '000000' ? '111111' : '000000');
  await page.click('#card-otp button[type=submit]');
  await page.waitForSelector('#card-otp [role=alert][data-code=card_otp_invalid]');
  await page.fill('input[name=card-otp]', right);
  await page.click('#card-otp button[type=submit]');
  await page.waitForSelector('[data-card][data-verified=true]');
}

/**
 * The step-up by SMS, a wrong code first: the prompt says the code is wrong and stays (the session too);
 * then the code sent for this very top-up or withdrawal.
 */
async function answerBySmsAfterAWrongCode(page: Page, running: Running, phone: string) {
  const right = await sendStepUpSms(page, running, phone);
  await page.fill('input[name=step-up-code]', right === '000000' ? '111111' : '000000');
  await page.click('#step-up-answer button[type=submit]');
  await page.waitForSelector('#step-up-answer [role=alert][data-code=code_invalid]');
  await page.fill('input[name=step-up-code]', right);
  await page.click('#step-up-answer button[type=submit]');
}

/**
 * Tops up (or withdraws) in the wallet; a challenge is answered by `answer` (a challenge is required when
 * `challenged` says so); the state the wallet then reports.
 */
async function fundInWallet(
  page: Page,
  form: 'top-up' | 'withdraw',
  amount: string,
  answer: (page: Page) => Promise<void>,
  challenged = false,
): Promise<{ state: string; id: string }> {
  await page.fill(`input[name=${form}-amount]`, amount);
  await page.click(`#${form} button[type=submit]`);
  await page.waitForSelector('[data-testid=funding-state], #step-up-answer, #step-up-send');
  if ((await page.locator('[data-testid=funding-state]').count()) === 0) await answer(page);
  else if (challenged) assert.fail(`the ${form} was expected to be challenged`);
  const shown = page.locator('[data-testid=funding-state]');
  await shown.waitFor().catch(async (e: unknown) => {
    throw new Error(`no ${form} outcome shown; the page says: ${await alerts(page)}`, { cause: e });
  });
  const state = (await shown.getAttribute('data-state')) ?? '';
  return { state, id: (await shown.getAttribute('data-funding-id')) ?? '' };
}

/**
 * Requests for money: the customer asks B (by phone, after the masked name) in the wallet, and B sees it
 * through the API; B asks the customer through the API, and the customer sees it and pays it in the wallet.
 */
async function requestMoneyInWallet(
  page: Page,
  running: Running,
  who: { phone: string; totp: { secret: string; used: Set<string> } },
  other: { phone: string; token: string; customerId: string },
  api: APIRequestContext,
  customerId: string,
  axeSource: string,
): Promise<void> {
  await page.click('a[href="#/requests"]');
  await page.fill('input[name=ask-phone]', other.phone);
  await page.click('#ask-look-up button[type=submit]');
  await page.waitForSelector('[data-testid=ask-payer]');
  // An amount that is not one is refused in the person's language before anything is asked.
  await page.fill('input[name=ask-amount]', '5.001');
  await page.click('#ask button[type=submit]');
  await page.waitForSelector('#ask [role=alert]');
  await page.fill('input[name=ask-amount]', '5.00');
  await page.fill('input[name=ask-note]', 'tea');
  await page.click('#ask button[type=submit]');
  await page.waitForSelector('[data-request][data-role=requester][data-state=pending]');
  const auth = { authorization: `Bearer ${other.token}` };
  type Asked = { items: { id: string; requesterId: string; payerId: string; amount: string; state: string }[] };
  const seen = (await (await api.get('/v1/collect-requests', { headers: auth })).json()) as Asked;
  const mine = seen.items.filter((r) => r.requesterId === customerId);
  assert.deepEqual(
    mine.map((r) => [r.payerId, r.amount, r.state]),
    [[other.customerId, '5.00', 'pending']],
    'the payer sees the request',
  );
  const asked = await api.post('/v1/collect-requests', {
    headers: auth,
    data: { payerWalletId: customerId, amount: '7.00', currency: 'CNY', note: 'lunch', expiresInSeconds: 3600 },
  });
  assert.equal(asked.status(), 201, await asked.text());
  const requestId = ((await asked.json()) as { id: string }).id;
  await page.click('a[href="#/"]');
  await page.click('a[href="#/requests"]');
  const row = page.locator(`[data-request="${requestId}"][data-role=payer][data-state=pending]`);
  await row.waitFor();
  assert.deepEqual(await axeFindings(page, axeSource), [], 'requests: no serious or critical accessibility finding');
  await row.locator(`[id="pay-request-${requestId}"] button[type=submit]`).click();
  await page.waitForSelector('[data-testid=payment-state], #step-up-answer, #step-up-send');
  if ((await page.locator('[data-testid=payment-state]').count()) === 0) {
    await answerStepUp(page, running, who.phone, who.totp);
  }
  await page.waitForSelector(`[data-request="${requestId}"][data-state=paid]`);
}

for (const kind of testStoreKinds()) {
  test(
    `web: wallet and console journeys in Chromium (${kind})`,
    {
      skip: browserSkip(),
      timeout: 600_000,
    },
    async () => {
      mkdirSync(shots, { recursive: true });
      const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
      const idNumberA = residentIdNumber('19900307');
      const sim = await startBankSimProcess({
        cards: [
          {
            pan: cardPan,
            balanceMinor: '100000000',
            expiry: '3012',
            holderName: '张三',
            holderIdNumber: idNumberA,
            cvv2: '737',
            phone: cardBankPhone,
          },
        ],
      });
      const cardLink = { ANFU_CARD_LINK_PORT: String(sim.port), ANFU_CARD_LINK_RESPONSE_TIMEOUT_MS: '5000' };
      const rig = await startBrowserRig(kind, 'web', { env: cardLink });
      const { running, browser, origin } = rig;
      try {
        const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'zh-CN', baseURL: origin });
        context.setDefaultTimeout(30_000);
        await context.addInitScript(watchInteractions);
        const page = await context.newPage();
        const problems = await watch(page);
        const first = await page.goto(`${origin}/wallet/`);
        assert.match(first?.headers()['content-security-policy'] ?? '', /script-src 'self'; style-src 'self'/);
        await page.waitForSelector('#login');
        assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');

        step('A customer registers in the wallet');
        // A customer registers in the wallet and secures this browser.
        const phoneA = phoneNumber();
        await registerInWallet(page, running, phoneA, '张三', idNumberA);
        assert.equal(await page.textContent('[data-testid=balance-CNY]'), '¥0.00');
        await page.screenshot({ path: join(shots, `${kind}-wallet-home-zh.png`), fullPage: true });
        step('securing the device');
        const totp = await secureDevice(page, running, phoneA);
        await reportInp(page, kind, 'wallet: register, turn on TOTP, certify the device');
        await page.screenshot({ path: join(shots, `${kind}-wallet-security.png`), fullPage: true });
        const noAmbientCredential =
          (await page.evaluate(async () => {
            const r = await fetch('/v1/me', { headers: {} });
            return r.status;
          })) === 401;
        assert.ok(
          noAmbientCredential,
          'a script without the in-memory token gets nothing: the session is not in a cookie or storage',
        );

        step('Money arrives by a ledger adjustment');
        // Money arrives by a ledger adjustment: one operator proposes, another approves in the console.
        const { store, access, ledger } = running.context;
        const deps = { store, totpSecrets: access.totpSecrets, policy: access.enrolmentPolicy };
        const maker = await enrolledTestOperator(deps, 'operations', Date.now());
        const checker = await enrolledTestOperator(deps, 'administrator', Date.now());
        // Enrolment used the current code of each operator; a code is accepted once.
        const used = new Set<string>([
          totpCodeAt(maker.totpSecret, Date.now()),
          totpCodeAt(checker.totpSecret, Date.now()),
        ]);
        const api = context.request;
        const makerLogin = await api.post('/v1/operator-sessions', {
          data: {
            name: maker.name,
            password: maker.password,
            totp: await freshTotp(maker.totpSecret, used, totpCodeAt),
          },
        });
        assert.equal(makerLogin.status(), 201, await makerLogin.text());
        const makerToken = ((await makerLogin.json()) as { token: string }).token;
        // A deposit arrived at the bank unassigned (suspense); the adjustment gives it to the customer.
        const bank = await ledger.openAccount({
          kind: 'bank_settlement',
          currency: 'CNY',
          name: 'bank for the web test',
        });
        const suspense = await ledger.openAccount({ kind: 'suspense', currency: 'CNY', name: 'unassigned deposits' });
        const deposited = await ledger.submit({
          kind: 'single',
          key: 'web-test-deposit',
          debitAccountId: bank.id,
          creditAccountId: suspense.id,
          amount: 100_000n,
          currency: 'CNY',
          reference: 'bank statement line',
        });
        assert.ok(deposited.ok);
        const customerId = (await store.get<{ id: string }>('SELECT id FROM customers'))?.id ?? '';
        const walletA = await walletOf(ledger, customerId, 'CNY');
        const proposed = await api.post('/v1/proposals', {
          headers: { authorization: `Bearer ${makerToken}` },
          data: {
            kind: 'ledger.adjustment',
            payload: {
              debitAccountId: suspense.id,
              creditAccountId: walletA.id,
              amount: '1000.00',
              currency: 'CNY',
              reference: 'deposit at the counter',
            },
            reason: 'web test',
          },
        });
        assert.equal(proposed.status(), 201, await proposed.text());
        const proposalId = ((await proposed.json()) as { id: string }).id;

        step('The maker cannot approve');
        // The maker cannot approve their own proposal in the console: the server's refusal is shown as it is.
        const own = await approveInConsole(context, origin, maker, used, axeSource);
        await own.page.click(`[data-proposal="${proposalId}"] button.primary`);
        await own.page.waitForSelector('[role=alert][data-code=proposal_self_approval]');
        assert.equal(
          balanceOf((await ledger.accountByCode(walletA.code ?? '')) ?? walletA),
          0n,
          "nothing moved on the maker's click",
        );
        await own.page.close();
        step('checker approves');
        const checkerConsole = await approveInConsole(context, origin, checker, used, axeSource);
        await checkerConsole.page.click(`[data-proposal="${proposalId}"] button.primary`);
        await checkerConsole.page.selectOption('#state-filter', 'executed');
        await checkerConsole.page.waitForSelector(
          `[data-proposal="${proposalId}"] [data-testid=proposal-state]:text("executed")`,
        );
        await checkerConsole.page.screenshot({ path: join(shots, `${kind}-console-inbox.png`), fullPage: true });
        assert.deepEqual(checkerConsole.problems, []);

        await page.bringToFront();
        await interactionToNextPaint(page); // the wallet waited in the background meanwhile
        step('The customer sees the money');
        // The customer sees the money, then transfers to another customer by phone.
        await page.click('a[href="#/"]');
        await page.waitForSelector('[data-testid=balance-CNY]:text("¥1,000.00")');
        const phoneB = phoneNumber();
        const { customerId: customerB, token: tokenB } = await registerByApi(api, running, phoneB);
        await page.click('a[href="#/transfer"]');
        await page.fill('input[name=payee-phone]', phoneB);
        await page.click('#look-up button[type=submit]');
        await page.waitForSelector('[data-testid=payee-name]');
        assert.match((await page.textContent('[data-testid=payee-name]')) ?? '', /\*李|李\*|\*四/);
        await page.fill('input[name=amount]', '12.34');
        await page.click('#transfer button[type=submit]');
        await page.waitForSelector('[data-testid=payment-state], #step-up-answer, #step-up-send');
        if ((await page.locator('[data-testid=payment-state]').count()) === 0)
          await answerStepUp(page, running, phoneA, totp);
        await page.waitForSelector('[data-testid=payment-state][data-state=succeeded]');
        await page.click('a[href="#/"]');
        await page.waitForSelector('[data-testid=balance-CNY]:text("¥987.66")');
        // The history is fetched apart from the balance: wait for its row before counting.
        await page.locator('tr[data-payment]').first().waitFor();
        assert.equal(await page.locator('tr[data-payment]').count(), 1);
        const walletB = await ledger.accountByCode(`wallet:${customerB}:CNY`);
        assert.equal(walletB === undefined ? 0n : balanceOf(walletB), 1234n, 'the payee received exactly 12.34');
        assert.deepEqual(
          await axeFindings(page, axeSource),
          [],
          'wallet home: no serious or critical accessibility finding',
        );

        await reportInp(page, kind, 'wallet: transfer by phone');
        step('A merchant is onboarded and the customer pays its order');
        // A merchant is onboarded and creates an order; the customer pays it by its payment code.
        const order = await merchantOrder(api, origin, makerToken, '100.00');
        const paymentId = await payOrderInWallet(page, running, phoneA, totp, order.paymentCode);
        await page.screenshot({ path: join(shots, `${kind}-wallet-paid-order.png`), fullPage: true });
        await page.click('a[href="#/"]');
        await page.waitForSelector('[data-testid=balance-CNY]:text("¥887.66")');
        assert.equal(balanceOf((await ledger.accountByCode(walletA.code ?? '')) ?? walletA), 88_766n);
        const merchantAccount = await ledger.accountByCode(`merchant:${order.merchantId}:CNY`);
        assert.equal(merchantAccount === undefined ? 0n : balanceOf(merchantAccount), 9_940n, '100.00 less 0.60 fee');
        // The payment's receipt, from the history: what was paid and the instruction this device signed.
        await page.click(`a[href="#/receipt/${paymentId}"]`);
        await page.waitForSelector('[data-testid=receipt-state]:text("succeeded")');
        assert.equal(await page.textContent('[data-testid=receipt-amount]'), '¥100.00');
        assert.notEqual((await page.textContent('[data-testid=receipt-signed]'))?.trim(), '—', 'a signed instruction');
        assert.deepEqual(await axeFindings(page, axeSource), [], 'receipt: no serious or critical finding');
        await page.click('a[href="#/"]');

        await reportInp(page, kind, 'wallet: pay an order by its code');
        step('The customer files a complaint about that payment');
        const ticketId = await complainInHelp(page, paymentId, axeSource);
        const ticket = await ticketByCase(running.context.support.store, ticketId);
        assert.deepEqual(ticket?.paymentIds, [paymentId], 'the server holds the complaint about that payment');
        assert.equal(ticket?.customerId, customerId);
        await page.screenshot({ path: join(shots, `${kind}-wallet-help.png`), fullPage: true });
        await page.click('a[href="#/"]');
        await page.waitForSelector('[data-testid=balance-CNY]');

        await reportInp(page, kind, 'wallet: file a complaint in Help');

        step('The operator follows the payment into the audit log and verifies an entry');
        const consolePage = checkerConsole.page;
        // A tab in the background paints nothing: Event Timing would count the wait for it.
        await consolePage.bringToFront();
        await interactionToNextPaint(consolePage);
        await followPaymentInConsole(consolePage, paymentId, axeSource);
        assert.equal(await verifyFirstEntry(consolePage), 'true', 'the inclusion proof verifies in the browser');
        await consolePage.screenshot({ path: join(shots, `${kind}-console-audit-verified.png`), fullPage: true });
        assert.deepEqual(await axeFindings(consolePage, axeSource), [], 'audit search: no serious or critical finding');
        await reportInp(consolePage, kind, 'console: payments, timeline, audit search, proof');
        // A server (or anything between) that alters an entry it serves is caught by the browser's check.
        await consolePage.route('**/v1/audit/entries?*', async (route) => {
          const answer = await route.fetch();
          const body = (await answer.json()) as { items: { details: string }[] };
          const forge = (details: string) => details.replace(/"amount":"\d+"/, '"amount":"1"');
          const forged = body.items.map((e) => ({ ...e, details: forge(e.details) }));
          await route.fulfill({ response: answer, json: { ...body, items: forged } });
        });
        await consolePage.fill('input[name=audit-action]', 'payment.create');
        await consolePage.click('#audit-search button[type=submit]');
        await consolePage.waitForSelector('[data-entry] h2:text("payment.create")');
        assert.equal(await verifyFirstEntry(consolePage), 'false', 'a forged entry does not verify');
        await consolePage.unroute('**/v1/audit/entries?*');
        step('The operator reads the dashboards and exports a chart');
        await readDashboards(consolePage, axeSource);
        await consolePage.screenshot({ path: join(shots, `${kind}-console-dashboards.png`), fullPage: true });
        await reportInp(consolePage, kind, 'console: dashboards and exports');

        step('The operator reads the journal and proposes a role change');
        await readJournal(consolePage, walletA.code ?? '');
        const roleProposal = await proposeRoleChange(consolePage, checker.name, maker.name, axeSource);
        const makerAuth = { authorization: `Bearer ${makerToken}` };
        const held = await api.get(`/v1/proposals/${roleProposal}`, { headers: makerAuth });
        const h = (await held.json()) as { kind: string; state: string; payload: { role: string } };
        assert.deepEqual([h.kind, h.state, h.payload.role], ['operator.role_change', 'pending', 'risk_analyst']);
        await consolePage.screenshot({ path: join(shots, `${kind}-console-operators.png`), fullPage: true });
        await reportInp(consolePage, kind, 'console: journal, operators');

        step('The operator decides the complaint case');
        const refused = await decideComplaint(consolePage, ticketId, axeSource);
        assert.equal(refused, 'case_decision_unknown', 'a decision the complaint kind lacks is refused');
        const decided = await api.get(`/v1/cases/${ticketId}`, { headers: makerAuth });
        type Decided = { status: string; decision: string | null; pendingProposalId: string | null };
        const d = (await decided.json()) as Decided;
        assert.deepEqual([d.status, d.decision, d.pendingProposalId], ['decided', 'resolved', null]);
        await consolePage.screenshot({ path: join(shots, `${kind}-console-cases.png`), fullPage: true });
        await reportInp(consolePage, kind, 'console: cases');
        assert.deepEqual(checkerConsole.problems, [], 'no CSP violation or script error in the console');

        step('The customer binds a card and tops up from it');
        await page.bringToFront();
        await interactionToNextPaint(page);
        await bindCardInWallet(page, running, phoneA, totp, sim);
        const toppedUp = await fundInWallet(page, 'top-up', '200.00', (p) => answerStepUp(p, running, phoneA, totp));
        assert.equal(toppedUp.state, 'succeeded', 'the issuer approved the top-up');
        assert.deepEqual(await axeFindings(page, axeSource), [], 'cards: no serious or critical accessibility finding');
        await page.screenshot({ path: join(shots, `${kind}-wallet-cards.png`), fullPage: true });
        await page.click('a[href="#/"]');
        await page.waitForSelector('[data-testid=balance-CNY]:text("¥1,087.66")');
        const balanceA = async () => balanceOf((await ledger.accountByCode(walletA.code ?? '')) ?? walletA);
        assert.equal(await balanceA(), 108_766n, 'exactly 200.00 more');
        await reportInp(page, kind, 'wallet: bind a card, top up');

        step('The customer withdraws to the bound card');
        await page.click('a[href="#/cards"]');
        const bySms = (p: Page) => answerBySmsAfterAWrongCode(p, running, phoneA);
        const withdrawn = await fundInWallet(page, 'withdraw', '50.00', bySms, true);
        assert.equal(withdrawn.state, 'succeeded', 'the issuer paid the withdrawal out');
        await page.click('a[href="#/"]');
        await page.waitForSelector('[data-testid=balance-CNY]:text("¥1,037.66")');
        assert.equal(await balanceA(), 103_766n, 'exactly 50.00 less');

        step('Requests for money, made and paid');
        const other = { phone: phoneB, token: tokenB, customerId: customerB };
        await requestMoneyInWallet(page, running, { phone: phoneA, totp }, other, api, customerId, axeSource);
        await page.screenshot({ path: join(shots, `${kind}-wallet-requests.png`), fullPage: true });
        await page.click('a[href="#/"]');
        await page.waitForSelector('[data-testid=balance-CNY]:text("¥1,030.66")');
        assert.equal(await balanceA(), 103_066n, 'exactly 7.00 less');
        const walletBNow = await ledger.accountByCode(`wallet:${customerB}:CNY`);
        assert.equal(walletBNow === undefined ? 0n : balanceOf(walletBNow), 1_934n, 'the requester got exactly 7.00');
        await reportInp(page, kind, 'wallet: withdraw, request money, pay a request');

        step('Both languages render.');
        // Both languages render.
        await page.click('button.lang:text("EN")');
        await page.waitForSelector('h1:text("Wallet")');
        assert.equal(await page.getAttribute('html', 'lang'), 'en');
        await page.screenshot({ path: join(shots, `${kind}-wallet-home-en.png`), fullPage: true });
        assert.deepEqual(problems, [], 'no CSP violation or script error in the wallet');

        step('The customer claims a payment as not theirs, from its receipt');
        // The receipt's address (the history shows the newest payments only; a reload would end the session).
        const openReceipt = () =>
          page.evaluate((id) => {
            (globalThis as unknown as { location: { hash: string } }).location.hash = `#/receipt/${id}`;
          }, paymentId);
        await openReceipt();
        await page.fill('input[name=claim-text]', 'My phone was stolen that day.');
        await page.click('#claim button[type=submit]');
        const claimed = page.locator('[data-testid=claim-filed]');
        await claimed.waitFor();
        const claimId = (await claimed.getAttribute('data-claim')) ?? '';
        const claim = await ticketByCase(running.context.support.store, claimId);
        assert.deepEqual(claim?.paymentIds, [paymentId], 'the server holds the claim on that payment');
        const claimCase = (await (await api.get(`/v1/cases/${claimId}`, { headers: makerAuth })).json()) as {
          status: string;
        };
        assert.equal(await claimed.getAttribute('data-status'), claimCase.status, "the state shown is the server's");
        // Filing the claim may end the customer's sessions (seen in a run: the wallet went back to its login
        // page on the next call), so it is the journey's last wallet step.
        await page.click('a[href="#/"]');
        await page.waitForSelector('#login, [data-testid=balance-CNY]');
        await page.screenshot({ path: join(shots, `${kind}-wallet-claim.png`), fullPage: true });
      } catch (error) {
        step(`failed: ${String(error).slice(0, 400)}`);
        for (const [n, open] of browser
          .contexts()
          .flatMap((c) => c.pages())
          .entries()) {
          await open
            .screenshot({ path: join(shots, `${kind}-failure-${n}.png`), fullPage: true })
            .catch(() => undefined);
        }
        throw error;
      } finally {
        step('closing');
        await rig.stop();
        step('closed');
        await sim.stop();
      }
    },
  );
}
