// The customer password policy (NIST SP 800-63B-4) and argon2id parameters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPassword, commonPasswordList, passwordLengthMax, passwordLengthMin } from './password-policy.ts';
import { hashPassword, needsRehash, verifyPassword } from './password-hashing.ts';

test('the shipped common/breached list has at least 10,000 entries and is consulted', () => {
  assert.ok(commonPasswordList().size >= 10_000, `${commonPasswordList().size}`);
  for (const common of ['password', 'Password1', 'qwertyuiop', '12345678', 'iloveyou']) {
    const verdict = checkPassword(common);
    assert.equal(verdict.ok ? 'ok' : verdict.problem, common.length < 8 ? 'too_short' : 'common', common);
  }
});

test('length limits at N and N+1; every character allowed; NFKC applied', () => {
  const at = (n: number) => 'ž'.repeat(1) + 'x7Q'.repeat(60).slice(0, n - 1);
  assert.equal(checkPassword(at(passwordLengthMin.multiFactor - 1)).ok, false);
  assert.equal(checkPassword(at(passwordLengthMin.multiFactor)).ok, true);
  assert.equal(checkPassword(at(14), { standalone: true }).ok, false);
  assert.equal(checkPassword(at(passwordLengthMin.standalone), { standalone: true }).ok, true);
  assert.equal(checkPassword(at(64)).ok, true);
  assert.equal(checkPassword(at(passwordLengthMax)).ok, true);
  assert.equal(checkPassword(at(passwordLengthMax + 1)).ok, false);
  assert.equal(checkPassword('安付 密码 🙂 très sûr').ok, true);
  const composed = checkPassword('Ｆｕｌｌｗｉｄｔｈ pass');
  assert.ok(composed.ok && composed.password === 'Fullwidth pass');
});

test('passwords built from the phone or ID number are refused', () => {
  const personal = { phone: '+8613912345678', idNumber: '11010519491231002X' };
  for (const built of ['13912345678', 'a13912345678', '345678abc', '11010519491231002x', '19491231!!', 'pw-1949-12-31'.replaceAll('-', '')]) {
    const verdict = checkPassword(built.padEnd(8, '!'), personal);
    assert.equal(verdict.ok ? 'ok' : verdict.problem, 'personal_data', built);
  }
  assert.equal(checkPassword('a long passphrase with 345678 inside it', personal).ok, true);
});

test('argon2id: verifies, refuses, and asks for a rehash when the cost changes', async () => {
  const cost = { memoryKib: 1024, timeCost: 1, parallelism: 1 };
  const stored = await hashPassword('correct horse', cost);
  assert.match(stored, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
  assert.equal(await verifyPassword(stored, 'correct horse'), true);
  assert.equal(await verifyPassword(stored, 'correct horsf'), false);
  assert.equal(await verifyPassword('not a hash', 'x'), false);
  assert.equal(needsRehash(stored, cost), false);
  assert.equal(needsRehash(stored, { ...cost, memoryKib: 2048 }), true);
});
