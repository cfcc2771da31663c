// Notes shown to another customer: length in characters at N and N+1, control and format characters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkNote, noteCharactersMax } from './customer-note.ts';

test('a note is bounded in characters, not UTF-16 units', () => {
  assert.equal(checkNote('话'.repeat(noteCharactersMax)).ok, true);
  assert.deepEqual(checkNote('话'.repeat(noteCharactersMax + 1)), { ok: false, reason: 'too_long' });
  assert.equal(checkNote('😀'.repeat(noteCharactersMax)).ok, true);
  assert.equal(checkNote('').ok, true);
});

test('control, bidi and invisible format characters are refused', () => {
  for (const bad of ['a\nb', 'a\u0000', 'a\u007f', 'a\u0085'])
    assert.deepEqual(checkNote(bad), { ok: false, reason: 'control_character' }, JSON.stringify(bad));
  for (const bad of ['\u202egnp.exe', 'a\u2066b', 'a\u200bb', 'a\u200db', 'a\u00adb', 'a\u{e0041}'])
    assert.deepEqual(checkNote(bad), { ok: false, reason: 'format_character' }, JSON.stringify(bad));
  assert.equal(checkNote('午饭 AA · 2 人').ok, true);
});
