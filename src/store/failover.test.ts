// How the store tells a failover from a refusal, and when it refuses writes it cannot make durable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CommitOutcomeUnknown, StoreNotDurable, durabilityOf, isConnectionFailure, isStoreUnavailable, retriedAcrossFailover,
} from './index.ts';

test('connection failures, shutdowns and read-only nodes are failovers; constraint and data errors are not', () => {
  const cases: Array<[unknown, boolean]> = [
    [Object.assign(new Error('x'), { code: '08006' }), true],
    [Object.assign(new Error('x'), { code: '57P01' }), true],
    [Object.assign(new Error('x'), { code: '25006' }), true],
    [Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), true],
    [new Error('Connection terminated unexpectedly'), true],
    [Object.assign(new Error('x'), { code: '23505' }), false],
    [Object.assign(new Error('x'), { code: '22003' }), false],
    [new Error('something else'), false],
    [undefined, false],
  ];
  for (const [error, expected] of cases) {
    assert.equal(isConnectionFailure(error), expected, String((error as { code?: string } | undefined)?.code));
  }
  assert.ok(isStoreUnavailable(new CommitOutcomeUnknown(new Error('reset'))));
  assert.ok(isStoreUnavailable(new StoreNotDurable('no standby')));
});

const row = { recovery: false, read_only: 'off', sync_commit: 'on', sync_standbys: 1n };

test('durability: a replica, read-only, no synchronous standby or commits that do not wait: refused, with why', () => {
  assert.equal(durabilityOf(row, true).refusal, undefined);
  assert.match(durabilityOf({ ...row, recovery: true }, false).refusal ?? '', /replica/);
  assert.match(durabilityOf({ ...row, read_only: 'on' }, false).refusal ?? '', /read-only/);
  assert.match(durabilityOf({ ...row, sync_standbys: 0n }, true).refusal ?? '', /no synchronous standby/);
  assert.match(durabilityOf({ ...row, sync_commit: 'local' }, true).refusal ?? '', /synchronous_commit/);
  // A single database without replication may run when the setting does not require a standby.
  assert.equal(durabilityOf({ ...row, sync_standbys: 0n }, false).refusal, undefined);
});

test('work is tried again across a failover until the wait is over, never after another kind of refusal', async () => {
  let now = 0;
  const clock = () => now;
  const sleep = async (ms: number) => { now += ms; };
  let calls = 0;
  const result = await retriedAcrossFailover(async () => {
    calls++;
    if (calls < 3) throw new CommitOutcomeUnknown(new Error('reset'));
    return 'done';
  }, { waitMs: 10_000, clock, sleep });
  assert.equal(result, 'done');
  assert.equal(calls, 3);

  calls = 0;
  now = 0;
  const notDurable = async () => { calls++; throw new StoreNotDurable('no standby'); };
  await assert.rejects(retriedAcrossFailover(notDurable, { waitMs: 5_000, clock, sleep }), StoreNotDurable);
  assert.ok(now >= 5_000 && calls > 1);

  calls = 0;
  const duplicate = async () => { calls++; throw Object.assign(new Error('dup'), { code: '23505' }); };
  await assert.rejects(retriedAcrossFailover(duplicate, { waitMs: 5_000, clock, sleep }));
  assert.equal(calls, 1);
});
