// The running risk engine of one process: the compiled rule set of the highest approved version in
// the store (or the default set while there is none), refreshed by polling that version, so a set
// approved through any process runs in every process within one poll interval, without restart.
// Deciding is synchronous and pure over the features: it adds no database round trip. A stored set
// that no longer compiles (a newer catalogue, a hand edit) is skipped and the running set kept.
import type { Store } from '../store/index.ts';
import { defaultRuleSet } from './default-ruleset.ts';
import type { FeatureValues, RiskEvent } from './features.ts';
import { paymentRiskThresholds, type PaymentRiskThresholds } from './payment-risk.ts';
import { compileRuleSet, decide, type CompiledRuleSet, type RiskDecision, type RiskSignal } from './ruleset.ts';
import { latestRuleSetVersion, ruleSetAt } from './store.ts';

export interface RiskEngineOptions {
  readonly store: Store;
  /** The thresholds and currencies the default set is written from (the configuration). */
  readonly thresholds?: PaymentRiskThresholds;
  readonly currencies?: readonly string[];
  readonly pollMs?: number;
  /** Told every decision (the /metrics counters of wiring/risk-metrics.ts). */
  readonly observe?: (event: RiskEvent, decision: RiskDecision) => void;
}

export interface EngineDecision extends RiskDecision {
  readonly version: number;
}

function compiledOrThrow(document: unknown): CompiledRuleSet {
  const result = compileRuleSet(document);
  if (!result.ok)
    throw new Error(`risk invariant: the default rule set does not compile: ${JSON.stringify(result.problems)}`);
  return result.set;
}

export class RiskEngine {
  readonly #store: Store;
  readonly #pollMs: number;
  readonly #observe: ((event: RiskEvent, decision: RiskDecision) => void) | undefined;
  readonly #fallback: CompiledRuleSet;
  #set: CompiledRuleSet;
  #version = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(options: RiskEngineOptions) {
    this.#store = options.store;
    this.#pollMs = options.pollMs ?? 1000;
    this.#observe = options.observe;
    this.#fallback = compiledOrThrow(
      defaultRuleSet(options.thresholds ?? paymentRiskThresholds, options.currencies ?? ['CNY']),
    );
    this.#set = this.#fallback;
  }

  get version(): number {
    return this.#version;
  }

  get ruleSet(): CompiledRuleSet {
    return this.#set;
  }

  /** The default set of this configuration (version 0). */
  get defaultSet(): CompiledRuleSet {
    return this.#fallback;
  }

  decide(event: RiskEvent, features: FeatureValues, signals: readonly RiskSignal[] = []): EngineDecision {
    const decision = decide(this.#set, event, features, signals);
    this.#observe?.(event, decision);
    return { ...decision, version: this.#version };
  }

  /** Loads the highest stored version if it is newer than the running one. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#load().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #load(): Promise<void> {
    const latest = await latestRuleSetVersion(this.#store);
    if (latest <= this.#version) return;
    const result = compileRuleSet(await ruleSetAt(this.#store, latest));
    if (!result.ok) return;
    this.#set = result.set;
    this.#version = latest;
  }

  /** Polls the store for a newer version until stop(); a failed poll is retried at the next tick. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.refresh().catch(() => undefined), this.#pollMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
