// The partner model: a clearing house or a settlement bank per currency, configured in the database
// by operators. Each partner has four ledger accounts: settlement (mirrors our account at the bank:
// credit-normal, so its balance is minus what the bank holds for us), in transit (money that left a
// wallet or merchant account and waits for the bank's answer), fees, and suspense (corrections).
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Ledger } from '../ledger/index.ts';
import { findCurrency } from '../money/index.ts';
import type { Queryable, Store } from '../store/index.ts';
import { appendAudit } from '../audit/index.ts';
import { ClearingRefused } from './context.ts';
import { isBic } from './messages.ts';

export type PartnerRole = 'clearing_house' | 'settlement_bank';

export interface Partner {
  readonly id: string;
  readonly name: string;
  readonly role: PartnerRole;
  readonly currency: string;
  readonly bic: string;
  /** Our account at the partner: the account statements must be for. */
  readonly accountNumber: string;
  readonly messageKind: 'pain.001' | 'pacs.008';
  /** The liquidity limit: instructions sent but not yet answered never exceed it. */
  readonly netDebitCap: bigint;
  readonly feePerInstruction: bigint;
  /** Merchant settlement T+N: payments older than N days are paid out. */
  readonly settlementDays: number;
  readonly endpoint: string | null;
  readonly settlementAccountId: string;
  readonly inTransitAccountId: string;
  readonly feesAccountId: string;
  readonly suspenseAccountId: string;
  readonly status: 'active' | 'suspended';
}

export interface PartnerInput {
  readonly name: string;
  readonly role: PartnerRole;
  readonly currency: string;
  readonly bic: string;
  readonly accountNumber: string;
  readonly netDebitCap: bigint;
  readonly feePerInstruction?: bigint | undefined;
  readonly settlementDays?: number | undefined;
  readonly endpoint?: string | undefined;
}

const columns = `id, name, role, currency, bic, account_number, message_kind, net_debit_cap, fee_per_instruction,
  settlement_days, endpoint, settlement_account_id, in_transit_account_id, fees_account_id, suspense_account_id,
    status`;

function partnerOf(r: Record<string, unknown>): Partner {
  return {
    id: r.id as string, name: r.name as string, role: r.role as PartnerRole, currency: r.currency as string,
    bic: r.bic as string, accountNumber: r.account_number as string,
    messageKind: r.message_kind as Partner['messageKind'],
    netDebitCap: BigInt(r.net_debit_cap as bigint), feePerInstruction: BigInt(r.fee_per_instruction as bigint),
    settlementDays: Number(r.settlement_days), endpoint: (r.endpoint as string | null) ?? null,
    settlementAccountId: r.settlement_account_id as string, inTransitAccountId: r.in_transit_account_id as string,
    feesAccountId: r.fees_account_id as string, suspenseAccountId: r.suspense_account_id as string,
    status: r.status as Partner['status'],
  };
}

function checkInput(input: PartnerInput): void {
  const bad = (detail: string): never => {
    throw new AnfuError('validation_failed', detail);
  };
  if (!/^[A-Za-z0-9 ._-]{2,40}$/.test(input.name)) bad('name: 2–40 letters, digits, spaces, . _ -');
  if (findCurrency(input.currency) === undefined) bad('currency: not a currency the platform holds');
  if (!isBic(input.bic)) bad('bic: not a BIC');
  if (!/^[A-Za-z0-9]{6,34}$/.test(input.accountNumber)) bad('accountNumber: 6–34 letters or digits');
  if (input.netDebitCap < 0n || (input.feePerInstruction ?? 0n) < 0n) bad('amounts are never negative');
  if (
    input.settlementDays !== undefined &&
    (!Number.isInteger(input.settlementDays) || input.settlementDays < 0 || input.settlementDays > 30)
  )
    bad('settlementDays: 0–30');
  if (input.endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(input.endpoint)) bad('endpoint: an http(s) URL');
}

/** Configures a partner and opens its four ledger accounts (by code, so a retry finds them). */
export async function createPartner(
  store: Store, ledger: Ledger, input: PartnerInput, actorId: string, now: number,
): Promise<Partner> {
  checkInput(input);
  const existing = await store.get('SELECT id FROM clearing_partners WHERE name = ? AND currency = ?', [
    input.name, input.currency,
  ]);
  if (existing !== undefined)
    throw new ClearingRefused('partner_exists', 'a partner with this name and currency exists');
  const open = async (role: string, kind: 'bank_settlement'): Promise<string> => {
    const code = `clearing:${input.name}:${input.currency}:${role}`;
    const found = await ledger.accountByCode(code);
    if (found !== undefined) return found.id;
    return (await ledger.openAccount({ kind, currency: input.currency, code, name: `${input.name} ${role}` })).id;
  };
  // All four are positions with the partner, which may be either side of zero (a bank charge makes the
  // fees position negative; suspense holds claims on the bank as well as debts to it): the ledger lets
  // only bank_settlement accounts go negative, so all four are of that kind, told apart by their codes.
  const accounts = [
    await open('settlement', 'bank_settlement'), await open('in_transit', 'bank_settlement'),
    await open('fees', 'bank_settlement'), await open('suspense', 'bank_settlement'),
  ];
  const id = newId('ptn', now);
  const messageKind = input.role === 'clearing_house' ? 'pacs.008' : 'pain.001';
  await store.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO clearing_partners (id, name, role, currency, bic, account_number, message_kind, net_debit_cap,
        fee_per_instruction, settlement_days, endpoint, settlement_account_id, in_transit_account_id, fees_account_id,
          suspense_account_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id, input.name, input.role, input.currency, input.bic, input.accountNumber, messageKind, input.netDebitCap,
        input.feePerInstruction ?? 0n, input.settlementDays ?? 1, input.endpoint ?? null, ...accounts, now, now,
      ],
    );
    await appendAudit(
      tx,
      [
        {
          actorType: actorId.startsWith('system') ? 'system' : 'operator', actorId, action: 'clearing.partner.create',
          target: id, outcome: 'success',
          details: { role: input.role, currency: input.currency, netDebitCap: input.netDebitCap.toString() },
        },
      ],
      now,
    );
  });
  return (await partnerById(store, id)) as Partner;
}

export async function updatePartnerLimits(
  store: Store, id: string,
  change: { netDebitCap?: bigint; feePerInstruction?: bigint; status?: Partner['status'] },
  actorId: string, now: number,
): Promise<Partner> {
  const partner = await partnerById(store, id);
  if (partner === undefined) throw new ClearingRefused('partner_not_found', 'no such partner');
  if ((change.netDebitCap ?? 0n) < 0n || (change.feePerInstruction ?? 0n) < 0n)
    throw new AnfuError('validation_failed', 'amounts are never negative');
  await store.transaction(async (tx) => {
    await tx.run(
      'UPDATE clearing_partners SET net_debit_cap = ?, fee_per_instruction = ?, status = ?, updated_at = ? ' +
        'WHERE id = ?',
      [
        change.netDebitCap ?? partner.netDebitCap, change.feePerInstruction ?? partner.feePerInstruction,
        change.status ?? partner.status, now, id,
      ],
    );
    await appendAudit(
      tx,
      [
        {
          actorType: 'operator', actorId, action: 'clearing.partner.update', target: id, outcome: 'success',
          details: { netDebitCap: change.netDebitCap?.toString() ?? null, status: change.status ?? null },
        },
      ],
      now,
    );
  });
  return (await partnerById(store, id)) as Partner;
}

export async function partnerById(q: Queryable, id: string): Promise<Partner | undefined> {
  const row = await q.get(`SELECT ${columns} FROM clearing_partners WHERE id = ?`, [id]);
  return row === undefined ? undefined : partnerOf(row);
}

export async function requirePartner(q: Queryable, id: string): Promise<Partner> {
  const partner = await partnerById(q, id);
  if (partner === undefined) throw new ClearingRefused('partner_not_found', 'no such partner');
  return partner;
}

/**
 * The partner that clears the card link's top-ups in a currency: the one named as the card link's bank
 * (ANFU_CARD_LINK_BANK; configured in clearing_partners like any partner). Suspended or not: what the
 * issuer approved is owed to us either way.
 */
export async function partnerForCardBank(q: Queryable, bank: string, currency: string): Promise<Partner | undefined> {
  const row = await q.get(`SELECT ${columns} FROM clearing_partners WHERE name = ? AND currency = ?`, [bank, currency]);
  return row === undefined ? undefined : partnerOf(row);
}

export async function listPartners(q: Queryable): Promise<Partner[]> {
  return (await q.all(`SELECT ${columns} FROM clearing_partners ORDER BY currency, name`)).map(partnerOf);
}
