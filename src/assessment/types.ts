// The shape of a self-assessment (guideline §5.3): six indicators, rows placed in the chapters of
// JR/T 0122-2018, each row a requirement, the control Anfu has for it, live evidence, a result and
// what to do about it. `unknown` is a result of its own: a check that could not look never passes.
import type { Config } from '../config.ts';
import type { Keyring } from '../crypto/index.ts';
import type { Store } from '../store/index.ts';

export const indicators = [
  'security',
  'availability',
  'integrity',
  'confidentiality',
  'traceability',
  'non-repudiation',
] as const;
export type Indicator = (typeof indicators)[number];

/** `attested` / `not_attested`: rows whose evidence is an operator's dated attestation, not a live check. */
export const results = ['pass', 'warn', 'fail', 'unknown', 'attested', 'not_attested'] as const;
export type Result = (typeof results)[number];

/**
 * How bad a result is, for the worst-of summaries: unknown counts between warn and fail, and a
 * control nobody vouches for (not attested) is as unproven as one no check could see.
 */
export const severityOf: Record<Result, number> = {
  pass: 0,
  attested: 0,
  warn: 1,
  unknown: 2,
  not_attested: 2,
  fail: 3,
};

export interface Finding {
  readonly result: Result;
  /** What was looked at, live, and what was found (no secret, no personal data). */
  readonly evidence: string;
  /** What to do; empty when nothing is to be done. */
  readonly advice: string;
}

export interface CheckDefinition {
  readonly id: string;
  /** JR/T 0122-2018 chapter or section number, e.g. '10.2'. */
  readonly chapter: string;
  readonly indicator: Indicator;
  readonly requirement: string;
  readonly control: string;
  run(probes: AssessmentProbes): Promise<Finding>;
}

export interface AssessmentRow extends Finding {
  readonly id: string;
  readonly chapter: string;
  readonly chapterTitle: string;
  readonly indicator: Indicator;
  readonly requirement: string;
  readonly control: string;
  /** The same row's result in the previous stored run, or null for the first run. */
  readonly previous: Result | null;
}

export interface Assessment {
  readonly id: string;
  readonly at: number;
  readonly actor: string;
  readonly standard: string;
  /** Worst result per indicator. */
  readonly summary: Readonly<Record<Indicator, Result>>;
  readonly rows: readonly AssessmentRow[];
  readonly previousRunId: string | null;
}

export interface Listener {
  readonly host: string;
  readonly port: number;
  /** False when the listener speaks plain HTTP. */
  readonly tls: boolean;
}

export interface AdvisoryReport {
  /** False when the advisory database could not be asked (no registry, no network). */
  readonly answered: boolean;
  readonly counts: Readonly<Record<'critical' | 'high' | 'moderate' | 'low' | 'info', number>>;
  readonly note: string;
}

/** What the checks look at; built by the composition root (API) or the command (`anfu assess`). */
export interface AssessmentProbes {
  readonly store: Store;
  readonly config: Config;
  readonly clock: () => number;
  readonly keyring: Keyring;
  readonly verifyLedger: () => Promise<{ readonly ok: boolean; readonly problems: readonly string[] }>;
  readonly auditPublicKeyPem: () => Promise<string>;
  /** The listener to probe; undefined when there is none to reach (the TLS row says unknown). */
  readonly listener: Listener | undefined;
  readonly dependencyAdvisories: () => Promise<AdvisoryReport>;
}
