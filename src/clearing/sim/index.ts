// The clearing simulator's door (used by `anfu clearing-sim`, tests and the reconcile benchmark only).
export { SimBank, parseCreditTransfers, type SimState } from './bank.ts';
export { parseSimRules, ruleFor, simActions, type SimRules, type SimRule, type SimAction } from './rules.ts';
export { startClearingSim, type ClearingSim } from './server.ts';
