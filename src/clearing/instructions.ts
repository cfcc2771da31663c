// Money that leaves through a partner: a withdrawal to a bank account or a merchant's settlement.
// Requesting one moves the amount (and the partner's fee) out of the wallet or merchant account into
// the partner's in-transit account at once, in the same transaction as the instruction's row, so it
// can be spent only once; the clearing run then batches it, and the bank's answer completes or
// reverses it (status.ts).
import { appendAudit, type AuditEvent } from '../audit/index.ts';
import { newId } from '../ids.ts';
import type { LedgerTransaction, TransferRequest } from '../ledger/index.ts';
import type { Queryable, Tx } from '../store/index.ts';
import { ClearingRefused, post, withinLedger, type ClearingContext } from './context.ts';
import { requirePartner, type Partner } from './partners.ts';

export type InstructionKind = 'withdrawal' | 'merchant_settlement';
export type InstructionState = 'pending' | 'held' | 'batched' | 'accepted' | 'rejected' | 'returned';

export interface Instruction {
  readonly id: string;
  readonly partnerId: string;
  readonly kind: InstructionKind;
  readonly ownerId: string;
  readonly sourceAccountId: string;
  readonly currency: string;
  readonly amount: bigint;
  readonly fee: bigint;
  readonly endToEndId: string;
  readonly creditorName: string;
  readonly creditorAgent: string;
  readonly state: InstructionState;
  readonly batchId: string | null;
  readonly reasonCode: string | null;
  readonly valueDate: string | null;
  readonly createdAt: number;
}

export const instructionColumns = `id, partner_id, kind, owner_id, source_account_id, currency, amount, fee,
  end_to_end_id,
  creditor_name, creditor_agent, state, batch_id, reason_code, value_date, created_at`;

export function instructionOf(r: Record<string, unknown>): Instruction {
  return {
    id: r.id as string, partnerId: r.partner_id as string, kind: r.kind as InstructionKind,
    ownerId: r.owner_id as string, sourceAccountId: r.source_account_id as string, currency: r.currency as string,
    amount: BigInt(r.amount as bigint), fee: BigInt(r.fee as bigint), endToEndId: r.end_to_end_id as string,
    creditorName: r.creditor_name as string, creditorAgent: r.creditor_agent as string,
    state: r.state as InstructionState, batchId: (r.batch_id as string | null) ?? null,
    reasonCode: (r.reason_code as string | null) ?? null, valueDate: (r.value_date as string | null) ?? null,
    createdAt: Number(r.created_at),
  };
}

export interface TransferOutInput {
  readonly kind: InstructionKind;
  readonly partnerId: string;
  readonly ownerId: string;
  readonly sourceAccountId: string;
  readonly amount: bigint;
  readonly fee?: bigint | undefined;
  readonly creditorName: string;
  readonly creditorAccount: string;
  /** The creditor's bank: BIC or CNAPS member id. */
  readonly creditorAgent: string;
  /** The caller's idempotency key. */
  readonly key: string;
  readonly actorId: string;
}

export async function instructionByKey(q: Queryable, key: string): Promise<Instruction | undefined> {
  const row = await q.get(`SELECT ${instructionColumns} FROM clearing_instructions WHERE idempotency_key = ?`, [key]);
  return row === undefined ? undefined : instructionOf(row);
}

export async function instructionById(q: Queryable, id: string): Promise<Instruction | undefined> {
  const row = await q.get(`SELECT ${instructionColumns} FROM clearing_instructions WHERE id = ?`, [id]);
  return row === undefined ? undefined : instructionOf(row);
}

function checkTransferOut(input: TransferOutInput): void {
  const bad = (detail: string): never => {
    throw new ClearingRefused('clearing_instruction_invalid', detail);
  };
  if (input.amount <= 0n || (input.fee ?? 0n) < 0n) bad('the amount must be positive');
  if (!/^[A-Za-z0-9]{6,34}$/.test(input.creditorAccount.replace(/[\s-]/g, '')))
    bad('the creditor account must be 6–34 letters or digits');
  if (input.creditorName.trim().length < 1 || input.creditorName.length > 140)
    bad('the creditor name must be 1–140 characters');
  if (!/^[A-Z0-9]{6,35}$/.test(input.creditorAgent)) bad('the creditor agent must be a BIC or a clearing member id');
  if (input.key.length < 1 || input.key.length > 200) bad('the idempotency key must be 1–200 characters');
}

/** An instruction checked and its creditor account sealed, ready to be written inside a transaction. */
export interface PreparedTransferOut {
  readonly id: string;
  readonly input: TransferOutInput;
  readonly partner: Partner;
  readonly sourceAccountId: string;
  readonly fee: bigint;
  readonly sealed: Buffer | null;
}

/** Checks and seals outside any transaction (sealing reads the keyring); the same key returns the first one. */
export async function prepareTransferOut(
  ctx: ClearingContext, input: TransferOutInput,
): Promise<PreparedTransferOut | Instruction> {
  checkTransferOut(input);
  const replay = await instructionByKey(ctx.store, input.key);
  if (replay !== undefined) return replay;
  const partner = await requirePartner(ctx.store, input.partnerId);
  if (partner.status !== 'active')
    throw new ClearingRefused('clearing_instruction_invalid', 'the partner is suspended');
  const source = await ctx.ledger.account(input.sourceAccountId);
  if (source === undefined || source.currency !== partner.currency)
    throw new ClearingRefused('clearing_instruction_invalid', 'the source account is not in the partner currency');
  const id = newId('cin', ctx.clock());
  const sealed = await ctx.creditorAccounts.protect(id, {
    creditorAccount: input.creditorAccount.replace(/[\s-]/g, ''),
  });
  return {
    id, input, partner, sourceAccountId: source.id, fee: input.fee ?? 0n,
    sealed: sealed.creditor_account_sealed ?? null,
  };
}

function reserveLegs(p: PreparedTransferOut): TransferRequest[] {
  const { id, partner, input, fee } = p;
  const legs: TransferRequest[] = [
    {
      kind: 'single', key: `clearing:${id}:reserve`,
      debitAccountId: p.sourceAccountId, creditAccountId: partner.inTransitAccountId, amount: input.amount,
      currency: partner.currency, reference: id,
    },
  ];
  if (fee > 0n)
    legs.push({
      kind: 'single', key: `clearing:${id}:fee`,
      debitAccountId: p.sourceAccountId, creditAccountId: partner.feesAccountId, amount: fee,
      currency: partner.currency, reference: id,
    });
  return legs;
}

/** The row and its reservation (amount to in transit, fee to fees) inside the caller's transaction. */
export async function writeTransferOut(
  ctx: ClearingContext, tx: Tx, ledgerTx: LedgerTransaction, p: PreparedTransferOut, now: number,
): Promise<void> {
  const { id, partner, input, fee } = p;
  await tx.run(
    `INSERT INTO clearing_instructions (id, partner_id, kind, owner_id, source_account_id, currency, amount, fee,
      end_to_end_id,
      idempotency_key, creditor_name, creditor_account_sealed, creditor_agent, state, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
    [
      id, partner.id, input.kind, input.ownerId, p.sourceAccountId, partner.currency, input.amount, fee, id, input.key,
      input.creditorName.trim(), p.sealed, input.creditorAgent, now, now,
    ],
  );
  const audit: AuditEvent[] = [];
  const [seqs] = await post(ctx, tx, ledgerTx, [reserveLegs(p)], audit);
  await tx.run('UPDATE clearing_instructions SET reserve_seq = ? WHERE id = ?', [seqs?.[0] ?? null, id]);
  audit.push({
    actorType: input.actorId.startsWith('system') ? 'system' : 'customer', actorId: input.actorId,
    action: 'clearing.instruction.create', target: id, outcome: 'success',
    details: { kind: input.kind, partnerId: partner.id, amount: input.amount.toString(), fee: fee.toString() },
  });
  await appendAudit(tx, audit, now);
}

/** Creates the instruction and reserves its money in transit; the same key returns the first one. */
export async function requestTransferOut(ctx: ClearingContext, input: TransferOutInput): Promise<Instruction> {
  const prepared = await prepareTransferOut(ctx, input);
  if (!('input' in prepared)) return prepared;
  const now = ctx.clock();
  await withinLedger(ctx.store, (tx, ledgerTx) => writeTransferOut(ctx, tx, ledgerTx, prepared, now));
  return (await instructionById(ctx.store, prepared.id)) as Instruction;
}

/** The money back where it came from (amount and fee), after a rejection or a return. */
export function reversalLegs(i: Instruction, from: { inTransit: string; fees: string }, keySuffix: string) {
  const legs = [
    {
      kind: 'single' as const,
      key: `clearing:${i.id}:${keySuffix}`,
      debitAccountId: from.inTransit, creditAccountId: i.sourceAccountId, amount: i.amount, currency: i.currency,
      reference: i.endToEndId,
    },
  ];
  if (i.fee > 0n)
    legs.push({
      kind: 'single',
      key: `clearing:${i.id}:${keySuffix}-fee`,
      debitAccountId: from.fees, creditAccountId: i.sourceAccountId, amount: i.fee, currency: i.currency,
      reference: i.endToEndId,
    });
  return legs;
}

export async function setInstructionState(
  tx: Tx, id: string, from: InstructionState, to: InstructionState, now: number,
  extra: { reason?: string | null; settleSeq?: bigint | null; returnSeq?: bigint | null } = {},
): Promise<void> {
  const changed = await tx.run(
    `UPDATE clearing_instructions SET state = ?, reason_code = COALESCE(?, reason_code), settle_seq = COALESCE(?,
      settle_seq),
      return_seq = COALESCE(?, return_seq), updated_at = ? WHERE id = ? AND state = ?`,
    [to, extra.reason ?? null, extra.settleSeq ?? null, extra.returnSeq ?? null, now, id, from],
  );
  if (changed !== 1) throw new Error(`clearing invariant: instruction ${id} was not ${from}`);
}
