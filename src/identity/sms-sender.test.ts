// The development SMS sink: the file never holds a phone number in clear, yet the process that
// wrote it finds the newest message to a number (tests and the demo seed read codes this way).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSmsSender } from './sms-sender.ts';

test('the development sink stores the number masked and keyed-hashed, never in clear', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'anfu-sink-')), 'sms.jsonl');
  const sink = fileSmsSender(file, () => 1);
  await sink.send({ to: '+8613912345678', text: '验证码 111111', purpose: 'registration' });
  await sink.send({ to: '+8613987654321', text: '验证码 222222', purpose: 'registration' });
  await sink.send({ to: '+8613912345678', text: '验证码 333333', purpose: 'login' });
  const text = readFileSync(file, 'utf8');
  assert.ok(!text.includes('13912345678') && !text.includes('13987654321'), 'a phone number in clear');
  assert.match(text, /\+86139\*\*\*\*5678/);
  assert.deepEqual(sink.latest('+8613912345678'), { text: '验证码 333333', purpose: 'login' });
  assert.equal(sink.latest('+8613900000000'), undefined);
  // Another process (another key) cannot join the file to numbers.
  assert.equal(fileSmsSender(file).latest('+8613912345678'), undefined);
});
