// Customer service in one app: its context (store, ledger, keyring, cases), its case kinds, and the
// freeze an unauthorised-payment claim puts on payments — payments' identity port answers a frozen
// customer as disabled (no outgoing payment starts) and a frozen device as revoked (its signature
// authorises nothing) until the claim is decided. The claim also ends the customer's sessions, through
// identity's door (`endCustomerSessions`), given here to the support context.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { CaseKindRegistration, CasesContext } from '../cases/index.ts';
import type { Keyring } from '../crypto/index.ts';
import type { Ledger } from '../ledger/index.ts';
import type { PaymentIdentity } from '../payments/index.ts';
import { acquireLease, type Store } from '../store/index.ts';
import {
  customerFrozen,
  defaultSupportSettings,
  deviceFrozen,
  recoverMerchantDebts,
  supportCaseKinds,
  type SupportContext,
} from '../support/index.ts';

export interface SupportWiring {
  readonly kinds: CaseKindRegistration[];
  /** Completes the context once the case system exists (the kinds need it lazily). */
  complete(cases: CasesContext): SupportContext;
  /** Stops the merchant-debt recovery sweep. */
  stop(): void;
}

const recoveryMs = 10 * 60_000;

export function supportWiring(parts: {
  store: Store;
  ledger: Ledger;
  keyring: Keyring;
  clock: () => number;
  endCustomerSessions: SupportContext['endCustomerSessions'];
}): SupportWiring {
  let support: SupportContext | undefined;
  const holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  // Merchants' dispute debts are taken back from their later balance, by one process at a time.
  const timer = setInterval(() => {
    if (support === undefined) return;
    const ctx = support;
    acquireLease(parts.store, { name: 'sweep:merchant-debts', holder, ttlMs: recoveryMs * 2, now: parts.clock() })
      .then((leased) => (leased ? recoverMerchantDebts(ctx) : undefined))
      .catch(() => undefined);
  }, recoveryMs);
  timer.unref();
  const contextOf = () => {
    if (support === undefined) throw new Error('customer service used before wiring completed');
    return support;
  };
  return {
    kinds: supportCaseKinds(contextOf),
    complete(cases) {
      support = { ...parts, cases, settings: defaultSupportSettings };
      return support;
    },
    stop: () => clearInterval(timer),
  };
}

export function withSupportFreezes(identity: PaymentIdentity, store: Store): PaymentIdentity {
  return {
    ...identity,
    async customer(id) {
      const customer = await identity.customer(id);
      if (customer === undefined || customer.status !== 'active') return customer;
      return (await customerFrozen(store, id)) ? { ...customer, status: 'disabled' } : customer;
    },
    async device(id) {
      const device = await identity.device(id);
      if (device === undefined || device.status !== 'active') return device;
      return (await deviceFrozen(store, id)) ? { ...device, status: 'revoked' } : device;
    },
  };
}
