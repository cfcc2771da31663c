// `anfu operators create-admin --name N [--force]`: creates an administrator and prints its
// password and TOTP secret once. Refused while an active administrator exists unless --force
// (whoever runs the CLI already holds the database; the creation is audited either way).
import type { Config } from '../config.ts';
import { loadKek } from '../crypto/index.ts';
import { openPlatformKeyring } from '../wiring/platform-keyring.ts';
import { migrate, openStore } from '../store/index.ts';
import { createFirstAdministrator, createOperator, operatorNameRegex, systemActor, totpSecretsWith } from '../access/index.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);
const complain = (line: string) => process.stderr.write(`${line}\n`);

export async function operatorsCommand(config: Config, args: readonly string[], values: Record<string, unknown>): Promise<number> {
  const name = values.name;
  if (args[0] !== 'create-admin' || typeof name !== 'string' || !operatorNameRegex.test(name)) {
    complain('usage: anfu operators create-admin --name NAME [--force]   (NAME: 3–64 of a-z 0-9 . _ -)');
    return 2;
  }
  const store = openStore({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath, poolSize: 2 });
  try {
    await migrate(store);
    // The TOTP secret is sealed with the deployment's keyring, as the server would.
    const totpSecrets = totpSecretsWith(await openPlatformKeyring({ store, config, kek: loadKek(config), actor: 'cli' }));
    const now = Date.now();
    const outcome = values.force === true ? await createOperator(store, totpSecrets, systemActor, { name, role: 'administrator' }, now) : await createFirstAdministrator(store, totpSecrets, name, now);
    if (!outcome.ok) {
      complain(outcome.code === 'administrator_exists' ? 'an administrator exists already: add administrators by a role change another administrator approves, or pass --force' : `refused: ${outcome.code}`);
      return 1;
    }
    const { operator } = outcome;
    say(`administrator ${operator.name} (${operator.id}) created. Shown once; store it safely:`);
    say(`  password:    ${operator.password}`);
    say(`  TOTP secret: ${operator.totpSecret}`);
    say(`  otpauth URI: ${operator.otpauthUri}`);
    say('Log in with POST /v1/operator-sessions {"name", "password", "totp"}.');
    return 0;
  } finally {
    await store.close();
  }
}
