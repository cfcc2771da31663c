// Round trips through the one interface, for both profiles: what one intent produces, its partner accepts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cryptoProfile, profileNames, sealTags } from './index.ts';

for (const name of profileNames) {
  const profile = cryptoProfile(name);

  describe(`${name}: round trips`, () => {
    test('seal/open for empty, short and large plaintexts; each seal is fresh', () => {
      const key = profile.generateSealKey();
      for (const size of [0, 1, 15, 16, 17, 64, 100_000]) {
        const plaintext = randomBytes(size);
        const sealed = profile.seal(key, plaintext, Buffer.from(`field-${size}`));
        assert.equal(sealed[0], sealTags[profile.sealAlgorithm]);
        assert.deepEqual(profile.open(key, sealed, Buffer.from(`field-${size}`)), plaintext);
        assert.notDeepEqual(profile.seal(key, plaintext, Buffer.from(`field-${size}`)), sealed);
      }
    });

    test('secret keys export and import', () => {
      const key = profile.generateSealKey();
      const again = profile.importSecretKey(profile.sealAlgorithm, profile.exportSecretKey(key));
      assert.deepEqual(profile.open(again, profile.seal(key, Buffer.from('x'))), Buffer.from('x'));
      const macKey = profile.generateMacKey();
      const macAgain = profile.importSecretKey(profile.macAlgorithm, profile.exportSecretKey(macKey));
      assert.deepEqual(profile.mac(macAgain, Buffer.from('x')), profile.mac(macKey, Buffer.from('x')));
    });

    test('sign/verify for every algorithm, also after a PEM round trip of both keys', () => {
      for (const algorithm of profile.signatureAlgorithms) {
        const pair = profile.generateSigningKeyPair(algorithm);
        const privateKey = profile.importPrivateKey(profile.exportPrivateKey(pair.privateKey));
        const publicKey = profile.importPublicKey(profile.exportPublicKey(pair.publicKey));
        assert.equal(profile.exportPublicKey(profile.publicKeyOf(privateKey)), profile.exportPublicKey(pair.publicKey));
        const message = randomBytes(200);
        assert.equal(profile.verify(publicKey, message, profile.sign(privateKey, message)), true);
        assert.equal(profile.verify(pair.publicKey, message, profile.sign(pair.privateKey, message)), true);
      }
    });

    test('encryptTo/decryptWith for several sizes', () => {
      const pair = profile.generateEncryptionKeyPair();
      for (const size of [0, 1, 32, 33, 1000]) {
        const plaintext = randomBytes(size);
        assert.deepEqual(profile.decryptWith(pair.privateKey, profile.encryptTo(pair.publicKey, plaintext)), plaintext);
      }
    });
  });
}

test('hash is SHA-256 for intl and SM3 for gm', () => {
  assert.equal(cryptoProfile('intl').hash(Buffer.from('abc')).toString('hex'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(cryptoProfile('gm').hash(Buffer.from('abc')).toString('hex'), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
});
