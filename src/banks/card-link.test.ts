// End to end: the platform's card link against `anfu bank-sim` running as a separate process over
// TCP on 127.0.0.1. Approvals, each decline code, timeouts with reversal (delayed and dropped
// answers), duplicates, payouts, run-time rules, malformed frames, and no PAN in any log.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { findCurrency, type Amount, type Currency } from '../money/index.ts';
import { CardLink, type AuthorisationResult } from './card-link.ts';
import type { LinkLog } from './link-connection.ts';
import type { BankSimRules } from './bank-sim-rules.ts';
import { maskPan, withCheckDigit } from '../cards/index.ts';
import { startBankSimProcess, type BankSimProcess } from './testing/bank-sim-process.ts';

const cny = findCurrency('CNY') as Currency;
const yuan = (minor: bigint): Amount => ({ minor, currency: cny });
// Distinct last four digits, so masked forms (first 6 / last 4) tell the cards apart.
const card = (n: number): string => withCheckDigit(`62220200000000${String(n).padStart(4, '0')}`);
const cards = {
  approved: card(1), poor: card(2), expired: card(3), refused: card(4), capped: card(5), unavailable: card(6),
  slow: card(7), dropped: card(8), droppedTwice: card(9), duplicate: card(10), payout: card(11), notLuhn: '',
};
cards.notLuhn = `${cards.approved.slice(0, -1)}${(Number(cards.approved.slice(-1)) + 1) % 10}`;
const allPans = Object.values(cards);
const responseTimeoutMs = 1_500; // generous: a loaded CI machine must not turn an approval into a timeout
const jsonBigint = (_key: string, value: unknown): unknown => (typeof value === 'bigint' ? value.toString() : value);

const rules: BankSimRules = {
  cards: [
    { pan: cards.approved, balanceMinor: '1000000' },
    { pan: cards.poor, balanceMinor: '1000' },
    { pan: cards.expired, balanceMinor: '1000000', expiry: '2001' },
    { pan: cards.capped, balanceMinor: '1000000', limitMinor: '5000' },
    { pan: cards.slow, balanceMinor: '1000000' },
    { pan: cards.dropped, balanceMinor: '1000000' },
    { pan: cards.droppedTwice, balanceMinor: '1000000' },
    { pan: cards.duplicate, balanceMinor: '1000000' },
    { pan: cards.payout, balanceMinor: '0' },
  ],
  declines: [{ panSuffix: cards.refused.slice(-6), code: '05' }, { panSuffix: cards.unavailable.slice(-6), code: '91' }],
  // Decided (funds held) at once, answered after the client gave up.
  delays: [{ panSuffix: cards.slow.slice(-6), mti: '0100', ms: responseTimeoutMs * 3 }],
  drops: [
    { panSuffix: cards.dropped.slice(-6), mti: '0100' },
    { panSuffix: cards.droppedTwice.slice(-6), mti: '0100' },
    { panSuffix: cards.droppedTwice.slice(-6), mti: '0400', times: 1 },
  ],
};

const logLines: string[] = [];
const log: LinkLog = {
  info: (details, message) => logLines.push(JSON.stringify({ level: 'info', message, ...details })),
  warn: (details, message) => logLines.push(JSON.stringify({ level: 'warn', message, ...details })),
  error: (details, message) => logLines.push(JSON.stringify({ level: 'error', message, ...details })),
};

let sim: BankSimProcess;
let link: CardLink;
const results: unknown[] = [];

async function authorise(pan: string, minor: bigint, expiry = '3012', stan?: string): Promise<AuthorisationResult> {
  const result = await link.authorise({ pan, expiry, amount: yuan(minor), ...(stan === undefined ? {} : { stan }) });
  results.push(result);
  return result;
}

async function cardState(pan: string) {
  const state = await sim.state();
  const found = state.cards.find((c) => c.panMasked === maskPan(pan));
  assert.ok(found, `card ${maskPan(pan)} known to the simulator`);
  return { ...found, state };
}

before(async () => {
  sim = await startBankSimProcess(rules);
  link = new CardLink({ port: sim.port, terminalId: 'ANFU0001', merchantId: 'ANFUTOPUP000001', responseTimeoutMs, reversalRetryDelayMs: 50, log });
});

after(async () => {
  link?.close();
  const code = await sim?.stop();
  assert.equal(code, 0, 'the simulator stops cleanly on SIGTERM');
});

describe('authorisation', () => {
  it('approves with an authorisation code and RRN, and holds the funds at the issuer', async () => {
    const result = await authorise(cards.approved, 12_345n);
    assert.equal(result.outcome, 'approved');
    if (result.outcome !== 'approved') return;
    assert.match(result.authorisationCode, /^[0-9A-Z]{6}$/);
    assert.match(result.retrievalReference, /^[0-9]{12}$/);
    assert.equal((await cardState(cards.approved)).heldMinor, '12345');
  });

  const declines: [string, () => Promise<AuthorisationResult>, string, string][] = [
    ['05 do not honour (decline rule)', () => authorise(cards.refused, 100n), '05', 'do not honour'],
    ['51 insufficient funds (balance)', () => authorise(cards.poor, 1_001n), '51', 'insufficient funds'],
    ['54 expired card (expiry in the past)', () => authorise(cards.approved, 100n, '2401'), '54', 'expired card'],
    ['54 expired card (expiry differs from the card)', () => authorise(cards.expired, 100n, '3012'), '54', 'expired card'],
    ['14 invalid card number (Luhn)', () => authorise(cards.notLuhn, 100n), '14', 'invalid card number'],
    ['61 exceeds limit', () => authorise(cards.capped, 5_001n), '61', 'exceeds withdrawal amount limit'],
    ['91 issuer unavailable', () => authorise(cards.unavailable, 100n), '91', 'issuer or switch inoperative'],
  ];
  for (const [name, run, code, meaning] of declines) {
    it(`declines: ${name}`, async () => {
      const result = await run();
      assert.equal(result.outcome, 'declined');
      if (result.outcome !== 'declined') return;
      assert.equal(result.responseCode, code);
      assert.equal(result.meaning, meaning);
      assert.equal(result.retryable, code === '91');
    });
  }

  it('the limit holds at N (5000 approved) and breaks at N+1 (61 above)', async () => {
    assert.equal((await authorise(cards.capped, 5_000n)).outcome, 'approved');
  });

  it('a duplicate request (same STAN, terminal and time) gets the same answer and one authorisation', async () => {
    const fixed = new Date(Date.UTC(2026, 5, 15, 10, 30, 0));
    const pinned = new CardLink({ port: sim.port, terminalId: 'ANFU0002', merchantId: 'ANFUTOPUP000001', responseTimeoutMs, clock: () => fixed, log });
    try {
      const before = (await sim.state()).approvals;
      const first = await pinned.authorise({ pan: cards.duplicate, expiry: '3012', amount: yuan(2_000n), stan: '424242' });
      const second = await pinned.authorise({ pan: cards.duplicate, expiry: '3012', amount: yuan(2_000n), stan: '424242' });
      assert.equal(first.outcome, 'approved');
      assert.deepEqual(JSON.stringify(second, jsonBigint), JSON.stringify(first, jsonBigint));
      const after = await cardState(cards.duplicate);
      assert.equal(after.state.approvals - before, 1);
      assert.equal(after.heldMinor, '2000');
    } finally {
      pinned.close();
    }
  });
});

describe('timeouts and reversals', () => {
  it('an answer later than the timeout: the client reverses and the issuer releases the hold', async () => {
    const before = await sim.state();
    const started = Date.now();
    const result = await authorise(cards.slow, 3_000n);
    assert.equal(result.outcome, 'timeout');
    if (result.outcome !== 'timeout') return;
    assert.equal(result.reversal, 'reversed');
    assert.ok(Date.now() - started >= responseTimeoutMs);
    const after = await cardState(cards.slow);
    assert.equal((after.state.received['0400'] ?? 0) - (before.received['0400'] ?? 0), 1, 'the simulator saw one 0400');
    assert.equal(after.state.reversalsApplied - before.reversalsApplied, 1);
    assert.equal(after.heldMinor, '0', 'the hold is released');
  });

  it('a dropped answer: timeout, reversal, funds released', async () => {
    const before = await sim.state();
    const result = await authorise(cards.dropped, 4_000n);
    assert.deepEqual([result.outcome, result.outcome === 'timeout' ? result.reversal : ''], ['timeout', 'reversed']);
    const after = await cardState(cards.dropped);
    assert.equal(after.heldMinor, '0');
    assert.equal(after.state.reversalsApplied - before.reversalsApplied, 1);
  });

  it('a dropped reversal is repeated (0401) until confirmed, releasing once', async () => {
    const before = await sim.state();
    const result = await authorise(cards.droppedTwice, 4_000n);
    assert.equal(result.outcome === 'timeout' ? result.reversal : result.outcome, 'reversed');
    const after = await cardState(cards.droppedTwice);
    assert.equal((after.state.received['0401'] ?? 0) - (before.received['0401'] ?? 0), 1);
    assert.equal(after.state.reversalsApplied - before.reversalsApplied, 1);
    assert.equal(after.heldMinor, '0');
  });

  it('the late answer to a reversed authorisation changes nothing on the client', async () => {
    // The slow card's 0110 arrives after the client gave up; it is logged as unexpected and ignored.
    const deadline = Date.now() + responseTimeoutMs * 6;
    while (!logLines.some((l) => l.includes('answer nobody waits for')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(logLines.some((l) => l.includes('answer nobody waits for')));
    assert.equal((await authorise(cards.approved, 1n)).outcome, 'approved', 'the connection still serves');
  });

  it('no bank listening: unavailable, nothing sent, nothing to reverse', async () => {
    const nowhere = new CardLink({ port: 1, terminalId: 'ANFU0003', merchantId: 'ANFUTOPUP000001', connectTimeoutMs: 1_000, log });
    try {
      const result = await nowhere.authorise({ pan: cards.approved, expiry: '3012', amount: yuan(100n) });
      assert.equal(result.outcome, 'unavailable');
    } finally {
      nowhere.close();
    }
  });
});

describe('payouts (withdrawals)', () => {
  it('credits the account; the status query repeats it without paying twice', async () => {
    const paid = await link.payout({ accountPan: cards.payout, amount: yuan(7_000n) });
    assert.equal(paid.outcome, 'completed');
    if (paid.outcome !== 'completed') return;
    const status = await link.payoutStatus(paid.reference);
    assert.equal(status.outcome, 'completed');
    assert.equal((await cardState(cards.payout)).balanceMinor, '7000');
  });

  it('stays processing while the bank settles (rules changed at run time), then completes', async () => {
    await sim.putRules({ ...rules, cards: [], payoutSettleMs: 400 });
    try {
      const pending = await link.payout({ accountPan: cards.payout, amount: yuan(1_000n) });
      assert.equal(pending.outcome, 'processing');
      if (pending.outcome !== 'processing') return;
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((await link.payoutStatus(pending.reference)).outcome, 'completed');
      assert.equal((await cardState(cards.payout)).balanceMinor, '8000');
    } finally {
      await sim.putRules({ ...rules, cards: [] });
    }
  });

  it('a declined payout fails with its code; 91 says a new payout may succeed', async () => {
    const failed = await link.payout({ accountPan: cards.refused, amount: yuan(1_000n) });
    assert.deepEqual(failed.outcome === 'failed' ? [failed.outcome, failed.responseCode, failed.retryable] : [failed.outcome], ['failed', '05', false]);
    const down = await link.payout({ accountPan: cards.unavailable, amount: yuan(1_000n) });
    assert.deepEqual(down.outcome === 'failed' ? [down.outcome, down.responseCode, down.retryable] : [down.outcome], ['failed', '91', true]);
  });

  it('rules are replaced at run time: issuer unavailable → 91, then back', async () => {
    await sim.putRules({ ...rules, cards: [], issuerUnavailable: true });
    const down = await authorise(cards.approved, 1n);
    await sim.putRules({ ...rules, cards: [] });
    assert.equal(down.outcome === 'declined' ? down.responseCode : down.outcome, '91');
    assert.equal((await authorise(cards.approved, 1n)).outcome, 'approved');
  });
});

function rawExchange(bytes: Buffer): Promise<'closed' | 'answered' | 'open'> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port: sim.port });
    const timer = setTimeout(() => (socket.destroy(), done('open')), 3_000);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', () => (clearTimeout(timer), socket.destroy(), done('answered')));
    socket.on('close', () => (clearTimeout(timer), done('closed')));
    socket.on('error', () => undefined);
  });
}

describe('malformed input to the simulator', () => {
  const garbage: [string, Buffer][] = [
    ['a frame of garbage', Buffer.concat([Buffer.from([0, 5]), Buffer.from('hello')])],
    ['a bad bitmap', Buffer.concat([Buffer.from([0, 24]), Buffer.from('0100ZZZZZZZZZZZZZZZZ1234')])],
    ['a frame of zero length', Buffer.from([0, 0])],
    ['an oversized length', Buffer.from([0xff, 0xff, 1, 2, 3])],
    ['a PAN 25 digits long', Buffer.concat([Buffer.from([0, 47]), Buffer.from(`01004000000000000000${'25'}${'4'.repeat(25)}`)])],
  ];
  for (const [name, bytes] of garbage) {
    it(`${name}: the connection is closed, the simulator keeps serving others`, async () => {
      assert.equal(await rawExchange(bytes), 'closed');
      assert.equal(await link.echo(), 'ok');
      assert.equal((await authorise(cards.approved, 1n)).outcome, 'approved');
    });
  }
});

describe('card numbers never reach a log', () => {
  it('neither the simulator output nor the client log nor any result holds a full PAN', () => {
    const texts = { simulator: sim.output(), client: logLines.join('\n'), results: JSON.stringify(results, jsonBigint) };
    assert.ok(texts.simulator.includes(maskPan(cards.approved)), 'the simulator does log (masked)');
    assert.ok(texts.client.includes(maskPan(cards.slow)), 'the client does log (masked)');
    for (const [where, text] of Object.entries(texts)) {
      for (const pan of allPans) assert.ok(!text.includes(pan), `${where} leaks ${maskPan(pan)}`);
    }
  });
});
