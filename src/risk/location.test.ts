// Location and habit features (issue 12, item 1): the offline IP database places public addresses and
// never places private ones; impossible travel and hour-of-day deviation come from the stored profile,
// on both stores, through the same assess-and-record path the payment batch uses; the shipped shadow
// rules see them without acting.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { testStoreKinds, withTestStore } from '../store/testing.ts';
import type { Store } from '../store/index.ts';
import { assessMoneyEvent, recordAssessments, type MoneyAssessmentInput } from './assess.ts';
import { RiskEngine } from './engine.ts';
import { distanceKm, isNonPublicAddress, locate, lookUp } from './geo.ts';
import { emptyProfile, hourDeviation, profileAfter, profileFeatures } from './profile.ts';

const hour = 3_600_000;

test('public addresses are placed by the offline database; private ones are unknown, never a country', () => {
  assert.deepEqual(
    { country: locate('114.114.114.114').country, region: locate('114.114.114.114').region },
    { country: 'CN', region: 'Eastern Asia' },
  );
  assert.equal(locate('8.8.8.8').country, 'US');
  assert.equal(locate('::ffff:1.2.4.8').country, 'CN');
  for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.9', '192.168.1.1', '100.64.0.1', '169.254.1.1', '::1',
    'fe80::1', 'fd00::5', '203.0.113.7', '2001:db8::1', '0.0.0.0', '255.255.255.255', 'not-an-ip', '']) {
    assert.deepEqual(locate(ip), { country: 'ZZ', region: 'unknown' }, ip);
  }
  assert.deepEqual(locate(null), { country: 'ZZ', region: 'unknown' });
});

test('property: a kept place is the database\'s answer, asked again or after 5,000 other addresses', () => {
  const octet = fc.integer({ min: 0, max: 255 });
  const address = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
  fc.assert(
    fc.property(fc.array(address, { minLength: 1, maxLength: 50 }), (ips) => {
      for (const ip of [...ips, ...ips]) assert.deepEqual(locate(ip), lookUp(ip), ip);
    }),
    { numRuns: 100 },
  );
  const first = locate('114.114.114.114');
  for (let i = 0; i < 5000; i++) locate(`8.${i >> 8}.${i & 255}.1`);
  assert.deepEqual(locate('114.114.114.114'), first);
  assert.equal(locate('8.0.1.1').country, 'US');
});

test('property: every RFC 1918 address is non-public and reads unknown', () => {
  const octet = fc.integer({ min: 0, max: 255 });
  fc.assert(
    fc.property(octet, octet, octet, fc.integer({ min: 16, max: 31 }), (b, c, d, second) => {
      for (const ip of [`10.${b}.${c}.${d}`, `192.168.${c}.${d}`, `172.${second}.${c}.${d}`]) {
        assert.ok(isNonPublicAddress(ip), ip);
        assert.equal(locate(ip).country, 'ZZ');
      }
    }),
    { numRuns: 200 },
  );
});

test('distances between country centroids are great-circle kilometres', () => {
  assert.equal(distanceKm({ lat: 0, lng: 0 }, { lat: 0, lng: 0 }), 0);
  // a quarter of the equator: 6371 × π / 2
  assert.equal(Math.round(distanceKm({ lat: 0, lng: 0 }, { lat: 0, lng: 90 })), 10008);
});

test('hour deviation: no habit below ten events, then hours to the nearest usual hour (circular)', () => {
  let p = emptyProfile;
  const at = (h: number) => Date.UTC(2026, 0, 1, h - 8); // local hour h in China Standard Time
  for (let i = 0; i < 9; i += 1) p = profileAfter(p, null, 10, at(10));
  assert.equal(hourDeviation(p, 3), 0, 'nine events are no habit yet');
  p = profileAfter(p, null, 23, at(23));
  assert.equal(hourDeviation(p, 10), 0);
  assert.equal(hourDeviation(p, 3), 4, '3 h is four hours from 23 h (through midnight)');
  assert.equal(hourDeviation(p, 16), 6);
});

test('impossible travel: a border crossed faster than an airliner; the same country or a slow trip is not', () => {
  const t0 = Date.UTC(2026, 5, 1);
  const inChina = profileAfter(undefined, '114.114.114.114', 10, t0);
  const fast = profileFeatures(inChina, '8.8.8.8', 10, t0 + hour);
  assert.equal(fast['ip.country'], 'US');
  assert.equal(fast['travel.impossible'], true);
  assert.ok((fast['travel.distance_km'] as number) > 10_000);
  assert.equal(profileFeatures(inChina, '8.8.8.8', 10, t0 + 30 * hour)['travel.impossible'], false);
  assert.equal(profileFeatures(inChina, '1.2.4.8', 10, t0 + 60_000)['travel.distance_km'], 0);
  assert.equal(profileFeatures(inChina, '10.0.0.1', 10, t0 + 60_000)['travel.impossible'], false, 'unknown is no trip');
  // an unknown address does not move the last known location
  assert.equal(profileAfter(inChina, '192.168.0.1', 10, t0 + hour).last?.country, 'CN');
});

for (const kind of testStoreKinds()) {
  describe(`location and habit features, stored (${kind})`, () => {
    let store: Store;
    let release: () => Promise<void>;
    let engine: RiskEngine;
    before(async () => {
      ({ store, release } = await withTestStore(kind));
      engine = new RiskEngine({ store });
    });
    after(() => release());

    const input = (customerId: string, ip: string, minor: bigint): MoneyAssessmentInput => ({
      event: { event: 'payment', customerId, deviceId: `dev-${customerId}`, ip, payeeId: 'payee-1',
        amount: { minor, currency: 'CNY' } },
      known: { amount: { minor, currency: 'CNY' } },
      customer: { createdAt: 0, accountClass: 'II' },
      subjectRef: null,
    });
    const pay = async (customerId: string, ip: string, at: number, minor = 10_000n) => {
      const a = await assessMoneyEvent(engine, store, input(customerId, ip, minor), at);
      await store.transaction((tx) => recordAssessments(tx, store.dialect, [a], at));
      return a;
    };

    test('Beijing then New York an hour later: impossible travel recorded, shadow rule hit, not acted on', async () => {
      const t0 = Date.UTC(2026, 5, 1, 2);
      const first = await pay('cu_travel', '114.114.114.114', t0);
      assert.equal(first.record.features['ip.country'], 'CN');
      assert.equal(first.record.features['travel.impossible'], undefined, 'first event: no trip (neutral, not stored)');
      const second = await pay('cu_travel', '8.8.8.8', t0 + hour);
      assert.equal(second.record.features['ip.country'], 'US');
      assert.equal(second.record.features['ip.region'], 'North America');
      assert.equal(second.record.features['travel.impossible'], true);
      assert.ok(second.decision.shadowHits.some((h) => h.rule === 'impossible_travel'));
      assert.ok(!second.decision.hits.some((h) => h.rule === 'impossible_travel'), 'shadow rules never act');
      const row = await store.get<{ profile: string }>('SELECT profile FROM risk_profiles WHERE customer_id = ?', [
        'cu_travel',
      ]);
      const profile = JSON.parse(row?.profile ?? '{}') as { hours: number[]; last: { country: string } };
      assert.equal(profile.last.country, 'US');
      assert.equal(profile.hours.reduce((a, b) => a + b, 0), 2);
    });

    test('a customer who always pays at 10 h paying at 3 h deviates by seven hours', async () => {
      const day = (d: number, localHour: number) => Date.UTC(2026, 6, d, localHour - 8 + 24) - 86_400_000;
      for (let d = 1; d <= 12; d += 1) await pay('cu_habit', '10.0.0.1', day(d, 10));
      const late = await pay('cu_habit', '10.0.0.1', day(13, 3));
      assert.equal(late.record.features['hour.deviation'], 7);
      assert.equal(late.record.features['hour.history'], 12);
      assert.equal(late.record.features['ip.country'], 'ZZ', 'a private address is unknown');
    });
  });
}
