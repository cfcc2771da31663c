// How an endpoint's signing secret is kept at rest. The platform must sign with it, so it is sealed
// (reversible), not hashed: under the keyring's 'webhook-secret' data key, with the table, column and
// endpoint id authenticated, so a value copied to another row does not open. Values written before
// the keyring was wired start with the 0x00 marker and hold the plaintext; they still open here until
// the start-up conversion or `anfu keys rewrap` seals them (src/crypto/keyring-rewrap.ts).
import { fieldContext, plaintextMarker, type Keyring } from '../crypto/index.ts';

export interface WebhookSecretSealer {
  /** `endpointId` is the context the sealer authenticates, so a value copied to another row does not open. */
  seal(endpointId: string, secret: string): Promise<Buffer>;
  open(endpointId: string, sealed: Buffer): Promise<string>;
}

const contextOf = (endpointId: string) => fieldContext('webhook_endpoints', 'secret_sealed', endpointId);

export function webhookSecretSealer(keyring: Keyring): WebhookSecretSealer {
  return {
    seal: (endpointId, secret) => keyring.seal('webhook-secret', Buffer.from(secret, 'utf8'), contextOf(endpointId)),
    async open(endpointId, sealed) {
      if (sealed[0] === plaintextMarker) return sealed.subarray(1).toString('utf8');
      return (await keyring.open('webhook-secret', sealed, contextOf(endpointId))).toString('utf8');
    },
  };
}
