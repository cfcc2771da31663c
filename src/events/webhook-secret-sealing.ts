// How an endpoint's signing secret is kept at rest. The platform must sign with it, so it is sealed
// (reversible), not hashed. TODO(keyring): when this was written the keyring was not yet exported
// from src/crypto, so `webhookSecretSealer()` below stores the secret UNPROTECTED behind a marker
// byte. Swap that one function for one built on `Keyring.seal/open` (a 'webhook-secret' seal
// purpose, the endpoint id as context). Values written now start with 0x00 and envelope values with
// 0xA7, so a one-off rewrap can find and convert the old ones.

export interface WebhookSecretSealer {
  /** `endpointId` is the context a real sealer authenticates, so a value copied to another row does not open. */
  seal(endpointId: string, secret: string): Promise<Buffer>;
  open(endpointId: string, sealed: Buffer): Promise<string>;
}

const unprotectedMarker = 0x00;

/** THE function to swap for the keyring's sealer (see the note at the top of this file). */
export function webhookSecretSealer(): WebhookSecretSealer {
  return {
    seal: async (_endpointId, secret) => Buffer.concat([Buffer.from([unprotectedMarker]), Buffer.from(secret, 'utf8')]),
    async open(_endpointId, sealed) {
      if (sealed[0] !== unprotectedMarker) throw new Error('webhook secret is sealed in a format this build cannot open');
      return sealed.subarray(1).toString('utf8');
    },
  };
}
