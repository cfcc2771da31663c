// Creating an operator without learning their credentials: the creator gets a single-use enrolment
// code that expires (ANFU_OPERATOR_ENROLMENT_TTL_MS) and hands it over; the new operator redeems it
// and sets their own password and TOTP secret (enrol-operator.ts). Only the code's hash is stored.
// An operator created through the API holds no role until a second administrator approves the
// `operator.role_grant` proposal made with it. Administrators come from the CLI (the bootstrap, see
// docs/OPERATIONS.md) or from an approved role change.
import { createHash, randomBytes } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import { newId } from '../ids.ts';
import type { Store, Tx } from '../store/index.ts';
import { audit, systemActor, type Actor } from './actor.ts';
import type { OperatorRole } from './api-tokens.ts';
import { grantRole, replaceEnrolmentCode } from './credentials-store.ts';
import { countAdministrators, insertOperator, insertProposal, operatorById, operatorByName } from './store.ts';

export const operatorNameRegex = /^[a-z0-9][a-z0-9._-]{2,63}$/;
export const operatorNamePattern = operatorNameRegex.source;
export const enrolmentCodePattern = /^anfu_en_[A-Za-z0-9_-]{43}$/;

export interface CreatedOperator {
  readonly id: string;
  readonly name: string;
  readonly role: OperatorRole;
  /** Shown once to the creator, to be handed to the new operator; single use, never stored in the clear. */
  readonly enrolmentCode: string;
  readonly enrolmentExpiresAt: number;
  /** The `operator.role_grant` proposal a second administrator must approve (absent for CLI bootstrap). */
  readonly grantProposalId: string | undefined;
}

export interface EnrolmentPolicy {
  readonly enrolmentTtlMs: number;
  readonly proposalTtlMs: number;
}

type CreateRefusal = 'operator_exists' | 'validation_failed';
export type CreateOperatorOutcome =
  | { readonly ok: true; readonly operator: CreatedOperator }
  | { readonly ok: false; readonly code: CreateRefusal };

/** argon2id with the library's defaults (19 MiB, t=2, p=1: OWASP's recommended minimum). */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export const enrolmentCodeHashOf = (code: string) => createHash('sha256').update(code).digest('hex');
const newEnrolmentCode = () => `anfu_en_${randomBytes(32).toString('base64url')}`;
const iso = (ms: number) => new Date(ms).toISOString();

interface Grant {
  readonly operatorId: string;
  readonly role: OperatorRole;
  readonly proposedBy: string;
}

async function proposeGrant(tx: Tx, actor: Actor, grant: Grant, policy: EnrolmentPolicy, now: number): Promise<string> {
  const id = newId('prp', now);
  await insertProposal(tx, {
    id, kind: 'operator.role_grant', payload: { operatorId: grant.operatorId, role: grant.role },
    proposedBy: grant.proposedBy, approverRoles: ['administrator'], reason: 'new operator',
    now, expiresAt: now + policy.proposalTtlMs,
  });
  const details = { kind: 'operator.role_grant' };
  await audit(tx, actor, [{ action: 'proposal.create', target: id, outcome: 'success', details }], now);
  return id;
}

/**
 * Creates an operator awaiting enrolment. Made by an operator, the role waits for a second
 * administrator's approval; made by the CLI (no principal), it counts at once.
 */
export async function createOperator(
  store: Store, actor: Actor, input: { name: string; role: OperatorRole }, policy: EnrolmentPolicy, now: number,
): Promise<CreateOperatorOutcome> {
  if (!operatorNameRegex.test(input.name)) return { ok: false, code: 'validation_failed' };
  const { name, role } = input;
  const id = newId('opr', now);
  const enrolmentCode = newEnrolmentCode();
  const enrolmentExpiresAt = now + policy.enrolmentTtlMs;
  const creator = actor.principal?.id;
  return store.transaction(async (tx): Promise<CreateOperatorOutcome> => {
    if ((await operatorByName(tx, name)) !== undefined) {
      const details = { reason: 'operator_exists', role };
      await audit(tx, actor, [{ action: 'operator.create', target: null, outcome: 'failure', details }], now);
      return { ok: false, code: 'operator_exists' };
    }
    const enrolment = { enrolmentCodeHash: enrolmentCodeHashOf(enrolmentCode), enrolmentExpiresAt };
    await insertOperator(tx, { id, name, role, createdAt: now, createdBy: creator ?? 'cli', ...enrolment });
    if (creator === undefined) await grantRole(tx, id, role, now);
    const details = { role, enrolmentExpiresAt: iso(enrolmentExpiresAt) };
    await audit(tx, actor, [{ action: 'operator.create', target: id, outcome: 'success', details }], now);
    const grantProposalId = creator === undefined
      ? undefined
      : await proposeGrant(tx, actor, { operatorId: id, role, proposedBy: creator }, policy, now);
    return { ok: true, operator: { id, name, role, enrolmentCode, enrolmentExpiresAt, grantProposalId } };
  });
}

/** Four eyes need two administrators, so the bootstrap may create up to two; more only by an approved role change. */
export const bootstrapAdministratorsMax = 2;

/** `anfu operators create-admin`: only while fewer than two administrators exist, so it cannot mint a third. */
export async function createFirstAdministrator(
  store: Store, name: string, policy: EnrolmentPolicy, now: number, actor: Actor = systemActor,
): Promise<CreateOperatorOutcome | { readonly ok: false; readonly code: 'administrator_exists' }> {
  const administrators = await countAdministrators(store);
  if (administrators >= bootstrapAdministratorsMax) return { ok: false, code: 'administrator_exists' };
  return createOperator(store, actor, { name, role: 'administrator' }, policy, now);
}

export type NewEnrolmentCodeOutcome =
  | { readonly ok: true; readonly enrolmentCode: string; readonly enrolmentExpiresAt: number }
  | { readonly ok: false; readonly code: 'operator_not_found' | 'operator_enrolled' };

/** A fresh code for an operator who has not enrolled yet (lost or expired); the old one stops working. */
export async function renewEnrolmentCode(
  store: Store, actor: Actor, operatorId: string, policy: EnrolmentPolicy, now: number,
): Promise<NewEnrolmentCodeOutcome> {
  const enrolmentCode = newEnrolmentCode();
  const enrolmentExpiresAt = now + policy.enrolmentTtlMs;
  const action = 'operator.enrolment_code';
  return store.transaction(async (tx): Promise<NewEnrolmentCodeOutcome> => {
    const operator = await operatorById(tx, operatorId);
    const enrolled = operator !== undefined && operator.enrolledAt !== null;
    const refusal = operator === undefined ? 'operator_not_found' : enrolled ? 'operator_enrolled' : undefined;
    const codeHash = enrolmentCodeHashOf(enrolmentCode);
    const replaced = refusal === undefined
      && (await replaceEnrolmentCode(tx, operatorId, codeHash, enrolmentExpiresAt));
    if (!replaced) {
      const code = refusal ?? 'operator_enrolled';
      const target = operator === undefined ? null : operatorId;
      await audit(tx, actor, [{ action, target, outcome: 'denied', details: { reason: code } }], now);
      return { ok: false, code };
    }
    const details = { enrolmentExpiresAt: iso(enrolmentExpiresAt) };
    await audit(tx, actor, [{ action, target: operatorId, outcome: 'success', details }], now);
    return { ok: true, enrolmentCode, enrolmentExpiresAt };
  });
}
