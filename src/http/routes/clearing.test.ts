// The clearing operator API on both stores: partners only through maker–checker proposals, a run, a
// statement refused whole with its code (nothing imported) and a CSV statement imported with its breaks, the
// reports in JSON and CSV, a role without the permission refused, and approved break corrections posted once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { isoDateTime, pacs002, requestTransferOut } from '../../clearing/index.ts';
import { balanceOf } from '../../ledger/index.ts';
import { merchantAccountOf, merchantProtectionFor, onboardMerchant } from '../../payments/index.ts';
import { postApprovedCorrections, approveBreak, openBreaks } from '../../reconciliation/index.ts';
import { testStoreKinds } from '../../store/testing.ts';
import { startClearingSchedule } from '../../wiring/clearing-schedule.ts';
import { bearer, createAccessTestApp, type AccessTestApp, type TestOperator } from '../../wiring/access-test-app.ts';

/** A small bound so that N and N + 1 bytes can be sent. */
const bytesMax = 65_536;

const partnerBody = {
  name: 'Test Bank', role: 'settlement_bank', currency: 'CNY', bic: 'TESTCNBJ', accountNumber: '6222000012345678',
  netDebitCap: '1000000', reason: 'our settlement bank for CNY',
};

for (const kind of testStoreKinds()) {
  describe(`clearing API (${kind})`, () => {
    let t: AccessTestApp;
    let tokens: { a: string; b: string; service: string };
    let makers: { a: TestOperator; b: TestOperator; service: TestOperator };
    let partnerId = '';
    const call = (method: 'GET' | 'POST', url: string, token: string, payload?: unknown, type?: string) =>
      t.app.inject({
        method, url, payload: payload as string,
        headers: { ...bearer(token), ...(type === undefined ? {} : { 'content-type': type }) },
      });
    const count = async (table: string) => Number((await t.store.get(`SELECT COUNT(*) AS n FROM ${table}`))?.n);

    before(async () => {
      t = await createAccessTestApp(kind, { ANFU_STATEMENT_BYTES_MAX: String(bytesMax) });
      makers = {
        a: await t.operator('operations'), b: await t.operator('operations'),
        service: await t.operator('customer_service'),
      };
      tokens = { a: await t.login(makers.a), b: await t.login(makers.b), service: await t.login(makers.service) };
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
      assert.deepEqual(run.json().overdue, []);
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
      const huge = await call('POST', q, tokens.a, 'x'.repeat(bytesMax + 1), 'text/csv');
      assert.equal(huge.statusCode, 413);
      assert.equal(huge.json().code, 'bank_file_too_large');
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
      // At the bound exactly (blank lines pad it): imported, streamed; one byte more is refused above.
      const named = 'Datum,Betrag,E2E,Name\n2030-01-01,1.00,UNKNOWN2,张三\n';
      const padded = named + '\n'.repeat(bytesMax - Buffer.byteLength(named));
      const full = await call('POST', url.replace('S2', 'S3') + ',counterparty%3DName', tokens.a, padded, 'text/csv');
      assert.equal(full.statusCode, 201, full.body);
      assert.equal(full.json().lines, 1);
      assert.equal(await count('bank_files'), 2);

      const report = await call('GET', `/v1/clearing/partners/${partnerId}/reconciliation-report?date=2030-01-01`,
        tokens.a);
      assert.equal(report.statusCode, 200, report.body);
      assert.equal(report.json().unmatched.count, 2);
      const merchant = 'mch_00000000000000000000000000';
      const json = await call('GET', `/v1/clearing/merchants/${merchant}/settlements`, tokens.a);
      assert.deepEqual(json.json(), { items: [] });
      const csvReport = await call('GET', `/v1/clearing/merchants/${merchant}/settlements?format=csv`, tokens.a);
      assert.equal(csvReport.statusCode, 200, csvReport.body);
      assert.match(String(csvReport.headers['content-type']), /^text\/csv/);
    });

    test('a break approved through its case posts its correction once, whoever runs the posting', async () => {
      const open = (await openBreaks(t.store, partnerId)).find((b) => b.amount === 1234n);
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
      assert.deepEqual((await openBreaks(t.store, partnerId)).map((b) => b.id).includes(open.id), false);
    });
    test('a break approved through its case is posted by the server\'s schedule, with no one calling it', async () => {
      const open = (await openBreaks(t.store, partnerId)).find((b) => b.amount === 100n);
      assert.ok(open?.caseId);
      const row = await t.store.get(
        'SELECT settlement_account_id AS a, suspense_account_id AS b FROM clearing_partners WHERE id = ?', [partnerId],
      );
      const balances = async () => [
        balanceOf((await t.ledger.account(String(row?.a)))!), balanceOf((await t.ledger.account(String(row?.b)))!),
      ];
      const before = await balances();
      const errors: unknown[] = [];
      // The schedule as serve starts it (a lease stand-in that always holds), ticking every 20 ms.
      const jobs = startClearingSchedule(t.config, t.app.context, (_n, _ms, work) => async () => void (await work()),
        (e) => void errors.push(e), 20);
      try {
        const caseUrl = `/v1/cases/${open.caseId}`;
        assert.equal((await call('POST', `${caseUrl}/assign`, tokens.a, {})).statusCode, 200);
        const decided = await call('POST', `${caseUrl}/decisions`, tokens.a, {
          decision: 'post_adjustment', reason: 'the bank credited us 1.00 we cannot place',
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.deepEqual(await balances(), before, 'nothing posts while the decision waits for its checker');
        const approved = await call('POST', `/v1/proposals/${decided.json().proposalId as string}/approve`, tokens.b);
        assert.equal(approved.json().state, 'executed', approved.body);
        for (let i = 0; i < 100 && (await openBreaks(t.store, partnerId)).some((b) => b.id === open.id); i += 1)
          await new Promise((resolve) => setTimeout(resolve, 20));
        await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        jobs.stop();
      }
      const [settlement, suspense] = await balances();
      assert.equal(settlement! - before[0]!, -100n, 'posted once, however many ticks ran');
      assert.equal(suspense! - before[1]!, 100n);
      assert.deepEqual(errors, []);
    });

    const balance = async (id: string) => balanceOf((await t.ledger.account(id))!);
    const partnerAccounts = async () => {
      const row = await t.store.get(
        'SELECT settlement_account_id AS s, in_transit_account_id AS i FROM clearing_partners WHERE id = ?',
        [partnerId],
      );
      return { settlement: String(row?.s), inTransit: String(row?.i) };
    };
    const fund = async (accountId: string, amount: bigint, key: string) => {
      const funding = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: `Top-up ${key}` });
      const posted = await t.ledger.submit({
        kind: 'single', key, debitAccountId: funding.id, creditAccountId: accountId, amount, currency: 'CNY',
      });
      assert.ok(posted.ok);
    };

    test('a pacs.002 uploaded out of band applies whole, or is refused whole; a replay is refused', async () => {
      const wallet = await t.ledger.openAccount({
        kind: 'customer_wallet', currency: 'CNY', name: 'W', ownerId: 'cus_x',
      });
      await fund(wallet.id, 100_000n, 'fund-wallet');
      const out = (amount: bigint, n: number) => requestTransferOut(t.app.context.clearing, {
        kind: 'withdrawal', partnerId, ownerId: 'cus_x', sourceAccountId: wallet.id, amount,
        creditorName: `Payee ${n}`, creditorAccount: `621700001111000${n}`, creditorAgent: '102100099996',
        key: `api-w${n}`, actorId: 'cus_x',
      });
      const [w1, w2] = [await out(3_000n, 1), await out(1_000n, 2)];
      const run = await call('POST', '/v1/clearing/runs', tokens.a, { partnerId });
      assert.equal(run.json().batch.count, 2, run.body);
      const messageId = run.json().batch.messageId as string;
      const { settlement, inTransit } = await partnerAccounts();
      const before = [await balance(wallet.id), await balance(settlement), await balance(inTransit)];
      assert.equal(before[2], 4_000n);
      const report = (original: string, lines: { endToEndId: string; status: string; reason?: string }[], id: string) =>
        pacs002({ messageId: id, created: isoDateTime(t.now()), originalMessageId: original,
          originalKind: 'pain.001.001.09', groupStatus: 'PART', lines });
      const url = `/v1/clearing/partners/${partnerId}/status-reports`;
      const post = (body: string, token = tokens.a) => call('POST', url, token, body, 'application/xml');

      const good = report(messageId, [
        { endToEndId: w1.endToEndId, status: 'ACSC' }, { endToEndId: w2.endToEndId, status: 'RJCT', reason: 'AC04' },
      ], 'PSR-1');
      const denied = await post(good, tokens.service);
      assert.equal(denied.statusCode, 403);
      const audited = (await t.auditRows('operator.authorize'))
        .filter((r) => r.details.permission === 'clearing.operate');
      assert.ok(audited.some((r) => r.outcome === 'denied' && r.details.role === 'customer_service'));
      const half = await post(report(messageId, [
        { endToEndId: w1.endToEndId, status: 'ACSC' }, { endToEndId: 'NOT-OURS', status: 'ACSC' },
      ], 'PSR-0'));
      assert.equal(half.json().code, 'bank_file_unknown_batch', half.body);
      const stranger = await post(report('cbt_00000000000000000000000000', [], 'PSR-9'));
      assert.equal(stranger.json().code, 'bank_file_unknown_batch');
      const states = async () => (await t.store.all(
        'SELECT state FROM clearing_instructions WHERE id IN (?, ?) ORDER BY amount DESC', [w1.id, w2.id],
      )).map((r) => r.state);
      assert.deepEqual(await states(), ['batched', 'batched'], 'nothing of the refused file applied');
      assert.deepEqual([await balance(wallet.id), await balance(settlement), await balance(inTransit)], before);

      // Streamed and bounded like the statements: a valid report of exactly ANFU_STATEMENT_BYTES_MAX bytes, the
      // first payment's status repeated ~300 times (only its last status kept), applies; one byte more is 413.
      const repeated = Array.from({ length: 300 }, () => ({ endToEndId: w1.endToEndId, status: 'ACSC' }));
      const large = report(messageId, [...repeated, { endToEndId: w2.endToEndId, status: 'RJCT', reason: 'AC04' }],
        'PSR-1');
      assert.ok(Buffer.byteLength(large) > bytesMax / 2 && Buffer.byteLength(large) < bytesMax, 'sized for the bound');
      const padded = large + ' '.repeat(bytesMax - Buffer.byteLength(large));
      const tooLarge = await post(`${padded} `);
      assert.equal(tooLarge.statusCode, 413, tooLarge.body);
      assert.equal(tooLarge.json().code, 'bank_file_too_large');
      const chunkedTooLarge = await t.app.inject({
        method: 'POST', url, payload: Readable.from([Buffer.from(padded), Buffer.from(' ')]),
        headers: { ...bearer(tokens.a), 'content-type': 'application/xml' },
      });
      assert.equal(chunkedTooLarge.statusCode, 413, chunkedTooLarge.body);
      assert.deepEqual(await states(), ['batched', 'batched'], 'nothing of the oversized file applied');
      assert.deepEqual([await balance(wallet.id), await balance(settlement), await balance(inTransit)], before);

      const applied = await post(padded);
      assert.equal(applied.statusCode, 201, applied.body);
      const { fileId: _fileId, ...counts } = applied.json() as Record<string, unknown>;
      assert.deepEqual(counts, { batchId: messageId, accepted: 1, rejected: 1, pending: 0 });
      assert.deepEqual(await states(), ['accepted', 'rejected']);
      assert.equal(await balance(wallet.id), before[0]! + 1_000n, 'the rejected withdrawal is back in the wallet');
      assert.equal(await balance(settlement), before[1]! + 3_000n);
      assert.equal(await balance(inTransit), 0n);
      const replay = await post(good);
      assert.equal(replay.json().code, 'bank_file_replayed');
      assert.equal(await balance(wallet.id), before[0]! + 1_000n, 'a replay moves nothing');
      assert.equal((await call('GET', `/v1/clearing/batches/${messageId}`, tokens.a)).json().state, 'answered');
    });

    const day = 86_400_000;
    const relogin = async () => {
      tokens.a = await t.login(makers.a);
      tokens.b = await t.login(makers.b);
      tokens.service = await t.login(makers.service);
    };
    const onboard = async (name: string, account: string) => {
      const protection = await merchantProtectionFor(t.app.context.keyring);
      const { merchant } = await onboardMerchant(t.store, protection, {
        name, businessRegistration: '91310000MA1FL0000X', contactEmail: 'ops@shop.example', settlementAccount: account,
      }, 'opr_test', 60, t.now());
      return { id: merchant.id, account: (await merchantAccountOf(t.ledger, merchant.id, 'CNY')).id };
    };
    const merchants: { id: string; account: string }[] = [];
    const settlementCount = async () => Number((await t.store.get(
      "SELECT COUNT(*) AS n FROM clearing_instructions WHERE kind = 'merchant_settlement'",
    ))?.n);

    test('a merchant settlement run pays out only once a second operator approves, and only once', async () => {
      merchants.push(await onboard('Tea House', '6217000099998888'), await onboard('Noodle Bar', '6217000099997777'));
      await fund(merchants[0]!.account, 150_000n, 'sale-1');
      await fund(merchants[1]!.account, 80_000n, 'sale-2');
      t.advance(day + 60_000);
      await relogin();
      const { inTransit } = await partnerAccounts();
      const inTransitBefore = await balance(inTransit);
      const propose = (token: string) =>
        call('POST', '/v1/clearing/settlement-runs', token, { partnerId, reason: 'T+1 payout' });
      const denied = await propose(tokens.service);
      assert.equal(denied.statusCode, 403);
      const proposed = await propose(tokens.a);
      assert.equal(proposed.statusCode, 201, proposed.body);
      assert.equal(proposed.json().kind, 'clearing.settle_merchants');
      assert.equal(await settlementCount(), 0, 'nothing paid on the maker alone');
      const id = proposed.json().id as string;
      assert.equal((await call('POST', `/v1/proposals/${id}/approve`, tokens.a)).json().code, 'proposal_self_approval');
      const approved = await call('POST', `/v1/proposals/${id}/approve`, tokens.b);
      assert.equal(approved.json().state, 'executed', approved.body);
      assert.equal(approved.json().result.net, '230000');
      assert.equal(approved.json().result.instructions.length, 2);
      assert.equal(await balance(merchants[0]!.account), 0n);
      assert.equal(await balance(merchants[1]!.account), 0n);
      assert.equal(await balance(inTransit), inTransitBefore + 230_000n);
      const report = await call('GET', `/v1/clearing/merchants/${merchants[0]!.id}/settlements`, tokens.a);
      assert.deepEqual(report.json().items.map((r: Record<string, string>) => [r.gross, r.fee, r.net, r.state]),
        [['150000', '0', '150000', 'pending']]);

      const again = await call('POST', `/v1/proposals/${id}/approve`, tokens.b);
      assert.equal(again.json().code, 'proposal_not_pending');
      const second = await propose(tokens.a);
      const secondApproved = await call('POST', `/v1/proposals/${second.json().id as string}/approve`, tokens.b);
      assert.equal(secondApproved.json().state, 'executed', secondApproved.body);
      assert.deepEqual(secondApproved.json().result.instructions, []);
      assert.equal(await settlementCount(), 2, 'the same day pays nobody twice');
      assert.equal(await balance(inTransit), inTransitBefore + 230_000n);
    });

    test('a settlement run refused for one merchant pays none of them', async () => {
      t.advance(day);
      await relogin();
      const broken = await onboard('Broken Shop', '6217000099996666');
      await fund(broken.account, 40_000n, 'sale-broken');
      await fund(merchants[0]!.account, 20_000n, 'sale-3');
      // A merchant whose name cannot be a creditor name: its payout is refused, so the run writes nothing.
      await t.store.run("UPDATE merchants SET name = ' ' WHERE id = ?", [broken.id]);
      const teaBefore = await balance(merchants[0]!.account);
      assert.equal(teaBefore, 20_000n);
      const proposed = await call('POST', '/v1/clearing/settlement-runs', tokens.a, { partnerId, reason: 'T+1' });
      const approved = await call('POST', `/v1/proposals/${proposed.json().id as string}/approve`, tokens.b);
      assert.equal(approved.json().state, 'failed', approved.body);
      assert.equal(approved.json().result.code, 'clearing_instruction_invalid');
      assert.equal(await settlementCount(), 2);
      assert.equal(await balance(merchants[0]!.account), teaBefore);
      assert.equal(await balance(broken.account), 40_000n);
    });
  });
}
