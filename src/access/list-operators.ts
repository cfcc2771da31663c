// Operators as other operators see them: never the password hash or the TOTP secret.
import type { Queryable } from '../store/index.ts';
import type { OperatorRole } from './api-tokens.ts';
import { listOperators, operatorById } from './store.ts';

export interface OperatorView {
  readonly id: string;
  readonly name: string;
  readonly role: OperatorRole;
  readonly status: 'active' | 'disabled';
  readonly locked: boolean;
  /** Has set their own password and TOTP with the enrolment code. */
  readonly enrolled: boolean;
  /** The role counts: granted at the bootstrap or by an approved `operator.role_grant`. */
  readonly roleGranted: boolean;
  readonly createdAt: number;
}

function viewOf(o: Awaited<ReturnType<typeof operatorById>> & object, now: number): OperatorView {
  const locked = o.lockedUntil !== null && o.lockedUntil > now;
  const enrolment = { enrolled: o.enrolledAt !== null, roleGranted: o.roleGrantedAt !== null };
  return { id: o.id, name: o.name, role: o.role, status: o.status, locked, ...enrolment, createdAt: o.createdAt };
}

export async function listOperatorViews(q: Queryable, now: number): Promise<OperatorView[]> {
  return (await listOperators(q)).map((o) => viewOf(o, now));
}
