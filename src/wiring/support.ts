// Customer service in one app: its context (store, ledger, keyring, cases) and its case kinds. The
// freeze an unauthorised-payment claim puts on payments is answered by payments' identity port
// (payment-freezes.ts). The claim also ends the customer's sessions, through identity's door
// (`endCustomerSessions`), given here to the support context.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { CaseKindRegistration, CasesContext } from '../cases/index.ts';
import type { Keyring } from '../crypto/index.ts';
import type { Ledger } from '../ledger/index.ts';
import { acquireLease, type Store } from '../store/index.ts';
import {
  defaultSupportSettings,
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
