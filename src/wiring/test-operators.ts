// Test support: operators made the way production makes them — created with an enrolment code,
// enrolled with a password and TOTP secret of their own (known to the test), role granted by the
// bootstrap path — and API tokens issued to them. No shortcut around the enrolment rules.
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/index.ts';
import {
  createOperator, enrolOperator, issueApiToken, newTotpSecret, systemActor, totpCodeAt,
  type EnrolmentPolicy, type OperatorRole, type TotpSecrets,
} from '../access/index.ts';

export interface TestOperator {
  readonly id: string;
  readonly name: string;
  readonly role: OperatorRole;
  readonly password: string;
  readonly totpSecret: string;
}

let serial = 0;

export async function enrolledTestOperator(
  deps: { store: Store; totpSecrets: TotpSecrets; policy: EnrolmentPolicy },
  role: OperatorRole,
  now: number,
  name = `op-${role.replace('_', '-')}-${++serial}-${randomBytes(3).toString('hex')}`,
): Promise<TestOperator> {
  const created = await createOperator(deps.store, systemActor, { name, role }, deps.policy, now);
  if (!created.ok) throw new Error(`could not create operator: ${created.code}`);
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  const totpSecret = newTotpSecret();
  const code = created.operator.enrolmentCode;
  const enrolment = { name, code, password, totpSecret, totp: totpCodeAt(totpSecret, now) };
  const enrolled = await enrolOperator(deps.store, deps.totpSecrets, systemActor, enrolment, now);
  if (!enrolled.ok) throw new Error(`could not enrol operator: ${enrolled.code}`);
  return { id: created.operator.id, name, role, password, totpSecret };
}

export async function testOperatorToken(
  store: Store, operatorId: string, maxDays: number, now: number,
): Promise<string> {
  const issued = await issueApiToken(store, systemActor, { operator: { id: operatorId }, name: 'test', maxDays }, now);
  if (!issued.ok) throw new Error(`could not issue token: ${issued.code}`);
  return issued.issued.token;
}
