// The maker–checker executor for large refunds: an operator proposes 'payment.refund' with the
// refund id, another approves, and the approval executes the refund (idempotent on the refund id).
import type { ProposalExecutor } from '../access/index.ts';
import type { PaymentsContext } from '../payments/index.ts';
import { executeRefund, refundById } from './refund-payment.ts';

export function refundApprovalExecutor(ctx: PaymentsContext): ProposalExecutor<{ refundId: string }> {
  return {
    kind: 'payment.refund',
    proposerRoles: ['administrator', 'operations', 'customer_service'],
    approverRoles: ['administrator', 'operations'],
    parse(payload) {
      const refundId = (payload as { refundId?: unknown } | null)?.refundId;
      return typeof refundId === 'string' && /^rfd_[0-9a-z]{26}$/.test(refundId) ? { refundId } : undefined;
    },
    async check(q, payload) {
      const refund = await refundById(q, payload.refundId);
      return refund?.state === 'awaiting_approval' ? undefined : 'proposal_payload_invalid';
    },
    async outside(payload) {
      const refund = await executeRefund(ctx, payload.refundId);
      return refund.state === 'succeeded' ? { ok: true, result: { refundId: refund.id, state: refund.state } } : { ok: false, code: refund.failureCode ?? 'refund_failed' };
    },
  };
}
