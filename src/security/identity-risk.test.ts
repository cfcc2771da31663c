// Issue 12 item 3 where identity moves, through the public API on both stores, with a rule set
// activated the way the risk tests do (the `risk.ruleset` executor, then the engine reloads):
// - a factor change (recovery codes) denied: 403 `risk_denied`, audited twice (the refused change and
//   the decision), the decision stored with its snapshot and rules hit, no codes issued;
// - a factor change challenged: the session's earlier proof no longer counts, a fresh step-up does;
// - a factor change sent to review: it goes on, and a `risk_review` case opens on the customer;
// - a login from China stored as a decision with `ip.country`, then a login from Germany minutes later
//   denied as impossible travel (`travel.impossible` read at login), no session issued;
// - a card binding denied end to end through `POST /v1/cards`: 403 `risk_denied`, a refused binding
//   row and audit entry, no card bound, and the issuer never asked (no one-time code sent).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withCheckDigit } from '../cards/index.ts';
import { startBankSimProcess, type BankSimProcess } from '../banks/testing/bank-sim-process.ts';
import { totpCode } from '../identity/totp.ts';
import {
  decisionsOfSubject, defaultRuleSet, latestRuleSetVersion, listChangeExecutor, ruleSetExecutor,
} from '../risk/index.ts';
import { testStoreKinds } from '../store/testing.ts';
import { provideCardFundingFrom } from '../wiring/card-funding.ts';
import {
  browserDevice,
  createIdentityTestApp,
  phoneNumber,
  registerThroughApi,
  residentIdNumber,
  secureRegisteredDevice,
  type IdentityTestApp,
  type RegisteredCustomer,
} from '../wiring/identity-test-app.ts';

const pan = withCheckDigit('622202000000008888');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const china = '114.114.114.114';
const germany = '5.9.10.10';

interface Customer extends RegisteredCustomer {
  readonly totpSecret: string;
}

for (const kind of testStoreKinds()) {
  describe(`identity decisions by the risk engine (${kind})`, () => {
    let t: IdentityTestApp;
    let sim: BankSimProcess;
    let closeLink: (() => void) | undefined;
    let who: Customer;

    /** Activates the default set plus `rules` as the next version and reloads the engine. */
    async function activate(rules: readonly object[]): Promise<void> {
      const base = defaultRuleSet();
      const basedOn = await latestRuleSetVersion(t.store);
      const payload = ruleSetExecutor.parse({ document: { ...base, rules: [...base.rules, ...rules] }, basedOn });
      const inside = ruleSetExecutor.inside;
      assert.ok(payload !== undefined && inside !== undefined, 'the rule set compiles');
      const proposal = { id: `prp_${basedOn}`, decidedBy: 'op_checker' } as Parameters<typeof inside>[2];
      const result = await t.store.transaction((tx) => inside(tx, payload, proposal, t.identity.clock(), {} as never));
      assert.equal(result.ok, true, JSON.stringify(result));
      await t.app.context.risk.refresh();
    }

    async function decisions(event: string) {
      const stored = (await decisionsOfSubject(t.store, who.customerId)).filter((d) => d.event === event);
      return stored
        .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))
        .map((d) => ({ id: d.id, decision: d.decision, rules: d.hits.map((h) => h.rule), features: d.features }));
    }

    const recoveryCodes = () =>
      t.app.inject({ method: 'POST', url: '/v1/me/recovery-codes', headers: bearer(who.accessToken) });

    async function audits(action: string, outcome: string) {
      return t.store.all<{ target: string; details: string }>(
        'SELECT target, details FROM audit_entries WHERE action = ? AND outcome = ? ORDER BY seq',
        [action, outcome],
      );
    }

    before(async () => {
      sim = await startBankSimProcess({ unknownCards: 'approve', cards: [] });
      t = await createIdentityTestApp(kind, {
        env: {
          ANFU_CARD_LINK_PORT: String(sim.port), ANFU_CARD_LINK_RESPONSE_TIMEOUT_MS: '2000',
          ANFU_CUSTOMER_ACCESS_TOKEN_TTL_MS: String(3600_000),
        },
      });
      const link = provideCardFundingFrom(t.config, t.store, t.keyring, t.identity.clock);
      closeLink = () => link?.close();
      const registered = await registerThroughApi(t, { idNumber: residentIdNumber('19900307') });
      const secured = await secureRegisteredDevice(t, registered);
      who = { ...registered, totpSecret: secured.totpSecret };
    });

    after(async () => {
      closeLink?.();
      await t.close();
      await sim.stop();
    });

    test('with the default set, factor changes are allowed and each is stored as a decision', async () => {
      const stored = await decisions('factor_change');
      assert.ok(stored.length >= 2, 'the device certificate and the TOTP enrolment were decided');
      assert.ok(stored.every((d) => d.decision === 'allow'));
    });

    test('a denied factor change: 403 risk_denied, audited, decision stored, no codes issued', async () => {
      await activate([{
        id: 'young_account_factor', on: ['factor_change'], when: 'customer.age < 30d', action: 'deny', score: 90,
        reason: 'young_account_factor',
      }]);
      const before = await decisions('factor_change');
      const response = await recoveryCodes();
      assert.equal(response.statusCode, 403, response.body);
      assert.equal(response.json().code, 'risk_denied');
      const codes = await t.store.get<{ n: number | string }>(
        'SELECT COUNT(*) AS n FROM recovery_codes WHERE customer_id = ?', [who.customerId],
      );
      assert.equal(Number(codes?.n), 0, 'no recovery code was issued');
      const stored = (await decisions('factor_change')).slice(before.length);
      assert.equal(stored.length, 1);
      assert.deepEqual([stored[0]?.decision, stored[0]?.rules], ['deny', ['young_account_factor']]);
      assert.equal(typeof stored[0]?.features['customer.age'], 'number', 'the snapshot keeps what was decided on');
      const refused = await audits('customer.factor_change', 'denied');
      assert.ok(refused.some((a) => (JSON.parse(a.details) as { reason?: string }).reason === 'risk_denied'));
      const decided = await audits('risk.decision', 'denied');
      assert.ok(decided.some((a) => (JSON.parse(a.details) as { id?: string }).id === stored[0]?.id));
    });

    test('a challenged factor change needs a step-up proven just now; a review goes on and opens a case', async () => {
      await activate([{
        id: 'factor_challenge', on: ['factor_change'], when: 'customer.age < 30d', action: 'challenge', score: 40,
        reason: 'factor_challenge',
      }]);
      // The proof from enrolment is 6 minutes old: fresh enough normally (10 min), not under a challenge (5 min).
      t.advance(6 * 60_000);
      const post = recoveryCodes;
      const challenged = await post();
      assert.equal(challenged.statusCode, 403, challenged.body);
      assert.equal(challenged.json().code, 'step_up_required');
      const stepUp = await t.app.inject({
        method: 'POST', url: '/v1/me/step-up', headers: bearer(who.accessToken),
        payload: { kind: 'totp', code: totpCode(who.totpSecret, t.identity.clock()) },
      });
      assert.equal(stepUp.statusCode, 200, stepUp.body);
      const passed = await post();
      assert.equal(passed.statusCode, 201, passed.body);
      assert.deepEqual((await decisions('factor_change')).slice(-2).map((d) => d.decision), ['challenge', 'challenge']);

      await activate([{
        id: 'factor_review', on: ['factor_change'], when: 'customer.age < 30d', action: 'review', score: 60,
        reason: 'factor_review',
      }]);
      const reviewed = await post();
      assert.equal(reviewed.statusCode, 201, reviewed.body);
      const [last] = (await decisions('factor_change')).slice(-1);
      assert.equal(last?.decision, 'review');
      const cases = await t.store.all<{ subject_id: string; details: string }>(
        "SELECT subject_id, details FROM cases WHERE kind = 'risk_review' AND subject_id = ?", [who.customerId],
      );
      assert.equal(cases.length, 1);
      assert.equal((JSON.parse(cases[0]?.details ?? '{}') as { decisionId?: string }).decisionId, last?.id);
    });

    test('wrong step-up answers count as the customer\'s failed step-ups, read by the next factor change', async () => {
      await activate([]);
      const stepUp = (code: string) => t.app.inject({
        method: 'POST', url: '/v1/me/step-up', headers: bearer(who.accessToken), remoteAddress: china,
        payload: { kind: 'totp', code },
      });
      const right = totpCode(who.totpSecret, t.identity.clock());
      for (const wrong of [1, 2]) {
        const refused = await stepUp(String((Number(right) + wrong) % 1_000_000).padStart(6, '0'));
        assert.deepEqual([refused.statusCode, refused.json().code], [401, 'code_invalid'], refused.body);
      }
      const changed = await recoveryCodes();
      assert.ok(changed.statusCode < 500, changed.body);
      const [decided] = (await decisions('factor_change')).slice(-1);
      assert.deepEqual(
        [decided?.features['customer.failed_step_ups_1h'], decided?.features['customer.failed_logins_1h']],
        [2, 0],
      );
    });

    test('logins are stored decisions with the client country; Germany minutes after China is denied', async () => {
      await activate([{
        id: 'impossible_login', on: ['login'], when: 'travel.impossible', action: 'deny', score: 100,
        reason: 'impossible_travel',
      }]);
      const login = (ip: string) => t.app.inject({
        method: 'POST', url: '/v1/customer-sessions', remoteAddress: ip,
        payload: { phone: who.phone, password: who.password, device: browserDevice },
      });
      const home = await login(china);
      assert.ok([201, 202].includes(home.statusCode), home.body);
      t.advance(10 * 60_000);
      const sessions = async () => Number((await t.store.get<{ n: number | string }>(
        'SELECT COUNT(*) AS n FROM customer_sessions WHERE customer_id = ?', [who.customerId],
      ))?.n);
      const before = await sessions();
      const abroad = await login(germany);
      assert.equal(abroad.statusCode, 403, abroad.body);
      assert.equal(abroad.json().code, 'login_denied');
      assert.equal(await sessions(), before, 'no session was issued');
      const [atHome, denied] = (await decisions('login')).slice(-2);
      assert.deepEqual([atHome?.features['ip.country'], atHome?.decision === 'deny'], ['CN', false]);
      assert.deepEqual(
        [denied?.decision, denied?.rules.includes('impossible_login'), denied?.features['ip.country'],
          denied?.features['travel.impossible']],
        ['deny', true, 'DE', true],
      );
      const audited = await audits('risk.decision', 'denied');
      assert.ok(audited.some((a) => (JSON.parse(a.details) as { id?: string }).id === denied?.id));
      // The refused login did not move the customer: home again is not travel.
      const again = await login(china);
      assert.ok([201, 202].includes(again.statusCode), again.body);
    });

    test('a card binding denied by the rules: 403 risk_denied, audited, nothing bound, issuer not asked', async () => {
      await activate([{
        id: 'no_binding', on: ['card_binding'], when: 'customer.age < 30d', action: 'deny', score: 100,
        reason: 'no_binding',
      }]);
      t.advance(30_000);
      const response = await t.app.inject({
        method: 'POST', url: '/v1/cards', headers: bearer(who.accessToken),
        payload: {
          pan, expiryMonth: 12, expiryYear: 2030, cvv: '737',
          stepUp: { kind: 'totp', code: totpCode(who.totpSecret, t.identity.clock()) },
        },
      });
      assert.equal(response.statusCode, 403, response.body);
      assert.equal(response.json().code, 'risk_denied');
      const cards = await t.app.inject({ method: 'GET', url: '/v1/cards', headers: bearer(who.accessToken) });
      assert.deepEqual(cards.json().items, [], 'no card is bound');
      const bindings = await t.store.all<{ state: string; failure_code: string }>(
        'SELECT state, failure_code FROM card_bindings WHERE customer_id = ?', [who.customerId],
      );
      assert.deepEqual(bindings.map((b) => [b.state, b.failure_code]), [['refused', 'risk_denied']]);
      const refused = await audits('card.bind', 'denied');
      assert.ok(refused.some((a) => (JSON.parse(a.details) as { reason?: string }).reason === 'risk_denied'));
      const [decided] = (await decisions('card_binding')).slice(-1);
      assert.deepEqual([decided?.decision, decided?.rules], ['deny', ['no_binding']]);
      assert.deepEqual((await sim.state()).otpsSent, [], 'the issuer sent no one-time code');
    });

    test('block lists on identity: a blocked range cannot log in, a blocked device cannot change factors', async () => {
      await activate([]);
      /** A list change as an approved `risk.list` proposal executes it. */
      async function listed(list: string, value: string, effect: 'block' | 'remove') {
        const change = listChangeExecutor.parse({ list, value, effect, note: 'test' });
        assert.ok(change !== undefined, 'a valid list change');
        const proposal = { id: `prp_list_${list}_${effect}`, proposedBy: 'op_maker' } as never;
        const done = await t.store.transaction((tx) =>
          listChangeExecutor.inside!(tx, change, proposal, t.identity.clock(), {} as never));
        assert.equal(done.ok, true);
      }
      const login = (ip: string) => t.app.inject({
        method: 'POST', url: '/v1/customer-sessions', remoteAddress: ip,
        payload: { phone: who.phone, password: who.password, device: browserDevice },
      });
      await listed('device', who.deviceId, 'block');
      const codes = await recoveryCodes();
      assert.deepEqual([codes.statusCode, codes.json().code], [403, 'risk_denied'], codes.body);
      const [factor] = (await decisions('factor_change')).slice(-1);
      assert.deepEqual([factor?.decision, factor?.rules.includes('block_list_identity')], ['deny', true]);
      await listed('device', who.deviceId, 'remove');

      await listed('address', '5.9.0.0/16', 'block');
      const refused = await login(germany);
      assert.deepEqual([refused.statusCode, refused.json().code], [403, 'login_denied'], refused.body);
      const [denied] = (await decisions('login')).slice(-1);
      const blockedBy = denied?.rules.includes('block_list_identity');
      const seen = [denied?.decision, blockedBy, denied?.features['address.blocked']];
      assert.deepEqual(seen, ['deny', true, true]);
      await listed('address', '5.9.0.0/16', 'remove');
      const home = await login(china);
      assert.ok([201, 202].includes(home.statusCode), home.body);
    });

    test('identity velocity: bindings per customer (default review), logins per device fingerprint', async () => {
      await activate([]);
      const bind = (last: string) => {
        t.advance(31_000);
        return t.app.inject({
          method: 'POST', url: '/v1/cards', headers: bearer(who.accessToken),
          payload: {
            pan: withCheckDigit(`62220200000${last}`), expiryMonth: 12, expiryYear: 2030, cvv: '737',
            stepUp: { kind: 'totp', code: totpCode(who.totpSecret, t.identity.clock()) },
          },
        });
      };
      // Three attempts within minutes (after the refused one above): by the third, two are counted before it.
      const before = (await decisions('card_binding')).length;
      for (const last of ['0001111', '0002222', '0003333']) {
        // The issuer may decline the made-up card afterwards: the risk decision came first either way.
        const bound = await bind(last);
        assert.ok(bound.statusCode < 500, bound.body);
      }
      const decided = (await decisions('card_binding')).slice(before);
      const counts = decided.map((d) => Number(d.features['customer.count_1h'] ?? 0));
      assert.ok(counts.every((n, i) => i === 0 || n >= (counts[i - 1] ?? 0)), `counted in order: ${counts}`);
      assert.ok((counts[2] ?? 0) >= 2, `the third attempt sees the ones before it: ${counts}`);
      for (const d of decided) {
        const velocity = Number(d.features['customer.count_1h'] ?? 0) >= 2;
        assert.deepEqual([d.decision, d.rules], velocity ? ['review', ['card_binding_velocity']] : ['allow', []]);
      }

      await activate([{
        id: 'device_login_burst', on: ['login'], when: 'device.count_1h >= 2', action: 'deny', score: 100,
        reason: 'device_login_burst',
      }]);
      const device = { ...browserDevice, installId: 'install-velocity' };
      const login = () => t.app.inject({
        method: 'POST', url: '/v1/customer-sessions', remoteAddress: china,
        payload: { phone: who.phone, password: who.password, device },
      });
      for (let i = 0; i < 2; i += 1) assert.ok([201, 202].includes((await login()).statusCode));
      const burst = await login();
      assert.deepEqual([burst.statusCode, burst.json().code], [403, 'login_denied'], burst.body);
      const [denied] = (await decisions('login')).slice(-1);
      assert.deepEqual([denied?.rules.includes('device_login_burst'), denied?.features['device.count_1h']], [true, 2]);
      assert.ok(Number(denied?.features['customer.count_1h']) >= 2, 'logins are counted per customer too');
    });

    test('a blocked ID-number hash denies a login and a registration; an allowed range passes', async () => {
      await activate([]);
      const row = await t.store.get<{ h: Buffer }>('SELECT id_number_index AS h FROM customers WHERE id = ?', [
        who.customerId,
      ]);
      const idHash = Buffer.from(row?.h ?? Buffer.alloc(0)).toString('hex');
      async function listed(list: string, value: string, effect: 'block' | 'allow' | 'remove') {
        const change = listChangeExecutor.parse({ list, value, effect, note: 'test' });
        assert.ok(change !== undefined, 'a valid list change');
        const proposal = { id: `prp_list2_${list}_${effect}`, proposedBy: 'op_maker' } as never;
        const done = await t.store.transaction((tx) =>
          listChangeExecutor.inside!(tx, change, proposal, t.identity.clock(), {} as never));
        assert.equal(done.ok, true);
      }
      const login = (device: object) => t.app.inject({
        method: 'POST', url: '/v1/customer-sessions', remoteAddress: germany,
        payload: { phone: who.phone, password: who.password, device },
      });
      await listed('id', idHash, 'block');
      const refused = await login(browserDevice);
      assert.deepEqual([refused.statusCode, refused.json().code], [403, 'login_denied'], refused.body);
      const [blocked] = (await decisions('login')).slice(-1);
      assert.deepEqual([blocked?.rules.includes('block_list_identity'), blocked?.features['id.blocked']], [true, true]);
      // Registration reads the same list: the blocked number opens no wallet — refused `risk_denied` before
      // anything is created (before even the one-wallet-per-class check would answer).
      const again = await registerThroughApi(t, { idNumber: who.idNumber }).then(
        () => 'registered',
        (error: unknown) => String(error),
      );
      assert.match(again, /register 403 .*risk_denied/);
      const registrations = await audits('customer.register', 'denied');
      assert.ok(registrations.some((a) => (JSON.parse(a.details) as { reason?: string }).reason === 'risk_denied'));
      await listed('id', idHash, 'remove');

      t.advance(2 * 3600_000);
      const stranger = { ...browserDevice, installId: 'install-abroad' };
      const challenged = await login(stranger);
      assert.equal(challenged.statusCode, 202, challenged.body);
      await listed('address', '5.9.0.0/16', 'allow');
      const passed = await login({ ...stranger, installId: 'install-abroad-2' });
      assert.equal(passed.statusCode, 201, passed.body);
      const [allowed] = (await decisions('login')).slice(-1);
      assert.deepEqual([allowed?.decision, allowed?.rules, allowed?.features['address.allowed']], ['allow', [], true]);
      await listed('address', '5.9.0.0/16', 'remove');
    });

    test('failed logins counted per browser, /24 and customer: a burst challenges, past thirty denies', async () => {
      await activate([]);
      t.advance(2 * 3600_000);
      const device = { ...browserDevice, installId: 'install-failures' };
      const attempt = (phone: string, password: string, ip: string) => t.app.inject({
        method: 'POST', url: '/v1/customer-sessions', remoteAddress: ip, payload: { phone, password, device },
      });
      // Numbers no customer holds, one each from its own address (no throttle or stuffing lock binds): the
      // browser and the /24 fail ten times.
      const failures = async (n: number, from: number) => {
        for (let i = 0; i < n; i += 1) {
          const failed = await attempt(phoneNumber(), 'not-the-password-1', `223.5.5.${from + i}`);
          assert.deepEqual([failed.statusCode, failed.json().code], [401, 'login_failed'], failed.body);
        }
      };
      await failures(9, 10);
      const ninth = await attempt(who.phone, who.password, '223.5.5.200');
      assert.equal(ninth.statusCode, 202, ninth.body);
      const [below] = (await decisions('login')).slice(-1);
      assert.deepEqual(
        [below?.features['device.failed_logins_1h'], below?.rules.includes('failed_logins_burst')],
        [9, false],
      );
      await failures(1, 19);
      const challenged = await attempt(who.phone, who.password, '223.5.5.200');
      assert.equal(challenged.statusCode, 202, challenged.body);
      const [burst] = (await decisions('login')).slice(-1);
      assert.deepEqual(
        [burst?.features['device.failed_logins_1h'], burst?.features['address.failed_logins_1h'],
          burst?.features['customer.failed_logins_1h'], burst?.rules.includes('failed_logins_burst')],
        [10, 10, 0, true],
      );
      // A wrong answer to the challenge and a wrong password are the customer's failures (and the browser's).
      const code = totpCode(who.totpSecret, t.identity.clock());
      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
      const answered = await t.app.inject({
        method: 'POST', url: `/v1/login-challenges/${String(challenged.json().challengeId)}`,
        remoteAddress: '223.5.5.200', payload: { factor: 'totp', code: wrong },
      });
      assert.ok(answered.statusCode >= 400 && answered.statusCode < 500, answered.body);
      const mistyped = await attempt(who.phone, 'not-the-password-2', '223.5.5.201');
      assert.equal(mistyped.statusCode, 401, mistyped.body);
      await failures(17, 30);
      const atBound = await attempt(who.phone, who.password, '223.5.5.200');
      assert.equal(atBound.statusCode, 202, atBound.body);
      const [before] = (await decisions('login')).slice(-1);
      assert.deepEqual(
        [before?.features['device.failed_logins_1h'], before?.features['customer.failed_logins_1h'], before?.decision],
        [29, 2, 'challenge'],
      );
      await failures(1, 50);
      const refused = await attempt(who.phone, who.password, '223.5.5.200');
      assert.deepEqual([refused.statusCode, refused.json().code], [403, 'login_denied'], refused.body);
      const [denied] = (await decisions('login')).slice(-1);
      assert.deepEqual(
        [denied?.features['device.failed_logins_1h'], denied?.rules.includes('failed_logins_extreme')],
        [30, true],
      );
    });

    test('distinct customers per browser: a sixth account logging in on one browser goes to review', async () => {
      await activate([]);
      const device = { ...browserDevice, installId: 'install-farm' };
      const farm = 'many_customers_one_device';
      const login = (phone: string, password: string) => t.app.inject({
        method: 'POST', url: '/v1/customer-sessions', remoteAddress: china, payload: { phone, password, device },
      });
      for (let i = 1; i <= 5; i += 1) {
        const other = await registerThroughApi(t, { idNumber: residentIdNumber(`1990030${i}`) });
        const response = await login(other.phone, other.password);
        assert.equal(response.statusCode, 202, response.body);
        const [decided] = (await decisionsOfSubject(t.store, other.customerId)).filter((d) => d.event === 'login');
        assert.deepEqual(
          [decided?.features['device.customers_30d'], decided?.hits.some((h) => h.rule === farm)],
          [i - 1, false],
        );
      }
      const sixth = await login(who.phone, who.password);
      assert.equal(sixth.statusCode, 202, sixth.body);
      const [reviewed] = (await decisions('login')).slice(-1);
      assert.deepEqual(
        [reviewed?.decision, reviewed?.features['device.customers_30d'], reviewed?.rules.includes(farm)],
        ['review', 5, true],
      );
      const cases = await t.store.all<{ id: string }>(
        "SELECT id FROM cases WHERE kind = 'risk_review' AND customer_id = ?",
        [who.customerId],
      );
      assert.ok(cases.length > 0, 'a risk_review case opened on the customer');
    });
  });
}
