// Builds the probes the checks look through, the same way for the operator API and `anfu assess`:
// the live store, the keyring, the ledger's verification, the audit key sealed in the keyring, the
// listener to handshake with, and npm audit (cached: it asks the registry).
import { keyringAuditSigner } from '../audit/index.ts';
import type { Config } from '../config.ts';
import type { Keyring } from '../crypto/index.ts';
import type { Store } from '../store/index.ts';
import { cachedAdvisories, npmAudit } from './dependency-advisories.ts';
import type { AdvisoryReport, AssessmentProbes, Listener } from './types.ts';

export interface ProbeParts {
  readonly store: Store;
  readonly config: Config;
  readonly clock: () => number;
  readonly keyring: Keyring;
  readonly verifyLedger: AssessmentProbes['verifyLedger'];
  readonly listener: () => Listener | undefined;
  /** Replaces npm audit (tests); default: `npm audit --json` in the installation, cached for 6 h. */
  readonly dependencyAdvisories?: () => Promise<AdvisoryReport>;
  readonly installRoot?: string;
}

/** A listening address as a client reaches it: a wildcard bind is probed on loopback. */
export function reachableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

/** One probe set per app or command; the audit key and advisories are looked up once and kept. */
export function assessmentProbes(parts: ProbeParts): () => AssessmentProbes {
  const { store, config, clock, keyring } = parts;
  let publicKey: Promise<string> | undefined;
  const auditPublicKeyPem = () => {
    publicKey ??= keyringAuditSigner(keyring, { dataDir: config.dataDir, profile: config.cryptoProfile }).then(
      (s) => s.publicKeyPem,
    );
    publicKey.catch(() => {
      publicKey = undefined;
    });
    return publicKey;
  };
  const advisories =
    parts.dependencyAdvisories ??
    cachedAdvisories(() => npmAudit(parts.installRoot ?? process.cwd()), clock, 6 * 3600_000);
  return () => ({
    store,
    config,
    clock,
    keyring,
    verifyLedger: parts.verifyLedger,
    auditPublicKeyPem,
    listener: parts.listener(),
    dependencyAdvisories: advisories,
  });
}
