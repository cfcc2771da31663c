// Sanctions screening wired into the app: the capability's context from configuration, the hooks
// that identity (registration) and merchant onboarding call, which block a hit with `sanctions_hit`,
// and the freeze a re-screening hit puts on an existing customer, which payments' identity port answers
// (payment-freezes.ts).
import type { Config } from '../config.ts';
import { customersToScreen, type ApplicantScreening, type Identity } from '../identity/index.ts';
import { merchantsAfter } from '../payments/index.ts';
import {
  createSanctions,
  requireNoHit,
  screenParty,
  type PartySource,
  type Sanctions,
} from '../sanctions/index.ts';
import type { Store } from '../store/index.ts';

export function sanctionsFor(config: Config, store: Store, clock: () => number): Sanctions {
  // Production refuses to register or onboard anyone while no list is loaded.
  return createSanctions(store, clock, { requireLists: config.environment === 'production' });
}

export function applicantScreeningOf(sanctions: Sanctions): ApplicantScreening {
  return async (applicant) => {
    const verdict = await screenParty(sanctions, {
      context: 'registration',
      subject: { type: 'registration', id: applicant.registrationId },
      name: applicant.name,
      birthDate: applicant.birthDate === '' ? undefined : applicant.birthDate,
      country: 'china',
      actor: 'system:identity',
    });
    requireNoHit(sanctions, verdict);
  };
}

/** The parties re-screened when the lists change: customers (legal name, birth date), then merchants. */
export function rescreenSourcesOf(identity: Identity, store: Store, clock: () => number): PartySource[] {
  return [
    {
      type: 'customer',
      page: async (after, limit) =>
        (await customersToScreen(identity, after, limit, clock())).map((c) => ({
          id: c.id,
          name: c.name,
          birthDate: c.birthDate,
          country: 'china',
          customerId: c.id,
        })),
    },
    { type: 'merchant', page: (after, limit) => merchantsAfter(store, after, limit) },
  ];
}
