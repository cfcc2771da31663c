// One step-up gate for what is not a payment but must be authorised like one (binding a card,
// resuming a challenged top-up or withdrawal): identity checks the factor and bounds the attempts
// per subject and per customer per day, exactly as for payments.
import type { PayingCustomer, PaymentStepUpFactor, PaymentsContext } from '../payments/index.ts';

export type StepUpAnswer = { readonly kind: 'totp' | 'sms'; readonly code: string; readonly codeId?: string };

export function stepUpFactorOf(answer: StepUpAnswer): PaymentStepUpFactor {
  return answer.kind === 'sms'
    ? { kind: 'sms', codeId: answer.codeId ?? '', code: answer.code }
    : { kind: 'totp', code: answer.code };
}

/** 'passed', or the refusal code: `code_invalid` for a wrong answer, `step_up_exhausted` past the bound. */
export async function passStepUp(
  ctx: PaymentsContext,
  principal: PayingCustomer,
  subjectId: string,
  answer: StepUpAnswer,
  ip: string | null,
): Promise<'passed' | 'code_invalid' | 'step_up_exhausted'> {
  const verdict = await ctx.identity.verifyStepUp({
    customerId: principal.customerId,
    deviceId: principal.deviceId,
    paymentId: subjectId,
    factor: stepUpFactorOf(answer),
    ip,
  });
  if (verdict.outcome === 'passed') return 'passed';
  return verdict.outcome === 'exhausted' ? 'step_up_exhausted' : 'code_invalid';
}
