// What the case system is given at wiring (src/wiring/cases.ts): the store, the clock, each kind's
// definition with the handler its owning capability runs on a decision, and the business calendar
// SLA clocks count in. Built once per app; there is no global registry to mutate.
import type { Store } from '../store/index.ts';
import { defaultBusinessCalendar, type BusinessCalendar } from './calendar.ts';
import type { CaseDecisionHandler, CaseKind, CaseKindDefinition, CaseMoneyHandler } from './types.ts';

export interface CaseKindRegistration {
  readonly definition: CaseKindDefinition;
  readonly handler?: CaseDecisionHandler | undefined;
  readonly money?: CaseMoneyHandler | undefined;
}

export interface CasesContext {
  readonly store: Store;
  readonly clock: () => number;
  readonly proposalTtlMs: number;
  readonly calendar: BusinessCalendar;
  readonly definitions: readonly CaseKindDefinition[];
  definition(kind: CaseKind): CaseKindDefinition | undefined;
  handler(kind: CaseKind): CaseDecisionHandler | undefined;
  money(kind: CaseKind): CaseMoneyHandler | undefined;
  /** The kinds whose definitions name this queue. */
  kindsOfQueue(queue: string): string[];
  /** Stops what wiring started for the cases (the SLA sweep). */
  close(): void;
}

export interface CreateCasesOptions {
  readonly store: Store;
  readonly clock: () => number;
  readonly kinds: readonly CaseKindRegistration[];
  readonly proposalTtlMs: number;
  readonly calendar?: BusinessCalendar | undefined;
  readonly onClose?: (() => void) | undefined;
}

export function createCases(options: CreateCasesOptions): CasesContext {
  const byKind = new Map<CaseKind, CaseKindRegistration>();
  for (const registration of options.kinds) {
    const { kind, decisions } = registration.definition;
    if (byKind.has(kind)) throw new Error(`case kind ${kind} registered twice`);
    if (Object.keys(decisions).length === 0) throw new Error(`case kind ${kind} declares no decisions`);
    byKind.set(kind, registration);
  }
  const definitions = [...byKind.values()].map((r) => r.definition);
  return {
    store: options.store,
    clock: options.clock,
    proposalTtlMs: options.proposalTtlMs,
    calendar: options.calendar ?? defaultBusinessCalendar,
    definitions,
    definition: (kind) => byKind.get(kind)?.definition,
    handler: (kind) => byKind.get(kind)?.handler,
    money: (kind) => byKind.get(kind)?.money,
    kindsOfQueue: (queue) => definitions.filter((d) => d.queue === queue).map((d) => d.kind),
    close: () => options.onClose?.(),
  };
}
