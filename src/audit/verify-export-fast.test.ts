// The fast pass of the offline verifier (one thread or two) must give exactly the exact scan's answer:
// the same result on intact exports (around the 256-leaf block boundaries the ranges split on), and
// on tampered ones — in either half, at the split, chain-only edits, cuts — the exact scan's report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withTestStore } from '../store/testing.ts';
import { appendAudit, createCheckpoint, ephemeralAuditSigner, exportAudit, type AuditEvent } from './index.ts';
import { verifyAuditExport, verifyAuditExportExactly, verifyAuditExportParallel } from './verify-export.ts';

const signer = ephemeralAuditSigner('intl');
const event = (i: number): AuditEvent => ({ actorType: 'customer', actorId: `cus_${i % 7}`, action: 'ledger.transfer', target: `tr_${i}`, outcome: 'success', ip: '203.0.113.7', device: null, details: { i, note: 'x'.repeat(i % 40) } });

/** An export of `size` entries with checkpoints at `checkpointSizes` (ascending), as lines. */
async function exportLines(size: number, checkpointSizes: readonly number[]): Promise<string[]> {
  const { store, release } = await withTestStore('sqlite');
  try {
    let appended = 0;
    for (const target of new Set([...checkpointSizes, size])) {
      for (; appended < target; appended += Math.min(50, target - appended)) {
        const count = Math.min(50, target - appended);
        await store.transaction((tx) => appendAudit(tx, Array.from({ length: count }, (_, j) => event(appended + j + 1)), 1_764_115_200_000 + appended));
      }
      if (checkpointSizes.includes(target)) await createCheckpoint(store, signer, 10_000 + target);
    }
    const file = join(mkdtempSync(join(tmpdir(), 'anfu-audit-fast-')), 'export.jsonl');
    await exportAudit(store, file, { publicKeyPem: signer.publicKeyPem, now: 1 });
    return readFileSync(file, 'utf8').trimEnd().split('\n');
  } finally {
    await release();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'anfu-audit-fast-'));
let files = 0;

/** All three verifiers on the same file; the fast ones forced to split however small the file. */
async function allVerifiers(lines: readonly string[], publicKeyPem = signer.publicKeyPem) {
  const path = join(dir, `e${files++}.jsonl`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return {
    exact: verifyAuditExportExactly(path, { publicKeyPem }),
    single: verifyAuditExport(path, { publicKeyPem }),
    parallel: await verifyAuditExportParallel(path, { publicKeyPem, parallelBytesMin: 0 }),
  };
}

test('intact exports: one thread and two give the exact scan\'s result, around block boundaries', async () => {
  for (const [size, checkpoints] of [[1, [1]], [2, [0, 2]], [255, [100]], [256, [256]], [257, []], [600, [256, 300, 512, 513]], [700, [1, 511, 600, 700]]] as const) {
    const { exact, single, parallel } = await allVerifiers(await exportLines(size, checkpoints));
    assert.equal(exact.ok, true, JSON.stringify(exact));
    assert.deepEqual(single, exact, `size ${size}`);
    assert.deepEqual(parallel, exact, `size ${size}`);
  }
});

test('tampered exports: the fast verifiers fall back to the exact scan\'s report', async () => {
  const lines = await exportLines(700, [256, 520, 700]);
  // lines: 0 header, 1–3 checkpoints, 4.. entries (seq = index - 3); the split lands on seq 513.
  const entryIndex = (seq: number) => seq + 3;
  const edit = (seq: number, change: (line: string) => string) => lines.map((l, i) => (i === entryIndex(seq) ? change(l) : l));
  const flipChain = (l: string) => l.replace(/"chain":"(.)/, (_, c: string) => `"chain":"${c === '0' ? '1' : '0'}`);
  const cases: [string, string[]][] = [
    ['content edited in the first half', edit(40, (l) => l.replace('"tr_40"', '"tr_41"'))],
    ['content edited in the second half', edit(650, (l) => l.replace('"tr_650"', '"tr_651"'))],
    ['the line before the split edited', edit(512, (l) => l.replace('"tr_512"', '"tr_5120"'))],
    ['only the chain of the line before the split changed', edit(512, flipChain)],
    ['only the chain of the split line changed', edit(513, flipChain)],
    ['the split line removed', lines.filter((_, i) => i !== entryIndex(513))],
    ['two lines swapped across the split', lines.map((l, i) => (i === entryIndex(512) ? (lines[entryIndex(513)] as string) : i === entryIndex(513) ? (lines[entryIndex(512)] as string) : l))],
    ['the last lines cut', lines.slice(0, -5)],
    ['an empty line in the second half', lines.map((l, i) => (i === entryIndex(600) ? '' : l))],
    ['a checkpoint signature forged', lines.map((l, i) => (i === 2 ? l.replace(/"signature":"[A-Za-z0-9+/]{8}/, '"signature":"AAAAAAAA') : l))],
    ['the header size changed', lines.map((l, i) => (i === 0 ? l.replace('"treeSize":700', '"treeSize":699') : l))],
  ];
  for (const [name, tampered] of cases) {
    const { exact, single, parallel } = await allVerifiers(tampered);
    assert.equal(exact.ok, false, name);
    assert.deepEqual(single, exact, name);
    assert.deepEqual(parallel, exact, name);
  }
  const other = ephemeralAuditSigner('intl');
  const { exact, single, parallel } = await allVerifiers(lines, other.publicKeyPem);
  assert.equal(exact.failedCheckpoint?.reason, 'unknown_key');
  assert.deepEqual([single, parallel], [exact, exact]);
});
