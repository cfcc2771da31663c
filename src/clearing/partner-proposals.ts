// Maker–checker kinds for the partner model: adding a clearing partner (`clearing.partner_create`) and
// changing a partner's net debit cap (`clearing.partner_cap`). A partner decides where money may go and how
// much may be in flight, so one operations officer proposes and a second, in a password + TOTP session,
// approves; only then is the partner created or its cap changed (audited by partners.ts).
import type { ProposalExecutor } from '../access/index.ts';
import type { Ledger } from '../ledger/index.ts';
import type { Store } from '../store/index.ts';
import { AnfuError } from '../errors.ts';
import { createPartner, partnerById, updatePartnerLimits, type PartnerInput, type PartnerRole } from './partners.ts';

const roles = ['operations', 'administrator'] as const;
const minorText = (v: unknown): v is string => typeof v === 'string' && /^[0-9]{1,18}$/.test(v);
const optionalText = (v: unknown): v is string | undefined => v === undefined || typeof v === 'string';

/** The create payload as proposed (amounts as decimal strings of minor units, JSON-safe). */
export interface PartnerCreatePayload {
  readonly name: string;
  readonly role: PartnerRole;
  readonly currency: string;
  readonly bic: string;
  readonly accountNumber: string;
  readonly netDebitCap: string;
  readonly feePerInstruction?: string | undefined;
  readonly settlementDays?: number | undefined;
  readonly endpoint?: string | undefined;
}

export function partnerInputOf(p: PartnerCreatePayload): PartnerInput {
  return {
    name: p.name, role: p.role, currency: p.currency, bic: p.bic, accountNumber: p.accountNumber,
    netDebitCap: BigInt(p.netDebitCap),
    feePerInstruction: p.feePerInstruction === undefined ? undefined : BigInt(p.feePerInstruction),
    settlementDays: p.settlementDays, endpoint: p.endpoint,
  };
}

function parseCreate(payload: unknown): PartnerCreatePayload | undefined {
  const p = payload as Record<string, unknown> | null;
  if (typeof p !== 'object' || p === null) return undefined;
  const strings = ['name', 'currency', 'bic', 'accountNumber'].every((k) => typeof p[k] === 'string');
  if (!strings || (p.role !== 'clearing_house' && p.role !== 'settlement_bank') || !minorText(p.netDebitCap))
    return undefined;
  if (p.feePerInstruction !== undefined && !minorText(p.feePerInstruction)) return undefined;
  if (p.settlementDays !== undefined && !Number.isInteger(p.settlementDays)) return undefined;
  if (!optionalText(p.endpoint)) return undefined;
  return p as unknown as PartnerCreatePayload;
}

const refusal = (error: unknown) => {
  if (error instanceof AnfuError) return { ok: false as const, code: error.code, detail: error.detail };
  throw error;
};

export function partnerCreateExecutor(
  ledger: Ledger, clock: () => number = Date.now,
): ProposalExecutor<PartnerCreatePayload> {
  return {
    kind: 'clearing.partner_create',
    proposerRoles: roles,
    approverRoles: roles,
    proposerNeedsSession: true,
    parse: parseCreate,
    async check(q, payload) {
      const found = await q.get('SELECT id FROM clearing_partners WHERE name = ? AND currency = ?', [
        payload.name, payload.currency,
      ]);
      return found === undefined ? undefined : 'proposal_payload_invalid';
    },
    async outside(payload, proposal) {
      try {
        const partner = await createPartner(
          ledger.store, ledger, partnerInputOf(payload), proposal.decidedBy ?? 'system', clock(),
        );
        return { ok: true, result: { partnerId: partner.id } };
      } catch (error) {
        return refusal(error);
      }
    },
  };
}

export function partnerCapExecutor(
  store: Store, clock: () => number = Date.now,
): ProposalExecutor<{ partnerId: string; netDebitCap: string }> {
  return {
    kind: 'clearing.partner_cap',
    proposerRoles: roles,
    approverRoles: roles,
    proposerNeedsSession: true,
    parse(payload) {
      const p = payload as { partnerId?: unknown; netDebitCap?: unknown } | null;
      if (typeof p !== 'object' || p === null || Object.keys(p).length !== 2) return undefined;
      if (typeof p.partnerId !== 'string' || !/^ptn_[0-9a-z]{26}$/.test(p.partnerId)) return undefined;
      return minorText(p.netDebitCap) ? { partnerId: p.partnerId, netDebitCap: p.netDebitCap } : undefined;
    },
    async check(q, payload) {
      const found = await q.get('SELECT id FROM clearing_partners WHERE id = ?', [payload.partnerId]);
      return found === undefined ? 'proposal_payload_invalid' : undefined;
    },
    async outside(payload, proposal) {
      try {
        if ((await partnerById(store, payload.partnerId)) === undefined)
          return { ok: false, code: 'partner_not_found' };
        const partner = await updatePartnerLimits(
          store, payload.partnerId, { netDebitCap: BigInt(payload.netDebitCap) },
          proposal.decidedBy ?? 'system', clock(),
        );
        return { ok: true, result: { partnerId: partner.id, netDebitCap: partner.netDebitCap.toString() } };
      } catch (error) {
        return refusal(error);
      }
    },
  };
}
