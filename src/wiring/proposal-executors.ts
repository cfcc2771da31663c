// What an approved maker–checker proposal executes, registered in one place per app: manual ledger
// adjustments, role changes and role grants (src/access), large refunds (src/payments) and resolutions
// of withdrawals whose bank outcome is unknown and card top-up reversals (src/flows), clearing partners,
// caps and merchant settlement runs (src/clearing), customer risk rating overrides and the monitors' level
// factors (src/aml). A kind registered nowhere is refused at proposal time (`proposal_kind_unknown`).
import { ledgerAdjustment, operatorRoleChange, operatorRoleGrant, type ProposalRegistry } from '../access/index.ts';
import {
  partnerCapExecutor, partnerCreateExecutor, settleMerchantsExecutor, type ClearingContext,
} from '../clearing/index.ts';
import type { Config } from '../config.ts';
import { topUpReversalExecutor } from '../flows/reverse-top-up.ts';
import { withdrawalResolutionExecutor } from '../flows/withdraw-to-card.ts';
import type { Ledger } from '../ledger/index.ts';
import { refundApprovalExecutor, type PaymentsContext } from '../payments/index.ts';
import { breakResolutionExecutor } from '../reconciliation/index.ts';
import { listChangeExecutor, ruleSetExecutor } from '../risk/index.ts';
import { levelFactorsExecutor, ratingOverrideExecutor } from '../aml/index.ts';

export function registerProposalExecutors(
  registry: ProposalRegistry,
  parts: {
    readonly config: Config; readonly ledger: Ledger; readonly payments: PaymentsContext;
    readonly clearing: ClearingContext;
  },
): void {
  registry.register(operatorRoleChange);
  registry.register(operatorRoleGrant);
  registry.register(ledgerAdjustment(parts.ledger, parts.config.amountMaxMinor));
  registry.register(refundApprovalExecutor(parts.payments));
  registry.register(withdrawalResolutionExecutor(parts.payments));
  registry.register(topUpReversalExecutor(parts.payments));
  registry.register(breakResolutionExecutor(parts.ledger));
  registry.register(partnerCreateExecutor(parts.ledger));
  registry.register(partnerCapExecutor(parts.ledger.store));
  registry.register(settleMerchantsExecutor(parts.clearing));
  registry.register(ruleSetExecutor);
  registry.register(listChangeExecutor);
  registry.register(ratingOverrideExecutor);
  registry.register(levelFactorsExecutor(parts.config.amlMonitorLevelFactors));
}
