// Drill and bench support: an operator made the way production makes one (enrolment code, own
// password and TOTP), and an API token of theirs, on the cluster's database. The API nodes run in
// development with their KEK in the cluster's data directory, so this opens the same keyring.
import { join } from 'node:path';
import { totpSecretsWith } from '../../access/index.ts';
import { keyringAuditSigner } from '../../audit/index.ts';
import { loadConfig } from '../../config.ts';
import { loadKek } from '../../crypto/index.ts';
import type { Store } from '../../store/index.ts';
import { openPlatformKeyring } from '../../wiring/platform-keyring.ts';
import { enrolledTestOperator, testOperatorToken } from '../../wiring/test-operators.ts';
import { primaryUrlOf, type Topology } from '../index.ts';

async function clusterKeyring(topology: Topology, store: Store) {
  const config = loadConfig({
    ANFU_ENV: 'development', ANFU_DATA_DIR: join(topology.dir, 'api'), ANFU_DATABASE_URL: primaryUrlOf(topology),
  });
  return { config, keyring: await openPlatformKeyring({ store, config, kek: loadKek(config) }) };
}

export async function clusterOperatorToken(topology: Topology, store: Store): Promise<{ id: string; token: string }> {
  const config = loadConfig({
    ANFU_ENV: 'development',
    ANFU_DATA_DIR: join(topology.dir, 'api'),
    ANFU_DATABASE_URL: primaryUrlOf(topology),
  });
  const keyring = await openPlatformKeyring({ store, config, kek: loadKek(config) });
  const policy = { enrolmentTtlMs: config.operatorEnrolmentTtlMs, proposalTtlMs: config.proposalTtlMs };
  const operator = await enrolledTestOperator(
    { store, totpSecrets: totpSecretsWith(keyring), policy },
    'operations',
    Date.now(),
  );
  return {
    id: operator.id,
    token: await testOperatorToken(store, operator.id, config.operatorTokenTtlDaysMax, Date.now()),
  };
}

/** The public key the API nodes sign audit checkpoints with (sealed in their keyring under the KEK). */
export async function clusterAuditPublicKey(topology: Topology, store: Store): Promise<string> {
  const { config, keyring } = await clusterKeyring(topology, store);
  return (await keyringAuditSigner(keyring, { dataDir: config.dataDir, profile: config.cryptoProfile })).publicKeyPem;
}
