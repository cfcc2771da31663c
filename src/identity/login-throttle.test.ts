// Login throttling and login risk: pure deciders, tested as tables (limits at N and N+1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressThrottlePolicy, afterFailure, phoneThrottlePolicy, throttleDecision, type ThrottleState } from './login-throttle.ts';
import { decideLogin, networksOf, type LoginFeatures } from '../risk/index.ts';

test('per phone: three free failures, then doubling delays, then a lock at the maximum', () => {
  const policy = phoneThrottlePolicy(10, 30 * 60_000);
  let state: ThrottleState | undefined;
  const delays: number[] = [];
  let now = 1_000_000;
  for (let i = 1; i <= 10; i++) {
    const next = afterFailure(state, now, policy);
    delays.push(next.blockedUntil - now);
    assert.equal(next.locked, i === 10, `failure ${i}`);
    state = next;
    now = next.blockedUntil;
  }
  assert.deepEqual(delays, [0, 0, 0, 1000, 2000, 4000, 8000, 16000, 32000, 30 * 60_000]);
  assert.equal(throttleDecision(state, now - 1).allowed, false);
  assert.equal(throttleDecision(state, now).allowed, true);
});

test('per address: no delay until the maximum, then a lock; old failures are forgotten', () => {
  const policy = addressThrottlePolicy(5, 60_000);
  let state: ThrottleState | undefined;
  for (let i = 1; i <= 4; i++) state = afterFailure(state, i, policy);
  assert.equal(throttleDecision(state, 5).allowed, true);
  const locked = afterFailure(state, 5, policy);
  assert.equal(locked.locked, true);
  assert.deepEqual(throttleDecision(locked, 6), { allowed: false, retryAfterMs: 59_999 });
  assert.equal(afterFailure(locked, 5 + 60_001, policy).failures, 1);
});

const calm: LoginFeatures = { newDevice: false, newNetwork: false, newRegion: false, recentFailures: 0, attemptsLastHour: 1 };
const noon = Date.UTC(2026, 0, 1, 4); // 12:00 in Beijing
const night = Date.UTC(2026, 0, 1, 19); // 03:00 in Beijing

test('login risk table: allow, challenge (any or strong factor) and deny', () => {
  const cases: Array<[Partial<LoginFeatures>, number, string, string]> = [
    [{}, noon, 'allow', 'any'],
    [{}, night, 'allow', 'any'],
    [{ newDevice: true }, noon, 'challenge', 'any'],
    [{ newNetwork: true }, noon, 'allow', 'any'],
    [{ newNetwork: true, newRegion: true }, noon, 'challenge', 'any'],
    [{ newNetwork: true }, night, 'challenge', 'any'],
    [{ recentFailures: 2 }, noon, 'allow', 'any'],
    [{ recentFailures: 3, newNetwork: true }, noon, 'challenge', 'any'],
    [{ newDevice: true, newRegion: true }, noon, 'challenge', 'strong'],
    [{ newDevice: true, newRegion: true, recentFailures: 3 }, noon, 'challenge', 'strong'],
    [{ newDevice: true, newRegion: true, recentFailures: 3, attemptsLastHour: 19 }, noon, 'challenge', 'strong'],
    [{ newDevice: true, newRegion: true, attemptsLastHour: 20 }, noon, 'deny', 'strong'],
    [{ newDevice: true, newRegion: true, recentFailures: 3, attemptsLastHour: 1 }, night, 'deny', 'strong'],
  ];
  for (const [features, now, decision, strength] of cases) {
    const result = decideLogin({ ...calm, ...features }, now);
    assert.equal(result.decision, decision, JSON.stringify(features));
    assert.equal(result.factorStrength, strength, JSON.stringify(features));
  }
});

test('network prefixes for the rules', () => {
  assert.deepEqual(networksOf('203.0.113.7'), { network: '203.0.113.0/24', region: '203.0.0.0/16' });
  assert.deepEqual(networksOf('::ffff:10.1.2.3'), { network: '10.1.2.0/24', region: '10.1.0.0/16' });
  assert.deepEqual(networksOf('2001:db8:1:2::5'), { network: '2001:db8:1::/48', region: '2001:db8::/32' });
  assert.equal(networksOf(null), undefined);
});
