// Issue 9, items 1–3, replayed through the public API on each store: an operator credential moving
// customer money, an administrator defeating four eyes with a "second" operator they created, and
// operator tokens that never expire, cannot be revoked or are minted at start-up. Each attack must
// be refused (status + problem code), audited (operator, session or token id, client address) and
// change nothing (balances, roles, tokens).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newTotpSecret, totpCodeAt } from '../access/index.ts';
import { bearer, createAccessTestApp, type AccessTestApp, type TestOperator } from '../wiring/access-test-app.ts';
import { enrolledTestOperator } from '../wiring/test-operators.ts';
import { tokensCommand } from '../commands/tokens.ts';
import { loadConfig } from '../config.ts';
import { testKekEnv } from '../wiring/test-app.ts';
import { balanceOf } from '../ledger/index.ts';
import { serve } from '../serve.ts';
import { testStoreKinds } from '../store/testing.ts';

const attacker = '198.51.100.7';
const dayMs = 24 * 3600_000;

interface World {
  bank: string;
  suspense: string;
  revenue: string;
  alice: string;
  bob: string;
  merchant: string;
}

async function worldOf(t: AccessTestApp): Promise<World> {
  const open = async (kind: 'bank_settlement' | 'suspense' | 'platform_revenue' | 'customer_wallet' | 'merchant', name: string) => (await t.ledger.openAccount({ kind, currency: 'CNY', name })).id;
  const w = {
    bank: await open('bank_settlement', 'bank'), suspense: await open('suspense', 'suspense'), revenue: await open('platform_revenue', 'revenue'),
    alice: await open('customer_wallet', 'alice'), bob: await open('customer_wallet', 'bob'), merchant: await open('merchant', 'tea house'),
  };
  // Setting the scene through the ledger library (not an operator credential).
  for (const [key, to, amount] of [['seed-alice', w.alice, 50_000n], ['seed-suspense', w.suspense, 100_000n]] as const) {
    assert.ok((await t.ledger.submit({ kind: 'single', key, debitAccountId: w.bank, creditAccountId: to, amount, currency: 'CNY' })).ok);
  }
  return w;
}

async function balances(t: AccessTestApp, w: World): Promise<Record<string, bigint>> {
  const out: Record<string, bigint> = {};
  for (const [name, id] of Object.entries(w)) out[name] = balanceOf((await t.ledger.account(id))!);
  return out;
}

function call(t: AccessTestApp, method: 'GET' | 'POST' | 'DELETE', url: string, token: string | null, payload?: unknown, key?: string) {
  const headers: Record<string, string> = token === null ? {} : bearer(token);
  if (key !== undefined) headers['idempotency-key'] = key;
  return t.app.inject({ method, url, headers, remoteAddress: attacker, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
}

function assertProblem(response: { statusCode: number; json(): unknown }, status: number, code: string, why: string) {
  assert.equal(response.statusCode, status, `${why}: ${JSON.stringify(response.json())}`);
  assert.equal((response.json() as { code: string }).code, code, why);
}

const whoIs = async (t: AccessTestApp, token: string) => (await call(t, 'GET', '/v1/operators/me', token)).json() as { id: string; via: string };

for (const kind of testStoreKinds()) {
  describe(`issue 9 operator controls (${kind})`, () => {
    let t: AccessTestApp;
    let w: World;
    let adminA: TestOperator;
    let adminB: TestOperator;
    let ops: TestOperator;
    let sessions: { adminA: string; adminB: string; ops: string };
    let adminToken: string;
    before(async () => {
      t = await createAccessTestApp(kind);
      w = await worldOf(t);
      adminA = await t.operator('administrator');
      adminB = await t.operator('administrator');
      ops = await t.operator('operations');
      sessions = { adminA: await t.login(adminA, attacker), adminB: await t.login(adminB, attacker), ops: await t.login(ops, attacker) };
      const issued = await call(t, 'POST', '/v1/operator-tokens', sessions.adminA, { name: 'automation' });
      assert.equal(issued.statusCode, 201, issued.body);
      adminToken = (issued.json() as { token: string }).token;
    });
    after(() => t.close());

    test('1. an administrator token (or session) cannot move or create money in customer or merchant accounts', async () => {
      const before = await balances(t, w);
      const attacks = [
        ['wallet to wallet', '/v1/transfers', { debitAccountId: w.alice, creditAccountId: w.bob, amount: '100.00', currency: 'CNY' }],
        ['wallet to the platform', '/v1/transfers', { debitAccountId: w.alice, creditAccountId: w.revenue, amount: '1.00', currency: 'CNY' }],
        ['into a merchant', '/v1/transfers', { debitAccountId: w.suspense, creditAccountId: w.merchant, amount: '1.00', currency: 'CNY' }],
        ['1,000,000 CNY created in a wallet', '/v1/fundings', { bankAccountId: w.bank, accountId: w.bob, amount: '1000000.00', currency: 'CNY' }],
        ['hold on a wallet', '/v1/holds', { debitAccountId: w.alice, creditAccountId: w.bob, amount: '10.00', currency: 'CNY' }],
      ] as const;
      let n = 0;
      for (const credential of [adminToken, sessions.adminA]) {
        for (const [name, url, body] of attacks) assertProblem(await call(t, 'POST', url, credential, body, `attack-${++n}-0001`), 403, 'adjustment_required', name);
      }
      // A payment's hold on a wallet is not an operator's to post or void.
      const hold = await t.ledger.submit({ kind: 'hold', key: 'payment-hold-1', debitAccountId: w.alice, creditAccountId: w.merchant, amount: 2_000n, currency: 'CNY', timeoutMs: dayMs });
      assert.ok(hold.ok);
      assertProblem(await call(t, 'POST', `/v1/holds/${hold.transfer.seq}/post`, adminToken, {}, 'attack-post-0001'), 403, 'adjustment_required', 'post a wallet hold');
      assertProblem(await call(t, 'POST', `/v1/holds/${hold.transfer.seq}/void`, adminToken, undefined, 'attack-void-0001'), 403, 'adjustment_required', 'void a wallet hold');
      assert.equal((await t.ledger.hold(hold.transfer.seq))?.state, 'pending');
      assert.deepEqual(await balances(t, w), before, 'nothing moved');

      const denied = (await t.auditRows('ledger.movement')).filter((r) => r.outcome === 'denied');
      assert.equal(denied.length, attacks.length * 2 + 2);
      for (const row of denied) {
        assert.equal(row.actor_id, adminA.id, 'names the operator');
        assert.equal(row.ip, attacker, 'names the client address');
        assert.match(String(row.details.credential), /^(tok|ses)_[0-9a-z]{26}$/, 'names the token or session');
        assert.equal(row.details.reason, 'adjustment_required');
      }
      assert.deepEqual(await whoIs(t, adminToken), { id: adminA.id, name: adminA.name, role: 'administrator', via: 'api_token' }, 'the token is the operator’s');
    });

    test('1. between the platform’s own accounts an operator may move money, audited with operator, token and address', async () => {
      const moved = await call(t, 'POST', '/v1/transfers', adminToken, { debitAccountId: w.suspense, creditAccountId: w.revenue, amount: '3.00', currency: 'CNY', reference: 'fee correction' }, 'platform-move-0001');
      assert.equal(moved.statusCode, 201, moved.body);
      const entry = (await t.auditRows('ledger.movement')).filter((r) => r.outcome === 'success').at(-1);
      assert.equal(entry?.actor_id, adminA.id);
      assert.equal(entry?.ip, attacker);
      assert.match(String(entry?.details.credential), /^tok_/);
      assert.equal(entry?.details.amountMinor, '300');
    });

    test('1. a manual movement into a wallet is a ledger.adjustment: tokens can neither propose nor approve it; two MFA sessions can', async () => {
      const before = await balances(t, w);
      const adjustment = { kind: 'ledger.adjustment', payload: { debitAccountId: w.suspense, creditAccountId: w.bob, amount: '12.34', currency: 'CNY', reference: 'statement line 7' } };
      assertProblem(await call(t, 'POST', '/v1/proposals', adminToken, adjustment), 403, 'mfa_required', 'a token proposes an adjustment');
      assert.equal((await t.auditRows('proposal.create')).at(-1)?.details.reason, 'mfa_required');
      const proposed = await call(t, 'POST', '/v1/proposals', sessions.ops, adjustment);
      assert.equal(proposed.statusCode, 201, proposed.body);
      const id = (proposed.json() as { id: string }).id;
      assertProblem(await call(t, 'POST', `/v1/proposals/${id}/approve`, adminToken), 403, 'mfa_required', 'a token approves');
      assertProblem(await call(t, 'POST', `/v1/proposals/${id}/approve`, sessions.ops), 403, 'proposal_self_approval', 'the maker approves');
      assert.deepEqual(await balances(t, w), before, 'nothing moved before a second person approved');
      const approved = await call(t, 'POST', `/v1/proposals/${id}/approve`, sessions.adminB);
      assert.equal((approved.json() as { state: string }).state, 'executed', approved.body);
      assert.deepEqual(await balances(t, w), { ...before, bob: (before.bob ?? 0n) + 1234n, suspense: (before.suspense ?? 0n) - 1234n });
      const executed = (await t.auditRows('proposal.execute')).filter((r) => r.target === id);
      assert.equal(executed.length, 1);
      assert.equal(executed[0]?.actor_id, adminB.id, 'names the checker');
      assert.equal(executed[0]?.ip, attacker);
      assert.match(String(executed[0]?.details.credential), /^ses_/);
      assert.deepEqual([executed[0]?.details.proposedBy, executed[0]?.details.approvedBy], [ops.id, adminB.id]);
    });

    test('2. creating an operator never reveals their password or TOTP secret; a puppet operator cannot be the second pair of eyes', async () => {
      const created = await call(t, 'POST', '/v1/operators', adminToken, { name: 'puppet-ops', role: 'operations' });
      assert.equal(created.statusCode, 201, created.body);
      const body = created.json() as Record<string, string>;
      assert.deepEqual(Object.keys(body).sort(), ['enrolmentCode', 'enrolmentExpiresAt', 'grantProposalId', 'id', 'name', 'role']);
      assert.ok(!('password' in body) && !('totpSecret' in body));
      // The attacker redeems the code themselves, choosing the puppet's factors …
      const totpSecret = newTotpSecret();
      const puppet: TestOperator = { id: body.id as string, name: 'puppet-ops', role: 'operations', password: 'puppet password 123', totpSecret };
      const enrol = (code: string) => call(t, 'POST', '/v1/operator-enrolments', null, { name: puppet.name, code, password: puppet.password, totpSecret, totp: totpCodeAt(totpSecret, t.now()) });
      assert.equal((await enrol(body.enrolmentCode as string)).statusCode, 204);
      assertProblem(await enrol(body.enrolmentCode as string), 401, 'enrolment_code_invalid', 'the code is single use');
      // … but the puppet has no role until another administrator approves, so it cannot log in yet.
      await assert.rejects(t.login(puppet, attacker), /login failed/);
      assert.equal((await t.auditRows('operator.login')).at(-1)?.details.reason, 'role_not_granted');
      const grant = body.grantProposalId as string;
      assertProblem(await call(t, 'POST', `/v1/proposals/${grant}/approve`, sessions.adminA), 403, 'proposal_self_approval', 'the creator grants the role');
      assert.equal((await call(t, 'POST', `/v1/proposals/${grant}/approve`, sessions.adminB)).statusCode, 200);
      const puppetSession = await t.login(puppet, attacker);

      // The attack: the creator proposes, their puppet approves.
      const before = await balances(t, w);
      const adjustment = { kind: 'ledger.adjustment', payload: { debitAccountId: w.suspense, creditAccountId: w.alice, amount: '999.00', currency: 'CNY', reference: 'for me' } };
      const proposed = await call(t, 'POST', '/v1/proposals', sessions.adminA, adjustment);
      assert.equal(proposed.statusCode, 201);
      const id = (proposed.json() as { id: string }).id;
      assertProblem(await call(t, 'POST', `/v1/proposals/${id}/approve`, puppetSession), 403, 'proposal_related_approval', 'the puppet approves its creator');
      const refused = (await t.auditRows('proposal.approve')).filter((r) => r.target === id);
      assert.deepEqual(refused.map((r) => [r.actor_id, r.outcome, r.details.reason, r.ip]), [[puppet.id, 'denied', 'proposal_related_approval', attacker]]);
      assert.deepEqual(await balances(t, w), before);
      assert.equal((await call(t, 'GET', `/v1/proposals/${id}`, sessions.adminB)).json().state, 'pending');
    });

    test('2. enrolment codes expire; the API never creates an administrator; tokens never approve a role grant', async () => {
      const created = await call(t, 'POST', '/v1/operators', sessions.adminA, { name: 'late-joiner', role: 'auditor' });
      const { enrolmentCode, grantProposalId } = created.json() as { enrolmentCode: string; grantProposalId: string };
      assertProblem(await call(t, 'POST', `/v1/proposals/${grantProposalId}/approve`, await t.apiToken('administrator')), 403, 'mfa_required', 'a token approves a grant');
      t.advance(t.config.operatorEnrolmentTtlMs + 1);
      const totpSecret = newTotpSecret();
      const late = await call(t, 'POST', '/v1/operator-enrolments', null, { name: 'late-joiner', code: enrolmentCode, password: 'a fine long password', totpSecret, totp: totpCodeAt(totpSecret, t.now()) });
      assertProblem(late, 401, 'enrolment_code_invalid', 'expired code');
      assert.equal((await t.auditRows('operator.enrol')).at(-1)?.details.reason, 'code_invalid_used_or_expired');
      const row = await t.store.get('SELECT password_hash, enrolled_at FROM operators WHERE name = ?', ['late-joiner']);
      assert.deepEqual([row?.password_hash, row?.enrolled_at], ['', null]);
      const listed = (await call(t, 'GET', '/v1/operators', adminToken)).json() as { items: { name: string; enrolled: boolean; roleGranted: boolean }[] };
      assert.deepEqual(listed.items.find((o) => o.name === 'late-joiner'), { ...listed.items.find((o) => o.name === 'late-joiner'), enrolled: false, roleGranted: false });
      assertProblem(await call(t, 'POST', '/v1/operators', adminToken, { name: 'sneaky-admin', role: 'administrator' }), 403, 'forbidden', 'an administrator by API');
      // Sessions last 8 hours at most: everyone logs in again for the next test.
      sessions = { adminA: await t.login(adminA, attacker), adminB: await t.login(adminB, attacker), ops: await t.login(ops, attacker) };
    });

    test('3. tokens belong to an operator, are issued only from a session, expire, and are revoked; every issue and revoke is audited', async () => {
      assertProblem(await call(t, 'POST', '/v1/operator-tokens', adminToken, { name: 'successor' }), 403, 'mfa_required', 'a token mints a token');
      assert.equal((await t.auditRows('operator.token.issue')).at(-1)?.details.reason, 'mfa_required');
      assertProblem(await call(t, 'POST', '/v1/operator-tokens', sessions.ops, { name: 'forever', expiresInDays: 91 }), 400, 'validation_failed', 'beyond the maximum');
      const issued = await call(t, 'POST', '/v1/operator-tokens', sessions.ops, { name: 'nightly job' });
      assert.equal(issued.statusCode, 201);
      const token = issued.json() as { id: string; token: string; operatorId: string; expiresAt: string };
      assert.equal(token.operatorId, ops.id);
      assert.equal(Date.parse(token.expiresAt), t.now() + 90 * dayMs, '90 days by default');
      const issueEntry = (await t.auditRows('operator.token.issue')).at(-1);
      assert.deepEqual([issueEntry?.actor_id, issueEntry?.target, issueEntry?.outcome, issueEntry?.ip], [ops.id, token.id, 'success', attacker]);

      const listed = (await call(t, 'GET', '/v1/operator-tokens?live=true', adminToken)).json() as { items: { id: string; operatorName: string }[] };
      assert.ok(listed.items.some((i) => i.id === token.id && i.operatorName === ops.name));
      assert.ok(!JSON.stringify(listed).includes(token.token), 'the list never shows a secret');

      // Someone else's token: an operations operator may not revoke it; the owner may.
      const other = await call(t, 'POST', '/v1/operator-tokens', sessions.adminB, { name: 'admin b job' });
      const otherId = (other.json() as { id: string }).id;
      assertProblem(await call(t, 'DELETE', `/v1/operator-tokens/${otherId}`, token.token), 403, 'forbidden', 'revoke someone else’s token');
      assert.equal((await t.auditRows('operator.token.revoke')).at(-1)?.details.reason, 'forbidden');
      assert.equal((await call(t, 'GET', '/v1/operators/me', token.token)).statusCode, 200);
      assert.equal((await call(t, 'DELETE', `/v1/operator-tokens/${token.id}`, token.token)).statusCode, 200);
      assertProblem(await call(t, 'GET', '/v1/operators/me', token.token), 401, 'unauthenticated', 'a revoked token');
      const revokeEntry = (await t.auditRows('operator.token.revoke')).at(-1);
      assert.deepEqual([revokeEntry?.actor_id, revokeEntry?.target, revokeEntry?.outcome], [ops.id, token.id, 'success']);

      // Expiry: the administrator's automation token stops working after 90 days.
      assert.equal((await call(t, 'GET', '/v1/operators/me', adminToken)).statusCode, 200);
      t.advance(90 * dayMs);
      assertProblem(await call(t, 'GET', '/v1/operators/me', adminToken), 401, 'unauthenticated', 'an expired token');
      assert.equal((await t.auditRows('operator.authenticate')).at(-1)?.details.reason, 'invalid_token');
    });
  });
}

/** Runs `work` with a line writer, collecting what a command or the server would have printed. */
async function captured<T>(work: (say: (line: string) => void) => Promise<T>): Promise<{ result: T; out: string }> {
  const lines: string[] = [];
  const result = await work((line) => lines.push(line));
  return { result, out: lines.join('\n') };
}

describe('issue 9: start-up mints nothing; the CLI lists and revokes tokens and revoking all mints none (sqlite)', () => {
  const env = { ANFU_ENV: 'development', ANFU_LOG_LEVEL: 'silent', ANFU_DATA_DIR: mkdtempSync(join(tmpdir(), 'anfu-opctl-')), ANFU_PORT: '0', ANFU_HOST: '127.0.0.1', ANFU_INSECURE_HTTP: 'true' };
  const config = loadConfig({ ...env, ...testKekEnv(env) });

  test('serve without --demo prints and mints no token; tokens list/revoke --all on the CLI leave none and mint none', async () => {
    const started = await captured((say) => serve(config, { demo: false, say }));
    const running = started.result;
    try {
      assert.doesNotMatch(started.out, /anfu_op_|operator api token/i, 'start-up prints no operator token');
      const { store, access } = running.context;
      assert.equal(Number((await store.get('SELECT COUNT(*) AS n FROM api_tokens'))?.n), 0, 'start-up minted no token');
      const op = await enrolledTestOperator({ store, totpSecrets: access.totpSecrets, policy: access.enrolmentPolicy }, 'operations', Date.now());
      const created = await captured((say) => tokensCommand(config, ['create'], { operator: op.name, name: 'cli job' }, say));
      assert.equal(created.result, 0);
      assert.match(created.out, /anfu_op_[A-Za-z0-9_-]{43}/);
      const listed = await captured((say) => tokensCommand(config, ['list'], {}, say));
      assert.ok(listed.out.includes(op.name), 'the list names the operator');
      assert.doesNotMatch(listed.out, /anfu_op_/, 'the list shows no secret');
      const revoked = await captured((say) => tokensCommand(config, ['revoke'], { all: true }, say));
      assert.equal(revoked.result, 0);
      assert.equal(Number((await store.get('SELECT COUNT(*) AS n FROM api_tokens WHERE revoked_at IS NULL'))?.n), 0, 'revoking all leaves none');
      const entries = await store.all("SELECT action, outcome, device FROM audit_entries WHERE action LIKE 'operator.token.%' ORDER BY seq");
      assert.deepEqual(entries.map((e) => [e.action, e.outcome, e.device]), [['operator.token.issue', 'success', 'anfu cli'], ['operator.token.revoke', 'success', 'anfu cli']]);
    } finally {
      await running.close();
    }
    // A restart after revoking everything mints nothing either.
    const again = await captured((say) => serve(config, { demo: false, say }));
    try {
      assert.doesNotMatch(again.out, /anfu_op_/);
      assert.equal(Number((await again.result.context.store.get('SELECT COUNT(*) AS n FROM api_tokens WHERE revoked_at IS NULL'))?.n), 0);
    } finally {
      await again.result.close();
    }
  });
});
