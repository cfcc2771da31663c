// Loading the published lists into the store (both stores): versions, reload in another process's
// view without restart, refusal of malformed and truncated files with the lists in force unchanged,
// and screening that blocks a hit, records near hits and audits both.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { caseEvidenceOf, getCase } from '../cases/index.ts';
import { AnfuError } from '../errors.ts';
import { testStoreKinds, withTestStore } from '../store/testing.ts';
import type { Store } from '../store/index.ts';
import { ListFormatError } from './list-entry.ts';
import { identifyListFiles, loadLists } from './load-lists.ts';
import { sanctionsHitKind } from './case-kind.ts';
import { createSanctions } from './sanctions.ts';
import { requireNoHit, screenParty } from './screen-party.ts';
import { listVersions, screeningsSince } from './store.ts';
import { realOfacFiles, realUnFile, requireSharedLists } from './testing.ts';

const actor = { type: 'operator' as const, id: 'opr_test' };
const scratch = mkdtempSync(join(tmpdir(), 'anfu-lists-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A damaged copy of a published file, in a scratch directory (never in the repository). */
function damaged(name: string, source: string, damage: (bytes: Buffer) => Buffer): string {
  const path = join(scratch, name);
  writeFileSync(path, damage(readFileSync(source)));
  return path;
}

const bad: Array<[string, () => string, RegExp]> = [
  [
    'SDN cut mid-row',
    () => damaged('sdn-cut.csv', realOfacFiles.sdn, (b) => b.subarray(0, Math.floor(b.length * 0.6) + 7)),
    /truncated|fields/,
  ],
  [
    'SDN cut inside a quoted field',
    () =>
      damaged('sdn-quote.csv', realOfacFiles.sdn, (b) => {
        const at = b.indexOf('"BANCO NACIONAL');
        return b.subarray(0, at + 8);
      }),
    /fields|quoted/,
  ],
  [
    'SDN cut after a few whole rows',
    () => damaged('sdn-rows.csv', realOfacFiles.sdn, (b) => b.subarray(0, b.indexOf('\n', 5000) + 1)),
    /truncated/,
  ],
  [
    'SDN with bytes that are not UTF-8',
    () =>
      damaged('sdn-bytes.csv', realOfacFiles.sdn, (b) => {
        const copy = Buffer.from(b);
        copy[300] = 0xff;
        return copy;
      }),
    /UTF-8/,
  ],
  [
    'UN XML cut short',
    () => damaged('un-cut.xml', realUnFile, (b) => b.subarray(0, Math.floor(b.length / 2))),
    /truncated/,
  ],
  [
    'UN XML with a mismatched tag',
    () =>
      damaged('un-tag.xml', realUnFile, (b) =>
        Buffer.from(b.toString('utf8').replace('</FIRST_NAME>', '</SECOND_NAME>')),
      ),
    /closes/,
  ],
  [
    'UN XML with a bare ampersand',
    () =>
      damaged('un-amp.xml', realUnFile, (b) =>
        Buffer.from(b.toString('utf8').replace('<FIRST_NAME>ERIC', '<FIRST_NAME>ERIC & CO')),
      ),
    /&/,
  ],
  ['a file that is neither', () => damaged('other.csv', realUnFile, () => Buffer.from('a,b\n1,2\n')), /neither/],
];

for (const kind of testStoreKinds()) {
  describe(`sanctions lists on ${kind}`, () => {
    let store: Store;
    let release: () => Promise<void>;
    let now = Date.UTC(2026, 11, 2, 9);
    const clock = () => now;

    before(async () => {
      requireSharedLists();
      ({ store, release } = await withTestStore(kind));
    });
    after(() => release());

    test('an empty store screens nothing; production settings refuse instead', async () => {
      const sanctions = createSanctions(store, clock);
      const verdict = await screenParty(sanctions, {
        context: 'manual',
        subject: { type: 'customer', id: 'cus_x' },
        name: 'Ayman al-Zawahiri',
        actor: 'system:test',
      });
      assert.equal(verdict.outcome, 'unscreened');
      requireNoHit(sanctions, verdict);
      const strict = createSanctions(store, clock, { requireLists: true });
      assert.throws(
        () => requireNoHit(strict, verdict),
        (e: unknown) => e instanceof AnfuError && e.code === 'sanctions_lists_unavailable',
      );
    });

    test('the published files load as version 1 of each list', async () => {
      const files = await identifyListFiles([
        realUnFile,
        realOfacFiles.add ?? '',
        realOfacFiles.sdn,
        realOfacFiles.alt ?? '',
      ]);
      const reports = await loadLists(store, files, actor, now);
      assert.deepEqual(
        reports.map((r) => [r.source, r.version, r.entries]),
        [
          ['ofac', 1, 7379],
          ['un', 1, 1003],
        ],
      );
      const audit = await store.all<{ outcome: string }>(
        "SELECT outcome FROM audit_entries WHERE action = 'sanctions.list.load'",
      );
      assert.deepEqual(
        audit.map((a) => a.outcome),
        ['success', 'success'],
      );
    });

    test('a hit blocks, opens a case and is recorded; a near hit is recorded only', async () => {
      const sanctions = createSanctions(store, clock);
      const hit = await screenParty(sanctions, {
        context: 'registration',
        subject: { type: 'registration', id: 'cus_a' },
        name: '李方伟',
        birthDate: '1972-09-18',
        country: 'China',
        actor: 'system:identity',
      });
      assert.equal(hit.outcome, 'hit');
      assert.equal(hit.matches[0]?.entry.id, 'ofac:11447');
      assert.ok(hit.caseId !== undefined);
      const opened = await getCase(store, hit.caseId);
      assert.equal(opened?.kind, 'sanctions_hit');
      assert.equal(opened?.severity, 'critical');
      assert.deepEqual(opened?.subject, { type: 'registration', id: 'cus_a' });
      assert.equal((await caseEvidenceOf(store, hit.caseId))[0]?.ref, 'ofac:11447');
      assert.throws(
        () => requireNoHit(sanctions, hit),
        (e: unknown) => e instanceof AnfuError && e.code === 'sanctions_hit',
      );
      const near = await screenParty(sanctions, {
        context: 'registration',
        subject: { type: 'registration', id: 'cus_b' },
        name: 'Li Fangwei',
        birthDate: '1990-01-02',
        country: 'Germany',
        actor: 'system:identity',
      });
      assert.equal(near.outcome, 'near_hit');
      requireNoHit(sanctions, near);
      const clear = await screenParty(sanctions, {
        context: 'merchant',
        subject: { type: 'merchant', id: 'mch_c' },
        name: 'Hangzhou Green Tea Trading',
        actor: 'opr_x',
      });
      assert.equal(clear.outcome, 'clear');
      const rows = await screeningsSince(store, 0, 50);
      const top = rows.filter((r) => r.entryId === 'ofac:11447');
      assert.deepEqual(top.map((r) => [r.subjectId, r.outcome]).sort(), [
        ['cus_a', 'hit'],
        ['cus_b', 'near_hit'],
      ]);
      assert.equal(top.find((r) => r.outcome === 'hit')?.caseId, hit.caseId);
      assert.equal(top[0]?.listVersions, 'ofac:1,un:1');
      const audit = await store.all<{ outcome: string; target: string }>(
        "SELECT outcome, target FROM audit_entries WHERE action = 'sanctions.screen' ORDER BY seq",
      );
      assert.deepEqual(
        audit.map((a) => [a.target, a.outcome]),
        [
          ['cus_a', 'denied'],
          ['cus_b', 'success'],
        ],
      );
      assert.equal(sanctions.counts.clear, 1);
    });

    test('a clear party is searched once per list index; a hit is searched and recorded every time', async () => {
      const sanctions = createSanctions(store, clock);
      const lists = await sanctions.lists.current();
      assert.ok(lists !== undefined);
      const search = lists.index.search.bind(lists.index);
      let searches = 0;
      lists.index.search = (...args) => {
        searches += 1;
        return search(...args);
      };
      const screen = (name: string, id: string, birthDate?: string) =>
        screenParty(sanctions, {
          context: 'payment',
          subject: { type: 'merchant', id },
          name,
          birthDate,
          actor: 'system:payments',
        });
      for (let i = 0; i < 3; i++) assert.equal((await screen('Suzhou Silk Road Foods', 'mch_memo')).outcome, 'clear');
      assert.equal(searches, 1, 'searched once, then answered from the memo');
      assert.equal(sanctions.counts.clear, 3, 'every clear screening is still counted');
      assert.equal((await screen('Suzhou Silk Road Foods', 'mch_memo', '1980-01-01')).outcome, 'clear');
      assert.equal(searches, 2, 'other tie-breakers are another search');
      const before = (await screeningsSince(store, 0, 500)).filter((r) => r.subjectId === 'mch_hit').length;
      for (let i = 0; i < 2; i++) assert.equal((await screen('Banco Nacional de Cuba', 'mch_hit')).outcome, 'hit');
      assert.equal(searches, 4, 'a hit is never remembered');
      const recorded = (await screeningsSince(store, 0, 500)).filter((r) => r.subjectId === 'mch_hit').length;
      assert.ok(recorded >= before + 2, 'each hit screening is recorded');
      // Another index (another process, or the next list version) starts with an empty memo.
      const fresh = createSanctions(store, clock);
      const other = await fresh.lists.current();
      assert.ok(other !== undefined && other.index !== lists.index);
      const otherSearch = other.index.search.bind(other.index);
      let otherSearches = 0;
      other.index.search = (...args) => {
        otherSearches += 1;
        return otherSearch(...args);
      };
      const subject = { type: 'merchant', id: 'mch_memo' };
      const request = { context: 'payment', subject, actor: 'system:payments' } as const;
      assert.equal((await screenParty(fresh, { ...request, name: 'Suzhou Silk Road Foods' })).outcome, 'clear');
      assert.equal(otherSearches, 1);
    });

    test('a hit decided a false positive lets the same party through as a near hit', async () => {
      const sanctions = createSanctions(store, clock);
      const request = {
        context: 'registration' as const,
        subject: { type: 'registration', id: 'cus_fp1' },
        name: 'Karl Lee',
        birthDate: '1972-09-18',
        actor: 'system:identity',
      };
      const first = await screenParty(sanctions, request);
      assert.equal(first.outcome, 'hit');
      const record = await getCase(store, first.caseId ?? '');
      assert.ok(record !== undefined && sanctionsHitKind.handler !== undefined);
      const checker = { type: 'system' as const, principal: undefined, ip: null, device: null };
      await store.transaction((tx) =>
        (sanctionsHitKind.handler as NonNullable<typeof sanctionsHitKind.handler>)(
          tx,
          record,
          'false_positive',
          checker,
          Date.parse('2026-05-01T10:00:00Z'),
        ),
      );
      const again = await screenParty(sanctions, { ...request, subject: { type: 'registration', id: 'cus_fp2' } });
      assert.equal(again.outcome, 'near_hit');
      requireNoHit(sanctions, again);
      const other = await screenParty(sanctions, {
        ...request,
        birthDate: '1972-09-19',
        subject: { type: 'registration', id: 'cus_fp3' },
      });
      assert.notEqual(other.outcome, 'clear', 'the clearance is for that name and birth date only');
    });

    for (const [what, make, message] of bad) {
      test(`refused: ${what}; the lists in force stay`, async () => {
        const before = await listVersions(store, 10);
        const path = make();
        await assert.rejects(
          async () => loadLists(store, await identifyListFiles([path]), actor, now),
          (e: unknown) => {
            assert.ok(e instanceof ListFormatError, String(e));
            assert.match(e.message, message);
            return true;
          },
        );
        assert.deepEqual(await listVersions(store, 10), before);
      });
    }

    test('a new version loaded elsewhere is picked up without restart', async () => {
      const serving = createSanctions(store, clock, { refreshMs: 1000 });
      assert.equal((await serving.lists.current())?.label, 'ofac:1,un:1');
      // Another process loads the UN list again.
      now += 60_000;
      await loadLists(store, { un: realUnFile }, actor, now);
      const stale = await serving.lists.current();
      assert.equal(stale?.label, 'ofac:1,un:1', 'the previous index serves while the new one builds');
      await new Promise((resolve) => setTimeout(resolve, 50));
      let fresh = await serving.lists.current();
      for (let i = 0; i < 100 && fresh?.label !== 'ofac:1,un:2'; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        now += 2000;
        fresh = await serving.lists.current();
      }
      assert.equal(fresh?.label, 'ofac:1,un:2');
    });
  });
}
