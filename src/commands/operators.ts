// `anfu operators create-admin --name N [--force]`: bootstraps an administrator from the machine's
// command line and prints a single-use enrolment code once; the administrator redeems it with
// POST /v1/operator-enrolments and sets their own password and TOTP secret (nobody else sees them).
// Allowed while fewer than two administrators exist (four eyes need two) unless --force; whoever
// runs the CLI already holds the database, and the creation is audited either way.
// `anfu operators enrolment-code --name N` replaces the code of an operator who has not enrolled.
import type { Config } from '../config.ts';
import { migrate, openStore } from '../store/index.ts';
import {
  createFirstAdministrator, createOperator, findOperatorByName, operatorNameRegex, renewEnrolmentCode,
  type Actor, type EnrolmentPolicy,
} from '../access/index.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);
const complain = (line: string) => process.stderr.write(`${line}\n`);
const cliActor: Actor = { type: 'system', principal: undefined, ip: null, device: 'anfu cli' };

function printCode(name: string, code: string, expiresAt: number): void {
  say(`Enrolment code for ${name} (single use, expires ${new Date(expiresAt).toISOString()}; hand it over in person):`);
  say(`  ${code}`);
  say('The operator enrols with POST /v1/operator-enrolments {"name", "code", "password", "totpSecret", "totp"},');
  say('choosing their own password and TOTP secret (see docs/OPERATIONS.md, "Bootstrap").');
}

const usage = 'usage: anfu operators create-admin --name NAME [--force] | enrolment-code --name NAME'
  + '   (NAME: 3–64 of a-z 0-9 . _ -)';
const tooMany = 'two administrators exist already: add administrators by a role change another administrator approves,'
  + ' or pass --force';

export async function operatorsCommand(
  config: Config, args: readonly string[], values: Record<string, unknown>,
): Promise<number> {
  const name = values.name;
  const verbOk = ['create-admin', 'enrolment-code'].includes(args[0] ?? '');
  if (!verbOk || typeof name !== 'string' || !operatorNameRegex.test(name)) {
    complain(usage);
    return 2;
  }
  const store = openStore({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath, poolSize: 2 });
  const policy: EnrolmentPolicy = {
    enrolmentTtlMs: config.operatorEnrolmentTtlMs, proposalTtlMs: config.proposalTtlMs,
  };
  try {
    await migrate(store);
    const now = Date.now();
    if (args[0] === 'enrolment-code') {
      const operator = await findOperatorByName(store, name);
      const renewed = operator === undefined
        ? { ok: false as const, code: 'operator_not_found' }
        : await renewEnrolmentCode(store, cliActor, operator.id, policy, now);
      if (!renewed.ok) {
        complain(`refused: ${renewed.code}`);
        return 1;
      }
      printCode(name, renewed.enrolmentCode, renewed.enrolmentExpiresAt);
      return 0;
    }
    const outcome = values.force === true
      ? await createOperator(store, cliActor, { name, role: 'administrator' }, policy, now)
      : await createFirstAdministrator(store, name, policy, now, cliActor);
    if (!outcome.ok) {
      complain(outcome.code === 'administrator_exists' ? tooMany : `refused: ${outcome.code}`);
      return 1;
    }
    say(`administrator ${outcome.operator.name} (${outcome.operator.id}) created.`);
    printCode(outcome.operator.name, outcome.operator.enrolmentCode, outcome.operator.enrolmentExpiresAt);
    return 0;
  } finally {
    await store.close();
  }
}
