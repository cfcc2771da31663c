import assert from 'node:assert/strict';
import { it } from 'node:test';
import { holdsSecret } from './holds-secret.ts';

it('a short secret counts where it stands alone, not inside random digits or base64', () => {
  for (const text of ['{"cvv":"8264"}', 'cvv=8264&x=1', 'code 8264.', '8264']) {
    assert.equal(holdsSecret(text, '8264'), true, text);
  }
  for (const text of ['"time":1764882641290', 'kX8264Qz', 'a8264', '82641', '']) {
    assert.equal(holdsSecret(text, '8264'), false, text);
  }
  assert.equal(holdsSecret('pan 6222028812345678 inside', '6222028812345678'), true);
  assert.equal(holdsSecret('x6222028812345678y', '6222028812345678'), true, 'a long secret counts anywhere');
  assert.equal(holdsSecret('code 123 sent', '1.3'), false, 'the secret is matched as text, not as a pattern');
  assert.equal(holdsSecret('code 1.3 sent', '1.3'), true);
});
