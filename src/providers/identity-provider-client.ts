// The identity-verification contract's client (docs/providers.md, "Identity verification"): the
// two-element check (name + resident ID number, against the public-security bureau's records) and
// the bank-card four-element check (card number, name, ID number, phone, against the issuer).
// A check runs inside a customer's request, so it has one quick retry and then says `unavailable`.
import { randomUUID } from 'node:crypto';
import { postSigned, type ProviderAnswer, type ProviderEndpoint } from './provider-http.ts';

export const twoElementPath = '/v1/identity/two-element';
export const bankCardPath = '/v1/identity/bank-card';
/** Attempts per check: the first, and one retry when the provider did not answer or answered 5xx/429. */
export const identityAttemptsMax = 2;

export type IdentityCheckOutcome =
  | { readonly result: 'match'; readonly reference: string }
  | { readonly result: 'mismatch' | 'no_record'; readonly reference: string }
  | { readonly result: 'unavailable'; readonly reason: string }
  | { readonly result: 'rejected'; readonly reason: string };

export interface IdentityProviderClient {
  checkTwoElements(input: { name: string; idNumber: string }, signal?: AbortSignal): Promise<IdentityCheckOutcome>;
  checkBankCard(
    input: { cardNumber: string; name: string; idNumber: string; phone: string },
    signal?: AbortSignal,
  ): Promise<IdentityCheckOutcome>;
}

const referencePattern = /^[A-Za-z0-9_.:-]{1,128}$/;

function outcomeOf(answer: ProviderAnswer): IdentityCheckOutcome | 'retry' {
  if (answer.kind === 'no_answer')
    return answer.reason === 'simulator_refused' ? { result: 'unavailable', reason: answer.reason } : 'retry';
  const { status, body } = answer;
  const code =
    typeof body.error === 'string' && /^[a-z][a-z0-9_]{0,63}$/.test(body.error) ? body.error : `http_${status}`;
  if (status === 429 || status >= 500) return 'retry';
  if (status !== 200) return { result: 'rejected', reason: code };
  const reference =
    typeof body.reference === 'string' && referencePattern.test(body.reference) ? body.reference : undefined;
  if (reference === undefined) return { result: 'unavailable', reason: 'bad_response' };
  if (body.result === 'match') return { result: 'match', reference };
  if (body.result === 'mismatch' || body.result === 'no_record') return { result: body.result, reference };
  return { result: 'unavailable', reason: 'bad_response' };
}

async function check(
  endpoint: ProviderEndpoint,
  path: string,
  fields: Record<string, string>,
  signal?: AbortSignal,
): Promise<IdentityCheckOutcome> {
  // One request id for both attempts: the provider answers a repeat from its record (and bills once).
  const requestId = randomUUID();
  let last = 'no_answer';
  for (let attempt = 1; attempt <= identityAttemptsMax; attempt += 1) {
    const answer = await postSigned(endpoint, path, { requestId, ...fields }, signal);
    const outcome = outcomeOf(answer);
    if (outcome !== 'retry') return outcome;
    last = answer.kind === 'answered' ? `http_${answer.status}` : answer.reason;
    if (signal?.aborted === true) break;
  }
  return { result: 'unavailable', reason: last };
}

export function identityProviderClient(endpoint: ProviderEndpoint): IdentityProviderClient {
  return {
    checkTwoElements: (input, signal) =>
      check(endpoint, twoElementPath, { name: input.name, idNumber: input.idNumber }, signal),
    checkBankCard: (input, signal) =>
      check(
        endpoint,
        bankCardPath,
        { cardNumber: input.cardNumber, name: input.name, idNumber: input.idNumber, phone: input.phone },
        signal,
      ),
  };
}
