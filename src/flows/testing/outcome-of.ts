// Test support: a started payment's outcome as a value — the payment, or the refusal's stable code.
import { AnfuError } from '../../errors.ts';
import type { StartedPayment } from '../start-signed-payment.ts';

export async function outcomeOf(promise: Promise<StartedPayment>): Promise<StartedPayment | string> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof AnfuError) return error.code;
    throw error;
  }
}
