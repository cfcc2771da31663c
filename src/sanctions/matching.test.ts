// Screening over the real published lists (OFAC SDN and the UN consolidated list, read in place):
// listed names are found through the variations screening must survive — case, punctuation, word
// order, diacritics, spelling variants, transliteration from Chinese and Cyrillic, aliases — and
// common names of ordinary customers are not blocked.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { parseOfac } from './parse-ofac.ts';
import { parseUn } from './parse-un.ts';
import { ScreeningIndex } from './screening-index.ts';
import { defaultScreeningSettings } from './sanctions.ts';
import { realOfacFiles, realUnFile, requireSharedLists } from './testing.ts';

const { blockScore, nearHitScore } = defaultScreeningSettings;
let index: ScreeningIndex;

before(async () => {
  requireSharedLists();
  const ofac = await parseOfac(realOfacFiles);
  const un = await parseUn(realUnFile);
  index = new ScreeningIndex([...ofac.entries, ...un]);
});

const top = (name: string, facts: { birthDate?: string; country?: string } = {}) =>
  index.search(name, facts, nearHitScore, 5)[0];

test('the published files are read whole', async () => {
  const ofac = await parseOfac(realOfacFiles);
  assert.equal(ofac.entries.length, 7379);
  const li = ofac.entries.find((e) => e.id === 'ofac:11447');
  assert.deepEqual(li, {
    id: 'ofac:11447',
    source: 'ofac',
    kind: 'individual',
    name: 'LI, Fangwei',
    aliases: ['LEE, Karl'],
    birthDates: ['1972-09-18'],
    countries: ['china'],
    programs: ['NPWMD', 'IFSR'],
  });
  const un = await parseUn(realUnFile);
  assert.equal(un.length, 1003);
  assert.equal(un.filter((e) => e.kind === 'individual').length, 730);
  const kim = un.find((e) => e.id === 'un:6908566');
  assert.equal(kim?.name, 'KIM CHOL SAM');
  assert.ok(kim?.aliases.includes('Jin Tiesan (金铁三)'));
  assert.deepEqual(kim?.birthDates, ['1971-03-11']);
});

// [what a customer or merchant gives, the listed party it must be found as]
const listed: Array<[string, string]> = [
  ['Ayman al-Zawahiri', 'ofac:2676'], // OFAC "AL ZAWAHIRI, Dr. Ayman": order, title, hyphen
  ['ZAWAHIRI AYMAN AL', 'ofac:2676'],
  ['Aiman al-Zawahri', 'un:111923'], // spelling variants
  ['李方伟', 'ofac:11447'], // Chinese script → pinyin "LI, Fangwei"
  ['Li Fang Wei', 'ofac:11447'], // pinyin written as three words
  ['Fangwei Li', 'ofac:11447'],
  ['Karl Lee', 'ofac:11447'], // alias
  ['金铁三', 'un:6908566'], // UN alias in original script
  ['Kim Chol Sam', 'un:6908566'],
  ['Usama bin Ladin', 'ofac:6365'],
  ['Osama Bin Laden', 'ofac:6365'],
  ['Saddam Hussein al-Tikriti', 'un:6908048'],
  ['صدام حسين التكريتي', 'un:6908048'], // Arabic script against the UN's original script
  ['Banco Nacional de Cuba', 'ofac:306'],
  ['banco nacional de cuba s.a.', 'ofac:306'],
  ['National Bank of Cuba', 'ofac:306'],
  ['Hasan Nasrallah', 'ofac:2686'],
  ['Hassan Nasrallah', 'ofac:2686'],
];

for (const [name, id] of listed) {
  test(`found: ${name} → ${id}`, () => {
    const matches = index.search(name, {}, nearHitScore, 10);
    const match = matches.find((m) => m.entry.id === id);
    assert.ok(
      match !== undefined,
      `${id} not among ${matches.map((m) => `${m.entry.id}:${m.score.toFixed(3)}`).join(' ')}`,
    );
    assert.ok(match.score >= blockScore, `${id} scored ${match.score}`);
  });
}

const common = [
  'John Smith',
  'Maria Garcia',
  'Wang Fang',
  'Li Wei',
  'David Brown',
  '王芳',
  '李娜',
  '刘洋',
  'Anna Müller',
  'Zhang Xiaoming',
  'Chen Jing',
  'James Wilson',
  'Sophie Martin',
  'Ivan Petrov',
];
for (const name of common) {
  test(`not blocked: ${name}`, () => {
    const best = top(name);
    assert.ok(
      best === undefined || best.score < blockScore,
      `${name} → ${best?.entry.id} ${best?.matchedName} ${best?.score}`,
    );
  });
}

test('birth date and country break ties between namesakes', () => {
  const plain = top('Li Fangwei');
  const same = top('Li Fangwei', { birthDate: '1972-09-18', country: 'China' });
  const other = top('Li Fangwei', { birthDate: '1990-01-02', country: 'Germany' });
  assert.ok(plain !== undefined && same !== undefined && other !== undefined);
  assert.ok(same.score >= plain.score);
  assert.ok(
    other.score < blockScore,
    `a different birth date and country keep a namesake from being blocked (${other.score})`,
  );
  assert.ok(other.score >= nearHitScore, 'but it stays a near hit for review');
});

test('nothing to search is no match', () => {
  assert.deepEqual(index.search('  -- ', {}, nearHitScore, 5), []);
  assert.deepEqual(index.search('Ltd.', {}, nearHitScore, 5), []);
});
