// Maker–checker, attacked: self-approval, approval by the wrong role or by an API token, replayed
// and concurrent approvals, expiry, rejection, self-escalation and malformed proposals. The action
// runs once, only after a different, MFA-authenticated operator with the right role approves.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { balanceOf } from '../ledger/index.ts';
import { testStoreKinds } from '../store/testing.ts';
import type { CreatedOperator } from './index.ts';
import { bearer, createAccessTestApp, type AccessTestApp } from '../wiring/access-test-app.ts';

interface Cast {
  adminA: CreatedOperator;
  adminB: CreatedOperator;
  ops: CreatedOperator;
  ops2: CreatedOperator;
  tokens: Record<'adminA' | 'adminB' | 'ops' | 'ops2' | 'ops3', string>;
}

async function castOf(t: AccessTestApp): Promise<Cast> {
  const adminA = await t.operator('administrator');
  const adminB = await t.operator('administrator');
  const ops = await t.operator('operations');
  const ops2 = await t.operator('operations');
  // ops2 becomes a risk analyst in the first test; ops3 stays in operations as a second checker.
  const ops3 = await t.operator('operations');
  const tokens = { adminA: await t.login(adminA), adminB: await t.login(adminB), ops: await t.login(ops), ops2: await t.login(ops2), ops3: await t.login(ops3) };
  return { adminA, adminB, ops, ops2, tokens };
}

const post = (t: AccessTestApp, url: string, token: string, payload?: unknown) =>
  t.app.inject({ method: 'POST', url, headers: bearer(token), ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

for (const kind of testStoreKinds()) {
  describe(`maker–checker (${kind})`, () => {
    let t: AccessTestApp;
    let c: Cast;
    before(async () => {
      t = await createAccessTestApp(kind);
      c = await castOf(t);
    });
    after(() => t.close());

    test('a role change takes effect only when a different administrator approves, once', async () => {
      const proposed = await post(t, '/v1/proposals', c.tokens.adminA, { kind: 'operator.role_change', payload: { operatorId: c.ops2.id, role: 'risk_analyst' }, reason: 'moves to the risk team' });
      assert.equal(proposed.statusCode, 201);
      const id = proposed.json().id as string;
      assert.equal(proposed.json().state, 'pending');
      const refusals = [
        [c.tokens.adminA, 403, 'proposal_self_approval'],
        [c.tokens.ops, 403, 'forbidden'],
        [await t.apiToken('administrator'), 403, 'mfa_required'],
      ] as const;
      for (const [token, status, code] of refusals) {
        const response = await post(t, `/v1/proposals/${id}/approve`, token);
        assert.equal(response.statusCode, status);
        assert.equal(response.json().code, code);
      }
      assert.equal((await t.app.inject({ url: '/v1/operators/me', headers: bearer(c.tokens.ops2) })).json().role, 'operations', 'nothing changed yet');
      const approved = await post(t, `/v1/proposals/${id}/approve`, c.tokens.adminB);
      assert.equal(approved.statusCode, 200);
      assert.equal(approved.json().state, 'executed');
      assert.equal(approved.json().decidedBy, c.adminB.id);
      assert.equal((await t.app.inject({ url: '/v1/operators/me', headers: bearer(c.tokens.ops2) })).json().role, 'risk_analyst', 'applies to live sessions at once');
      const replay = await post(t, `/v1/proposals/${id}/approve`, c.tokens.adminB);
      assert.equal(replay.statusCode, 409);
      assert.equal(replay.json().code, 'proposal_not_pending');
      const denied = (await t.auditRows('proposal.approve')).filter((r) => r.target === id).map((r) => [r.outcome, r.details.reason ?? null]);
      assert.deepEqual(denied, [['denied', 'proposal_self_approval'], ['denied', 'forbidden'], ['denied', 'mfa_required'], ['success', null], ['denied', 'proposal_not_pending']]);
      assert.equal((await t.auditRows('operator.role_change')).length, 1);
    });

    test('escalation attempts are refused and audited', async () => {
      const cases = [
        ['own role', c.tokens.adminA, { kind: 'operator.role_change', payload: { operatorId: c.adminA.id, role: 'auditor' } }, 403, 'proposal_self_target'],
        ['operations → administrator', c.tokens.ops, { kind: 'operator.role_change', payload: { operatorId: c.ops.id, role: 'administrator' } }, 403, 'forbidden'],
        ['unknown kind', c.tokens.adminA, { kind: 'keys.rotate_all', payload: {} }, 422, 'proposal_kind_unknown'],
        ['bad payload', c.tokens.adminA, { kind: 'operator.role_change', payload: { operatorId: c.ops.id, role: 'root' } }, 422, 'proposal_payload_invalid'],
      ] as const;
      for (const [name, token, body, status, code] of cases) {
        const response = await post(t, '/v1/proposals', token, body);
        assert.equal(response.statusCode, status, name);
        assert.equal(response.json().code, code, name);
      }
      const audited = (await t.auditRows('proposal.create')).filter((r) => r.outcome === 'denied').slice(-4).map((r) => r.details.reason);
      assert.deepEqual(audited, cases.map((x) => x[4]));
      const cs = await t.apiToken('customer_service');
      assert.equal((await post(t, '/v1/proposals', cs, cases[1][2])).json().code, 'forbidden');
      const newAdmin = await post(t, '/v1/operators', c.tokens.adminA, { name: 'sneaky-admin', role: 'administrator' });
      assert.equal(newAdmin.json().code, 'forbidden');
      assert.equal((await t.auditRows('operator.create')).at(-1)?.details.reason, 'role_escalation');
      const malformed = await post(t, '/v1/proposals', c.tokens.adminA, { kind: 'operator.role_change', payload: {}, extra: 1 });
      assert.equal(malformed.statusCode, 400);
      assert.equal(malformed.json().code, 'validation_failed');
      assert.deepEqual((await t.auditRows('operator.request')).at(-1)?.details, { reason: 'malformed_request' });
    });

    test('a ledger adjustment posts once, with the proposal id as its idempotency key, even when approved twice at once', async () => {
      const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'bank' });
      const suspense = await t.ledger.openAccount({ kind: 'suspense', currency: 'CNY', name: 'suspense' });
      const wallet = await t.ledger.openAccount({ kind: 'customer_wallet', currency: 'CNY', name: 'wallet' });
      assert.ok((await t.ledger.submit({ kind: 'single', key: 'fund-suspense', debitAccountId: bank.id, creditAccountId: suspense.id, amount: 10_000n, currency: 'CNY' })).ok);
      const notSuspense = await post(t, '/v1/proposals', c.tokens.ops, { kind: 'ledger.adjustment', payload: { debitAccountId: bank.id, creditAccountId: wallet.id, amount: '1.00', currency: 'CNY', reference: 'x' } });
      assert.equal(notSuspense.json().code, 'proposal_payload_invalid', 'manual movements go through suspense');
      const proposed = await post(t, '/v1/proposals', c.tokens.ops, { kind: 'ledger.adjustment', payload: { debitAccountId: suspense.id, creditAccountId: wallet.id, amount: '12.34', currency: 'CNY', reference: 'statement line 42' } });
      assert.equal(proposed.statusCode, 201);
      const id = proposed.json().id as string;
      assert.equal(proposed.json().payload.amountMinor, '1234');
      const [first, second] = await Promise.all([post(t, `/v1/proposals/${id}/approve`, c.tokens.adminB), post(t, `/v1/proposals/${id}/approve`, c.tokens.ops3)]);
      assert.deepEqual([first.statusCode, second.statusCode].sort(), [200, 409], 'one approval wins, the other finds it decided');
      const winner = first.statusCode === 200 ? first : second;
      assert.equal(winner.json().state, 'executed');
      assert.equal(balanceOf((await t.ledger.account(wallet.id))!), 1234n);
      const replay = await post(t, `/v1/proposals/${id}/approve`, c.tokens.adminB);
      assert.equal(replay.json().code, 'proposal_not_pending');
      assert.equal(balanceOf((await t.ledger.account(wallet.id))!), 1234n, 'executed once');
      const transfers = await t.store.all('SELECT idempotency_key FROM ledger_transfers WHERE credit_account_id = ?', [wallet.id]);
      assert.deepEqual(transfers.map((r) => r.idempotency_key), [`proposal:${id}`]);
      assert.equal((await t.auditRows('proposal.execute')).filter((r) => r.target === id && r.outcome === 'success').length, 1);
    });

    test('an adjustment the ledger refuses is recorded as failed; rejections and expiries are recorded', async () => {
      const suspense = await t.ledger.openAccount({ kind: 'suspense', currency: 'CNY', name: 'empty suspense' });
      const wallet = await t.ledger.openAccount({ kind: 'customer_wallet', currency: 'CNY', name: 'wallet 2' });
      const payload = { debitAccountId: suspense.id, creditAccountId: wallet.id, amount: '5.00', currency: 'CNY', reference: 'r' };
      const broke = (await post(t, '/v1/proposals', c.tokens.ops, { kind: 'ledger.adjustment', payload })).json().id as string;
      const failed = await post(t, `/v1/proposals/${broke}/approve`, c.tokens.ops3);
      assert.equal(failed.json().state, 'failed');
      assert.equal(failed.json().result.code, 'insufficient_funds');

      const rejected = (await post(t, '/v1/proposals', c.tokens.ops, { kind: 'ledger.adjustment', payload })).json().id as string;
      assert.equal((await post(t, `/v1/proposals/${rejected}/reject`, c.tokens.ops)).json().code, 'proposal_self_approval');
      assert.equal((await post(t, `/v1/proposals/${rejected}/reject`, c.tokens.ops3)).json().state, 'rejected');
      assert.equal((await post(t, `/v1/proposals/${rejected}/approve`, c.tokens.adminB)).json().code, 'proposal_not_pending');

      const stale = (await post(t, '/v1/proposals', c.tokens.ops, { kind: 'ledger.adjustment', payload })).json().id as string;
      t.advance(t.config.proposalTtlMs);
      c.tokens.adminB = await t.login(c.adminB); // the old session ended long ago
      const expired = await post(t, `/v1/proposals/${stale}/approve`, c.tokens.adminB);
      assert.equal(expired.statusCode, 409);
      assert.equal(expired.json().code, 'proposal_expired');
      const view = await t.app.inject({ url: `/v1/proposals/${stale}`, headers: bearer(await t.apiToken('auditor')) });
      assert.equal(view.json().state, 'expired');
      assert.equal((await t.auditRows('proposal.expire')).filter((r) => r.target === stale).length, 1);
      assert.equal((await t.auditRows('proposal.reject')).filter((r) => r.target === rejected && r.outcome === 'success').length, 1);
      const missing = await post(t, '/v1/proposals/prp_0000000000aaaaaaaaaaaaaaaa/approve', c.tokens.adminB);
      assert.equal(missing.json().code, 'proposal_not_found');
    });

    test('the database itself refuses a decision by the proposer', async () => {
      await assert.rejects(t.store.run("INSERT INTO proposals (id, kind, payload, proposed_by, approver_roles, state, decided_by, created_at, expires_at) VALUES ('prp_x', 'k', '{}', 'opr_a', '[]', 'approved', 'opr_a', 0, 1)"));
    });
  });
}
