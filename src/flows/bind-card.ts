// Binding a bank card (issue 9 item 7; docs/banks.md "Account verification"). A card moves money
// into and out of the wallet, so binding is a sensitive action: the customer passes a step-up with a
// factor they already hold (their session, whatever its strength, is not enough: a new device with
// password + SMS is exactly what an attacker has); attempts are bounded per day; a card verified for
// another customer is refused; then the issuer checks that the card, its CVV2 and the cardholder's
// legal name and resident ID belong together (ISO 8583 0100/33) and sends a one-time code to the
// phone it has on file. The card is bound only when that code comes back (confirm-card-binding.ts).
// Every refusal is a `card_bindings` row and an audit entry, and changes nothing else.
import { passStepUp } from './pass-step-up.ts';
import { appendAudit } from '../audit/index.ts';
import { AnfuError, type ProblemCode } from '../errors.ts';
import { newId } from '../ids.ts';
import { findCurrency, type Currency } from '../money/index.ts';
import {
  nextCardStan,
  cardBindingsSince,
  cardsOf,
  checkedCardDetails,
  expiryField,
  openCardBinding,
  verifiedCardHolderOf,
  type CardBinding,
  type CardDetails,
  type CardFunding,
  type PayingCustomer,
  type PaymentCard,
  type PaymentsContext,
} from '../payments/index.ts';
import type { VerificationResults } from '../banks/index.ts';
import { assessIdentityEvent, identityStoredFeatures, recordIdentityDecision, type RiskAction } from '../risk/index.ts';

const dayMs = 86_400_000;

export interface BindCardInput {
  readonly details: CardDetails;
  /** A factor the customer already holds (TOTP today); absent = refused with step_up_required. */
  readonly stepUp: { readonly kind: 'totp' | 'sms'; readonly code: string } | undefined;
  readonly ip: string | null;
}

export type BindCardResult =
  /** The issuer sent its one-time code; confirm with the binding id. */
  | { readonly kind: 'code_sent'; readonly binding: CardBinding }
  /** The card was already bound and verified for this customer. */
  | { readonly kind: 'already_bound'; readonly card: PaymentCard };

export function cny(): Currency {
  const currency = findCurrency('CNY');
  if (currency === undefined) throw new Error('money invariant: CNY is unknown');
  return currency;
}

/** Records a refused attempt (it counts towards the daily bound) with its audit entry, then throws the problem. */
export async function refuseBinding(
  ctx: PaymentsContext,
  principal: PayingCustomer,
  funding: CardFunding,
  code: ProblemCode,
  attempt: { ip: string | null; card?: { token: string; maskedPan: string }; extra?: Record<string, unknown> },
): Promise<never> {
  const now = ctx.clock();
  const binding: CardBinding = {
    id: newId('cbd', now),
    customerId: principal.customerId,
    cardToken: attempt.card?.token ?? null,
    maskedPan: attempt.card?.maskedPan ?? null,
    bank: funding.bank,
    state: 'refused',
    failureCode: code,
    retrievalReference: null,
    otpAttempts: 0,
    createdAt: now,
    expiresAt: now,
  };
  await ctx.store.transaction(async (tx) => {
    await openCardBinding(tx, binding);
    await appendAudit(
      tx,
      [
        {
          actorType: 'customer',
          actorId: principal.customerId,
          device: principal.deviceId,
          ip: attempt.ip,
          action: 'card.bind',
          target: binding.id,
          outcome: 'denied',
          details: {
            reason: code,
            ...(attempt.card === undefined ? {} : { maskedPan: attempt.card.maskedPan }),
            ...(attempt.extra ?? {}),
          },
        },
      ],
      now,
    );
  });
  throw new AnfuError(code, undefined, { bindingId: binding.id, ...(attempt.extra ?? {}) });
}

/** Which problem an issuer's decline of the account verification is, from field 39 and field 44. */
export function verificationRefusal(responseCode: string, results: VerificationResults): ProblemCode {
  if (responseCode === '05' && results.cvv2 === 'N') return 'card_security_code_invalid';
  if (responseCode === '05' && (results.name !== 'M' || results.idNumber !== 'M')) return 'card_holder_mismatch';
  if (responseCode === '91' || responseCode === '96') return 'card_issuer_unavailable';
  return 'card_declined';
}

/**
 * The running rule set's decision on this binding (event `card_binding`), stored and audited, a review
 * opening its case. The step-up already passed is the answer to a `challenge`; a `review` lets the
 * binding go on and the case decide afterwards (confirm_fraud blocks the device); `deny` refuses it.
 */
async function bindingRisk(ctx: PaymentsContext, principal: PayingCustomer, ip: string | null): Promise<RiskAction> {
  if (ctx.riskEngine === undefined) return 'allow';
  const now = ctx.clock();
  const customer = await ctx.identity.customer(principal.customerId);
  if (customer === undefined) throw new AnfuError('forbidden', 'the customer is not active');
  const device = await ctx.identity.device(principal.deviceId);
  const factorChangedAt = await ctx.identity.recentFactorChangeAt(principal.customerId);
  const counted = {
    event: 'card_binding', customerId: principal.customerId, deviceId: principal.deviceId,
    deviceKey: principal.deviceId, ip, idHash: customer.idNumberHash,
  } as const;
  const stored = await identityStoredFeatures(ctx.store, counted, now);
  const assessment = assessIdentityEvent(ctx.riskEngine, {
    event: 'card_binding', customerId: principal.customerId, deviceId: principal.deviceId,
    subject: { type: 'customer', id: principal.customerId }, customer,
    known: {
      'device.age': device === undefined ? 0 : Math.max(0, now - device.createdAt),
      ...(factorChangedAt === undefined ? {} : { 'factor.changed_ago': Math.max(0, now - factorChangedAt) }),
      ...stored,
    },
    counted,
  }, now);
  await ctx.store.transaction((tx) => recordIdentityDecision(tx, assessment, { ip }, now));
  return assessment.decision.decision;
}

export async function bindCard(
  ctx: PaymentsContext,
  funding: CardFunding,
  principal: PayingCustomer,
  input: BindCardInput,
): Promise<BindCardResult> {
  const now = ctx.clock();
  const { ip } = input;
  if (
    (await cardBindingsSince(ctx.store, principal.customerId, now - dayMs)) >=
    ctx.settings.cardBinding.attemptsPerDayMax
  ) {
    return refuseBinding(ctx, principal, funding, 'card_bind_attempts_exceeded', { ip });
  }
  const pan = checkedCardDetails(input.details, now);
  if (input.stepUp === undefined)
    return refuseBinding(ctx, principal, funding, 'step_up_required', { ip, extra: { factors: ['totp'] } });
  // Attempts are bounded per customer per day for binding, as for a payment's step-up.
  const subject = `card-binding:${principal.customerId}:${new Date(now).toISOString().slice(0, 10)}`;
  const passed = await passStepUp(ctx, principal, subject, input.stepUp, ip);
  if (passed !== 'passed') return refuseBinding(ctx, principal, funding, passed, { ip });
  const { token, maskedPan } = await funding.vault.tokenise({
    pan,
    expiryMonth: input.details.expiryMonth,
    expiryYear: input.details.expiryYear,
  });
  const card = { token, maskedPan };
  const holder = await verifiedCardHolderOf(ctx.store, token);
  if (holder !== undefined && holder !== principal.customerId)
    return refuseBinding(ctx, principal, funding, 'card_bound_elsewhere', { ip, card });
  if (holder === principal.customerId) {
    const bound = (await cardsOf(ctx.store, principal.customerId)).find((c) => c.cardToken === token);
    if (bound !== undefined) return { kind: 'already_bound', card: bound };
  }
  const risk = await bindingRisk(ctx, principal, ip);
  if (risk === 'deny') return refuseBinding(ctx, principal, funding, 'risk_denied', { ip, card });
  const cardholder = await ctx.identity.cardholder(principal.customerId);
  if (cardholder === undefined) throw new AnfuError('forbidden', 'the customer is not active');
  const result = await funding.link.verifyAccount({
    stan: await nextCardStan(ctx.store, ctx.clock()),
    pan,
    expiry: expiryField(input.details),
    cvv2: input.details.cvv2,
    holderName: cardholder.name,
    holderIdNumber: cardholder.idNumber,
    currency: cny(),
  });
  if (result.outcome === 'unavailable')
    return refuseBinding(ctx, principal, funding, 'card_issuer_unavailable', { ip, card });
  if (result.outcome === 'declined') {
    // Field 44 as the issuer sent it: one letter each for CVV2, name, ID (M match, N no match, U not checked).
    const extra = {
      responseCode: result.responseCode,
      issuerMatch: `${result.results.cvv2}${result.results.name}${result.results.idNumber}`,
    };
    return refuseBinding(ctx, principal, funding, verificationRefusal(result.responseCode, result.results), {
      ip,
      card,
      extra,
    });
  }
  const binding: CardBinding = {
    id: newId('cbd', now),
    customerId: principal.customerId,
    cardToken: token,
    maskedPan,
    bank: funding.bank,
    state: 'code_sent',
    failureCode: null,
    retrievalReference: result.retrievalReference,
    otpAttempts: 0,
    createdAt: now,
    expiresAt: now + ctx.settings.cardBinding.ttlMs,
  };
  await ctx.store.transaction(async (tx) => {
    await openCardBinding(tx, binding);
    await appendAudit(
      tx,
      [
        {
          actorType: 'customer',
          actorId: principal.customerId,
          device: principal.deviceId,
          ip,
          action: 'card.bind',
          target: binding.id,
          outcome: 'success',
          details: { maskedPan, issuer: 'code_sent', factor: input.stepUp?.kind },
        },
      ],
      now,
    );
  });
  return { kind: 'code_sent', binding };
}
