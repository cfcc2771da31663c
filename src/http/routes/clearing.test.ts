// The clearing operator API on both stores: partners only through maker–checker proposals, a run, a
// statement refused whole with its code (nothing imported) and a CSV statement imported with its breaks, the
// reports in JSON and CSV, a role without the permission refused, and approved break corrections posted once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { balanceOf } from '../../ledger/index.ts';
import { postApprovedCorrections, approveBreak, openBreaks } from '../../reconciliation/index.ts';
import { testStoreKinds } from '../../store/testing.ts';
import { bearer, createAccessTestApp, type AccessTestApp } from '../../wiring/access-test-app.ts';
import { statementBytesMax } from './clearing.ts';

const partnerBody = {
  name: 'Test Bank', role: 'settlement_bank', currency: 'CNY', bic: 'TESTCNBJ', accountNumber: '6222000012345678',
  netDebitCap: '1000000', reason: 'our settlement bank for CNY',
};

for (const kind of testStoreKinds()) {
  describe(`clearing API (${kind})`, () => {
    let t: AccessTestApp;
    let tokens: { a: string; b: string; service: string };
    let partnerId = '';
    const call = (method: 'GET' | 'POST', url: string, token: string, payload?: unknown, type?: string) =>
      t.app.inject({
        method, url, payload: payload as string,
        headers: { ...bearer(token), ...(type === undefined ? {} : { 'content-type': type }) },
      });
    const count = async (table: string) => Number((await t.store.get(`SELECT COUNT(*) AS n FROM ${table}`))?.n);

    before(async () => {
      t = await createAccessTestApp(kind);
      tokens = {
        a: await t.login(await t.operator('operations')),
        b: await t.login(await t.operator('operations')),
        service: await t.login(await t.operator('customer_service')),
      };
    });
    after(async () => t.close());

    test('a role without the permission is refused and audited', async () => {
      const listed = await call('GET', '/v1/clearing/partners', tokens.service);
      assert.equal(listed.statusCode, 403, listed.body);
      assert.equal(listed.json().code, 'forbidden');
      const proposed = await call('POST', '/v1/clearing/partners', tokens.service, partnerBody);
      assert.equal(proposed.statusCode, 403);
      assert.equal(await count('clearing_partners'), 0);
      const denied = (await t.auditRows('operator.authorize')).filter((r) => r.details.permission === 'clearing.read');
      assert.equal(denied[0]?.outcome, 'denied');
      assert.equal(denied[0]?.details.role, 'customer_service');
    });

    test('a partner exists only once a second operator approves; so does a new cap', async () => {
      const proposed = await call('POST', '/v1/clearing/partners', tokens.a, partnerBody);
      assert.equal(proposed.statusCode, 201, proposed.body);
      assert.equal(proposed.json().kind, 'clearing.partner_create');
      assert.deepEqual((await call('GET', '/v1/clearing/partners', tokens.a)).json().items, []);
      const id = proposed.json().id as string;
      assert.equal((await call('POST', `/v1/proposals/${id}/approve`, tokens.a)).json().code, 'proposal_self_approval');
      const approved = await call('POST', `/v1/proposals/${id}/approve`, tokens.b);
      assert.equal(approved.json().state, 'executed', approved.body);
      const items = (await call('GET', '/v1/clearing/partners', tokens.a)).json().items as Record<string, string>[];
      assert.equal(items.length, 1);
      assert.equal(items[0]?.netDebitCap, '1000000');
      partnerId = items[0]?.id as string;

      const cap = await call('POST', `/v1/clearing/partners/${partnerId}/cap`, tokens.a, {
        netDebitCap: '5000', reason: 'liquidity tightened',
      });
      assert.equal(cap.statusCode, 201, cap.body);
      const after = (await call('GET', '/v1/clearing/partners', tokens.a)).json().items[0];
      assert.equal(after.netDebitCap, '1000000', 'unchanged until approved');
      const capApproved = await call('POST', `/v1/proposals/${cap.json().id as string}/approve`, tokens.b);
      assert.equal(capApproved.json().state, 'executed', capApproved.body);
      assert.equal((await call('GET', '/v1/clearing/partners', tokens.a)).json().items[0].netDebitCap, '5000');
    });

    test('a clearing run with nothing due locks no batch; an unknown batch is 404', async () => {
      const run = await call('POST', '/v1/clearing/runs', tokens.a, { partnerId });
      assert.equal(run.statusCode, 201, run.body);
      assert.equal(run.json().batch, null);
      const missing = await call('GET', '/v1/clearing/batches/cbt_00000000000000000000000000', tokens.a);
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().code, 'clearing_batch_not_found');
    });

    test('bad statements are refused with their codes and nothing is imported', async () => {
      const url = `/v1/clearing/partners/${partnerId}/statements`;
      const broken = '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt>' +
        '</BkToCstmrStmt>';
      const malformed = await call('POST', `${url}?kind=camt.053`, tokens.a, broken, 'application/xml');
      assert.equal(malformed.statusCode, 422, malformed.body);
      assert.equal(malformed.json().code, 'bank_file_malformed');
      const bomb = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><d>&b;</d>';
      const entities = await call('POST', `${url}?kind=camt.053`, tokens.a, bomb, 'application/xml');
      assert.equal(entities.json().code, 'bank_file_entities_refused', entities.body);
      const noMap = await call('POST', `${url}?kind=csv`, tokens.a, 'a,b\n1,2\n', 'text/csv');
      assert.equal(noMap.json().code, 'validation_failed');
      const csv = 'Datum,Betrag,E2E\n2030-01-01,12.345,X1\n';
      const q = `${url}?kind=csv&statementId=S1&statementDate=2030-01-01&currency=CNY` +
        '&columns=bookingDate%3DDatum,amount%3DBetrag';
      const precision = await call('POST', q, tokens.a, csv, 'text/csv');
      assert.equal(precision.json().code, 'bank_file_amount_precision', precision.body);
      const huge = await call('POST', q, tokens.a, 'x'.repeat(statementBytesMax + 1), 'text/csv');
      assert.equal(huge.statusCode, 413);
      assert.equal(huge.json().code, 'body_too_large');
      assert.equal(await count('bank_files'), 0);
      assert.equal(await count('reconciliation_breaks'), 0);
    });

    test('a CSV statement imports once with its breaks; a replay is refused; the reports read', async () => {
      const url = `/v1/clearing/partners/${partnerId}/statements?kind=csv&statementId=S2&statementDate=2030-01-01` +
        '&currency=CNY' +
        '&columns=bookingDate%3DDatum,amount%3DBetrag,endToEndId%3DE2E';
      const csv = 'Datum,Betrag,E2E\n2030-01-01,12.34,UNKNOWN1\n';
      const imported = await call('POST', url, tokens.a, csv, 'text/csv');
      assert.equal(imported.statusCode, 201, imported.body);
      assert.equal(imported.json().lines, 1);
      assert.equal(imported.json().breaks, 1);
      const replay = await call('POST', url, tokens.a, csv, 'text/csv');
      assert.equal(replay.json().code, 'bank_file_replayed');
      assert.equal(await count('bank_files'), 1);

      const report = await call('GET', `/v1/clearing/partners/${partnerId}/reconciliation-report?date=2030-01-01`,
        tokens.a);
      assert.equal(report.statusCode, 200, report.body);
      assert.equal(report.json().unmatched.count, 1);
      const merchant = 'mch_00000000000000000000000000';
      const json = await call('GET', `/v1/clearing/merchants/${merchant}/settlements`, tokens.a);
      assert.deepEqual(json.json(), { items: [] });
      const csvReport = await call('GET', `/v1/clearing/merchants/${merchant}/settlements?format=csv`, tokens.a);
      assert.equal(csvReport.statusCode, 200, csvReport.body);
      assert.match(String(csvReport.headers['content-type']), /^text\/csv/);
    });

    test('a break approved through its case posts its correction once, whoever runs the posting', async () => {
      const [open] = await openBreaks(t.store, partnerId);
      assert.ok(open !== undefined);
      const clearing = t.app.context.clearing;
      const row = await t.store.get(
        'SELECT settlement_account_id AS a, suspense_account_id AS b FROM clearing_partners WHERE id = ?', [partnerId],
      );
      const balances = async () => [
        balanceOf((await t.ledger.account(String(row?.a)))!), balanceOf((await t.ledger.account(String(row?.b)))!),
      ];
      const before = await balances();
      assert.equal(await postApprovedCorrections(clearing, 'test'), 0, 'nothing approved yet');
      // The break's case decided under four eyes: the decision is a proposal; its approval marks the break.
      assert.ok(open.caseId !== null);
      const caseUrl = `/v1/cases/${open.caseId}`;
      assert.equal((await call('POST', `${caseUrl}/assign`, tokens.a, {})).statusCode, 200);
      const decided = await call('POST', `${caseUrl}/decisions`, tokens.a, {
        decision: 'post_adjustment', reason: 'the bank credited us 12.34 we cannot place',
      });
      assert.equal(decided.statusCode, 200, decided.body);
      const proposalId = decided.json().proposalId as string;
      assert.ok(proposalId);
      assert.equal(await postApprovedCorrections(clearing, 'test'), 0, 'a pending decision posts nothing');
      const approved = await call('POST', `/v1/proposals/${proposalId}/approve`, tokens.b);
      assert.equal(approved.json().state, 'executed', approved.body);
      assert.equal(await t.store.transaction((tx) => approveBreak(tx, open.id, t.now())), false, 'approved already');
      assert.equal(await postApprovedCorrections(clearing, 'test'), 1);
      assert.equal(await postApprovedCorrections(clearing, 'test'), 0, 'idempotent');
      const [settlement, suspense] = await balances();
      assert.equal(settlement! - before[0]!, -1234n, 'the bank holds 12.34 more: the settlement mirror moves');
      assert.equal(suspense! - before[1]!, 1234n, 'against suspense, once');
      assert.equal((await openBreaks(t.store, partnerId)).length, 0);
    });
  });
}
