// Under the gm profile: HMAC-SM3 access tokens, SM2 device keys certified by the device CA, and an
// SM2-SM3 device signature answering a login challenge.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cryptoProfile } from '../crypto/index.ts';
import { testStoreKinds } from '../store/testing.ts';
import { browserDevice, createIdentityTestApp, registerThroughApi, type IdentityTestApp } from '../wiring/identity-test-app.ts';

for (const kind of testStoreKinds()) {
  describe(`identity under the gm profile (${kind})`, () => {
    let t: IdentityTestApp;
    before(async () => {
      t = await createIdentityTestApp(kind, { env: { ANFU_CRYPTO_PROFILE: 'gm' } });
    });
    after(async () => t.close());

    test('an SM2 device key is certified and its signature completes a challenge', async () => {
      const gm = cryptoProfile('gm');
      const c = await registerThroughApi(t);
      const pair = gm.generateSigningKeyPair();
      const publicKey = gm.exportPublicKey(pair.publicKey);
      const issued = await t.app.inject({ method: 'POST', url: '/v1/me/device-certificate', headers: { authorization: `Bearer ${c.accessToken}` }, payload: { publicKey } });
      assert.equal(issued.statusCode, 201, issued.body);
      const p256 = cryptoProfile('intl').generateSigningKeyPair();
      const wrongKind = await t.app.inject({ method: 'POST', url: '/v1/me/device-certificate', headers: { authorization: `Bearer ${c.accessToken}` }, payload: { publicKey: cryptoProfile('intl').exportPublicKey(p256.publicKey) } });
      assert.equal(wrongKind.json().code, 'device_key_invalid');
      const login = await t.app.inject({ method: 'POST', url: '/v1/customer-sessions', payload: { phone: c.phone, password: c.password, device: browserDevice }, remoteAddress: '192.0.2.44' });
      assert.equal(login.statusCode, 202);
      const { challengeId, nonce } = login.json();
      const signature = gm.sign(pair.privateKey, Buffer.from(`anfu-login-v1|${challengeId}|${nonce}`));
      const done = await t.app.inject({ method: 'POST', url: `/v1/login-challenges/${challengeId}`, payload: { factor: 'device_signature', signature: signature.toString('base64'), certificate: issued.json().certificate } });
      assert.equal(done.statusCode, 201, done.body);
      assert.equal(done.json().authenticationStrength, 'certificate_and_factor');
    });
  });
}
